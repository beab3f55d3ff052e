/**
 * Helpers of the Kafka integration tests and the Kafka benchmark: the broker
 * (the one of `npm run kafka:start` when it runs, else one started for the
 * test file), topics, producing lines, reading a topic back, and the
 * group's committed offsets.
 */
import { Admin, Consumer, ProduceAcks, Producer } from '@platformatic/kafka';
import { canRunKafka, readSharedKafka, removeKafka, startKafka, stopKafka, type KafkaNode } from './kafka-node.js';

/** A broker for one test file; `release` stops it unless it is the shared one. */
export interface TestBroker {
  readonly node: KafkaNode;
  readonly shared: boolean;
  release(): Promise<void>;
}

/**
 * The broker of this test file, or null when Kafka cannot run here (no Java
 * or Maven) outside CI; in CI (CI=true) or with IOCHUNT_REQUIRE_KAFKA=1 that
 * is an error.
 */
export async function testBroker(name: string): Promise<TestBroker | null> {
  const shared = readSharedKafka();
  if (shared) return { node: shared, shared: true, release: async () => undefined };
  const required = process.env.CI === 'true' || process.env.IOCHUNT_REQUIRE_KAFKA === '1';
  if (!canRunKafka()) {
    if (required) throw new Error('CI: the Kafka tests need Java 17+ and Maven (or npm run kafka:start)');
    process.stderr.write('kafka tests: no Java or Maven here; skipped (npm run kafka:start runs a broker)\n');
    return null;
  }
  const node = await startKafka({ name: `${name}-${process.pid}` });
  return {
    node,
    shared: false,
    release: async () => {
      await stopKafka(node);
      removeKafka(node);
    },
  };
}

/** Creates a topic (and waits until its partitions have leaders). */
export async function createTopic(bootstrap: string, topic: string, partitions: number, configs: Record<string, string> = {}): Promise<void> {
  const admin = new Admin({ clientId: 'iochunt-test-admin', bootstrapBrokers: [bootstrap] });
  try {
    await admin.createTopics({ topics: [topic], partitions, replicas: 1, configs: Object.entries(configs).map(([name, value]) => ({ name, value })) });
    const producer = new Producer({ clientId: 'iochunt-test-md', bootstrapBrokers: [bootstrap] });
    try {
      for (let i = 0; i < 50; i++) {
        const md = await producer.metadata({ topics: [topic], forceUpdate: true }).catch(() => undefined);
        const t = md?.topics.get(topic);
        if (t && t.partitionsCount === partitions && t.partitions.every((p) => p.leader >= 0)) return;
        await new Promise((r) => setTimeout(r, 100));
      }
    } finally {
      await producer.close();
    }
  } finally {
    await admin.close();
  }
}

/** Deletes topics (missing ones are fine). */
export async function deleteTopics(bootstrap: string, topics: string[]): Promise<void> {
  const admin = new Admin({ clientId: 'iochunt-test-admin', bootstrapBrokers: [bootstrap] });
  try {
    await admin.deleteTopics({ topics }).catch(() => undefined);
  } finally {
    await admin.close();
  }
}

/** A producer of test records (acks=all). */
export function testProducer(bootstrap: string): Producer<Buffer, Buffer, Buffer, Buffer> {
  return new Producer<Buffer, Buffer, Buffer, Buffer>({ clientId: 'iochunt-test-producer', bootstrapBrokers: [bootstrap], acks: ProduceAcks.ALL, retries: 20, retryDelay: 500 });
}

/** Produces `values` to `topic`, record i to partition `partitionOf(i)`, in chunks. */
export async function produce(
  producer: Producer<Buffer, Buffer, Buffer, Buffer>,
  topic: string,
  values: ReadonlyArray<Buffer | string>,
  partitionOf: (i: number) => number,
  chunk = 2000,
): Promise<void> {
  for (let i = 0; i < values.length; i += chunk) {
    const messages = values.slice(i, i + chunk).map((v, j) => ({ topic, partition: partitionOf(i + j), value: typeof v === 'string' ? Buffer.from(v) : v }));
    await producer.send({ messages });
  }
}

/** End offsets (next offset to be written) per partition of `topic`. */
export async function endOffsets(bootstrap: string, topic: string): Promise<bigint[]> {
  const c = new Consumer({ clientId: 'iochunt-test-offsets', groupId: `iochunt-test-offsets-${process.pid}`, bootstrapBrokers: [bootstrap] });
  try {
    const offsets = await c.listOffsets({ topics: [topic] });
    return offsets.get(topic) ?? [];
  } finally {
    await c.close();
  }
}

/** Offsets committed by `group` per partition of `topic` (-1 where none). */
export async function committedOffsets(bootstrap: string, group: string, topic: string, partitions: number): Promise<bigint[]> {
  const c = new Consumer({ clientId: 'iochunt-test-committed', groupId: group, bootstrapBrokers: [bootstrap] });
  try {
    const offsets = await c.listCommittedOffsets({ topics: [{ topic, partitions: [...Array(partitions).keys()] }] });
    return offsets.get(topic) ?? [];
  } finally {
    await c.close();
  }
}

/** Every record of `topic` from the start to its current end (values and headers). */
export async function readTopic(bootstrap: string, topic: string): Promise<Array<{ partition: number; offset: bigint; key: string; value: string; headers: Map<string, string> }>> {
  const ends = await endOffsets(bootstrap, topic);
  const total = ends.reduce((a, b) => a + b, 0n);
  const out: Array<{ partition: number; offset: bigint; key: string; value: string; headers: Map<string, string> }> = [];
  if (total === 0n) return out;
  const c = new Consumer<Buffer, Buffer, Buffer, Buffer>({ clientId: 'iochunt-test-reader', groupId: `iochunt-test-reader-${process.pid}-${Date.now()}`, bootstrapBrokers: [bootstrap] });
  try {
    const stream = await c.consume({ topics: [topic], mode: 'earliest', autocommit: false });
    for await (const m of stream) {
      const headers = new Map<string, string>();
      for (const [k, v] of m.headers) headers.set(k.toString(), v.toString());
      out.push({ partition: m.partition, offset: m.offset, key: m.key?.toString() ?? '', value: m.value?.toString() ?? '', headers });
      if (BigInt(out.length) >= total) break;
    }
    await stream.close();
  } finally {
    await c.close(true);
  }
  return out;
}

/** Restarts a broker after `downMs` stopped (same ports and data); the shared broker's state file follows. */
export async function restartBroker(broker: TestBroker, downMs: number): Promise<TestBroker> {
  const { writeSharedKafka } = await import('./kafka-node.js');
  const old = broker.node;
  await stopKafka(old);
  await new Promise((r) => setTimeout(r, downMs));
  const node = await startKafka({
    name: old.name,
    port: old.port,
    controllerPort: old.controllerPort,
    ...(old.saslPort !== undefined ? { saslPort: old.saslPort } : {}),
    ...(old.saslPassword !== undefined ? { saslPassword: old.saslPassword } : {}),
    ...(old.tlsPort !== undefined ? { tlsPort: old.tlsPort } : {}),
  });
  if (broker.shared) writeSharedKafka(node);
  return {
    node,
    shared: broker.shared,
    release: broker.shared
      ? async () => undefined
      : async () => {
          await stopKafka(node);
          removeKafka(node);
        },
  };
}

/** The planted indicators and their decoys (which must never hit). */
export const PLANTED = { ip: '10.1.2.3', domain: 'evil.example', decoyIp: '110.1.2.3', decoyDomain: 'notevil.example' } as const;

/**
 * Apache access lines `first` … `first + n - 1`, each naming its number in its
 * URL (`/r123`): every 97th from 10.1.2.3, every 89th with evil.example as
 * referrer, and decoys (110.1.2.3, notevil.example) on others. Returns the
 * lines, the numbers of those that must hit, and of those with the IP.
 */
export function apacheLines(first: number, n: number): { lines: string[]; expected: Set<number>; byIp: Set<number> } {
  const lines: string[] = [];
  const expected = new Set<number>();
  const byIp = new Set<number>();
  for (let i = first; i < first + n; i++) {
    let ip = `192.168.${i % 250}.${(i * 7) % 250}`;
    let ref = 'https://www.example.org/';
    if (i % 97 === 0) {
      ip = PLANTED.ip;
      expected.add(i);
      byIp.add(i);
    } else if (i % 97 === 13 && i % 89 !== 0) ip = PLANTED.decoyIp;
    if (i % 89 === 0) {
      ref = `http://${PLANTED.domain}/landing`;
      expected.add(i);
    } else if (i % 89 === 7 && i % 97 !== 0) ref = `http://${PLANTED.decoyDomain}/x`;
    lines.push(`${ip} - - [01/Dec/2026:10:${String(Math.floor(i / 60) % 60).padStart(2, '0')}:${String(i % 60).padStart(2, '0')} +0000] "GET /r${i} HTTP/1.1" 200 ${i % 5000} "${ref}" "Mozilla/5.0 (X11; Linux x86_64)"`);
  }
  return { lines, expected, byIp };
}

/** The line number (`/rN`) in a hit's original text. */
export function lineId(original: string): number {
  const m = /\/r(\d+) /.exec(original);
  if (!m) throw new Error(`no line number in ${original.slice(0, 200)}`);
  return Number(m[1]);
}
