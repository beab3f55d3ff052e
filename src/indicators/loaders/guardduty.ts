/**
 * AWS GuardDuty threat-list formats (as the GuardDuty user guide's "List
 * formats" samples show them). TXT: one IP address or CIDR block per line
 * (`#` comments allowed). Anything else on a line is an invalid entry. Its
 * content is indistinguishable from a plain list of addresses, so it is
 * never detected: name it with `--iocs-format guardduty-txt` to have
 * non-addresses reported.
 */
import type { DeclaredType, RawEntry } from '../types.js';
import type { BadRecord, FeedReader } from './feed-reader.js';
import { asTime } from './json-walk.js';
import { plainValue } from './plain.js';
import { textLines } from './text-lines.js';

export const guarddutyTxtReader: FeedReader = {
  name: 'guardduty-txt',
  description: 'AWS GuardDuty TXT threat list: one IP or CIDR per line (never detected; name it with --iocs-format)',
  sniff: () => false,
  async *read(chunks): AsyncGenerator<RawEntry | BadRecord> {
    for await (const { text, line } of textLines(chunks)) {
      const value = plainValue(text);
      if (value !== undefined) yield { value, line, declaredType: 'ip' };
    }
  },
};

/**
 * Splits one CSV row on commas, honouring double-quoted fields (`""` is a
 * quote); fields are trimmed, since AWS's samples put a space after each comma.
 */
function csvFields(text: string): string[] {
  const out: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i] as string;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"' && field.trim() === '') {
      field = '';
      quoted = true;
    } else if (c === ',') {
      out.push(field.trim());
      field = '';
    } else field += c;
  }
  out.push(field.trim());
  return out;
}

/** Drops undefined metadata so sources stay plain JSON. */
function defined<T extends object>(o: T): T {
  for (const k of Object.keys(o) as (keyof T)[]) if (o[k] === undefined) delete o[k];
  return o;
}

/** GuardDuty OTX_CSV indicator types and what iochunt reads them as. */
const OTX_CSV_TYPES: Readonly<Record<string, DeclaredType>> = {
  cidr: 'cidr',
  ipv4: 'ip',
  ipv6: 'ip',
  'domain name': 'domain-name',
  domain: 'domain-name',
  hostname: 'domain-name',
};

/**
 * AWS GuardDuty OTX_CSV: `Indicator type, Indicator, Description` rows
 * (header optional), types `CIDR`, `IPv4`, `IPv6`, `Domain name`. Other
 * types and rows without an indicator are invalid entries. Never detected.
 */
export const guarddutyOtxCsvReader: FeedReader = {
  name: 'guardduty-otx-csv',
  description: 'AWS GuardDuty OTX_CSV threat list: Indicator type, Indicator, Description (never detected)',
  sniff: () => false,
  async *read(chunks): AsyncGenerator<RawEntry | BadRecord> {
    for await (const { text, line } of textLines(chunks)) {
      if (text.trim() === '' || text.trimStart().startsWith('#')) continue;
      const [type = '', value = '', description] = csvFields(text);
      if (/^indicator[ _]?type$/i.test(type)) continue;
      const declaredType = OTX_CSV_TYPES[type.toLowerCase()];
      if (!declaredType) {
        yield { bad: true, line, value: text, reason: type === '' ? 'no indicator type' : `indicator type ${type} is not supported` };
        continue;
      }
      if (value === '') {
        yield { bad: true, line, value: text, reason: 'no indicator' };
        continue;
      }
      yield defined({ value, line, declaredType, description: description || undefined });
    }
  },
};

/**
 * AWS GuardDuty ALIEN_VAULT: the AlienVault reputation feed,
 * `VALUE#reliability#risk#type#country#city#lat,lon#...` with an IP address
 * or a domain as VALUE; the type (`Malicious Host`), reliability and risk
 * become the description. A line with fewer than four `#` fields is invalid. Never
 * detected (`#` would start a comment in a plain list).
 */
export const guarddutyAlienVaultReader: FeedReader = {
  name: 'guardduty-alien-vault',
  description: 'AWS GuardDuty ALIEN_VAULT threat list: AlienVault reputation rows IP-or-domain#reliability#risk#type#... (never detected)',
  sniff: () => false,
  async *read(chunks): AsyncGenerator<RawEntry | BadRecord> {
    for await (const { text, line } of textLines(chunks)) {
      const t = text.trim();
      if (t === '' || t.startsWith('#')) continue;
      const f = t.split('#').map((s) => s.trim());
      if (f.length < 4 || f[0] === '') {
        yield { bad: true, line, value: t, reason: 'not an AlienVault reputation row (VALUE#reliability#risk#type#...)' };
        continue;
      }
      const rating = [f[1] ? `reliability ${f[1]}` : '', f[2] ? `risk ${f[2]}` : ''].filter((s) => s !== '').join(', ');
      const description = [f[3], rating && `(${rating})`].filter((s) => s).join(' ') || undefined;
      yield defined({ value: f[0] as string, line, declaredType: 'domain-or-ip' as const, description });
    }
  },
};

/**
 * AWS GuardDuty PROOF_POINT: the Proofpoint ET Intelligence reputation CSV,
 * `ip|domain, category, score, first_seen, last_seen, ports (|)` (an IP or
 * a domain in the first column under either header). The header is
 * required; a row with fewer than five fields or no value is invalid.
 * `first_seen`/`last_seen` are carried. Never detected.
 */
export const guarddutyProofPointReader: FeedReader = {
  name: 'guardduty-proof-point',
  description: 'AWS GuardDuty PROOF_POINT threat list: ET reputation CSV ip|domain, category, score, first_seen, last_seen, ports (never detected)',
  sniff: () => false,
  async *read(chunks): AsyncGenerator<RawEntry | BadRecord> {
    let header = false;
    for await (const { text, line } of textLines(chunks)) {
      if (text.trim() === '' || text.trimStart().startsWith('#')) continue;
      const f = csvFields(text);
      if (!header && /^(ip|domain)$/i.test(f[0] ?? '') && /^category$/i.test(f[1] ?? '')) {
        header = true;
        continue;
      }
      if (!header) {
        yield { bad: true, line, value: text, reason: 'before the ip|domain, category, score, first_seen, last_seen header' };
        continue;
      }
      if (f.length < 5 || (f[0] ?? '') === '') {
        yield { bad: true, line, value: text, reason: 'not a Proofpoint row (value, category, score, first_seen, last_seen, ports)' };
        continue;
      }
      yield defined({
        value: f[0] as string,
        line,
        declaredType: 'domain-or-ip' as const,
        description: f[1] ? `ET reputation category ${f[1]}${f[2] ? `, score ${f[2]}` : ''}` : undefined,
        firstSeen: asTime(f[3]),
        lastSeen: asTime(f[4]),
      });
    }
  },
};

/**
 * AWS GuardDuty FIRE_EYE: FireEye iSIGHT CSV with its header row
 * (`reportId, title, …, cidr, domain, …, ip, …, observationTime`); each
 * row's `cidr`, `domain` and `ip` fields are indicators (`title` the
 * description, `webLink` or `reportLink` the reference, `publishDate`
 * first seen, `observationTime` last seen). Rows before the header, and rows
 * with none of the three, are invalid. Never detected.
 */
export const guarddutyFireEyeReader: FeedReader = {
  name: 'guardduty-fire-eye',
  description: 'AWS GuardDuty FIRE_EYE threat list: FireEye iSIGHT CSV, its cidr, domain and ip columns (never detected)',
  sniff: () => false,
  async *read(chunks): AsyncGenerator<RawEntry | BadRecord> {
    let cols: Map<string, number> | undefined;
    for await (const { text, line } of textLines(chunks)) {
      if (text.trim() === '' || text.trimStart().startsWith('#')) continue;
      const f = csvFields(text);
      if (!cols && /^reportId$/i.test(f[0] ?? '')) {
        cols = new Map(f.map((name, i) => [name.toLowerCase(), i]));
        continue;
      }
      if (!cols) {
        yield { bad: true, line, value: text, reason: 'before the FireEye iSIGHT header (reportId, title, ...)' };
        continue;
      }
      const at = (name: string): string | undefined => {
        const i = cols?.get(name.toLowerCase());
        const v = i === undefined ? undefined : f[i];
        return v === undefined || v === '' ? undefined : v;
      };
      const meta = defined({
        description: at('title'),
        reference: at('webLink') ?? at('reportLink'),
        firstSeen: asTime(at('publishDate')),
        lastSeen: asTime(at('observationTime')),
      });
      const found: [string, DeclaredType][] = [];
      const cidr = at('cidr');
      const domain = at('domain');
      const ip = at('ip');
      if (cidr) found.push([cidr, 'cidr']);
      if (domain) found.push([domain, 'domain-name']);
      if (ip) found.push([ip, 'ip']);
      if (found.length === 0) {
        yield { bad: true, line, value: text, reason: 'no cidr, domain or ip' };
        continue;
      }
      for (const [value, declaredType] of found) yield { value, line, declaredType, ...meta };
    }
  },
};
