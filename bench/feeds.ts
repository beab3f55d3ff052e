/**
 * `npm run bench:feeds -- --indicators 1m`: how long iochunt takes to load the
 * same indicator set written in each feed format (plain list, CSV, STIX 2.1
 * bundle, MISP event, OTX pulse, Zeek intel), with no cache: wall time and
 * peak RSS of `iochunt scan --no-cache` over an empty input, and the number
 * of indicators it reports. Nothing here is a test.
 */
import { spawnSync } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { once } from 'node:events';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command } from 'commander';
import { makeIndicators, Rng, type IndicatorSet } from './corpus.js';
import { mix } from './mix.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const CLI = join(ROOT, 'dist', 'cli.js');

type Kind = 'ipv4' | 'ipv6' | 'domain' | 'url' | 'md5' | 'sha1' | 'sha256' | 'email';
interface Entry {
  kind: Kind;
  value: string;
  cidr: boolean;
}

function entries(set: IndicatorSet): Entry[] {
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
async function writeStreaming(path: string, parts: Iterable<string>): Promise<void> {
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

function* stix(list: Entry[]): Generator<string> {
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

function* misp(list: Entry[]): Generator<string> {
  yield '{"Event":{"info":"bench","Attribute":[';
  let n = 0;
  for (const e of list) yield `${n++ > 0 ? ',' : ''}\n${JSON.stringify({ type: MISP_TYPE[e.kind], value: e.value, to_ids: true, category: 'Network activity' })}`;
  yield '\n]}}\n';
}

function* otx(list: Entry[]): Generator<string> {
  yield '{"results":[{"name":"bench","references":[],"indicators":[';
  let n = 0;
  for (const e of list) yield `${n++ > 0 ? ',' : ''}\n${JSON.stringify({ indicator: e.value, type: OTX_TYPE(e) })}`;
  yield '\n]}]}\n';
}

function* zeek(list: Entry[]): Generator<string> {
  yield '#fields\tindicator\tindicator_type\tmeta.source\n';
  for (const e of list) yield `${e.kind === 'url' ? e.value.replace(/^[a-z]+:\/\//, '') : e.value}\t${ZEEK_TYPE(e)}\tbench\n`;
}

function* plain(list: Entry[]): Generator<string> {
  for (const e of list) yield `${e.value}\n`;
}

function* csv(list: Entry[]): Generator<string> {
  yield 'indicator,type,description\n';
  for (const e of list) yield `${e.value},,bench\n`;
}

async function main(): Promise<void> {
  const o = new Command('bench:feeds')
    .option('--indicators <n>', 'indicator count (e.g. 100k, 1m)', '100k')
    .option('--dir <dir>', 'where the feeds are written', join(ROOT, 'bench', 'out'))
    .option('--formats <list>', 'only these formats (comma-separated, e.g. plain,stix)')
    .option('--write-only', 'write the feeds, do not time them')
    .parse()
    .opts<{ indicators: string; dir: string; formats?: string; writeOnly?: boolean }>();
  const m = /^(\d+)([km]?)$/i.exec(o.indicators);
  if (!m) throw new Error(`not a count: ${o.indicators}`);
  const total = Number(m[1]) * ({ '': 1, k: 1e3, m: 1e6 }[m[2]!.toLowerCase() as '' | 'k' | 'm']);
  if (!existsSync(CLI)) throw new Error('build first: npm run build');
  mkdirSync(o.dir, { recursive: true });
  const empty = join(o.dir, 'empty.log');
  writeFileSync(empty, '');
  const list = entries(makeIndicators(new Rng(1000 + total), mix(total)));
  const formats: Array<[string, string, (l: Entry[]) => Iterable<string>]> = [
    ['plain', 'txt', plain],
    ['csv', 'csv', csv],
    ['stix', 'json', stix],
    ['misp', 'json', misp],
    ['otx', 'json', otx],
    ['zeek-intel', 'dat', zeek],
  ];
  console.log(`# feed load times, ${new Date().toISOString().slice(0, 10)}, ${list.length.toLocaleString('en')} indicators, Node ${process.version}`);
  console.log('| feed format | file MB | wall s | peak RSS MiB | indicators loaded |');
  console.log('|---|---:|---:|---:|---:|');
  const only = o.formats?.split(',');
  for (const [name, ext, gen] of formats) {
    if (only && !only.includes(name)) continue;
    const path = join(o.dir, `feed-${total}.${name}.${ext}`);
    if (!existsSync(path)) await writeStreaming(path, gen(list));
    if (o.writeOnly) continue;
    const r = spawnSync('/usr/bin/time', ['-f', '@@time %e %M', process.execPath, CLI, 'scan', '--no-cache', '--iocs', path, empty], { encoding: 'utf8', maxBuffer: 64 << 20 });
    const t = /@@time ([\d.]+) (\d+)/.exec(r.stderr);
    const loaded = /loaded (\d+) indicators/.exec(r.stderr);
    const size = (spawnSync('stat', ['-c', '%s', path], { encoding: 'utf8' }).stdout.trim() as unknown as number) / 1e6;
    console.log(`| ${name} | ${size.toFixed(1)} | ${t ? t[1] : '?'} | ${t ? (Number(t[2]) / 1024).toFixed(0) : '?'} | ${loaded ? loaded[1] : r.stderr.split('\n').find((l) => l.includes('error')) ?? '?'} |`);
  }
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
