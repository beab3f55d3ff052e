/**
 * AlienVault OTX: pulses (the subscribed-pulses response `{"results":
 * [pulse, ...]}`, one exported pulse, or an array of pulses) and the flat
 * indicator export (`{"indicator", "type", "title", "description", ...}` as
 * NDJSON or an array). Pulses are streamed one at a time. `expiration`
 * becomes the end of the validity window and `is_active: 0` marks the
 * indicator inactive (see validity in the README). Indicator types iochunt
 * cannot match (CVE, YARA, Mutex, FilePath, ...) are skipped and counted.
 */
import type { DeclaredType, RawEntry, SourceMeta } from '../types.js';
import type { BadRecord, FeedReader } from './feed-reader.js';
import { asObject, asText, asTime, jsonItems, tlpOf, type JsonPath } from './json-walk.js';

const TYPES: Readonly<Record<string, DeclaredType>> = {
  IPv4: 'ipv4-addr',
  IPv6: 'ipv6-addr',
  CIDR: 'cidr',
  domain: 'domain-name',
  hostname: 'domain-name',
  URL: 'url',
  email: 'email-addr',
  'FileHash-MD5': 'md5',
  'FileHash-SHA1': 'sha1',
  'FileHash-SHA256': 'sha256',
};

function clean(meta: Record<string, string | undefined>): SourceMeta {
  for (const k of Object.keys(meta)) if (meta[k] === undefined) delete meta[k];
  return meta as SourceMeta;
}

function pulseMeta(p: Record<string, unknown>): SourceMeta {
  const refs = Array.isArray(p.references) ? p.references.map(asText).filter((s): s is string => !!s) : [];
  const tags = Array.isArray(p.tags) ? p.tags.map(asText).filter((s): s is string => !!s) : [];
  const tlp = asText(p.tlp) ?? asText(p.TLP);
  return clean({
    description: asText(p.name),
    provider: asText(p.author_name) ?? asText(asObject(p.author)?.username),
    reference: refs[0] ?? (asText(p.id) ? `https://otx.alienvault.com/pulse/${asText(p.id)}` : undefined),
    tlp: tlp ? (tlpOf(`tlp:${tlp}`) ?? tlp.toLowerCase()) : undefined,
    firstSeen: asTime(p.created),
    modifiedAt: asTime(p.modified),
    tags: tags.length > 0 ? tags.join(', ') : undefined,
  });
}

function indicatorEntry(i: Record<string, unknown>, line: number, pulse: SourceMeta): RawEntry | BadRecord {
  const value = asText(i.indicator) ?? '';
  const type = asText(i.type) ?? '';
  const declaredType = TYPES[type];
  if (!declaredType) return { bad: true, line, value, reason: `OTX type "${type}" is not an indicator iochunt matches`, policy: true };
  const expiration = i.expiration;
  if (expiration !== undefined && expiration !== null && expiration !== '' && asTime(expiration) === undefined) {
    return { bad: true, line, value, reason: `expiration is not a valid time: ${JSON.stringify(expiration)}` };
  }
  const inactive = i.is_active === 0 || i.is_active === false || i.is_active === '0';
  const description = asText(i.description) ?? asText(i.title);
  return {
    value,
    line,
    declaredType,
    ...pulse,
    ...clean({
      description: description && pulse.description ? `${pulse.description}: ${description}` : (description ?? pulse.description),
      firstSeen: asTime(i.created) ?? pulse.firstSeen,
      validUntil: asTime(i.expiration),
      inactive: inactive ? 'true' : undefined,
    }),
  };
}

export const otxReader: FeedReader = {
  name: 'otx',
  position: 'indicator',
  description: 'AlienVault OTX pulses (subscribed response, exported pulse) and flat indicator export; expiration, is_active',
  sniff: (head) =>
    (/"type"\s*:\s*"(IPv4|IPv6|CIDR|domain|hostname|URL|URI|email|FileHash-[A-Z0-9]+|YARA|CVE|Mutex|FilePath)"/.test(head) &&
      /"indicator"\s*:/.test(head)) ||
    // An empty subscribed-pulses response (a live OTX source with no pulses yet).
    /^\s*\{\s*"results"\s*:\s*\[\s*\]\s*\}\s*$/.test(head),
  async *read(chunks, head): AsyncGenerator<RawEntry | BadRecord> {
    const t = head.trimStart();
    const rootArray = t.startsWith('[');
    const results = !rootArray && /"results"\s*:\s*\[/.test(head);
    const select = (p: JsonPath): boolean =>
      rootArray ? p.length === 1 : results ? p.length === 2 && p[0] === 'results' : p.length === 0;
    let n = 0;
    for await (const { value } of jsonItems(chunks, select)) {
      const o = asObject(value);
      if (!o) continue;
      if (Array.isArray(o.indicators)) {
        const meta = pulseMeta(o);
        for (const i of o.indicators) {
          n++;
          const ind = asObject(i);
          if (ind) yield indicatorEntry(ind, n, meta);
        }
      } else {
        n++;
        yield indicatorEntry(o, n, {});
      }
    }
  },
};
