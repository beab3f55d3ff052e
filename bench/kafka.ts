/**
 * `npm run bench:kafka`: `iochunt tail --kafka-*` reading a 6-partition topic
 * of Apache lines from the local broker (the one of `npm run kafka:start`, or
 * one started here), against `iochunt scan` of the same bytes from a file.
 *
 * - throughput: 1, 2 and 3 workers join one group on an empty 6-partition
 *   topic; once the group is stable the lines are produced (as fast as the
 *   producer goes); the time runs from the start of producing to every
 *   partition's committed offset reaching the end (so it includes delivery
 *   to the JSONL output and the commits); MB/s of record values, hits/s,
 *   CPU seconds of the workers (from /proc, start-up included), and the hits
 *   written (more than expected = records read twice after a rebalance);
 * - the same lines as one file through `scan --threads 1`;
 * - latency: with one worker following, one line with a hit is produced
 *   every 20 ms carrying its produce time; latency is the time until its
 *   hit is in the worker's JSONL output (polled every 50 ms).
 *
 * Nothing here is a test. The machine is shared: read the CPU figures with
 * the wall times.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command } from 'commander';
import { readSharedKafka, removeKafka, startKafka, stopKafka, type KafkaNode } from '../test/helpers/kafka-node.js';
import { apacheLines, committedOffsets, createTopic, deleteTopics, endOffsets, produce, testProducer } from '../test/helpers/kafka-test.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const CLI = join(ROOT, 'dist', 'cli.js');

const opts = new Command('bench-kafka')
  .option('--lines <N>', 'Apache lines in the topic', '300000')
  .option('--workers <LIST>', 'worker counts to run', '1,2,3')
  .option('--latency-seconds <N>', 'length of the latency run', '10')
  .parse()
  .opts<{ lines: string; workers: string; latencySeconds: string }>();

function cpuOf(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) / 100;
  } catch {
    return Number.NaN;
  }
}

function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? Number.NaN;
}

function startWorker(args: string[]): { child: ChildProcess; err: () => string } {
  const child = spawn(process.execPath, [CLI, 'tail', '--no-cache', '--threads', '1', '--from', 'earliest', ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  child.stderr?.on('data', (d: Buffer) => (err += d.toString()));
  return { child, err: () => err };
}

async function stopWorker(w: { child: ChildProcess }): Promise<void> {
  if (w.child.exitCode !== null) return;
  const done = new Promise((r) => w.child.once('close', r));
  w.child.kill('SIGTERM');
  await done;
}

async function main(): Promise<void> {
  let node: KafkaNode | undefined = readSharedKafka();
  let own = false;
  if (!node) {
    node = await startKafka({ name: `bench-${process.pid}` });
    own = true;
  }
  const b = node.bootstrap;
  const dir = mkdtempSync(join(tmpdir(), 'iochunt-bench-kafka-'));
  const topics: string[] = [];
  try {
    const n = Number(opts.lines);
    const feed = join(dir, 'feed.txt');
    // The planted indicators and 2,000 others, so that the matcher is not trivial.
    const others: string[] = [];
    for (let i = 0; i < 1000; i++) others.push(`198.51.${i % 250}.${(i * 13) % 250}`, `bad${i}.example.net`);
    writeFileSync(feed, ['10.1.2.3', 'evil.example', ...others].join('\n') + '\n');
    const { lines, expected } = apacheLines(0, n);
    const file = join(dir, 'access.log');
    writeFileSync(file, lines.join('\n') + '\n');
    const bytes = statSync(file).size;
    const topic = `bench-${process.pid}`;
    topics.push(topic);
    await createTopic(b, topic, 6);
    const producer = testProducer(b);
    const t0 = performance.now();
    await produce(producer, topic, lines, (i) => i % 6, 5000);
    const produceS = (performance.now() - t0) / 1000;
    console.log(`# ${n} lines, ${(bytes / 1e6).toFixed(1)} MB, ${expected.size} hit lines; produced in ${produceS.toFixed(1)} s; ${cpus().length} CPUs, load ${loadavg().map((x) => x.toFixed(1)).join(' ')}`);

    // scan of the same bytes from a file.
    const s0 = performance.now();
    // bash's `time` gives the CPU seconds of the scan process.
    const scan = spawnSync('bash', ['-c', 'TIMEFORMAT="%U %S"; time "$@" >/dev/null', 'scan', process.execPath, CLI, 'scan', '--no-cache', '--threads', '1', '-i', feed, '-o', join(dir, 'scan.jsonl'), '--no-info', file], { encoding: 'utf8' });
    const scanS = (performance.now() - s0) / 1000;
    const times = /([\d.]+) ([\d.]+)\s*$/.exec(scan.stderr);
    const scanCpu = times ? Number(times[1]) + Number(times[2]) : Number.NaN;
    console.log(`scan (file, 1 thread): ${scanS.toFixed(2)} s wall, ${scanCpu.toFixed(2)} s CPU (both incl. start-up), ${(bytes / 1e6 / scanS).toFixed(1)} MB/s, ${(expected.size / scanS).toFixed(0)} hits/s`);

    // The client alone: one consumer (no group) reads every record and does nothing with it.
    {
      const { Consumer } = await import('@platformatic/kafka');
      const c = new Consumer<Buffer, Buffer, Buffer, Buffer>({ clientId: 'bench-client', groupId: `bench-client-${process.pid}`, bootstrapBrokers: [b] });
      const cpu0 = process.cpuUsage();
      const c0 = performance.now();
      const stream = await c.consume({ topics: [topic], mode: 'earliest', autocommit: false, maxBytes: 8 * 1024 * 1024 });
      let got = 0;
      let valueBytes = 0;
      for await (const m of stream) {
        valueBytes += m.value?.length ?? 0;
        if (++got >= n) break;
      }
      const wall = (performance.now() - c0) / 1000;
      const cpu = process.cpuUsage(cpu0);
      await stream.close();
      await c.close(true);
      console.log(`client alone (@platformatic/kafka, records read and dropped): ${wall.toFixed(2)} s wall, ${((cpu.user + cpu.system) / 1e6).toFixed(2)} s CPU, ${(valueBytes / 1e6 / wall).toFixed(1)} MB/s, ${(got / wall / 1000).toFixed(0)}k records/s`);
    }

    console.log('\n| workers | wall s (produce start → all committed) | MB/s | hits/s | worker CPU s | hits written |');
    console.log('|---|---|---|---|---|---|');
    for (const k of opts.workers.split(',').map(Number)) {
      // A fresh topic per run: the workers join first, and the lines are produced once the group is stable.
      const wtopic = `bench-w${k}-${process.pid}`;
      topics.push(wtopic);
      await createTopic(b, wtopic, 6);
      const group = `bench-g${k}-${process.pid}`;
      const workers = [...Array(k).keys()].map((i) =>
        startWorker(['-i', feed, '--state', join(dir, `st-${k}-${i}.json`), '-o', join(dir, `out-${k}-${i}.jsonl`), '--kafka-brokers', b, '--kafka-topic', wtopic, '--kafka-group', group]),
      );
      const assigned = (w: { err: () => string }): number => {
        const all = [...w.err().matchAll(/(\d+) partition\(s\) assigned/g)];
        return Number(all[all.length - 1]?.[1] ?? 0);
      };
      const stable = performance.now();
      while (workers.reduce((sum, w) => sum + assigned(w), 0) !== 6 || workers.some((w) => assigned(w) === 0)) {
        if (performance.now() - stable > 60_000) throw new Error(`the group of ${k} did not settle: ${workers.map((w) => w.err()).join('\n')}`);
        await new Promise((r) => setTimeout(r, 50));
      }
      const a0 = performance.now();
      await produce(producer, wtopic, lines, (i) => i % 6, 5000);
      const ends = await endOffsets(b, wtopic);
      for (;;) {
        const c = await committedOffsets(b, group, wtopic, 6);
        if (c.every((o, p) => o === ends[p])) break;
        await new Promise((r) => setTimeout(r, 100));
      }
      const wall = (performance.now() - a0) / 1000;
      const cpu = workers.reduce((sum, w) => sum + cpuOf(w.child.pid as number), 0);
      await Promise.all(workers.map(stopWorker));
      let hits = 0;
      for (let i = 0; i < k; i++) hits += readFileSync(join(dir, `out-${k}-${i}.jsonl`), 'utf8').split('\n').filter(Boolean).length;
      console.log(`| ${k} | ${wall.toFixed(2)} | ${(bytes / 1e6 / wall).toFixed(1)} | ${(expected.size / wall).toFixed(0)} | ${cpu.toFixed(1)} | ${hits} (expected ${expected.size}) |`);
    }

    // Latency: produce → hit written by a following worker.
    const ltopic = `bench-lat-${process.pid}`;
    topics.push(ltopic);
    await createTopic(b, ltopic, 6);
    const out = join(dir, 'lat.jsonl');
    const w = startWorker(['-i', feed, '--state', join(dir, 'st-lat.json'), '-o', out, '--kafka-brokers', b, '--kafka-topic', ltopic, '--kafka-group', `bench-lat-${process.pid}`, '--from', 'latest']);
    while (!/partition\(s\) assigned: \S/.test(w.err())) await new Promise((r) => setTimeout(r, 20));
    await new Promise((r) => setTimeout(r, 1000));
    const sent = new Map<number, number>();
    const seen = new Map<number, number>();
    const stopAt = Date.now() + Number(opts.latencySeconds) * 1000;
    let i = 0;
    const poll = setInterval(() => {
      try {
        for (const l of readFileSync(out, 'utf8').split('\n')) {
          const m = /"original":"10\.1\.2\.3 lat(\d+) /.exec(l);
          if (m && !seen.has(Number(m[1]))) seen.set(Number(m[1]), Date.now());
        }
      } catch {
        // not yet written
      }
    }, 50);
    while (Date.now() < stopAt) {
      sent.set(i, Date.now());
      await producer.send({ messages: [{ topic: ltopic, partition: i % 6, value: Buffer.from(`10.1.2.3 lat${i} - [bench] "GET / HTTP/1.1" 200 1`) }] });
      i++;
      await new Promise((r) => setTimeout(r, 20));
    }
    const deadline = Date.now() + 10_000;
    while (seen.size < sent.size && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    clearInterval(poll);
    await stopWorker(w);
    const lat = [...seen].map(([k, t]) => t - (sent.get(k) as number));
    console.log(`\nlatency produce → hit in the JSONL output, ${sent.size} hits over ${opts.latencySeconds} s: p50 ${pct(lat, 50)} ms, p99 ${pct(lat, 99)} ms, max ${Math.max(...lat)} ms; ${sent.size - seen.size} not seen`);
    await producer.close();
  } finally {
    await deleteTopics(b, topics).catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
    if (own && node) {
      await stopKafka(node);
      removeKafka(node);
    }
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
