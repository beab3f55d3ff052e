/**
 * `npm run bench`: generates a deterministic corpus and indicator feed, then
 * runs iochunt (native engine with 1 thread and with every core, TypeScript
 * engine), ripgrep and grep (`-F -f` over the same indicators as literals)
 * and `cat` (the I/O ceiling) over the same files, and prints throughput,
 * ratios, peak RSS and the number of lines each tool reported.
 *
 *   npm run bench -- --mb 256 --indicators 100k --formats apache,vpcflow,dns,syslog
 *
 * Timings are wall-clock, best of --runs, page cache warm, measured with
 * /usr/bin/time (which also gives peak RSS). Nothing here is a test.
 */
import { spawnSync } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, totalmem } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { once } from 'node:events';
import { Command } from 'commander';
import { feedText, LineGenerator, literalsText, makeIndicators, Rng, type LogFormat } from './corpus.js';
import { mix } from './mix.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const CLI = join(ROOT, 'dist', 'cli.js');

function parseCount(s: string): number {
  const m = /^(\d+(?:\.\d+)?)([km]?)$/i.exec(s.trim());
  if (!m) throw new Error(`not a count: ${s}`);
  const mult = { '': 1, k: 1e3, m: 1e6 }[m[2]!.toLowerCase() as '' | 'k' | 'm'];
  return Math.round(Number(m[1]) * mult);
}

async function ensureCorpus(dir: string, format: LogFormat, mb: number, total: number, seed: number): Promise<string> {
  const path = join(dir, `${format}-${mb}MB-${total}.log`);
  if (existsSync(path)) return path;
  const rng = new Rng(seed);
  const set = makeIndicators(rng, mix(total));
  const gen = new LineGenerator(new Rng(seed + 1), set, format, { hitRate: 0.002, decoyRate: 0.01 });
  const out = createWriteStream(`${path}.tmp`);
  let written = 0;
  const target = mb * 1024 * 1024;
  while (written < target) {
    let chunk = '';
    for (let i = 0; i < 2000; i++) chunk += `${gen.next().text}\n`;
    written += Buffer.byteLength(chunk);
    if (!out.write(chunk)) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
  spawnSync('mv', [`${path}.tmp`, path]);
  return path;
}

function ensureFeeds(dir: string, total: number, seed: number): { feed: string; literals: string } {
  const feed = join(dir, `iocs-${total}.txt`);
  const literals = join(dir, `literals-${total}.txt`);
  if (!existsSync(feed) || !existsSync(literals)) {
    const set = makeIndicators(new Rng(seed), mix(total));
    writeFileSync(feed, feedText(set));
    writeFileSync(literals, literalsText(set));
  }
  return { feed, literals };
}

interface Run {
  tool: string;
  seconds: number;
  rssKiB: number;
  hits: number | undefined;
  note: string;
}

/** Runs `sh -c cmd` under /usr/bin/time; returns wall seconds, peak RSS and stdout. */
function timed(cmd: string): { seconds: number; rssKiB: number; stdout: string; stderr: string; status: number } {
  const r = spawnSync('/usr/bin/time', ['-f', '@@time %e %M', 'sh', '-c', cmd], { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
  const m = /@@time ([\d.]+) (\d+)/.exec(r.stderr);
  if (!m) throw new Error(`no timing from: ${cmd}\n${r.stderr}`);
  return { seconds: Number(m[1]), rssKiB: Number(m[2]), stdout: r.stdout, stderr: r.stderr.replace(/@@time.*\n?/, ''), status: r.status ?? -1 };
}

function best(runs: number, tool: string, cmd: string, hitsOf: (out: string, err: string) => number | undefined, note = ''): Run {
  let bestRun: Run | undefined;
  for (let i = 0; i < runs; i++) {
    const r = timed(cmd);
    if (r.status > 1) throw new Error(`${tool} failed (${r.status}): ${r.stderr.slice(0, 2000)}`);
    const run = { tool, seconds: r.seconds, rssKiB: r.rssKiB, hits: hitsOf(r.stdout, r.stderr), note };
    if (!bestRun || run.seconds < bestRun.seconds) bestRun = run;
  }
  return bestRun!;
}

const has = (bin: string): boolean => spawnSync('sh', ['-c', `command -v ${bin}`], { stdio: 'ignore' }).status === 0;
const sq = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;

function iochuntHits(_out: string, err: string): number | undefined {
  const m = /(\d+) line\(s\) with hits/.exec(err);
  return m ? Number(m[1]) : undefined;
}

function loadLine(err: string): string {
  const l = /loaded .*? in ([\d.]+) s/.exec(err);
  const c = /compiled .*? in ([\d.]+) s/.exec(err);
  return [l ? `load ${l[1]} s` : '', c ? `compile ${c[1]} s` : ''].filter(Boolean).join(', ');
}

async function main(): Promise<void> {
  const program = new Command('bench')
    .option('--mb <n>', 'size of each log file in MiB', '256')
    .option('--indicators <list>', 'indicator counts, comma-separated (10k, 100k, 1m)', '100k')
    .option('--formats <list>', 'log formats', 'apache,vpcflow,dns,syslog')
    .option('--runs <n>', 'runs per tool, best kept', '3')
    .option('--tools <list>', 'tools to run (nativeHs1: domains found by a Hyperscan literal database instead)', 'cat,native1,nativeHs1,nativeN,js,rg,grep')
    .option('--js-mb <n>', 'the TypeScript engine and grep are slow: cap the bytes they scan (MiB)', '64')
    .option('--dir <dir>', 'where the corpus is kept', join(ROOT, 'bench', 'out'))
    .option('--json <file>', 'also write the results as JSON')
    .parse();
  const o = program.opts<{ mb: string; indicators: string; formats: string; runs: string; tools: string; jsMb: string; dir: string; json?: string }>();
  const mb = Number(o.mb);
  const runs = Number(o.runs);
  const tools = new Set(o.tools.split(','));
  const threads = availableParallelism();
  mkdirSync(o.dir, { recursive: true });
  writeFileSync(join(o.dir, 'empty.log'), '');
  if (!existsSync(CLI)) throw new Error('build first: npm run build');
  const results: Array<{ format: string; indicators: number; mb: number; runs: Run[] }> = [];

  console.log(`# iochunt bench — ${new Date().toISOString().slice(0, 10)}`);
  console.log(`machine: ${cpus()[0]?.model ?? '?'} × ${threads} cores, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}`);
  const versions = spawnSync('node', ['-e', `const a=require(${JSON.stringify(join(ROOT, 'native/build/Release/iochunt.node'))});console.log(JSON.stringify(a.versions()))`], { encoding: 'utf8' });
  console.log(`native: ${versions.stdout.trim() || 'not built'}; rg: ${has('rg') ? spawnSync('rg', ['--version'], { encoding: 'utf8' }).stdout.split('\n')[0] : 'absent'}; grep: ${spawnSync('grep', ['--version'], { encoding: 'utf8' }).stdout.split('\n')[0]}`);

  for (const countText of o.indicators.split(',')) {
    const total = parseCount(countText);
    const { feed, literals } = ensureFeeds(o.dir, total, 1000 + total);
    for (const format of o.formats.split(',') as LogFormat[]) {
      const file = await ensureCorpus(o.dir, format, mb, total, 1000 + total);
      const bytes = statSync(file).size;
      // Slow tools get a prefix of the same file, so a run stays in minutes.
      const smallMb = Math.min(mb, Number(o.jsMb));
      const small = smallMb < mb ? await ensureCorpus(o.dir, format, smallMb, total, 1000 + total) : file;
      const smallBytes = statSync(small).size;
      console.log(`\n## ${format}, ${(bytes / 2 ** 20).toFixed(0)} MiB, ${total.toLocaleString('en')} indicators`);
      const list: Run[] = [];
      // Fill the compiled-indicator cache first, so every timed run starts the same way;
      // the start-up line below reports the cold and cached costs.
      timed(`node ${sq(CLI)} scan --iocs ${sq(feed)} ${sq(join(o.dir, 'empty.log'))}`);
      const iochunt = (engine: string, t: number, f: string): string =>
        `node ${sq(CLI)} scan --engine ${engine} --threads ${t} --iocs ${sq(feed)} --output /dev/null ${sq(f)}`;
      if (tools.has('cat')) list.push(best(runs, 'cat', `cat ${sq(file)} > /dev/null`, () => undefined));
      if (tools.has('native1')) list.push(best(runs, 'iochunt native, 1 thread', iochunt('native', 1, file), iochuntHits));
      if (tools.has('nativeHs1'))
        list.push(best(runs, 'iochunt native, 1 thread, Hyperscan domains', `IOCHUNT_DOMAIN_STRATEGY=hyperscan ${iochunt('native', 1, file)}`, iochuntHits));
      if (tools.has('nativeN')) list.push(best(runs, `iochunt native, ${threads} threads`, iochunt('native', threads, file), iochuntHits));
      if (tools.has('js')) list.push(best(1, 'iochunt TypeScript engine, 1 thread', iochunt('js', 1, small), iochuntHits, `${smallMb} MiB prefix`));
      if (tools.has('rg') && has('rg')) list.push(best(runs, 'rg -F -c -f', `rg -F -c -f ${sq(literals)} ${sq(file)}; true`, (out) => Number(out.trim() || 0)));
      if (tools.has('grep')) list.push(best(1, 'LC_ALL=C grep -F -c -f', `LC_ALL=C grep -F -c -f ${sq(literals)} ${sq(small)}; true`, (out) => Number(out.trim() || 0), `${smallMb} MiB prefix`));
      for (const r of list) (r as Run & { bytes: number }).bytes = r.note ? smallBytes : bytes;
      const mbps = (r: Run): number => ((r as Run & { bytes: number }).bytes / 1e6) / Math.max(r.seconds, 0.001);
      const rg = list.find((r) => r.tool.startsWith('rg'));
      const cat = list.find((r) => r.tool === 'cat');
      console.log('| tool | MB/s | × rg | of cat | peak RSS MiB | lines reported | note |');
      console.log('|---|---:|---:|---:|---:|---:|---|');
      for (const r of list) {
        console.log(
          `| ${r.tool} | ${mbps(r).toFixed(0)} | ${rg ? (mbps(r) / mbps(rg)).toFixed(1) : '-'} | ${cat ? `${((100 * mbps(r)) / mbps(cat)).toFixed(0)}%` : '-'} | ` +
            `${(r.rssKiB / 1024).toFixed(0)} | ${r.hits ?? '-'} | ${r.note} |`,
        );
      }
      results.push({ format, indicators: total, mb, runs: list });
    }
    // Start-up cost on its own: load, normalise and compile the feed, scan nothing.
    const empty = join(o.dir, 'empty.log');
    const cold = timed(`node ${sq(CLI)} scan --engine native --no-cache --iocs ${sq(feed)} ${sq(empty)}`);
    const cacheDir = join(o.dir, 'cache-startup');
    spawnSync('rm', ['-rf', cacheDir]);
    const fill = timed(`node ${sq(CLI)} scan --engine native --cache-dir ${sq(cacheDir)} --iocs ${sq(feed)} ${sq(empty)}`);
    const warm = timed(`node ${sq(CLI)} scan --engine native --cache-dir ${sq(cacheDir)} --iocs ${sq(feed)} ${sq(empty)}`);
    const line = (what: string, r: ReturnType<typeof timed>): string =>
      `- ${what}: ${r.seconds.toFixed(2)} s wall, peak RSS ${(r.rssKiB / 1024).toFixed(0)} MiB (${loadLine(r.stderr)})`;
    console.log(`\nstart-up with ${total.toLocaleString('en')} indicators, empty input:`);
    console.log(line('no cache (load + normalise + compile)', cold));
    console.log(line('same, writing the cache', fill));
    console.log(line('from the cache', warm));
  }
  if (o.json) writeFileSync(o.json, JSON.stringify(results, null, 2));
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
