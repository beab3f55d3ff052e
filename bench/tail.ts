/**
 * `npm run bench:tail`: `iochunt tail --es` as a sidecar under a steady
 * writer. A writer appends `--rate` lines/s (1 in `--hit-every` names an
 * indicator and carries its write time) to app.log and rotates it by rename
 * every `--rotate` seconds; the feed is replaced (one indicator added) every
 * `--reload` seconds. The Elasticsearch node (the shared test node, or one
 * started here) is polled for the hit documents: hit latency is the time
 * from a line's write to its document being searchable (p50/p99; includes
 * the index refresh, 1 s by default, and the 250 ms poll). Also: CPU of the
 * tail process per 1,000 lines, its RSS over time, lost and duplicated hits.
 * Nothing here is a test.
 */
import { spawn } from 'node:child_process';
import { appendFileSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command } from 'commander';
import { basicAuth, readSharedNode, removeNode, startNode, stopNode, type EsNode } from '../test/helpers/es-node.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const CLI = join(ROOT, 'dist', 'cli.js');

const opts = new Command('bench-tail')
  .option('--rate <N>', 'lines written per second', '5000')
  .option('--seconds <N>', 'length of the run', '60')
  .option('--rotate <N>', 'rotate app.log by rename every N seconds', '20')
  .option('--reload <N>', 'replace the feed (one indicator added) every N seconds', '25')
  .option('--hit-every <N>', 'one line in N hits', '100')
  .parse()
  .opts<{ rate: string; seconds: string; rotate: string; reload: string; hitEvery: string }>();
const rate = Number(opts.rate);
const seconds = Number(opts.seconds);
const hitEvery = Number(opts.hitEvery);

async function es(node: EsNode, method: string, path: string, body?: unknown): Promise<any> {
  const auth = basicAuth(node);
  const res = await fetch(`${node.url}${path}`, {
    method,
    headers: { ...(auth ? { authorization: auth } : {}), ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  return res.json().catch(() => ({}));
}

function procStat(pid: number): { cpuSec: number; rssMiB: number } {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(f[11]) + Number(f[12]);
  const rss = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return { cpuSec: ticks / 100, rssMiB: Number(rss?.[1] ?? 0) / 1024 };
}

function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? Number.NaN;
}

async function main(): Promise<void> {
  let node = readSharedNode();
  let own = false;
  if (!node) {
    node = await startNode({ name: 'bench-tail', securityUser: 'iochunt_admin' });
    own = true;
  }
  const dir = join(tmpdir(), `iochunt-bench-tail-${process.pid}`);
  const logs = join(dir, 'logs');
  mkdirSync(logs, { recursive: true });
  const index = `logs-iochunt.benchtail-${process.pid}`;
  const env = { ...process.env, IOCHUNT_ES_USERNAME: node.username ?? '', IOCHUNT_ES_PASSWORD: node.password ?? '', IOCHUNT_ES_API_KEY: '', IOCHUNT_CACHE_DIR: join(dir, 'cache') };
  // 1,000 indicators (10.x addresses and domains); hit lines name one of them.
  const indicators = Array.from({ length: 500 }, (_, i) => `10.${(i >> 8) & 255}.${i & 255}.7`).concat(Array.from({ length: 500 }, (_, i) => `bad${i}.example`));
  const feed = join(dir, 'feed.txt');
  writeFileSync(feed, `${indicators.join('\n')}\n`);
  const setup = spawn(process.execPath, [CLI, 'es', 'setup', '--es', node.url, '--es-index', index], { env, stdio: 'inherit' });
  await new Promise((r) => setup.on('close', r));
  const tail = spawn(
    process.execPath,
    [CLI, 'tail', '-i', feed, '--state', join(dir, 'state.json'), '--es', node.url, '--es-index', index, '--es-dead-letter', join(dir, 'dead.jsonl'), '--threads', '1', '--close-renamed-after', '5s', logs],
    { env, stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  tail.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  while (!stderr.includes('first pass done')) await new Promise((r) => setTimeout(r, 100));
  const pid = tail.pid as number;
  const start = procStat(pid);
  const rss: Array<[number, number]> = [];
  const written = new Map<number, number>();
  const seen = new Map<number, number>();
  let n = 0;
  let rotations = 0;
  let reloads = 0;
  const t0 = Date.now();
  let stopPolling = false;
  const poller = (async () => {
    while (!stopPolling) {
      const r = await es(node as EsNode, 'POST', `/${index}/_search?filter_path=hits.hits._source`, { size: 10000, _source: ['event.original'], query: { match_all: {} } });
      const now = Date.now();
      for (const h of r?.hits?.hits ?? []) {
        const m = /^L(\d+) /.exec(String(h._source?.event?.original ?? ''));
        if (m && !seen.has(Number(m[1]))) seen.set(Number(m[1]), now);
      }
      await new Promise((res) => setTimeout(res, 250));
    }
  })();
  // The writer: every 20 ms, the lines due by now.
  while (Date.now() - t0 < seconds * 1000) {
    const due = Math.floor(((Date.now() - t0) / 1000) * rate);
    let text = '';
    const now = Date.now();
    while (n < due) {
      n++;
      if (n % hitEvery === 0) {
        written.set(n, now);
        text += `L${n} ${new Date(now).toISOString()} host=web1 conn from ${indicators[n % indicators.length]} w=${now}\n`;
      } else text += `L${n} ${new Date(now).toISOString()} host=web1 GET /index.html 200 from 192.168.${n & 255}.${(n >> 8) & 255}\n`;
    }
    if (text) appendFileSync(join(logs, 'app.log'), text);
    const elapsed = (Date.now() - t0) / 1000;
    if (elapsed >= (rotations + 1) * Number(opts.rotate)) renameSync(join(logs, 'app.log'), join(logs, `app.log.${++rotations}`));
    if (elapsed >= (reloads + 1) * Number(opts.reload) && elapsed < seconds - 1) {
      const tmp = `${feed}.tmp`;
      writeFileSync(tmp, `${indicators.join('\n')}\nnew${++reloads}.example\n`);
      renameSync(tmp, feed);
    }
    if (rss.length === 0 || Date.now() - t0 - (rss[rss.length - 1] as [number, number])[0] * 1000 >= 5000) rss.push([Math.round((Date.now() - t0) / 1000), procStat(pid).rssMiB]);
    await new Promise((r) => setTimeout(r, 20));
  }
  // Wait for the last hits, then stop.
  const deadline = Date.now() + 30_000;
  while (seen.size < written.size && Date.now() < deadline) await new Promise((r) => setTimeout(r, 250));
  const end = procStat(pid);
  stopPolling = true;
  await poller;
  tail.kill('SIGTERM');
  const code = await new Promise((r) => tail.on('close', r));
  const count = await es(node, 'GET', `/${index}/_count`);
  const latencies = [...written].filter(([l]) => seen.has(l)).map(([l, w]) => (seen.get(l) as number) - w);
  const cpuSec = end.cpuSec - start.cpuSec;
  console.log(`\n### tail --es, ${rate} lines/s for ${seconds} s (${new Date().toISOString().slice(0, 16)} UTC, ${cpus().length} cores, ${cpus()[0]?.model ?? ''})\n`);
  console.log('| lines written | hit lines | documents | lost | duplicated | latency p50 | latency p99 | max | CPU per 1k lines | rotations | reloads | exit |');
  console.log('|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
  console.log(
    `| ${n} | ${written.size} | ${count.count} | ${written.size - seen.size} | ${Math.max(0, count.count - written.size)} | ${(pct(latencies, 50) / 1000).toFixed(2)} s | ${(pct(latencies, 99) / 1000).toFixed(2)} s | ${(Math.max(...latencies) / 1000).toFixed(2)} s | ${((cpuSec / n) * 1000 * 1000).toFixed(1)} ms | ${rotations} | ${reloads} | ${String(code)} |`,
  );
  console.log(`\nRSS of the tail process (MiB) by second: ${rss.map(([t, m]) => `${t}s ${m.toFixed(0)}`).join(', ')}`);
  await es(node, 'DELETE', `/_data_stream/${index}`);
  await es(node, 'DELETE', `/${index}`);
  await es(node, 'DELETE', `/_index_template/iochunt-hits-${index}`);
  rmSync(dir, { recursive: true, force: true });
  if (own) {
    await stopNode(node);
    removeNode(node);
  }
}

await main();
