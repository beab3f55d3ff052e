/**
 * `iochunt tail --kafka-*` against a real Kafka 4 broker (KRaft) and the real
 * Elasticsearch node: workers of one consumer group share a 6-partition
 * topic; every hit is indexed exactly once across a SIGKILL and a worker
 * added later; offsets are committed to the end; a broker restart, a feed
 * reload and poisoned records lose nothing. Sizes are scaled down from the
 * issue (24,000 lines instead of 200,000; a broker down for 8 s instead of
 * 30 s; a 3 MB record instead of 100 MB) to keep this file near a minute.
 */
import { randomBytes } from 'node:crypto';
import { appendFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, startCli, type BackgroundCli } from './helpers/cli.js';
import { es, esEnv, esNode } from './helpers/es-test.js';
import {
  apacheLines,
  committedOffsets,
  createTopic,
  deleteTopics,
  endOffsets,
  lineId,
  PLANTED,
  produce,
  readTopic,
  restartBroker,
  testBroker,
  testProducer,
  type TestBroker,
} from './helpers/kafka-test.js';
import { SASL_USER } from './helpers/kafka-node.js';
import { outputDocs, parseMetrics, waitFor } from './helpers/tail-run.js';
import { tmpDir } from './helpers/tmp.js';

let broker: TestBroker | null = null;
const topics: string[] = [];

beforeAll(async () => {
  broker = await testBroker('kafka-tail');
}, 120_000);

afterAll(async () => {
  if (broker) {
    await deleteTopics(broker.node.bootstrap, topics).catch(() => undefined);
    await broker.release();
  }
});

function topicName(what: string): string {
  const t = `iochunt-${what}-${randomBytes(4).toString('hex')}`;
  topics.push(t);
  return t;
}

function worker(args: string[], env: NodeJS.ProcessEnv = {}): BackgroundCli {
  return startCli(['tail', '--no-cache', '--threads', '1', '--from', 'earliest', '--kafka-session-timeout', '6s', '--kafka-commit-interval', '500ms', ...args], { env });
}

const sorted = (xs: Iterable<number>): number[] => [...xs].sort((a, b) => a - b);

const node = esNode();

describe('iochunt tail --kafka-* (real broker)', () => {
  it.skipIf(!node)('3 workers in one group, one SIGKILLed mid-stream and one added later: every hit exactly once in Elasticsearch, offsets committed to the end, the hits topic equals the index', async () => {
    if (!broker || !node) return;
    const b = broker.node.bootstrap;
    const t = tmpDir();
    const feed = t.write('feed.txt', `${PLANTED.ip}\n${PLANTED.domain}\n`);
    const topic = topicName('logs');
    const hitsTopic = topicName('hits');
    await createTopic(b, topic, 6);
    await createTopic(b, hitsTopic, 3);
    const index = `logs-iochunt.kafka-${process.pid}`;
    const setup = await runCli(['es', 'setup', '--es', node.url, '--es-index', index], { env: esEnv(node) });
    expect(setup.code, setup.stderr).toBe(0);
    const group = `g-${topic}`;
    const producer = testProducer(b);
    const first = apacheLines(0, 12_000);
    const second = apacheLines(12_000, 12_000);
    const expected = new Set([...first.expected, ...second.expected]);
    const common = ['-i', feed, '--kafka-brokers', b, '--kafka-topic', topic, '--kafka-group', group, '--kafka-hits-topic', hitsTopic, '--es', node.url, '--es-index', index];
    const workers: BackgroundCli[] = [];
    const start = (i: number): BackgroundCli => {
      const w = worker([...common, '--state', t.path(`w${i}.json`), '--es-dead-letter', t.path(`dead${i}.jsonl`)], esEnv(node));
      workers.push(w);
      return w;
    };
    const count = async (): Promise<number> => {
      await es(node, 'POST', `/${index}/_refresh`);
      const r = await es(node, 'GET', `/${index}/_count`);
      return r.status === 200 ? (r.body.count as number) : 0;
    };
    try {
      await produce(producer, topic, first.lines, (i) => i % 6);
      const w1 = start(1);
      start(2);
      start(3);
      // Mid-stream: some hits are indexed, not all.
      await waitFor(() => `first hits; ${w1.stderr()}`, async () => (await count()) > 0, 60_000);
      w1.child.kill('SIGKILL');
      expect(await w1.exited).toBe(null);
      await produce(producer, topic, second.lines, (i) => (i * 5) % 6);
      start(4);
      const ends = await endOffsets(b, topic);
      expect(ends.reduce((a, x) => a + x, 0n)).toBe(24_000n);
      await waitFor(
        () => `every partition committed to its end (of ${String(ends)}); ${workers.map((w) => w.stderr().slice(-600)).join('\n---\n')}`,
        async () => (await committedOffsets(b, group, topic, 6)).every((o, p) => o === ends[p]),
        90_000,
      );
      await waitFor('every hit indexed', async () => (await count()) >= expected.size, 30_000);
      for (const w of workers.slice(1)) w.child.kill('SIGTERM');
      for (const w of workers.slice(1)) expect(await w.exited, w.stderr()).toBe(0);
      // Exactly once: one document per hit line, none for the decoys.
      const r = await es(node, 'POST', `/${index}/_search`, { size: 10_000, _source: ['kafka', 'log', 'event.original'], sort: [{ 'kafka.partition': 'asc' }, { 'kafka.offset': 'asc' }] });
      const hits = r.body.hits.hits as Array<{ _id: string; _source: any }>;
      const ids = hits.map((h) => lineId(h._source.event.original));
      expect(ids.length).toBe(expected.size);
      expect(sorted(ids)).toEqual(sorted(expected));
      for (const h of hits) {
        expect(h._source.kafka.topic).toBe(topic);
        expect(h._source.log.file).toBeUndefined();
        expect(h._source.event.original).not.toContain(PLANTED.decoyIp + ' ');
      }
      // The hits topic holds the same hits (a crash may repeat some: the iochunt-id header names the copies).
      const produced = await readTopic(b, hitsTopic);
      const producedIds = new Set(produced.map((m) => m.headers.get('iochunt-id')));
      expect(sorted(new Set(produced.map((m) => lineId(JSON.parse(m.value).event.original))))).toEqual(sorted(expected));
      expect([...producedIds].sort()).toEqual(hits.map((h) => h._id).sort());
      for (const m of produced) expect(m.key).toMatch(new RegExp(`^${topic}/[0-5]$`));
    } finally {
      for (const w of workers) if (w.child.exitCode === null) w.child.kill('SIGKILL');
      await producer.close();
      await es(node, 'DELETE', `/_data_stream/${index}`);
      await es(node, 'DELETE', `/_index_template/iochunt-hits-${index}`);
    }
  }, 240_000);

  it.skipIf(!node)('a worker stalled (SIGSTOP) beyond the session timeout: its partitions move; after SIGCONT its late deliveries are idempotent: every hit once', async () => {
    if (!broker || !node) return;
    const b = broker.node.bootstrap;
    const t = tmpDir();
    const feed = t.write('feed.txt', `${PLANTED.ip}\n${PLANTED.domain}\n`);
    const topic = topicName('stall');
    await createTopic(b, topic, 4);
    const index = `logs-iochunt.kafkastall-${process.pid}`;
    const setup = await runCli(['es', 'setup', '--es', node.url, '--es-index', index], { env: esEnv(node) });
    expect(setup.code, setup.stderr).toBe(0);
    const group = `g-${topic}`;
    const producer = testProducer(b);
    const { lines, expected } = apacheLines(0, 8000);
    const common = ['-i', feed, '--kafka-brokers', b, '--kafka-topic', topic, '--kafka-group', group, '--es', node.url, '--es-index', index];
    const start = (i: number): BackgroundCli => worker([...common, '--state', t.path(`w${i}.json`), '--es-dead-letter', t.path(`dead${i}.jsonl`)], esEnv(node));
    const a = start(1);
    const b2 = start(2);
    try {
      await waitFor(() => `both assigned; ${a.stderr()} ${b2.stderr()}`, () => /2 partition\(s\) assigned: \S/.test(a.stderr()) && /2 partition\(s\) assigned: \S/.test(b2.stderr()), 30_000);
      await produce(producer, topic, lines.slice(0, 4000), (i) => i % 4);
      a.child.kill('SIGSTOP');
      const before = b2.stderr().length;
      await produce(producer, topic, lines.slice(4000), (i) => i % 4);
      // The group's session timeout (6 s) passes: the stalled worker's partitions move to the other one.
      await waitFor(() => `the rebalance; ${b2.stderr()}`, () => /4 partition\(s\) assigned/.test(b2.stderr().slice(before)), 30_000);
      a.child.kill('SIGCONT');
      const ends = await endOffsets(b, topic);
      await waitFor(() => `every partition committed to its end of ${String(ends)}; ${a.stderr().slice(-800)} ${b2.stderr().slice(-800)}`, async () => (await committedOffsets(b, group, topic, 4)).every((o, p) => o === ends[p]), 60_000);
      a.child.kill('SIGTERM');
      b2.child.kill('SIGTERM');
      expect(await a.exited, a.stderr()).toBe(0);
      expect(await b2.exited, b2.stderr()).toBe(0);
      await es(node, 'POST', `/${index}/_refresh`);
      const r = await es(node, 'POST', `/${index}/_search`, { size: 10_000, _source: ['event.original'] });
      const ids = (r.body.hits.hits as Array<{ _source: any }>).map((h) => lineId(h._source.event.original));
      expect(ids.length).toBe(expected.size);
      expect(sorted(ids)).toEqual(sorted(expected));
    } finally {
      for (const w of [a, b2]) {
        if (w.child.exitCode === null) {
          w.child.kill('SIGCONT');
          w.child.kill('SIGKILL');
        }
      }
      await producer.close();
      await es(node, 'DELETE', `/_data_stream/${index}`);
      await es(node, 'DELETE', `/_index_template/iochunt-hits-${index}`);
    }
  }, 180_000);

  it('a broker restart, a feed reload while consuming, and poisoned records (3 MB, invalid UTF-8, empty): nothing lost, the partition goes on; metrics and /readyz', async () => {
    if (!broker) return;
    const t = tmpDir();
    const feed = t.write('feed.txt', `${PLANTED.ip}\n`);
    const topic = topicName('restart');
    await createTopic(broker.node.bootstrap, topic, 2);
    const group = `g-${topic}`;
    const out = t.path('hits.jsonl');
    const args = () => ['-i', feed, '--state', t.path('state.json'), '-o', out, '--kafka-brokers', (broker as TestBroker).node.bootstrap, '--kafka-topic', topic, '--kafka-group', group, '--metrics-listen', '127.0.0.1:0'];
    let producer = testProducer(broker.node.bootstrap);
    const w = worker(args());
    const ids = (): Set<number> => new Set(outputDocs(out).map((d) => lineId(d.event.original)));
    try {
      let url = '';
      await waitFor(() => `the metrics address; ${w.stderr()}`, () => {
        const m = /metrics on (http:\/\/[^\s]+)\/metrics/.exec(w.stderr());
        if (m) url = m[1] as string;
        return m !== null;
      });
      await waitFor(() => `/readyz; ${w.stderr()}`, async () => (await fetch(`${url}/readyz`)).status === 200, 30_000);
      const a = apacheLines(0, 3000);
      await produce(producer, topic, a.lines, (i) => i % 2);
      await waitFor(() => `hits before the restart (${[...a.byIp].filter((n) => !ids().has(n)).length} of ${a.byIp.size} missing, ${outputDocs(out).length} docs, partitions ${[...new Set(outputDocs(out).map((d) => d.kafka.partition))].join(',')}); ${w.stderr()}`, () => [...a.byIp].every((n) => ids().has(n)), 30_000);

      // The broker goes away and comes back: what is produced after it is read, nothing before is lost.
      await producer.close();
      broker = await restartBroker(broker, 8000);
      producer = testProducer(broker.node.bootstrap);
      const b2 = apacheLines(3000, 3000);
      await produce(producer, topic, b2.lines, (i) => i % 2);
      await waitFor(() => `hits after the restart (${[...b2.byIp].filter((n) => !ids().has(n)).length} missing); ${w.stderr().slice(-2000)}`, () => [...b2.byIp].every((n) => ids().has(n)), 90_000);
      // Only the IP is in the feed yet: no line hits for the domain alone.
      expect([...ids()].filter((n) => n < 6000 && !a.byIp.has(n) && !b2.byIp.has(n))).toEqual([]);

      // A feed reload while consuming: records read after it hit the added indicator; the decoy never does.
      appendFileSync(feed, `${PLANTED.domain}\n`);
      await waitFor(() => `the reload; ${w.stderr()}`, () => /indicators reloaded/.test(w.stderr()), 30_000);
      const c = apacheLines(6000, 3000);
      await produce(producer, topic, c.lines, (i) => i % 2);
      await waitFor(() => `hits after the reload; ${w.stderr().slice(-1000)}`, () => [...c.expected].every((n) => ids().has(n)), 30_000);
      expect(outputDocs(out).some((d) => String(d.event.original).includes(PLANTED.decoyDomain))).toBe(false);

      // Poisoned records on partition 0, each followed by a normal hit line: the partition goes on.
      const big = Buffer.alloc(3 * 1024 * 1024, 0x61);
      Buffer.from(` ${PLANTED.ip} /r900001 `).copy(big, 1024 * 1024);
      const badUtf8 = Buffer.concat([Buffer.from('\xff\xfe'), Buffer.from(` ${PLANTED.ip} - - "GET /r900002 HTTP/1.1" 200 1 "-" "\xc3\x28"`, 'latin1')]);
      const after = apacheLines(9000, 200);
      await produce(producer, topic, [big, badUtf8, Buffer.alloc(0), ...after.lines], () => 0, 10);
      await waitFor(() => `hits of the poisoned records; ${w.stderr().slice(-1000)}`, () => ids().has(900001) && ids().has(900002) && [...after.expected].every((n) => ids().has(n)), 30_000);
      expect(w.stderr()).toMatch(/1 record\(s\) with invalid UTF-8 \(iochunt-restart-[0-9a-f]+\/0@\d+\)/);

      const ends = await endOffsets(broker.node.bootstrap, topic);
      await waitFor(() => `offsets committed to the end of ${String(ends)}`, async () => (await committedOffsets(broker!.node.bootstrap, group, topic, 2)).every((o, p) => o === ends[p]), 30_000);
      // Lag (measured every 5 s) comes down to 0 on both partitions once everything is committed.
      await waitFor('lag 0', async () => {
        const m = parseMetrics(await (await fetch(`${url}/metrics`)).text());
        return [0, 1].every((p) => m.get(`iochunt_kafka_consumer_lag{topic="${topic}",partition="${p}"}`) === 0);
      }, 20_000);
      const metrics = parseMetrics(await (await fetch(`${url}/metrics`)).text());
      expect(metrics.get('iochunt_kafka_odd_records_total{kind="invalid_utf8"}')).toBe(1);
      expect(metrics.get('iochunt_kafka_odd_records_total{kind="empty"}')).toBe(1);
      expect(metrics.get('iochunt_kafka_rebalances_total')).toBeGreaterThanOrEqual(1);
      expect(metrics.get('iochunt_kafka_assigned_partitions')).toBe(2);
      expect(metrics.get('iochunt_indicator_reloads_total{result="success"}')).toBe(1);
      // Every document names its record; none names a file.
      for (const d of outputDocs(out)) {
        expect(d.kafka.topic).toBe(topic);
        expect([0, 1]).toContain(d.kafka.partition);
        expect(d.log?.file).toBeUndefined();
      }
      w.child.kill('SIGTERM');
      expect(await w.exited, w.stderr()).toBe(0);
    } finally {
      if (w.child.exitCode === null) w.child.kill('SIGKILL');
      await producer.close();
    }
  }, 240_000);

  it('SASL (PLAIN and SCRAM-SHA-256) on the broker\'s SASL listener: records are read with the right password; a wrong one fails with exit 2 and is never printed', async () => {
    if (!broker) return;
    const n = broker.node;
    if (n.saslPort === undefined || n.saslPassword === undefined) {
      // A broker started by an older kafka:start has no SASL listener.
      if (process.env.CI === 'true') throw new Error('the test broker has no SASL listener');
      return;
    }
    const t = tmpDir();
    const feed = t.write('feed.txt', `${PLANTED.ip}\n`);
    const topic = topicName('sasl');
    await createTopic(n.bootstrap, topic, 1);
    const producer = testProducer(n.bootstrap);
    const { lines, byIp } = apacheLines(0, 500);
    await produce(producer, topic, lines, () => 0);
    await producer.close();
    const sasl = `127.0.0.1:${n.saslPort}`;
    for (const mechanism of ['PLAIN', 'SCRAM-SHA-256']) {
      const out = t.path(`${mechanism}.jsonl`);
      const w = worker(['-i', feed, '--state', t.path(`${mechanism}.json`), '-o', out, '--kafka-brokers', sasl, '--kafka-topic', topic, '--kafka-group', `g-${topic}-${mechanism}`, '--kafka-sasl', mechanism], {
        IOCHUNT_KAFKA_USERNAME: SASL_USER,
        IOCHUNT_KAFKA_PASSWORD: n.saslPassword,
      });
      try {
        await waitFor(() => `${mechanism}: the hits; ${w.stderr()}`, () => new Set(outputDocs(out).map((d) => lineId(d.event.original))).size === byIp.size, 30_000);
      } finally {
        w.child.kill('SIGTERM');
      }
      expect(await w.exited, w.stderr()).toBe(0);
      expect(w.stderr()).not.toContain(n.saslPassword);
    }
    const wrong = 'not-the-password-42';
    const r = await runCli(['tail', '--no-cache', '-i', feed, '--state', t.path('wrong.json'), '-o', t.path('wrong.jsonl'), '--kafka-brokers', sasl, '--kafka-topic', topic, '--kafka-group', `g-${topic}-wrong`, '--kafka-sasl', 'SCRAM-SHA-256'], {
      env: { IOCHUNT_KAFKA_USERNAME: SASL_USER, IOCHUNT_KAFKA_PASSWORD: wrong },
    });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/kafka: cannot join group .*: SASL authentication failed/);
    expect(r.stderr).not.toContain(wrong);
    // A topic that does not exist is named before anything is read.
    const missing = await runCli(['tail', '--no-cache', '-i', feed, '--state', t.path('missing.json'), '-o', t.path('missing.jsonl'), '--kafka-brokers', n.bootstrap, '--kafka-topic', `${topic}-nope`, '--kafka-group', 'g']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(new RegExp(`Unknown topic ${topic}-nope`));
  }, 90_000);

  it('TLS: with the broker\'s CA (--kafka-ca) records are read; without it the self-signed certificate is refused with exit 2; --kafka-insecure is warned about', async () => {
    if (!broker) return;
    const n = broker.node;
    if (n.tlsPort === undefined || n.tlsCa === undefined) {
      if (process.env.CI === 'true') throw new Error('the test broker has no TLS listener');
      return;
    }
    const t = tmpDir();
    const feed = t.write('feed.txt', `${PLANTED.ip}\n`);
    const topic = topicName('tls');
    await createTopic(n.bootstrap, topic, 1);
    const producer = testProducer(n.bootstrap);
    const { lines, byIp } = apacheLines(0, 300);
    await produce(producer, topic, lines, () => 0);
    await producer.close();
    const tls = `127.0.0.1:${n.tlsPort}`;
    for (const [name, extra] of [['ca', ['--kafka-ca', n.tlsCa]], ['insecure', ['--kafka-tls', '--kafka-insecure']]] as const) {
      const out = t.path(`${name}.jsonl`);
      const w = worker(['-i', feed, '--state', t.path(`${name}.json`), '-o', out, '--kafka-brokers', tls, '--kafka-topic', topic, '--kafka-group', `g-${topic}-${name}`, ...extra]);
      try {
        await waitFor(() => `${name}: the hits; ${w.stderr()}`, () => new Set(outputDocs(out).map((d) => lineId(d.event.original))).size === byIp.size, 30_000);
      } finally {
        w.child.kill('SIGTERM');
      }
      expect(await w.exited, w.stderr()).toBe(0);
      if (name === 'insecure') expect(w.stderr()).toMatch(/--kafka-insecure: the TLS certificates of the Kafka brokers are not verified/);
    }
    const r = await runCli(['tail', '--no-cache', '-i', feed, '--state', t.path('no-ca.json'), '-o', t.path('no-ca.jsonl'), '--kafka-brokers', tls, '--kafka-topic', topic, '--kafka-group', `g-${topic}-no-ca`, '--kafka-tls']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/kafka: cannot join group .*self-signed certificate/);
  }, 90_000);

  it('/readyz is not ready while the group has assigned no partition (a second member of a 1-partition topic)', async () => {
    if (!broker) return;
    const t = tmpDir();
    const feed = t.write('feed.txt', `${PLANTED.ip}\n`);
    const topic = topicName('ready');
    await createTopic(broker.node.bootstrap, topic, 1);
    const start = (i: number): BackgroundCli =>
      worker(['-i', feed, '--state', t.path(`s${i}.json`), '-o', t.path(`o${i}.jsonl`), '--kafka-brokers', broker!.node.bootstrap, '--kafka-topic', topic, '--kafka-group', `g-${topic}`, '--metrics-listen', '127.0.0.1:0']);
    const urlOf = async (w: BackgroundCli): Promise<string> => {
      let url = '';
      await waitFor(() => `metrics; ${w.stderr()}`, () => {
        const m = /metrics on (http:\/\/[^\s]+)\/metrics/.exec(w.stderr());
        if (m) url = m[1] as string;
        return m !== null;
      });
      return url;
    };
    const w1 = start(1);
    const w2 = start(2);
    try {
      const [u1, u2] = [await urlOf(w1), await urlOf(w2)];
      await waitFor('one member assigned', async () => ((await fetch(`${u1}/readyz`)).status === 200) !== ((await fetch(`${u2}/readyz`)).status === 200), 30_000);
      const idle = (await fetch(`${u1}/readyz`)).status === 200 ? u2 : u1;
      const r = await fetch(`${idle}/readyz`);
      expect(r.status).toBe(503);
      expect(await r.text()).toMatch(/no Kafka partitions assigned/);
    } finally {
      w1.child.kill('SIGTERM');
      w2.child.kill('SIGTERM');
      await Promise.all([w1.exited, w2.exited]);
    }
  }, 60_000);
});

describe('iochunt tail --kafka-* option errors', () => {
  it('names what is missing or wrong, before connecting', async () => {
    const t = tmpDir();
    const feed = t.write('feed.txt', '10.1.2.3\n');
    const cases: Array<[string[], RegExp]> = [
      [['--kafka-brokers', '127.0.0.1:9', '--kafka-topic', 'x'], /needs --kafka-group/],
      [['--kafka-brokers', '127.0.0.1:9', '--kafka-group', 'g'], /at least one --kafka-topic/],
      [['--kafka-brokers', 'nohost', '--kafka-topic', 'x', '--kafka-group', 'g'], /Expected HOST:PORT for --kafka-brokers/],
      [['--kafka-brokers', '127.0.0.1:9', '--kafka-topic', 'bad topic', '--kafka-group', 'g'], /Expected a Kafka topic name/],
      [['--kafka-brokers', '127.0.0.1:9', '--kafka-topic', 'x', '--kafka-group', 'g', '--kafka-hits-topic', 'x'], /also an input topic/],
      [['--kafka-brokers', '127.0.0.1:9', '--kafka-topic', 'x', '--kafka-group', 'g', '--kafka-sasl', 'PLAIN'], /needs IOCHUNT_KAFKA_USERNAME and IOCHUNT_KAFKA_PASSWORD/],
      [['--kafka-brokers', '127.0.0.1:9', '--kafka-topic', 'x', '--kafka-group', 'g', '--kafka-sasl', 'GSSAPI'], /PLAIN, SCRAM-SHA-256, SCRAM-SHA-512/],
      [['--kafka-brokers', '127.0.0.1:9', '--kafka-topic', 'x', '--kafka-group', 'g', '--from', 'middle'], /earliest or latest/],
      [['--kafka-brokers', '127.0.0.1:9', '--kafka-topic', 'x', '--kafka-group', 'g', t.dir], /either Kafka topics .* or files/],
    ];
    for (const [args, message] of cases) {
      const r = await runCli(['tail', '--no-cache', '-i', feed, '--state', t.path('s.json'), ...args], { env: { IOCHUNT_KAFKA_USERNAME: '', IOCHUNT_KAFKA_PASSWORD: '' } });
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr, args.join(' ')).toMatch(message);
    }
  });

  it('a SASL password from an auth file is never printed', async () => {
    const t = tmpDir();
    const feed = t.write('feed.txt', '10.1.2.3\n');
    const auth = t.write('kafka.env', 'IOCHUNT_KAFKA_USERNAME=alice\nIOCHUNT_KAFKA_PASSWORD=s3cret-pa55word\n');
    const w = startCli(['tail', '--no-cache', '-i', feed, '--state', t.path('s.json'), '-o', t.path('o.jsonl'), '--kafka-brokers', '127.0.0.1:9', '--kafka-topic', 'x', '--kafka-group', 'g', '--kafka-sasl', 'SCRAM-SHA-256', '--kafka-auth-file', auth, '--shutdown-timeout', '2s']);
    await new Promise((r) => setTimeout(r, 4000));
    w.child.kill('SIGTERM');
    await w.exited;
    expect(w.stderr()).not.toContain('s3cret-pa55word');
    const bad = t.write('bad.env', 'IOCHUNT_KAFKA_PASSWORD=x\nPASSWORD=leak\n');
    const r = await runCli(['tail', '--no-cache', '-i', feed, '--state', t.path('s.json'), '--kafka-brokers', '127.0.0.1:9', '--kafka-topic', 'x', '--kafka-group', 'g', '--kafka-sasl', 'PLAIN', '--kafka-auth-file', bad]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/bad\.env:2: expected KEY=VALUE/);
    expect(r.stderr).not.toContain('leak');
  });
});
