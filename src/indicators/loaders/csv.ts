/**
 * CSV indicator lists with a header row. The header names the value column
 * (`indicator`, `value`, `ioc`, …) or typed value columns (`md5`, `sha256`,
 * `domain`, `url`, `ip`, `C2 Server`, …), and optionally `type`,
 * `description`, `severity`, `confidence` and `reference` columns. Comma,
 * semicolon and tab delimiters; quoted fields; a BOM; CRLF; `#` comment lines;
 * a header written as the last comment line (abuse.ch dumps).
 */
import { Readable } from 'node:stream';
import type { DeclaredType, RawEntry } from '../types.js';
import type { BadRecord, FeedReader } from './feed-reader.js';

type Role =
  | { kind: 'value'; declared?: DeclaredType }
  | { kind: 'type' }
  | { kind: 'description' }
  | { kind: 'severity' }
  | { kind: 'confidence' }
  | { kind: 'reference' };

const UNTYPED_VALUE = new Set([
  'indicator',
  'indicators',
  'value',
  'ioc',
  'iocs',
  'ioc_value',
  'indicator_value',
  'observable',
  'observable_value',
]);

const TYPED_VALUE: Readonly<Record<string, DeclaredType>> = {
  ip: 'ip',
  ip_address: 'ip',
  ipaddress: 'ip',
  ipv4: 'ipv4-addr',
  ipv6: 'ipv6-addr',
  cidr: 'ip',
  network: 'ip',
  // abuse.ch Feodo Tracker (`first_seen_utc,dst_ip,dst_port,c2_status,last_online,malware`).
  dst_ip: 'ip',
  domain: 'domain-name',
  domain_name: 'domain-name',
  hostname: 'domain-or-ip',
  host: 'domain-or-ip',
  fqdn: 'domain-name',
  c2: 'domain-or-ip',
  c2_server: 'domain-or-ip',
  url: 'url',
  uri: 'url',
  md5: 'md5',
  sha1: 'sha1',
  sha_1: 'sha1',
  sha256: 'sha256',
  sha_256: 'sha256',
  sha512: 'sha512',
  sha_512: 'sha512',
  email: 'email-addr',
  email_address: 'email-addr',
};

const OTHER_ROLES: Readonly<Record<string, Role>> = {
  type: { kind: 'type' },
  indicator_type: { kind: 'type' },
  ioc_type: { kind: 'type' },
  description: { kind: 'description' },
  desc: { kind: 'description' },
  comment: { kind: 'description' },
  comments: { kind: 'description' },
  title: { kind: 'description' },
  name: { kind: 'description' },
  threat: { kind: 'description' },
  severity: { kind: 'severity' },
  priority: { kind: 'severity' },
  confidence: { kind: 'confidence' },
  confidence_level: { kind: 'confidence' },
  score: { kind: 'confidence' },
  // abuse.ch: ThreatFox `malware_printable`, Feodo Tracker `malware`.
  malware_printable: { kind: 'description' },
  malware: { kind: 'description' },
  reference: { kind: 'reference' },
  references: { kind: 'reference' },
  ref: { kind: 'reference' },
  link: { kind: 'reference' },
  urlhaus_link: { kind: 'reference' },
};

/** Maps a feed's type label (`IP`, `FileHash-SHA256`, `hostname`, …) to a declared type. */
export function declaredTypeFromLabel(label: string): DeclaredType | 'unsupported' | undefined {
  const t = label.trim().toLowerCase().replace(/[^a-z0-9]/g, '');
  if (t === '' || t === 'unknown' || t === 'auto') return undefined;
  const map: Record<string, DeclaredType> = {
    ip: 'ip',
    ipaddress: 'ip',
    ipaddr: 'ip',
    ipv4: 'ipv4-addr',
    ipv4addr: 'ipv4-addr',
    ipv6: 'ipv6-addr',
    ipv6addr: 'ipv6-addr',
    ipsrc: 'ip',
    ipdst: 'ip',
    // ThreatFox `ioc_type` values: ip:port, domain, url, md5_hash, sha1_hash, sha256_hash.
    ipport: 'ip',
    md5hash: 'md5',
    sha1hash: 'sha1',
    sha256hash: 'sha256',
    sha512hash: 'sha512',
    cidr: 'ip',
    subnet: 'ip',
    network: 'ip',
    netblock: 'ip',
    domain: 'domain-name',
    domainname: 'domain-name',
    fqdn: 'domain-name',
    hostname: 'domain-or-ip',
    host: 'domain-or-ip',
    url: 'url',
    uri: 'url',
    link: 'url',
    md5: 'md5',
    filehashmd5: 'md5',
    sha1: 'sha1',
    filehashsha1: 'sha1',
    sha256: 'sha256',
    filehashsha256: 'sha256',
    sha512: 'sha512',
    filehashsha512: 'sha512',
    hash: 'hash',
    filehash: 'hash',
    file: 'hash',
    email: 'email-addr',
    emailaddr: 'email-addr',
    emailaddress: 'email-addr',
    emailsrc: 'email-addr',
    emaildst: 'email-addr',
  };
  return map[t] ?? 'unsupported';
}

function columnKey(name: string): string {
  return name
    .trim()
    .replace(/^\uFEFF/, '')
    .toLowerCase()
    .replace(/[\s-]+/g, '_');
}

function roleOf(name: string): Role | undefined {
  const key = columnKey(name);
  if (UNTYPED_VALUE.has(key)) return { kind: 'value' };
  const typed = TYPED_VALUE[key];
  if (typed) return { kind: 'value', declared: typed };
  return OTHER_ROLES[key];
}

interface Layout {
  readonly delimiter: string;
  readonly columns: readonly string[];
  /** The header is a `#` comment line, so every non-comment record is data. */
  readonly headerInComment: boolean;
}

function splitHeader(line: string, delimiter: string): string[] {
  return line.split(delimiter).map((c) => c.trim().replace(/^"(.*)"$/, '$1'));
}

function headerLayout(line: string, headerInComment: boolean): Layout | undefined {
  for (const delimiter of [',', ';', '\t']) {
    if (!line.includes(delimiter) && delimiter !== ',') continue;
    const columns = splitHeader(line, delimiter);
    if (columns.some((c) => roleOf(c)?.kind === 'value')) return { delimiter, columns, headerInComment };
  }
  return undefined;
}

/** Finds the CSV layout from the head of a file, or undefined when it is not a CSV with a header. */
export function detectCsvLayout(head: string): Layout | undefined {
  const lines = head.replace(/^\uFEFF/, '').split(/\r?\n/);
  let lastComment: string | undefined;
  for (const raw of lines.slice(0, 200)) {
    const line = raw.trim();
    if (line === '') continue;
    if (line.startsWith('#')) {
      lastComment = line.replace(/^#+\s*/, '');
      continue;
    }
    // A header in the last comment (abuse.ch dumps) wins over a first row with
    // as many fields that does not read as a row of column names: that row is
    // data, even when one cell reads like a column name (ThreatFox's
    // `ioc_type` cell `domain` next to a date and an address).
    const commented = lastComment !== undefined ? headerLayout(lastComment, true) : undefined;
    if (commented) {
      const cells = splitHeader(line, commented.delimiter);
      const namesOnly = cells.every((c) => /^[A-Za-z_][A-Za-z0-9_ -]*$/.test(c));
      if (cells.length === commented.columns.length && !namesOnly) return commented;
    }
    return headerLayout(line, false) ?? commented;
  }
  return undefined;
}

/**
 * A cell may list several values (`a.example, b.example`); URLs are never
 * split because they may contain the separators.
 */
function splitCell(value: string, declared: DeclaredType | undefined): string[] {
  if (declared === 'url' || !/[\s,;|]/.test(value)) return [value];
  if (declared === undefined && /:\/\/|\[:\]\/\//.test(value)) return [value];
  return value.split(/[\s,;|]+/).filter((v) => v !== '');
}

export const csvReader: FeedReader = {
  name: 'csv',
  description: 'CSV with a header naming the value column (indicator, value, ioc, or md5/sha256/domain/url/ip…) and optional type, description, severity, confidence, reference',
  sniff: (head) => detectCsvLayout(head) !== undefined,
  async *read(chunks, head): AsyncGenerator<RawEntry | BadRecord> {
    const layout = detectCsvLayout(head);
    if (!layout) return;
    const roles = layout.columns.map(roleOf);
    // csv-parse is loaded by CSV feeds only (start-up loads no feed reader's parser).
    const { parse } = await import('csv-parse');
    const parser = Readable.from(chunks).pipe(
      parse({
        delimiter: layout.delimiter,
        bom: true,
        comment: '#',
        comment_no_infix: true,
        relax_column_count: true,
        relax_quotes: true,
        skip_empty_lines: true,
        trim: true,
        info: true,
      }),
    );
    let sawHeader = layout.headerInComment;
    for await (const rec of parser as AsyncIterable<{ record: string[]; info: { lines: number } }>) {
      const { record, info } = rec;
      if (!sawHeader) {
        sawHeader = true;
        continue;
      }
      const line = info.lines;
      const meta: { description?: string; severity?: string; confidence?: string; reference?: string } = {};
      let rowType: DeclaredType | 'unsupported' | undefined;
      let typeLabel = '';
      roles.forEach((role, i) => {
        const v = record[i];
        if (!role || v === undefined || v === '' || (role.kind !== 'value' && role.kind !== 'type' && v === 'None')) return;
        if (role.kind === 'type') {
          typeLabel = v;
          rowType = declaredTypeFromLabel(v);
        } else if (role.kind !== 'value') {
          meta[role.kind] = v;
        }
      });
      let any = false;
      for (let i = 0; i < roles.length; i++) {
        const role = roles[i];
        const value = record[i];
        if (!role || role.kind !== 'value' || value === undefined || value === '') continue;
        any = true;
        const declared = role.declared ?? rowType;
        if (declared === 'unsupported') {
          yield { bad: true, line, value, reason: `unsupported indicator type "${typeLabel}"` };
          continue;
        }
        for (const v of splitCell(value, declared)) yield { value: v, line, ...(declared ? { declaredType: declared } : {}), ...meta };
      }
      if (!any && record.some((f) => f !== '')) {
        yield { bad: true, line, value: record.join(layout.delimiter), reason: 'no value in the indicator column(s)' };
      }
    }
  },
};
