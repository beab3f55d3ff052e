/**
 * `npm run bench`: iochunt beside ripgrep, grep, cat and gzip on the same
 * generated files, for a sparse and a dense workload and for each scan thread
 * count, plus start-up and large-feed load times. Prints Markdown tables
 * (paste them into bench/README.md) and, with --json, writes the samples.
 *
 *   npm run bench                                        # full: 256 MiB sparse, 64 MiB dense, 5 runs, 1M-indicator loads
 *   npm run bench -- --mb 32 --dense-mb 8 --grep-mb 16 --runs 2 --load-indicators 100k --startup-runs 5   # quick (2 min at load 9)
 *   npm run bench -- --only sparse --threads 1,2 --runs 7
 *
 * Workloads (deterministic: the same options give the same bytes, kept under
 * --dir and reused):
 * - sparse: Apache combined log, --mb MiB, --indicators mixed indicators
 *   (IPv4, CIDR, IPv6, domains, URLs, hashes, e-mail), 0.2 % of lines with a
 *   planted indicator and 1 % with a decoy (bench/corpus.ts);
 * - dense: the same generator, but ~90 % of lines have a referer on one
 *   domain of the feed (a site whose own domain is listed), --dense-mb MiB.
 *
 * For each workload, every "side" (cat, rg -F -c -f, LC_ALL=C grep -F -c -f,
 * gzip -dc of a gzipped copy, and iochunt with each --threads value: whole
 * run to /dev/null, scan only with --format none, and the .gz copy) runs
 * --runs times, alternating (A B C A B C ...), so that the machine's drift
 * spreads over all sides alike; medians are reported with min and max.
 * Wall time is measured around the process; CPU time and peak RSS come from
 * /usr/bin/time. iochunt's own "scanned ... in S s (R MB/s)" summary gives
 * the scan phase (without start-up). Nothing here is a test.
 *
 * `--formats apache,vpcflow,dns,syslog,jsonl` runs the sparse workload over
 * each log format of the corpus; `--tools ...,hyperscan,js` adds iochunt with
 * domains found by a Hyperscan literal database and the TypeScript engine
 * (on the grep prefix), the rows of the earlier bench.
 */
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, createWriteStream, existsSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, release, totalmem, version as osVersion } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { once } from 'node:events';
import { Command } from 'commander';
import { feedText, LineGenerator, literalsText, makeIndicators, Rng, type LineOptions, type LogFormat } from './corpus.js';
import { entries, plain, stix, writeStreaming } from './feed-writers.js';
import { mix } from './mix.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const CLI = join(ROOT, 'dist', 'cli.js');
const NODE = process.execPath;
const TIME = '/usr/bin/time';

// ---------------------------------------------------------------------------
// Options

const SECTIONS = ['sparse', 'dense', 'startup', 'load'] as const;
const TOOLS = ['cat', 'rg', 'grep', 'gzip', 'iochunt', 'scan-only', 'iochunt-gz'] as const;
/** Sides that run only when named in --tools: domains by a Hyperscan literal database, and the TypeScript engine (on the grep prefix). */
const EXTRA_TOOLS = ['hyperscan', 'js'] as const;
const LOG_FORMATS_SPARSE = ['apache', 'vpcflow', 'dns', 'syslog', 'jsonl'] as const;

interface Options {
  mb: number;
  denseMb: number;
  grepMb: number;
  indicators: number;
  runs: number;
  threads: number[];
  only: Set<string>;
  tools: Set<string>;
  formats: LogFormat[];
  startupRuns: number;
  loadIndicators: number;
  loadRuns: number;
  dir: string;
  json: string | undefined;
  /** `dist/cli.js` of another built checkout, run as a twin of every iochunt side. */
  baseline: string | undefined;
}

function parseCount(s: string): number {
  const m = /^(\d+(?:\.\d+)?)([km]?)$/i.exec(s.trim());
  if (!m) throw new Error(`not a count: ${s}`);
  const mult = { '': 1, k: 1e3, m: 1e6 }[m[2]!.toLowerCase() as '' | 'k' | 'm'];
  return Math.round(Number(m[1]) * mult);
}

function positive(name: string, s: string): number {
  const n = Number(s);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`--${name} must be a positive number, not ${s}`);
  return n;
}

function listOf(name: string, s: string, allowed: readonly string[]): Set<string> {
  const items = s.split(',').map((x) => x.trim()).filter(Boolean);
  for (const i of items) if (!allowed.includes(i)) throw new Error(`--${name}: unknown "${i}" (one of ${allowed.join(', ')})`);
  return new Set(items);
}

function parseOptions(): Options {
  const o = new Command('bench')
    .description('iochunt beside rg, grep, cat and gzip: sparse and dense workloads, 1 and 2 scan threads, start-up, feed loads')
    .option('--mb <n>', 'size of the sparse Apache log in MiB', '256')
    .option('--dense-mb <n>', 'size of the dense Apache log in MiB', '64')
    .option('--grep-mb <n>', 'grep is slow: it reads a prefix of this many MiB of the same file (its rate is per byte it read)', '64')
    .option('--indicators <n>', 'indicators in the scan feed (10k, 100k, ...)', '100k')
    .option('--runs <n>', 'runs per side, alternating; medians reported', '5')
    .option('--threads <list>', 'iochunt --threads values', '1,2')
    .option('--only <list>', `sections to run: ${SECTIONS.join(',')}`, SECTIONS.join(','))
    .option('--tools <list>', `sides to run in sparse/dense: ${[...TOOLS, ...EXTRA_TOOLS].join(',')}`, TOOLS.join(','))
    .option('--formats <list>', `log formats of the sparse workload (${LOG_FORMATS_SPARSE.join(',')})`, 'apache')
    .option('--startup-runs <n>', 'runs of `iochunt --version` and of the first-hit measurement', '20')
    .option('--load-indicators <n>', 'indicators for the feed-load rows (plain cold, STIX cold, cache)', '1m')
    .option('--load-runs <n>', 'runs of each feed-load row (alternating)', '1')
    .option('--dir <dir>', 'where generated files are kept', join(ROOT, 'bench', 'out'))
    .option('--json [file]', 'also write every sample as JSON (default bench/out/bench-<time>.json)')
    .option('--baseline <dir>', 'another built iochunt checkout (its dist/cli.js): every iochunt run also runs with it, alternating, for before/after ratios')
    .parse()
    .opts<Record<string, string | boolean | undefined>>();
  const str = (k: string): string => String(o[k]);
  const threads = str('threads').split(',').map((t) => Math.round(positive('threads', t)));
  return {
    mb: positive('mb', str('mb')),
    denseMb: positive('dense-mb', str('denseMb')),
    grepMb: positive('grep-mb', str('grepMb')),
    indicators: parseCount(str('indicators')),
    runs: Math.round(positive('runs', str('runs'))),
    threads,
    only: listOf('only', str('only'), SECTIONS),
    tools: listOf('tools', str('tools'), [...TOOLS, ...EXTRA_TOOLS]),
    formats: [...listOf('formats', str('formats'), LOG_FORMATS_SPARSE)] as LogFormat[],
    startupRuns: Math.round(positive('startup-runs', str('startupRuns'))),
    loadIndicators: parseCount(str('loadIndicators')),
    loadRuns: Math.round(positive('load-runs', str('loadRuns'))),
    dir: resolve(str('dir')),
    baseline: o['baseline'] === undefined ? undefined : join(resolve(str('baseline')), 'dist', 'cli.js'),
    json: o['json'] === undefined ? undefined : o['json'] === true ? join(ROOT, 'bench', 'out', `bench-${new Date().toISOString().replace(/[:.]/g, '-')}.json`) : str('json'),
  };
}

// ---------------------------------------------------------------------------
// Generated files

const mib = (n: number): number => Math.round(n * 1024 * 1024);
const FORMAT_NAMES: Record<LogFormat, string> = { apache: 'Apache combined', vpcflow: 'AWS VPC flow', dns: 'BIND query log', syslog: 'syslog (sshd, postfix)', jsonl: 'JSON lines' };

/** Writes the corpus of `format` (`options` as LineGenerator takes them) to `path` unless it exists. */
async function ensureLog(path: string, total: number, seed: number, bytes: number, options: LineOptions, format: LogFormat = 'apache'): Promise<string> {
  if (existsSync(path)) return path;
  progress(`generating ${path}`);
  const set = makeIndicators(new Rng(seed), mix(total));
  const gen = new LineGenerator(new Rng(seed + 1), set, format, options);
  const out = createWriteStream(`${path}.tmp`);
  let written = 0;
  while (written < bytes) {
    let chunk = '';
    for (let i = 0; i < 2000; i++) chunk += `${gen.next().text}\n`;
    written += Buffer.byteLength(chunk);
    if (!out.write(chunk)) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
  renameSync(`${path}.tmp`, path);
  return path;
}

/** `path`.gz made by `gzip -c` (default level), unless it exists. */
function ensureGz(path: string): string {
  const gz = `${path}.gz`;
  if (existsSync(gz)) return gz;
  progress(`compressing ${path}`);
  const fd = openSync(`${gz}.tmp`, 'w');
  try {
    const r = spawnSync('gzip', ['-c', path], { stdio: ['ignore', fd, 'inherit'] });
    if (r.status !== 0) throw new Error(`gzip failed on ${path}`);
  } finally {
    closeSync(fd);
  }
  renameSync(`${gz}.tmp`, gz);
  return gz;
}

interface Feeds {
  feed: string;
  literals: string;
}

/** The scan feed and the same indicators as literal strings for rg and grep (seed 1000 + total, as before). */
function ensureFeeds(dir: string, total: number): Feeds {
  const feed = join(dir, `iocs-${total}.txt`);
  const literals = join(dir, `literals-${total}.txt`);
  if (!existsSync(feed) || !existsSync(literals)) {
    const set = makeIndicators(new Rng(1000 + total), mix(total));
    writeFileSync(feed, feedText(set));
    writeFileSync(literals, literalsText(set));
  }
  return { feed, literals };
}

// ---------------------------------------------------------------------------
// Measuring

interface Sample {
  wall: number;
  cpu: number;
  rssKiB: number;
  status: number;
  stdout: string;
  stderr: string;
}

let devNull: number | undefined;
const timeFile = (): string => join(workDir, 'time.txt');
let workDir = '';

function progress(msg: string): void {
  process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${msg}\n`);
}

/**
 * Runs `argv` under /usr/bin/time (CPU seconds, peak RSS); wall seconds are
 * measured around it. stdout goes to /dev/null unless `keepStdout`.
 */
function run(argv: string[], options: { keepStdout?: boolean; env?: Record<string, string> } = {}): Sample {
  devNull ??= openSync('/dev/null', 'w');
  const tf = timeFile();
  rmSync(tf, { force: true });
  const t0 = process.hrtime.bigint();
  const r = spawnSync(TIME, ['-o', tf, '-f', '%U %S %M', ...argv], {
    stdio: ['ignore', options.keepStdout ? 'pipe' : devNull, 'pipe'],
    encoding: 'utf8',
    maxBuffer: 64 << 20,
    env: { ...process.env, ...options.env },
  });
  const wall = Number(process.hrtime.bigint() - t0) / 1e9;
  const m = /([\d.]+) ([\d.]+) (\d+)\s*$/.exec(existsSync(tf) ? readFileSync(tf, 'utf8') : '');
  if (!m) throw new Error(`no timing for ${argv.join(' ')}: ${r.stderr}`);
  return { wall, cpu: Number(m[1]) + Number(m[2]), rssKiB: Number(m[3]), status: r.status ?? -1, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
}

interface Stats {
  median: number;
  min: number;
  max: number;
}

function stats(values: number[]): Stats | undefined {
  const v = values.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (v.length === 0) return undefined;
  const mid = v.length >> 1;
  const median = v.length % 2 ? (v[mid] as number) : ((v[mid - 1] as number) + (v[mid] as number)) / 2;
  return { median, min: v[0] as number, max: v[v.length - 1] as number };
}

/** What iochunt's end-of-run summary says: `scanned N input(s), X MB in S s (R MB/s, ...); H line(s) with hits`. */
function summaryOf(stderr: string): { scanSeconds?: number; scanRate?: number; hitLines?: number } {
  const scan = /scanned .*? in ([\d.]+) s \(([\d.]+) MB\/s/.exec(stderr);
  const hits = /(\d+) line\(s\) with hits/.exec(stderr);
  return {
    ...(scan ? { scanSeconds: Number(scan[1]), scanRate: Number(scan[2]) } : {}),
    ...(hits ? { hitLines: Number(hits[1]) } : {}),
  };
}

// ---------------------------------------------------------------------------
// Workload sides

interface Side {
  key: string;
  label: string;
  argv: string[];
  /** Bytes the side reads (decompressed), for MB/s. */
  bytes: number;
  keepStdout?: boolean;
  env?: Record<string, string>;
  iochunt?: { threads: number; mode: 'whole' | 'scan-only' | 'gz' };
  note?: string;
  /** Lines the tool reports as matching (rg/grep -c). */
  countOf?: (s: Sample) => number | undefined;
}

interface SideResult {
  side: Side;
  samples: Array<Sample & { hitLines?: number; scanRate?: number; scanSeconds?: number }>;
}

/** rg, grep and iochunt exit 1 when nothing matched; 2 or more is a failure. */
const failed = (s: Sample): boolean => s.status > 1;

function runAlternating(sides: Side[], runs: number): SideResult[] {
  const results = sides.map((side) => ({ side, samples: [] as SideResult['samples'] }));
  for (let r = 0; r < runs; r++) {
    for (const res of results) {
      const s = run(res.side.argv, { ...(res.side.keepStdout ? { keepStdout: true } : {}), ...(res.side.env ? { env: res.side.env } : {}) });
      if (failed(s)) throw new Error(`${res.side.label} failed (exit ${s.status}): ${s.stderr.slice(0, 2000)}`);
      const summary = res.side.iochunt ? summaryOf(s.stderr) : {};
      const counted = res.side.countOf?.(s);
      res.samples.push({ ...s, stdout: '', stderr: res.side.iochunt ? s.stderr.slice(-2000) : '', ...summary, ...(counted !== undefined ? { hitLines: counted } : {}) });
      progress(`run ${r + 1}/${runs} ${res.side.label}: ${s.wall.toFixed(2)} s`);
    }
  }
  return results;
}

const fmt = (n: number | undefined, digits = 0): string => (n === undefined || !Number.isFinite(n) ? '-' : n.toFixed(digits));
const range = (s: Stats | undefined, digits = 0): string => (s ? `${fmt(s.median, digits)} (${fmt(s.min, digits)}–${fmt(s.max, digits)})` : '-');
const mbps = (bytes: number, seconds: number): number => bytes / 1e6 / seconds;

interface SideSummary {
  key: string;
  label: string;
  mbps?: Stats;
  scanMbps?: Stats;
  hitLines?: number;
  hitLinesPerSec?: Stats;
  cpu?: Stats;
  rssMiB?: Stats;
  note?: string;
}

function summarize(r: SideResult): SideSummary {
  const b = r.side.bytes;
  const hits = r.samples.map((s) => s.hitLines).filter((h): h is number => h !== undefined);
  const hitLines = hits.length ? (stats(hits) as Stats).median : undefined;
  const spread = stats(hits);
  // Every run of a side must report the same lines: say so when they did not.
  const varied = spread && spread.min !== spread.max ? `hit lines varied between runs: ${spread.min}–${spread.max}` : undefined;
  const note = [r.side.note, varied].filter(Boolean).join('; ');
  return {
    key: r.side.key,
    label: r.side.label,
    ...(note ? { note } : {}),
    mbps: stats(r.samples.map((s) => mbps(b, s.wall))) as Stats,
    ...(r.side.iochunt ? { scanMbps: stats(r.samples.map((s) => s.scanRate ?? NaN)) } : {}),
    ...(hitLines !== undefined ? { hitLines } : {}),
    ...(r.side.iochunt && hitLines !== undefined ? { hitLinesPerSec: stats(r.samples.map((s) => (s.hitLines ?? NaN) / s.wall)) } : {}),
    cpu: stats(r.samples.map((s) => s.cpu)) as Stats,
    rssMiB: stats(r.samples.map((s) => s.rssKiB / 1024)) as Stats,
  };
}

interface WorkloadReport {
  name: string;
  file: string;
  bytes: number;
  gzBytes?: number;
  sides: SideSummary[];
  ratios: Array<[string, string]>;
  samples: SideResult[];
}

async function workload(name: 'sparse' | 'dense', format: LogFormat, o: Options, feeds: Feeds, out: string[]): Promise<WorkloadReport> {
  const total = o.indicators;
  const seed = 1000 + total;
  const dense = name === 'dense';
  const lineOptions: LineOptions = dense ? { hitRate: 0.002, decoyRate: 0.01, refererHitRate: 0.9 } : { hitRate: 0.002, decoyRate: 0.01 };
  const sizeMb = dense ? o.denseMb : o.mb;
  // The sparse files keep the names (and bytes) of the earlier bench: `apache-256MB-100000.log`.
  const stem = dense ? 'apache-dense' : format;
  const file = await ensureLog(join(o.dir, `${stem}-${sizeMb}MB-${total}.log`), total, seed, mib(sizeMb), lineOptions, format);
  const bytes = statSync(file).size;
  const grepMb = Math.min(o.grepMb, sizeMb);
  const grepFile = grepMb < sizeMb && (o.tools.has('grep') || o.tools.has('js')) ? await ensureLog(join(o.dir, `${stem}-${grepMb}MB-${total}.log`), total, seed, mib(grepMb), lineOptions, format) : file;
  const wantGz = o.tools.has('gzip') || o.tools.has('iochunt-gz');
  const gz = wantGz ? ensureGz(file) : undefined;
  const cacheDir = join(o.dir, 'cache');
  const iochunt = (threads: number, extra: string[], input: string): string[] => [
    NODE, CLI, 'scan', '--cache-dir', cacheDir, '--threads', String(threads), '--iocs', feeds.feed, ...extra, input,
  ];
  // Fill the indicator cache and the page cache, untimed.
  run(iochunt(1, [], join(o.dir, 'empty.log')));
  for (const f of [file, grepFile, gz]) if (f) run(['cat', f]);

  const count = (s: Sample): number | undefined => (s.stdout.trim() === '' ? 0 : Number(s.stdout.trim()));
  const sides: Side[] = [];
  if (o.tools.has('cat')) sides.push({ key: 'cat', label: 'cat', argv: ['cat', file], bytes });
  if (o.tools.has('rg')) sides.push({ key: 'rg', label: 'rg -F -c -f', argv: ['rg', '-F', '-c', '-f', feeds.literals, file], bytes, keepStdout: true, countOf: count });
  if (o.tools.has('grep')) {
    sides.push({
      key: 'grep', label: 'LC_ALL=C grep -F -c -f', argv: ['grep', '-F', '-c', '-f', feeds.literals, grepFile], bytes: statSync(grepFile).size,
      keepStdout: true, env: { LC_ALL: 'C' }, countOf: count, ...(grepFile !== file ? { note: `first ${grepMb} MiB` } : {}),
    });
  }
  if (gz && o.tools.has('gzip')) sides.push({ key: 'gzip-dc', label: 'gzip -dc (.gz copy)', argv: ['gzip', '-dc', gz], bytes });
  for (const t of o.threads) {
    if (o.tools.has('iochunt')) sides.push({ key: `iochunt-t${t}`, label: `iochunt --threads ${t}`, argv: iochunt(t, [], file), bytes, iochunt: { threads: t, mode: 'whole' } });
    if (o.tools.has('scan-only')) {
      sides.push({ key: `scan-only-t${t}`, label: `iochunt --threads ${t} --format none`, argv: iochunt(t, ['--format', 'none'], file), bytes, iochunt: { threads: t, mode: 'scan-only' } });
    }
    if (gz && o.tools.has('iochunt-gz')) sides.push({ key: `gz-t${t}`, label: `iochunt --threads ${t}, .gz`, argv: iochunt(t, [], gz), bytes, iochunt: { threads: t, mode: 'gz' } });
  }
  if (o.tools.has('hyperscan')) {
    sides.push({
      key: 'hyperscan-t1', label: 'iochunt --threads 1, domains by Hyperscan', argv: iochunt(1, [], file), bytes, env: { IOCHUNT_DOMAIN_STRATEGY: 'hyperscan' },
      iochunt: { threads: 1, mode: 'whole' }, note: 'IOCHUNT_DOMAIN_STRATEGY=hyperscan',
    });
  }
  if (o.tools.has('js')) {
    sides.push({
      key: 'js-t1', label: 'iochunt --engine js --threads 1', argv: iochunt(1, ['--engine', 'js'], grepFile), bytes: statSync(grepFile).size,
      iochunt: { threads: 1, mode: 'whole' }, ...(grepFile !== file ? { note: `first ${grepMb} MiB` } : {}),
    });
  }
  if (o.baseline) {
    // The baseline build next to each iochunt side (A A' B B' ...), with its own indicator cache (formats may differ).
    run(baselineArgv(o, iochunt(1, [], join(o.dir, 'empty.log'))));
    for (let i = sides.length - 1; i >= 0; i--) {
      const side = sides[i] as Side;
      if (side.iochunt) sides.splice(i + 1, 0, { ...side, key: `baseline:${side.key}`, label: `${side.label} [baseline]`, argv: baselineArgv(o, side.argv) });
    }
  }
  progress(`${name}: ${sides.length} sides × ${o.runs} runs over ${(bytes / 2 ** 20).toFixed(0)} MiB`);
  const samples = runAlternating(sides, o.runs);
  const summaries = samples.map(summarize);
  const by = new Map(summaries.map((s) => [s.key, s]));
  const med = (key: string, f: 'mbps' | 'scanMbps' = 'mbps'): number | undefined => by.get(key)?.[f]?.median;
  const ratio = (a: number | undefined, b: number | undefined, digits = 2): string => (a !== undefined && b !== undefined && b > 0 ? `${(a / b).toFixed(digits)}×` : '-');

  const ratios: Array<[string, string]> = [];
  for (const t of o.threads) {
    ratios.push([`iochunt --threads ${t} / rg (whole process)`, ratio(med(`iochunt-t${t}`), med('rg'), 1)]);
  }
  if (o.threads.length > 1) {
    const [a, b] = [o.threads[0] as number, o.threads[o.threads.length - 1] as number];
    ratios.push([`--threads ${b} / --threads ${a} (whole process)`, ratio(med(`iochunt-t${b}`), med(`iochunt-t${a}`))]);
    ratios.push([`--threads ${b} / --threads ${a} (scan phase, summary)`, ratio(med(`iochunt-t${b}`, 'scanMbps'), med(`iochunt-t${a}`, 'scanMbps'))]);
    ratios.push([`--threads ${b} / --threads ${a} (--format none, summary)`, ratio(med(`scan-only-t${b}`, 'scanMbps'), med(`scan-only-t${a}`, 'scanMbps'))]);
  }
  for (const t of o.threads) {
    ratios.push([`.gz / gzip -dc, --threads ${t} (whole process)`, ratio(med(`gz-t${t}`), med('gzip-dc'))]);
    ratios.push([`.gz / gzip -dc, --threads ${t} (scan phase, summary)`, ratio(med(`gz-t${t}`, 'scanMbps'), med('gzip-dc'))]);
    ratios.push([`.gz / plain, --threads ${t} (whole process)`, ratio(med(`gz-t${t}`), med(`iochunt-t${t}`))]);
  }
  for (const t of o.threads) ratios.push([`iochunt --threads ${t} / cat`, ratio(med(`iochunt-t${t}`), med('cat'), 3)]);
  for (const side of sides) {
    if (!side.key.startsWith('baseline:')) continue;
    const key = side.key.slice('baseline:'.length);
    const label = side.label.replace(/ \[baseline\]$/, '');
    ratios.push([`${label}: this build / baseline (whole process)`, ratio(med(key), med(side.key))]);
    ratios.push([`${label}: this build / baseline (scan phase, summary)`, ratio(med(key, 'scanMbps'), med(side.key, 'scanMbps'))]);
  }

  const gzBytes = gz ? statSync(gz).size : undefined;
  out.push(
    `### ${name}: ${FORMAT_NAMES[format]}, ${(bytes / 2 ** 20).toFixed(0)} MiB, ${total.toLocaleString('en')} indicators` +
      (dense ? ', ~90 % of lines with a listed referer domain' : ', 0.2 % of lines planted'),
    '',
    `Runs per side: ${o.runs}, alternating; median (min–max). MB/s = decompressed bytes / wall s of the whole process (start-up included); ` +
      '"scan MB/s" is the rate iochunt\'s own summary reports (without start-up and indicator load).' +
      (gzBytes ? ` The .gz copy is ${(gzBytes / 2 ** 20).toFixed(1)} MiB (gzip -6).` : ''),
    '',
    '| side | MB/s | scan MB/s (summary) | hit lines | hit lines/s | CPU s | peak RSS MiB | note |',
    '|---|---:|---:|---:|---:|---:|---:|---|',
  );
  for (const s of summaries) {
    out.push(
      `| ${s.label} | ${range(s.mbps)} | ${range(s.scanMbps)} | ${fmt(s.hitLines)} | ${range(s.hitLinesPerSec)} | ${range(s.cpu, 2)} | ${range(s.rssMiB)} | ${s.note ?? ''} |`,
    );
  }
  // iochunt reports the same hit lines whatever the thread count, compression or build.
  const iochuntHits = new Set(summaries.filter((x) => sides.find((y) => y.key === x.key)?.iochunt && x.hitLines !== undefined && !/js-t\d/.test(x.key)).map((x) => x.hitLines));
  if (iochuntHits.size > 1) out.push('', `**Warning: iochunt's runs disagree on the number of hit lines: ${[...iochuntHits].join(', ')}.**`);
  const shown = ratios.filter(([, v]) => v !== '-');
  out.push('');
  if (shown.length > 0) out.push('| ratio (medians) | |', '|---|---:|', ...shown.map(([k, v]) => `| ${k} | ${v} |`), '');
  return { name, file, bytes, ...(gzBytes ? { gzBytes } : {}), sides: summaries, ratios, samples };
}

/** `argv` of an iochunt run, pointed at the baseline build and its own cache folder. */
function baselineArgv(o: Options, argv: string[]): string[] {
  if (!o.baseline) throw new Error('no --baseline');
  const caches = new Set([join(o.dir, 'cache'), join(o.dir, 'cache-load')]);
  return argv.map((a) => (a === CLI ? (o.baseline as string) : caches.has(a) ? `${a}-baseline` : a));
}

// ---------------------------------------------------------------------------
// Start-up and feed loads

/** Spawns a scan and resolves with the seconds until its first complete stdout line; kills it then. */
async function firstHit(argv: string[]): Promise<number> {
  const t0 = process.hrtime.bigint();
  const child = spawn(argv[0] as string, argv.slice(1), { stdio: ['ignore', 'pipe', 'ignore'] });
  return new Promise<number>((resolvePromise, reject) => {
    let seconds: number | undefined;
    child.stdout.on('data', (b: Buffer) => {
      if (seconds !== undefined || !b.includes(0x0a)) return;
      seconds = Number(process.hrtime.bigint() - t0) / 1e9;
      child.kill('SIGTERM');
    });
    child.on('error', reject);
    // Resolved once the child is gone, so that it does not overlap the next run.
    child.on('close', (code) => {
      if (seconds === undefined) reject(new Error(`no hit printed (exit ${code}): ${argv.join(' ')}`));
      else resolvePromise(seconds);
    });
  });
}

async function startup(o: Options, feeds: Feeds, out: string[]): Promise<Record<string, unknown>> {
  const cacheDir = join(o.dir, 'cache');
  // A small dense file: its first lines hit.
  const dense = await ensureLog(join(o.dir, `apache-dense-4MB-${o.indicators}.log`), o.indicators, 1000 + o.indicators, mib(4), {
    hitRate: 0.002, decoyRate: 0.01, refererHitRate: 0.9,
  });
  const scanArgv = [NODE, CLI, 'scan', '--cache-dir', cacheDir, '--threads', '1', '--iocs', feeds.feed, dense];
  run([NODE, CLI, 'scan', '--cache-dir', cacheDir, '--iocs', feeds.feed, join(o.dir, 'empty.log')]); // fill the cache
  const version: number[] = [];
  const nodeBare: number[] = [];
  const hit: number[] = [];
  const baseVersion: number[] = [];
  const baseHit: number[] = [];
  if (o.baseline) run(baselineArgv(o, [NODE, CLI, 'scan', '--cache-dir', cacheDir, '--iocs', feeds.feed, join(o.dir, 'empty.log')]));
  progress(`startup: ${o.startupRuns} runs each of node -e 0, iochunt --version, first hit`);
  for (let i = 0; i < o.startupRuns; i++) {
    nodeBare.push(run([NODE, '-e', '0']).wall);
    version.push(run([NODE, CLI, '--version']).wall);
    if (o.baseline) baseVersion.push(run(baselineArgv(o, [NODE, CLI, '--version'])).wall);
    hit.push(await firstHit(scanArgv));
    if (o.baseline) baseHit.push(await firstHit(baselineArgv(o, scanArgv)));
  }
  const hitLabel = `first hit line on stdout, ${o.indicators.toLocaleString('en')} indicators from the cache (spawn to first newline)`;
  const rows: Array<[string, Stats | undefined]> = [
    ['`node -e 0` (Node\'s own start-up, for reference)', stats(nodeBare)],
    ['`iochunt --version`', stats(version)],
    ...(o.baseline ? [['`iochunt --version` [baseline]', stats(baseVersion)] as [string, Stats | undefined]] : []),
    [hitLabel, stats(hit)],
    ...(o.baseline ? [[`${hitLabel} [baseline]`, stats(baseHit)] as [string, Stats | undefined]] : []),
  ];
  out.push(
    `### Start-up (${o.startupRuns} runs each, alternating; seconds, median (min–max))`,
    '',
    '| what | wall s |',
    '|---|---:|',
    ...rows.map(([k, s]) => `| ${k} | ${range(s, 3)} |`),
    '',
  );
  return { nodeBare, version, firstHit: hit, ...(o.baseline ? { baselineVersion: baseVersion, baselineFirstHit: baseHit } : {}) };
}

async function loads(o: Options, out: string[]): Promise<Record<string, unknown>> {
  const total = o.loadIndicators;
  const list = entries(makeIndicators(new Rng(1000 + total), mix(total)));
  // Same names as bench:feeds (bench/feeds.ts), so either program reuses the other's files.
  const plainPath = join(o.dir, `feed-${total}.plain.txt`);
  const stixPath = join(o.dir, `feed-${total}.stix.json`);
  if (!existsSync(plainPath)) {
    progress(`writing ${plainPath}`);
    await writeStreaming(plainPath, plain(list));
  }
  if (!existsSync(stixPath)) {
    progress(`writing ${stixPath}`);
    await writeStreaming(stixPath, stix(list));
  }
  const empty = join(o.dir, 'empty.log');
  const cacheDir = join(o.dir, 'cache-load');
  const scan = (...args: string[]): string[] => [NODE, CLI, 'scan', ...args, empty];
  rmSync(cacheDir, { recursive: true, force: true });
  const rowsDef: Array<{ label: string; argv: () => string[]; before?: () => void }> = [
    { label: 'plain list, cold (`--no-cache`)', argv: () => scan('--no-cache', '--iocs', plainPath) },
    { label: 'STIX 2.1 bundle, cold (`--no-cache`)', argv: () => scan('--no-cache', '--iocs', stixPath) },
    { label: 'plain list, cold, writing the cache', argv: () => scan('--cache-dir', cacheDir, '--iocs', plainPath), before: () => rmSync(cacheDir, { recursive: true, force: true }) },
    { label: 'plain list, from the cache', argv: () => scan('--cache-dir', cacheDir, '--iocs', plainPath) },
  ];
  if (o.baseline) {
    // Each row next to its twin run by the baseline build (its own cache folder).
    rmSync(`${cacheDir}-baseline`, { recursive: true, force: true });
    for (let i = rowsDef.length - 1; i >= 0; i--) {
      const row = rowsDef[i] as (typeof rowsDef)[number];
      rowsDef.splice(i + 1, 0, {
        label: `${row.label} [baseline]`,
        argv: () => baselineArgv(o, row.argv()),
        ...(row.before ? { before: () => rmSync(`${cacheDir}-baseline`, { recursive: true, force: true }) } : {}),
      });
    }
  }
  const samples = rowsDef.map(() => [] as Sample[]);
  progress(`load: ${total.toLocaleString('en')} indicators, ${o.loadRuns} run(s) of each row`);
  for (let r = 0; r < o.loadRuns; r++) {
    rowsDef.forEach((row, i) => {
      row.before?.();
      const s = run(row.argv());
      if (s.status > 1) throw new Error(`${row.label} failed (exit ${s.status}): ${s.stderr.slice(0, 2000)}`);
      samples[i]!.push(s);
      progress(`run ${r + 1}/${o.loadRuns} ${row.label}: ${s.wall.toFixed(2)} s`);
    });
  }
  const loaded = (s: Sample): string => /loaded (\d+) indicators/.exec(s.stderr)?.[1] ?? '?';
  const sizes = `plain ${(statSync(plainPath).size / 1e6).toFixed(1)} MB, STIX ${(statSync(stixPath).size / 1e6).toFixed(1)} MB`;
  out.push(
    `### Loading ${total.toLocaleString('en')} indicators (empty input; ${o.loadRuns} run(s) each; ${sizes})`,
    '',
    '| feed | wall s | CPU s | peak RSS MiB | indicators loaded |',
    '|---|---:|---:|---:|---:|',
    ...rowsDef.map((row, i) => {
      const ss = samples[i] as Sample[];
      return `| ${row.label} | ${range(stats(ss.map((s) => s.wall)), 2)} | ${range(stats(ss.map((s) => s.cpu)), 2)} | ${range(stats(ss.map((s) => s.rssKiB / 1024)))} | ${loaded(ss[0] as Sample)} |`;
    }),
    '',
  );
  return Object.fromEntries(rowsDef.map((row, i) => [row.label, (samples[i] as Sample[]).map(({ wall, cpu, rssKiB }) => ({ wall, cpu, rssKiB }))]));
}

// ---------------------------------------------------------------------------

function firstLine(argv: string[]): string {
  const r = spawnSync(argv[0] as string, argv.slice(1), { encoding: 'utf8' });
  return r.status === 0 ? (r.stdout.split('\n')[0] ?? '').trim() : 'absent';
}

function machine(): Record<string, string> {
  const model = cpus()[0]?.model ?? '?';
  const native = spawnSync(NODE, ['-e', `console.log(JSON.stringify(require(${JSON.stringify(join(ROOT, 'native/build/Release/iochunt.node'))}).versions()))`], { encoding: 'utf8' });
  return {
    date: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
    cpu: model,
    cores: `${cpus().length} logical CPUs (availableParallelism ${availableParallelism()})`,
    memory: `${(totalmem() / 2 ** 30).toFixed(1)} GiB`,
    kernel: `Linux ${release()} (${osVersion()})`,
    node: process.version,
    iochunt: firstLine([NODE, CLI, '--version']),
    native: native.stdout.trim() || 'not built',
    rg: firstLine(['rg', '--version']),
    grep: firstLine(['grep', '--version']),
    gzip: firstLine(['gzip', '--version']),
  };
}

async function main(): Promise<void> {
  const o = parseOptions();
  if (!existsSync(CLI)) throw new Error('build first: npm run build');
  if (!existsSync(TIME)) throw new Error(`${TIME} is needed (Debian: apt-get install time)`);
  if (o.only.has('sparse') || o.only.has('dense')) {
    if (o.tools.has('rg') && firstLine(['rg', '--version']) === 'absent') throw new Error('rg is not installed (Debian: apt-get install ripgrep), or leave it out: --tools without rg');
  }
  mkdirSync(o.dir, { recursive: true });
  workDir = o.dir;
  writeFileSync(join(o.dir, 'empty.log'), '');
  const m = machine();
  const load0 = loadavg().map((l) => l.toFixed(2)).join(' ');
  const out: string[] = [];
  const json: Record<string, unknown> = { machine: m, options: { ...o, only: [...o.only], tools: [...o.tools] } };
  const feeds = ensureFeeds(o.dir, o.indicators);

  const workloads: Array<['sparse' | 'dense', LogFormat]> = [
    ...(o.only.has('sparse') ? o.formats.map((f): ['sparse', LogFormat] => ['sparse', f]) : []),
    ...(o.only.has('dense') ? [['dense', 'apache'] as ['dense', LogFormat]] : []),
  ];
  for (const [name, format] of workloads) {
    const w = await workload(name, format, o, feeds, out);
    json[format === 'apache' ? name : `${name}-${format}`] = { file: w.file, bytes: w.bytes, gzBytes: w.gzBytes, sides: w.sides, ratios: w.ratios, samples: w.samples.map((s) => ({ key: s.side.key, samples: s.samples.map(({ stdout: _o, stderr: _e, ...rest }) => rest) })) };
  }
  if (o.only.has('startup')) json['startup'] = await startup(o, feeds, out);
  if (o.only.has('load')) json['load'] = await loads(o, out);
  const load1 = loadavg().map((l) => l.toFixed(2)).join(' ');

  const head = [
    `## npm run bench — ${m['date']}`,
    '',
    `- machine: ${m['cpu']}, ${m['cores']}, ${m['memory']}; ${m['kernel']}`,
    `- Node ${m['node']}; iochunt ${m['iochunt']}; native ${m['native']}`,
    `- ${m['rg']}; ${m['grep']}; ${m['gzip']}`,
    `- load average (1, 5, 15 min) at start: ${load0}; at end: ${load1}`,
    `- command: npm run bench -- ${process.argv.slice(2).join(' ')}`,
    '',
  ];
  console.log([...head, ...out].join('\n'));
  if (o.json) {
    mkdirSync(dirname(o.json), { recursive: true });
    writeFileSync(o.json, `${JSON.stringify({ ...json, loadavg: { start: load0, end: load1 } }, null, 2)}\n`);
    progress(`wrote ${o.json}`);
  }
  if (devNull !== undefined) closeSync(devNull);
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
