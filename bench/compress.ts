/**
 * `npm run bench:compress`: for one corpus of mixed logs (syslog, Apache,
 * VPC flow, DNS, JSON lines; --mb MB), compressed by each real program
 * (gzip, zstd, xz, bzip2, lz4), compares iochunt's scan rate over the
 * compressed file with the rate of the format's own `-dc | cat` (the ceiling:
 * iochunt cannot read faster than the decompressor delivers) and with the
 * scan of the plain file. Rates are decompressed MB per second of wall time,
 * best of --runs, page cache warm; iochunt's include its start-up (about
 * 0.2 s with the indicator cache warm). CPU seconds (user + system, child
 * processes included) say what each costs whatever else runs on the machine.
 * Nothing here is a test.
 *
 *   npm run bench:compress -- --mb 64 --runs 2
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command } from 'commander';
import { feedText, LineGenerator, LOG_FORMATS, makeIndicators, Rng } from './corpus.js';
import { mix } from './mix.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const CLI = join(ROOT, 'dist', 'cli.js');

const program = new Command('bench-compress')
  .option('--mb <N>', 'size of the plain corpus in MB', '64')
  .option('--runs <N>', 'runs per measurement, best kept', '2')
  .option('--indicators <N>', 'indicators in the feed', '10000')
  .option('--dir <DIR>', 'where the corpus is kept', join(ROOT, 'bench', 'out', 'compress'))
  .parse();
const opts = program.opts<{ mb: string; runs: string; indicators: string; dir: string }>();

/** How each format is made (levels: each program's default, xz multi-threaded to keep set-up short) and read back. */
const FORMATS = [
  { name: 'gzip', suffix: 'gz', make: 'gzip -c', cat: 'gzip -dc' },
  { name: 'zstd', suffix: 'zst', make: 'zstd -q -c', cat: 'zstd -dcq' },
  { name: 'xz', suffix: 'xz', make: 'xz -T2 -c', cat: 'xz -dcq' },
  { name: 'bzip2', suffix: 'bz2', make: 'bzip2 -c', cat: 'bzip2 -dc' },
  { name: 'lz4', suffix: 'lz4', make: 'lz4 -q -c', cat: 'lz4 -dc' },
] as const;

const sq = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;

/** Wall seconds, CPU seconds (user + system, children included) and stderr of `sh -c cmd`. */
function timed(cmd: string): { seconds: number; cpu: number; stderr: string; status: number } {
  const r = spawnSync('/usr/bin/time', ['-f', '@@time %e %U %S', 'sh', '-c', cmd], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  const m = /@@time ([\d.]+) ([\d.]+) ([\d.]+)/.exec(r.stderr);
  if (!m) throw new Error(`no timing from: ${cmd}\n${r.stderr}`);
  return { seconds: Number(m[1]), cpu: Number(m[2]) + Number(m[3]), stderr: r.stderr, status: r.status ?? -1 };
}

function best(runs: number, cmd: string): { seconds: number; cpu: number; stderr: string } {
  let out: { seconds: number; cpu: number; stderr: string } | undefined;
  for (let i = 0; i < runs; i++) {
    const r = timed(cmd);
    if (r.status > 1) throw new Error(`failed (${r.status}): ${cmd}\n${r.stderr.slice(0, 2000)}`);
    if (!out || r.seconds < out.seconds) out = r;
  }
  return out as { seconds: number; cpu: number; stderr: string };
}

function corpus(dir: string, mb: number, indicators: number): { feed: string; plain: string } {
  mkdirSync(dir, { recursive: true });
  const feed = join(dir, `feed-${indicators}.txt`);
  const plain = join(dir, `mixed-${mb}MB.log`);
  const rng = new Rng(777);
  const set = makeIndicators(rng, mix(indicators));
  if (!existsSync(feed)) writeFileSync(feed, feedText(set));
  if (!existsSync(plain)) {
    const parts: string[] = [];
    let size = 0;
    const gens = LOG_FORMATS.map((f) => new LineGenerator(rng, set, f, { hitRate: 0.002, decoyRate: 0.01 }));
    // Formats interleaved in runs of 1000 lines, as a directory of mixed logs concatenated.
    for (let g = 0; size < mb * 1e6; g = (g + 1) % gens.length) {
      let chunk = '';
      for (let i = 0; i < 1000; i++) chunk += `${(gens[g] as LineGenerator).next().text}\n`;
      parts.push(chunk);
      size += Buffer.byteLength(chunk);
    }
    writeFileSync(plain, parts.join(''));
  }
  return { feed, plain };
}

function main(): void {
  if (!existsSync(CLI)) throw new Error('build first: npm run build');
  const mb = Number(opts.mb);
  const runs = Number(opts.runs);
  const { feed, plain } = corpus(opts.dir, mb, Number(opts.indicators));
  const bytes = statSync(plain).size;
  const rate = (s: number): string => (bytes / 1e6 / s).toFixed(0);
  console.log(`# iochunt bench:compress — ${new Date().toISOString().slice(0, 16)}Z`);
  console.log(`machine: ${cpus()[0]?.model ?? '?'} × ${availableParallelism()} cores, Node ${process.version}; corpus ${(bytes / 1e6).toFixed(1)} MB, ${opts.indicators} indicators`);

  const scan = (file: string): { seconds: number; cpu: number; hits: string } => {
    const r = best(runs, `node ${sq(CLI)} scan --iocs ${sq(feed)} ${sq(file)} > /dev/null`);
    return { seconds: r.seconds, cpu: r.cpu, hits: /(\d+) line\(s\) with hits/.exec(r.stderr)?.[1] ?? '?' };
  };
  // Warm the indicator cache and the page cache.
  scan(plain);
  const plainScan = scan(plain);
  const plainCat = best(runs, `cat ${sq(plain)} > /dev/null`);

  console.log('');
  console.log('| input | compressed size | `-dc \\| cat` MB/s | iochunt scan MB/s | scan / `-dc` | `-dc \\| cat` CPU s | scan CPU s | lines with hits |');
  console.log('|---|---:|---:|---:|---:|---:|---:|---:|');
  console.log(
    `| plain | ${(bytes / 1e6).toFixed(1)} MB | ${plainCat.seconds < 0.01 ? `> ${rate(0.01)}` : rate(plainCat.seconds)} (cat) | ${rate(plainScan.seconds)} | — | ${plainCat.cpu.toFixed(2)} | ${plainScan.cpu.toFixed(2)} | ${plainScan.hits} |`,
  );
  for (const f of FORMATS) {
    const file = `${plain}.${f.suffix}`;
    if (!existsSync(file)) {
      const r = spawnSync('sh', ['-c', `${f.make} < ${sq(plain)} > ${sq(file)}.tmp && mv ${sq(file)}.tmp ${sq(file)}`], { stdio: 'inherit' });
      if (r.status !== 0) throw new Error(`cannot make ${file}`);
    }
    const size = statSync(file).size;
    const cat = best(runs, `${f.cat} < ${sq(file)} | cat > /dev/null`);
    const s = scan(file);
    console.log(
      `| ${f.name} | ${(size / 1e6).toFixed(1)} MB | ${rate(cat.seconds)} | ${rate(s.seconds)} | ${(cat.seconds / s.seconds).toFixed(2)} | ` +
        `${cat.cpu.toFixed(2)} | ${s.cpu.toFixed(2)} | ${s.hits} |`,
    );
  }
}

main();
