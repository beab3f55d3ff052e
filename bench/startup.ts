/**
 * `npx tsx bench/startup.ts [--runs N]`: start-up of the built CLI. For each
 * case, N runs alternating between cases, medians of: wall time from spawn to
 * exit, from spawn to the first line on stdout, and CPU time (user + sys,
 * from /usr/bin/time). Cases: `node -e ''` (the floor of this machine),
 * `iochunt --version`, `iochunt --help`, and a scan of a two-line log whose
 * first line hits, with the indicators already in the cache (first run
 * discarded); `--cli PATH` times another build. Writes its files to a temp dir it removes. Nothing here is a test.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const cliArg = process.argv.indexOf('--cli');
const CLI = cliArg > 0 ? resolve(process.argv[cliArg + 1]!) : join(ROOT, 'dist', 'cli.js');
const runsArg = process.argv.indexOf('--runs');
const RUNS = runsArg > 0 ? Number(process.argv[runsArg + 1]) : 11;

interface Sample {
  wall: number;
  first: number;
  cpu: number;
  rssMiB: number;
}

function once(args: string[], env: NodeJS.ProcessEnv, timeFile: string): Promise<Sample> {
  return new Promise((resolveRun, reject) => {
    const t0 = performance.now();
    let first = Number.NaN;
    const child = spawn('/usr/bin/time', ['-o', timeFile, '-f', '%U %S %M', ...args], { env, stdio: ['ignore', 'pipe', 'ignore'] });
    child.stdout.on('data', (d: Buffer) => {
      if (Number.isNaN(first) && d.includes(10)) first = performance.now() - t0;
    });
    child.on('error', reject);
    child.on('close', () => {
      const wall = performance.now() - t0;
      const [u, s, m] = readFileSync(timeFile, 'utf8').trim().split('\n').pop()!.split(' ').map(Number) as [number, number, number];
      resolveRun({ wall, first, cpu: (u + s) * 1000, rssMiB: m / 1024 });
    });
  });
}

const median = (xs: number[]): number => {
  const s = xs.filter((x) => !Number.isNaN(x)).sort((a, b) => a - b);
  return s.length === 0 ? Number.NaN : s[Math.floor(s.length / 2)]!;
};

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'iochunt-startup-'));
  try {
    const feed = join(dir, 'iocs.txt');
    const log = join(dir, 'access.log');
    writeFileSync(feed, '10.1.2.3\nevil.example\n');
    writeFileSync(log, '10.1.2.3 - - [01/Jan/2024:00:00:00 +0000] "GET / HTTP/1.1" 200 1 "-" "x"\nnothing here\n');
    const env = { ...process.env, IOCHUNT_CACHE_DIR: join(dir, 'cache') };
    const timeFile = join(dir, 'time.txt');
    const cases: Array<[string, string[]]> = [
      ["node -e ''", [process.execPath, '-e', '']],
      ['iochunt --version', [process.execPath, CLI, '--version']],
      ['iochunt --help', [process.execPath, CLI, '--help']],
      ['scan, cached indicators, first line hits', [process.execPath, CLI, 'scan', '-i', feed, log]],
    ];
    // Warm-up: fills the indicator cache and the compile cache.
    for (const [, args] of cases) await once(args, env, timeFile);
    const samples = new Map<string, Sample[]>(cases.map(([n]) => [n, []]));
    for (let r = 0; r < RUNS; r++) for (const [name, args] of cases) samples.get(name)!.push(await once(args, env, timeFile));
    console.log(`# start-up, ${new Date().toISOString()}, ${cpus()[0]?.model ?? '?'} x${cpus().length}, Node ${process.version}, load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}, ${RUNS} runs, medians`);
    console.log('| case | wall ms | first stdout line ms | CPU ms (user+sys) | peak RSS MiB |');
    console.log('|---|---:|---:|---:|---:|');
    for (const [name] of cases) {
      const s = samples.get(name)!;
      const f = (k: keyof Sample): string => median(s.map((x) => x[k])).toFixed(0);
      console.log(`| ${name} | ${f('wall')} | ${f('first')} | ${f('cpu')} | ${f('rssMiB')} |`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
