/**
 * Hits to a Kafka topic (`--kafka-hits-topic`): one record per hit document,
 * JSON, keyed by the hit's source so that the hits of one source stay in
 * order on one partition (the Kafka input's `topic/partition`, else
 * `host.name`, else the log file's path), with the idempotent hit id in the
 * `iochunt-id` header so that a downstream consumer can drop the copies a
 * crash may repeat. Produced with `acks=all` by an idempotent producer (no
 * duplicates from the producer's own retries). `sync()` resolves once every
 * record written so far is acknowledged, which is what lets the input commit.
 */
import type { Producer } from '@platformatic/kafka';
import { IochuntError } from '../errors.js';
import type { HitDocument } from '../output/hit-document.js';
import { hitId } from '../output/es/hit-id.js';
import type { HitSink } from '../output/sink.js';
import { connectionOptions, kafkaLibrary, rootCauses } from './client.js';
import { redactKafka, type KafkaOptions } from './kafka-options.js';

/** Hits produced in one request at most. */
const MAX_BATCH = 500;

/** The key of a hit: where it came from. */
export function hitKey(doc: HitDocument): string {
  const k = (doc as { kafka?: { topic?: string; partition?: number } }).kafka;
  if (k?.topic !== undefined) return `${k.topic}/${k.partition ?? 0}`;
  const host = (doc as { host?: { name?: string } }).host?.name;
  return host ?? doc.log?.file?.path ?? '';
}

/** A {@link HitSink} producing to a Kafka topic; see the module comment. */
export class KafkaHitsSink implements HitSink {
  private pending: Array<Promise<void>> = [];
  private failure: Error | undefined;
  produced = 0;

  private constructor(
    private readonly producer: Producer<Buffer, Buffer, Buffer, Buffer>,
    private readonly topic: string,
    private readonly secrets: readonly string[],
  ) {}

  /** Connects the producer and checks that the topic exists. */
  static async open(options: KafkaOptions): Promise<KafkaHitsSink> {
    const topic = options.hitsTopic as string;
    const { Producer, ProduceAcks } = await kafkaLibrary();
    const producer = new Producer<Buffer, Buffer, Buffer, Buffer>({
      ...connectionOptions(options, 'producer'),
      idempotent: true,
      acks: ProduceAcks.ALL,
      autocreateTopics: false,
    });
    try {
      const md = await producer.metadata({ topics: [topic] });
      if (!md.topics.has(topic)) throw new Error('no such topic');
    } catch (err) {
      await producer.close().catch(() => undefined);
      throw new IochuntError('E_OUTPUT', redactKafka(`--kafka-hits-topic ${topic}: the topic cannot be used (${rootCauses(err)}); create it first`, options.secrets), { cause: err });
    }
    return new KafkaHitsSink(producer, topic, options.secrets);
  }

  get gone(): boolean {
    return false;
  }

  async write(docs: readonly HitDocument[]): Promise<void> {
    if (this.failure) throw this.failure;
    for (let i = 0; i < docs.length; i += MAX_BATCH) {
      const messages = docs.slice(i, i + MAX_BATCH).map((d) => ({
        topic: this.topic,
        key: Buffer.from(hitKey(d)),
        value: Buffer.from(JSON.stringify(d)),
        headers: new Map([[Buffer.from('iochunt-id'), Buffer.from(hitId(d))]]),
      }));
      const p = this.producer.send({ messages }).then(
        () => {
          this.produced += messages.length;
        },
        (err: unknown) => {
          this.failure ??= new IochuntError('E_OUTPUT', redactKafka(`producing hits to ${this.topic} failed: ${rootCauses(err)}`, this.secrets), { cause: err });
        },
      );
      this.pending.push(p);
    }
    // Bounded memory: at most a few requests in flight.
    if (this.pending.length > 8) await this.flush();
  }

  async flush(): Promise<void> {
    const pending = this.pending;
    this.pending = [];
    await Promise.all(pending);
    if (this.failure) throw this.failure;
  }

  sync(): Promise<void> {
    return this.flush();
  }

  async close(): Promise<void> {
    try {
      await this.flush();
    } finally {
      await this.producer.close().catch(() => undefined);
    }
  }
}
