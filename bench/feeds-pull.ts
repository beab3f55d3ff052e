/**
 * `npm run bench:pull -- --pulses 2000 --per-pulse 50`: what `feeds pull`
 * costs on an OTX source served by the loopback stand-in of the tests
 * (test/helpers/intel-server.ts): a first (full) pull, a pull with nothing
 * new, and a pull after one pulse changed; wall time and the process's peak
 * RSS. Nothing here is a test.
 */
import { rmSync, statSync } from 'node:fs';
import { Command } from 'commander';
import { parseConfig } from '../src/config/index.js';
import { recordingReporter } from '../src/report.js';
import { pullSource, type PullResult } from '../src/sources/index.js';
import { pulse, startIntelServer } from '../test/helpers/intel-server.js';
import { tmpDir } from '../test/helpers/tmp.js';

const opts = new Command()
  .option('--pulses <N>', 'pulses at the source', '2000')
  .option('--per-pulse <N>', 'IPv4 indicators per pulse', '50')
  .option('--limit <N>', 'page size', '50')
  .parse()
  .opts<{ pulses: string; perPulse: string; limit: string }>();
const pulses = Number(opts.pulses);
const perPulse = Number(opts.perPulse);

let peak = 0;
const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 20);

const t = tmpDir('iochunt-bench-pull-');
const server = await startIntelServer();
for (let p = 0; p < pulses; p++) {
  const modified = new Date(Date.UTC(2024, 4, 1) + p * 1000).toISOString().replace('Z', '000');
  server.otx.pulses.push(
    pulse(p, modified, Array.from({ length: perPulse }, (_, i) => ({ indicator: `10.${(p >> 8) & 255}.${p & 255}.${i % 256}`, type: i < 256 ? 'IPv4' : 'domain' }))),
  );
}
const { config } = parseConfig(
  t.path('bench.yaml'),
  `state_dir: ./state\nfeeds_dir: ./feeds\nfeeds:\n  - { name: otx, type: otx, url: "${server.url}", credentials: { api_key: { env: K } }, options: { limit: ${Number(opts.limit)} } }\n`,
);
const env = { K: server.otx.key };
const rows: string[] = [];
const run = async (what: string): Promise<PullResult> => {
  peak = 0;
  const before = server.requests.length;
  const t0 = performance.now();
  const r = await pullSource(config, config.feeds[0]!, { reporter: recordingReporter(), env });
  const ms = performance.now() - t0;
  peak = Math.max(peak, process.memoryUsage().rss);
  if (!r.ok) throw new Error(r.error);
  rows.push(`| ${what} | ${server.requests.length - before} | ${r.changed ? 'yes' : 'no'} | ${r.indicators} | ${(ms / 1000).toFixed(2)} | ${Math.round(peak / 1024 / 1024)} |`);
  return r;
};

const first = await run('first pull (full)');
await run('nothing new');
const p5 = server.otx.pulses[5]!;
p5.modified = '2025-01-01T00:00:00.000000';
p5.indicators.push({ ...p5.indicators[0]!, id: 1e9, indicator: '192.0.2.200' });
await run('one pulse changed');
clearInterval(sampler);
await server.close();
console.log(`${pulses} pulses x ${perPulse} indicators, page size ${opts.limit}; feed ${(statSync(first.feedPath).size / 1e6).toFixed(1)} MB`);
console.log('| pull | requests | replaced | indicators | wall s | peak RSS MiB |');
console.log('|---|---:|---|---:|---:|---:|');
for (const r of rows) console.log(r);
rmSync(t.dir, { recursive: true, force: true });
