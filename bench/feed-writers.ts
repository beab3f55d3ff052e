/**
 * The benchmark's indicator set written as feed files of every format iochunt
 * reads (plain list, CSV, STIX 2.1 bundle, MISP event, OTX pulse, Zeek
 * intel): shared by `bench:feeds` (bench/feeds.ts) and `npm run bench`
 * (bench/run.ts, the 1M-indicator load rows).
 */
import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import type { IndicatorSet } from './corpus.js';

/** The indicator kinds the writers distinguish (hash kinds by length). */
export type Kind = 'ipv4' | 'ipv6' | 'domain' | 'url' | 'md5' | 'sha1' | 'sha256' | 'email';
/** One indicator as the writers see it. */
export interface Entry {
  kind: Kind;
  value: string;
  cidr: boolean;
}

/** Every indicator of `set`, in a fixed order (the order of the feed files). */
export function entries(set: IndicatorSet): Entry[] {
  const out: Entry[] = [];
  for (const i of set.ipv4) out.push({ kind: 'ipv4', value: i.name, cidr: false });
  for (const i of set.cidr4) out.push({ kind: 'ipv4', value: i.name, cidr: true });
  for (const i of set.ipv6) out.push({ kind: 'ipv6', value: i.name, cidr: false });
  for (const i of set.cidr6) out.push({ kind: 'ipv6', value: i.name, cidr: true });
  for (const i of set.domains) out.push({ kind: 'domain', value: i.name, cidr: false });
  for (const i of set.urls) out.push({ kind: 'url', value: i.name, cidr: false });
  for (const i of set.hashes) out.push({ kind: i.name.length === 32 ? 'md5' : i.name.length === 40 ? 'sha1' : 'sha256', value: i.name, cidr: false });
  for (const i of set.emails) out.push({ kind: 'email', value: i.name, cidr: false });
  return out;
}

const STIX_PATH: Record<Kind, string> = {
  ipv4: 'ipv4-addr:value',
  ipv6: 'ipv6-addr:value',
  domain: 'domain-name:value',
  url: 'url:value',
  md5: "file:hashes.MD5",
  sha1: "file:hashes.'SHA-1'",
  sha256: "file:hashes.'SHA-256'",
  email: 'email-addr:value',
};
const MISP_TYPE: Record<Kind, string> = { ipv4: 'ip-dst', ipv6: 'ip-dst', domain: 'domain', url: 'url', md5: 'md5', sha1: 'sha1', sha256: 'sha256', email: 'email-src' };
const OTX_TYPE = (e: Entry): string =>
  e.cidr ? 'CIDR' : { ipv4: 'IPv4', ipv6: 'IPv6', domain: 'domain', url: 'URL', md5: 'FileHash-MD5', sha1: 'FileHash-SHA1', sha256: 'FileHash-SHA256', email: 'email' }[e.kind];
const ZEEK_TYPE = (e: Entry): string =>
  e.cidr ? 'Intel::SUBNET' : { ipv4: 'Intel::ADDR', ipv6: 'Intel::ADDR', domain: 'Intel::DOMAIN', url: 'Intel::URL', md5: 'Intel::FILE_HASH', sha1: 'Intel::FILE_HASH', sha256: 'Intel::FILE_HASH', email: 'Intel::EMAIL' }[e.kind];

/** Writes `parts` (a generator of text pieces) to `path`, streaming. */
export async function writeStreaming(path: string, parts: Iterable<string>): Promise<void> {
  const out = createWriteStream(path);
  let buffer = '';
  for (const p of parts) {
    buffer += p;
    if (buffer.length > 1 << 20) {
      if (!out.write(buffer)) await once(out, 'drain');
      buffer = '';
    }
  }
  out.end(buffer);
  await once(out, 'finish');
}

/** A STIX 2.1 bundle, one indicator object per entry. */
export function* stix(list: Entry[]): Generator<string> {
  yield '{"type":"bundle","id":"bundle--00000000-0000-4000-8000-000000000000","objects":[';
  let n = 0;
  for (const e of list) {
    const id = `indicator--${(n++).toString(16).padStart(8, '0')}-0000-4000-8000-000000000000`;
    const value = e.kind === 'url' ? e.value.replace(/'/g, "\\'") : e.value;
    const obj = {
      type: 'indicator', spec_version: '2.1', id, created: '2026-01-01T00:00:00Z', modified: '2026-01-01T00:00:00Z',
      name: 'bench', pattern: `[${STIX_PATH[e.kind]} ${e.cidr ? 'ISSUBSET' : '='} '${value}']`, pattern_type: 'stix', valid_from: '2026-01-01T00:00:00Z',
    };
    yield `${n > 1 ? ',' : ''}\n${JSON.stringify(obj)}`;
  }
  yield '\n]}\n';
}

/** A MISP event, one attribute per entry. */
export function* misp(list: Entry[]): Generator<string> {
  yield '{"Event":{"info":"bench","Attribute":[';
  let n = 0;
  for (const e of list) yield `${n++ > 0 ? ',' : ''}\n${JSON.stringify({ type: MISP_TYPE[e.kind], value: e.value, to_ids: true, category: 'Network activity' })}`;
  yield '\n]}}\n';
}

/** An OTX pulse list, one indicator per entry. */
export function* otx(list: Entry[]): Generator<string> {
  yield '{"results":[{"name":"bench","references":[],"indicators":[';
  let n = 0;
  for (const e of list) yield `${n++ > 0 ? ',' : ''}\n${JSON.stringify({ indicator: e.value, type: OTX_TYPE(e) })}`;
  yield '\n]}]}\n';
}

/** A Zeek intel file. */
export function* zeek(list: Entry[]): Generator<string> {
  yield '#fields\tindicator\tindicator_type\tmeta.source\n';
  for (const e of list) yield `${e.kind === 'url' ? e.value.replace(/^[a-z]+:\/\//, '') : e.value}\t${ZEEK_TYPE(e)}\tbench\n`;
}

/** A plain list, one value per line. */
export function* plain(list: Entry[]): Generator<string> {
  for (const e of list) yield `${e.value}\n`;
}

/** A CSV file with a header. */
export function* csv(list: Entry[]): Generator<string> {
  yield 'indicator,type,description\n';
  for (const e of list) yield `${e.value},,bench\n`;
}
