/**
 * `npm run bench:feeds -- --indicators 1m`: how long iochunt takes to load the
 * same indicator set written in each feed format (plain list, CSV, STIX 2.1
 * bundle, MISP event, OTX pulse, Zeek intel), with no cache: wall time and
 * peak RSS of `iochunt scan --no-cache` over an empty input, and the number
 * of indicators it reports. Nothing here is a test.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command } from 'commander';
import { makeIndicators, Rng } from './corpus.js';
import { csv, entries, misp, otx, plain, stix, writeStreaming, zeek, type Entry } from './feed-writers.js';
import { mix } from './mix.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const CLI = join(ROOT, 'dist', 'cli.js');

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
