/**
 * `npm run bench:sweep`: what a scheduled sweep costs.
 * 1. A tree of 10,000 small files: the first sweep (all new) and a second
 *    one over the unchanged tree (stat only, no reads), beside the start-up
 *    of `iochunt --version` and a `scan` of the same tree.
 * 2. New data: a mixed corpus (default 256 MB in 8 files), `sweep` with a
 *    fresh state beside `scan` of the same files.
 * 3. Retro-hunt: the corpus swept with a feed lacking 100 indicators, then the
 *    sweep with the whole feed, which only rescans history for those 100,
 *    beside a `scan` of the same bytes with the whole feed.
 * Each run is repeated (`--runs`) and the median is reported. Nothing here is a test.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command } from 'commander';
import { feedText, LineGenerator, LOG_FORMATS, makeIndicators, Rng } from './corpus.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const CLI = join(ROOT, 'dist', 'cli.js');
const OUT = join(ROOT, 'bench', 'out', 'sweep');

const opts = new Command('bench-sweep')
  .option('--mb <N>', 'size of the new-data corpus in MB', '256')
  .option('--files <N>', 'files in the small-file tree', '10000')
  .option('--runs <N>', 'runs of each measurement (median reported)', '3')
  .parse()
  .opts<{ mb: string; files: string; runs: string }>();
const runs = Number(opts.runs);

function timed(args: string[]): { seconds: number; rssMiB: number; status: number; stderr: string } {
  const r = spawnSync('/usr/bin/time', ['-f', '@@time %e %M', process.execPath, CLI, ...args], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  const m = /@@time ([\d.]+) (\d+)/.exec(r.stderr);
  if (!m) throw new Error(`no timing: ${r.stderr}`);
  return { seconds: Number(m[1]), rssMiB: Number(m[2]) / 1024, status: r.status ?? -1, stderr: r.stderr };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] as number;
}

function row(name: string, secs: number[], mb?: number, rss?: number): void {
  const m = median(secs);
  console.log(`| ${name} | ${m.toFixed(2)} | ${mb !== undefined ? (mb / m).toFixed(0) : '-'} | ${rss !== undefined ? rss.toFixed(0) : '-'} |`);
}

function smallTree(): { dir: string; feed: string } {
  const dir = join(OUT, 'tree');
  rmSync(dir, { recursive: true, force: true });
  const n = Number(opts.files);
  for (let d = 0; d * 100 < n; d++) {
    mkdirSync(join(dir, 'logs', `d${d}`), { recursive: true });
    for (let f = 0; f < 100 && d * 100 + f < n; f++) writeFileSync(join(dir, 'logs', `d${d}`, `f${f}.log`), `Dec  1 10:00:00 host sshd[1]: Accepted password for u from 10.${d % 250}.${f}.9 port 22\n`);
  }
  const feed = join(dir, 'feed.txt');
  writeFileSync(feed, '10.1.2.3\nevil.example\n');
  return { dir, feed };
}

function corpus(mb: number): { dir: string; full: string; lacking: string; bytes: number } {
  const dir = join(OUT, 'corpus');
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(join(dir, 'logs'), { recursive: true });
  const rng = new Rng(777);
  const set = makeIndicators(rng, { ipv4: 20000, cidr4: 500, ipv6: 2000, cidr6: 100, domains: 50000, urls: 5000, hashes: 20000, emails: 2000 });
  const full = join(dir, 'full.txt');
  writeFileSync(full, feedText(set));
  // The same feed without 100 indicators spread over every type.
  const lacking = join(dir, 'lacking.txt');
  writeFileSync(lacking, feedText(set, (_ioc, i) => i % 1000 !== 7));
  let bytes = 0;
  const files = 8;
  for (let f = 0; f < files; f++) {
    const format = LOG_FORMATS[f % LOG_FORMATS.length] as (typeof LOG_FORMATS)[number];
    const gen = new LineGenerator(rng, set, format, { hitRate: 0.01, decoyRate: 0.1 });
    const parts: string[] = [];
    let size = 0;
    while (size < (mb * 1e6) / files) {
      const l = gen.next().text;
      parts.push(l);
      size += Buffer.byteLength(l) + 1;
    }
    writeFileSync(join(dir, 'logs', `f${f}.log`), `${parts.join('\n')}\n`);
    bytes += size;
  }
  return { dir, full, lacking, bytes };
}

const cpu = cpus()[0]?.model ?? 'unknown CPU';
console.log(`# iochunt sweep benchmark — ${new Date().toISOString()} — ${cpu}, ${cpus().length} cores, node ${process.version}\n`);

{
  const { dir, feed } = smallTree();
  const logs = join(dir, 'logs');
  console.log(`## ${opts.files} small files\n\n| run | seconds (median of ${runs}) | MB/s | peak RSS MiB |\n|---|---|---|---|`);
  row('iochunt --version', Array.from({ length: runs }, () => timed(['--version']).seconds));
  const first: number[] = [];
  const again: number[] = [];
  let rss = 0;
  for (let i = 0; i < runs; i++) {
    const state = join(dir, `state-${i}.json`);
    first.push(timed(['sweep', '-i', feed, '--state', state, '-o', '/dev/null', '--no-summary', logs]).seconds);
    const r = timed(['sweep', '-i', feed, '--state', state, '-o', '/dev/null', '--no-summary', logs]);
    again.push(r.seconds);
    rss = r.rssMiB;
  }
  row('scan of the tree', Array.from({ length: runs }, () => timed(['scan', '-i', feed, '-o', '/dev/null', '--no-summary', logs]).seconds));
  row('sweep, first run (all new)', first);
  row('sweep, unchanged tree', again, undefined, rss);
  console.log();
}

{
  const mb = Number(opts.mb);
  const c = corpus(mb);
  const logs = join(c.dir, 'logs');
  const size = c.bytes / 1e6;
  console.log(`## ${size.toFixed(0)} MB of new data, ~100k indicators\n\n| run | seconds (median of ${runs}) | MB/s | peak RSS MiB |\n|---|---|---|---|`);
  // Warm the compiled-indicator cache for both feeds.
  timed(['scan', '-i', c.full, '-o', '/dev/null', '--no-summary', join(logs, 'f0.log')]);
  timed(['scan', '-i', c.lacking, '-o', '/dev/null', '--no-summary', join(logs, 'f0.log')]);
  const scan: number[] = [];
  const sweep: number[] = [];
  const retro: number[] = [];
  const scanRss: number[] = [];
  const sweepRss: number[] = [];
  const retroRss: number[] = [];
  for (let i = 0; i < runs; i++) {
    const s = timed(['scan', '-i', c.full, '-o', '/dev/null', '--no-summary', logs]);
    scan.push(s.seconds);
    scanRss.push(s.rssMiB);
    const state = join(c.dir, `state-${i}.json`);
    const w = timed(['sweep', '-i', c.full, '--state', state, '-o', '/dev/null', '--no-summary', logs]);
    sweep.push(w.seconds);
    sweepRss.push(w.rssMiB);
    // History swept with 100 indicators fewer; then the whole feed: retro only.
    const rstate = join(c.dir, `rstate-${i}.json`);
    timed(['sweep', '-i', c.lacking, '--state', rstate, '-o', '/dev/null', '--no-summary', logs]);
    const r = timed(['sweep', '-i', c.full, '--state', rstate, '-o', '/dev/null', '--summary-json', join(c.dir, 'retro.json'), '--no-summary', logs]);
    if (r.status > 1) throw new Error(r.stderr);
    retro.push(r.seconds);
    retroRss.push(r.rssMiB);
  }
  row('scan (whole feed)', scan, size, median(scanRss));
  row('sweep, fresh state (whole feed)', sweep, size, median(sweepRss));
  row('sweep retro-hunt of 100 new indicators over the swept history', retro, size, median(retroRss));
  console.log();
}
