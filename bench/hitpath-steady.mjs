/**
 * The steady-state cost of a scan (bench/README.md, "Hit path"): runs
 * `iochunt scan --no-summary -o /dev/null ARGS…` N times in one process and
 * prints the CPU milliseconds of each run, of the main thread and of the
 * whole process (the rest is the scan threads and the garbage collector's
 * helpers). Runs after the first leave out start-up and JIT warm-up.
 *
 *   node bench/hitpath-steady.mjs 3 --threads 1 --iocs bench/out/hp-iocs.txt bench/out/hp-referer.log
 *
 * HITPATH_DIST=/path/to/dist runs another build (a checkout of an earlier commit) instead of ../dist.
 */
import { resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

process.env.UV_THREADPOOL_SIZE ??= '4';
const [n, ...args] = process.argv.slice(2);
const dist = process.env.HITPATH_DIST ? resolve(process.env.HITPATH_DIST) : fileURLToPath(new URL('../dist', import.meta.url));
const { main } = await import(pathToFileURL(`${dist}/program.js`).href);
const runs = [];
for (let i = 0; i < Number(n); i++) {
  const all0 = process.cpuUsage();
  const main0 = process.threadCpuUsage();
  await main(['node', 'iochunt', 'scan', '--no-summary', '-o', '/dev/null', ...args]);
  const all = process.cpuUsage(all0);
  const own = process.threadCpuUsage(main0);
  const allMs = (all.user + all.system) / 1000;
  const mainMs = (own.user + own.system) / 1000;
  runs.push(`run ${i + 1}: main ${mainMs.toFixed(0)} ms, all ${allMs.toFixed(0)} ms`);
}
console.log(runs.join('\n'));
