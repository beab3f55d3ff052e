/**
 * Kafka topics as an input of `tail`: one member of a consumer group. Kafka
 * assigns the partitions, stores the offsets and moves partitions when a
 * member joins, leaves or stalls; this class turns what the member fetches
 * into {@link RecordBlock}s and commits, per partition, only offsets whose
 * records were handed to the outputs and confirmed delivered by them.
 *
 * The commit rule: for each partition, the committed offset is one past the
 * highest record such that every record this member read from that partition
 * before it has been handed to the sink (in order, since blocks are handled
 * in order), and the sink's `sync()` resolved after that hand-over. So the
 * committed offset never passes a record whose hits are not delivered
 * (dead-lettered counts as delivered). A SIGKILL at any moment loses nothing:
 * the next owner reads again from the last commit, and the idempotent hit
 * ids keep Elasticsearch free of duplicates.
 *
 * Rebalances: the client (`@platformatic/kafka`) rejoins on its own and has
 * no hook that holds a revocation until the application is done. When the
 * group announces a rebalance, this input asks for an immediate delivery and
 * commit of what was read (usually accepted while the group prepares the
 * rebalance); partitions no longer assigned are not committed by this member
 * any more; records of them already fetched are still scanned and delivered
 * (their hits are idempotent), and the new owner resumes at the committed
 * offset. On assignment the client resumes each partition at its committed
 * offset, or at `--kafka-from` when the group has none.
 */
import type { Consumer, Message, MessagesStream } from '@platformatic/kafka';
import type { Reporter } from '../report.js';
import { connectionOptions, kafkaLibrary, rootCauses } from './client.js';
import { redactKafka, type KafkaOptions } from './kafka-options.js';
import { RecordBlock, type KafkaRecordIn } from './record-block.js';

/** Bytes of fetched records held before fetching pauses (backpressure towards the broker). */
const QUEUE_LIMIT_BYTES = 8 * 1024 * 1024;
/** Lag is measured this often. */
const LAG_EVERY_MS = 5000;
/** A consumer whose stream failed is started again after this long. */
const RESTART_DELAY_MS = 2000;

/** What the input reports to metrics. */
export interface GroupObserver {
  /** The group assigned this member these partitions (after a rebalance). */
  assigned?(partitions: ReadonlyArray<{ topic: string; partition: number }>): void;
  /** A rebalance completed (this member joined the group, again). */
  rebalanced?(): void;
  /** Lag per partition (records between the committed offset and the end); -1 for a partition not assigned here. */
  lag?(topic: string, partition: number, lag: number): void;
  /** Offsets were committed. */
  committed?(count: number): void;
  /** A commit failed (retried at the next). */
  commitFailed?(): void;
  /** Odd records: empty values, invalid UTF-8. */
  oddRecords?(kind: 'empty' | 'invalid_utf8', n: number): void;
  /** Records and bytes fetched. */
  fetched?(records: number, bytes: number): void;
}

const key = (topic: string, partition: number): string => `${topic}\0${partition}`;

/** One member of a consumer group reading the input topics; see the module comment. */
export class KafkaGroupInput {
  private consumer: Consumer<Buffer, Buffer, Buffer, Buffer> | undefined;
  private stream: MessagesStream<Buffer, Buffer, Buffer, Buffer> | undefined;
  private queue: Array<Message<Buffer, Buffer, Buffer, Buffer>> = [];
  private queuedBytes = 0;
  private paused = false;
  private wake: (() => void) | undefined;
  private seq = 0;
  /** Per partition: one past the last record handed to the sink (not yet necessarily delivered). */
  private readonly handed = new Map<string, { topic: string; partition: number; offset: bigint }>();
  /** Per partition: the last offset committed by this member. */
  private readonly committed = new Map<string, bigint>();
  private readonly leaderEpochs = new Map<string, number>();
  private assignedKeys = new Set<string>();
  private assignedList: Array<{ topic: string; partition: number }> = [];
  private closed = false;
  private lastCommit = 0;
  private commitWarned = false;
  private restarting: Promise<void> | undefined;
  /** Set when the group announced a rebalance: deliver and commit now. */
  commitSoon = false;

  constructor(
    private readonly options: KafkaOptions,
    private readonly reporter: Reporter,
    private readonly observer: GroupObserver = {},
  ) {}

  /** True once the group assigned this member at least one partition. */
  get hasPartitions(): boolean {
    return this.assignedKeys.size > 0;
  }

  /** The partitions assigned now. */
  get assignment(): ReadonlyArray<{ topic: string; partition: number }> {
    return this.assignedList;
  }

  private say(message: string): string {
    return redactKafka(message, this.options.secrets);
  }

  /** Joins the group and starts fetching. */
  async start(): Promise<void> {
    const { Consumer } = await kafkaLibrary();
    const o = this.options;
    const consumer = new Consumer<Buffer, Buffer, Buffer, Buffer>({
      ...connectionOptions(o, 'consumer'),
      groupId: o.group,
      sessionTimeout: o.sessionTimeoutMs,
      rebalanceTimeout: Math.max(o.sessionTimeoutMs, 30_000),
      heartbeatInterval: Math.min(1000, Math.floor(o.sessionTimeoutMs / 3)),
      autocommit: false,
      maxWaitTime: 500,
      maxBytes: Math.max(o.batchBytes * 4, 8 * 1024 * 1024),
    });
    this.consumer = consumer;
    // A wrong password, an unreachable broker or a missing topic is named at once (the group join retries for long).
    try {
      const md = await consumer.metadata({ topics: [...o.topics], autocreateTopics: false });
      const missing = o.topics.filter((t) => !md.topics.has(t));
      if (missing.length > 0) throw new Error(`no such topic: ${missing.join(', ')}`);
    } catch (err) {
      await consumer.close(true).catch(() => undefined);
      this.consumer = undefined;
      throw new Error(rootCauses(err), { cause: err });
    }
    consumer.on('consumer:group:join', (p) => {
      const list: Array<{ topic: string; partition: number }> = [];
      for (const a of p.assignments ?? []) for (const partition of a.partitions) list.push({ topic: a.topic, partition });
      const keys = new Set(list.map((x) => key(x.topic, x.partition)));
      const revoked = new Set([...this.assignedKeys].filter((k) => !keys.has(k)));
      for (const k of revoked) this.committed.delete(k);
      if (revoked.size > 0) this.dropRevoked(revoked);
      this.assignedKeys = keys;
      this.assignedList = list;
      this.observer.rebalanced?.();
      this.observer.assigned?.(list);
      this.reporter.info(`kafka: group ${o.group}: ${list.length} partition(s) assigned: ${list.map((x) => `${x.topic}/${x.partition}`).join(', ') || 'none'}`);
    });
    consumer.on('consumer:group:rebalance', () => {
      this.commitSoon = true;
      this.wake?.();
    });
    consumer.on('consumer:lag', (lag) => {
      for (const [topic, partitions] of lag) partitions.forEach((l, partition) => this.observer.lag?.(topic, partition, Number(l)));
    });
    consumer.on('consumer:lag:error', () => undefined);
    const stream = await consumer.consume({
      topics: [...o.topics],
      mode: 'committed',
      fallbackMode: o.from,
      autocommit: false,
      sessionTimeout: o.sessionTimeoutMs,
      rebalanceTimeout: Math.max(o.sessionTimeoutMs, 30_000),
      heartbeatInterval: Math.min(1000, Math.floor(o.sessionTimeoutMs / 3)),
    });
    this.stream = stream;
    stream.on('data', (m: Message<Buffer, Buffer, Buffer, Buffer>) => {
      this.queue.push(m);
      const n = m.value?.length ?? 0;
      this.queuedBytes += n + 64;
      this.observer.fetched?.(1, n);
      if (this.queuedBytes > QUEUE_LIMIT_BYTES && !this.paused) {
        this.paused = true;
        stream.pause();
      }
      // Woken when there is something to take (not for every record).
      if (this.queue.length === 1 || this.queuedBytes >= o.batchBytes) this.wake?.();
    });
    stream.on('error', (err: unknown) => {
      if (this.closed) return;
      this.reporter.warn(this.say(`kafka: the consumer stopped (${rootCauses(err)}); joining again in ${RESTART_DELAY_MS / 1000} s`));
      this.restart();
    });
    consumer.startLagMonitoring({ topics: [...o.topics] }, LAG_EVERY_MS);
  }

  /**
   * Records of revoked partitions still queued (fetched ahead, not yet in a
   * block) are dropped: their new owner reads them from the group's committed
   * offset. So that nothing is skipped should the partition come back to this
   * member while the group has no offset for it, the client's fetch position
   * of the partition is moved back to the first dropped record (a committed
   * offset, when there is one, still takes precedence on assignment).
   */
  private dropRevoked(revoked: ReadonlySet<string>): void {
    const first = new Map<string, { topic: string; partition: number; offset: bigint }>();
    const kept: Array<Message<Buffer, Buffer, Buffer, Buffer>> = [];
    for (const m of this.queue) {
      const k = key(m.topic, m.partition);
      if (!revoked.has(k)) {
        kept.push(m);
        continue;
      }
      this.queuedBytes -= (m.value?.length ?? 0) + 64;
      const f = first.get(k);
      if (!f || m.offset < f.offset) first.set(k, { topic: m.topic, partition: m.partition, offset: m.offset });
    }
    if (first.size === 0) return;
    this.queue = kept;
    const positions = this.stream?.offsetsToFetch;
    for (const f of first.values()) {
      // The client's key of a partition is `topic:partition`.
      const pk = `${f.topic}:${f.partition}`;
      const at = positions?.get(pk);
      if (positions && (at === undefined || at > f.offset)) positions.set(pk, f.offset);
    }
    if (this.paused && this.queuedBytes < QUEUE_LIMIT_BYTES / 2) {
      this.paused = false;
      this.stream?.resume();
    }
  }

  /** Starts a new member after the stream failed (a broker away for longer than the client's retries). */
  private restart(): void {
    if (this.restarting || this.closed) return;
    const old = this.consumer;
    this.consumer = undefined;
    this.stream = undefined;
    this.assignedKeys = new Set();
    this.assignedList = [];
    this.committed.clear();
    this.paused = false;
    this.restarting = (async () => {
      try {
        old?.stopLagMonitoring();
      } catch {
        // gone
      }
      await old?.close(true).catch(() => undefined);
      while (!this.closed) {
        await new Promise((r) => setTimeout(r, RESTART_DELAY_MS));
        if (this.closed) break;
        try {
          await this.start();
          break;
        } catch (err) {
          this.reporter.warn(this.say(`kafka: cannot join group ${this.options.group} yet (${rootCauses(err)}); retrying`));
        }
      }
      this.restarting = undefined;
    })();
  }

  /**
   * The next block of records of one topic: waits until `batchBytes` are
   * queued or the first queued record waited `lingerMs`, at most `waitMs`
   * (then undefined). Records of one partition stay in offset order.
   */
  async nextBlock(waitMs: number, stop: () => boolean): Promise<RecordBlock | undefined> {
    const deadline = Date.now() + waitMs;
    const o = this.options;
    let firstSeen = this.queue.length > 0 ? Date.now() : 0;
    for (;;) {
      if (stop() || this.commitSoon) return undefined;
      if (this.queue.length > 0) {
        if (firstSeen === 0) firstSeen = Date.now();
        if (this.queuedBytes >= o.batchBytes || Date.now() - firstSeen >= o.lingerMs) return this.take();
      }
      const left = Math.min(deadline - Date.now(), this.queue.length > 0 ? firstSeen + o.lingerMs - Date.now() : Infinity);
      if (left <= 0) {
        if (this.queue.length > 0) return this.take();
        return undefined;
      }
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, Math.min(left, 1000));
        this.wake = () => {
          clearTimeout(t);
          resolve();
        };
      });
      this.wake = undefined;
    }
  }

  /** Takes up to `batchBytes` of queued records of the first queued record's topic. */
  private take(): RecordBlock {
    const topic = (this.queue[0] as Message).topic;
    const records: KafkaRecordIn[] = [];
    const rest: Array<Message<Buffer, Buffer, Buffer, Buffer>> = [];
    let bytes = 0;
    for (const m of this.queue) {
      if (m.topic !== topic || (bytes >= this.options.batchBytes && records.length > 0)) {
        rest.push(m);
        continue;
      }
      const n = m.value?.length ?? 0;
      bytes += n + 1;
      this.queuedBytes -= n + 64;
      records.push(m); // a message is a KafkaRecordIn: no copy
      this.leaderEpochs.set(key(m.topic, m.partition), m.leaderEpoch);
    }
    this.queue = rest;
    if (this.paused && this.queuedBytes < QUEUE_LIMIT_BYTES / 2) {
      this.paused = false;
      this.stream?.resume();
    }
    const block = RecordBlock.build(topic, ++this.seq, records);
    if (block.issues.empty > 0) this.observer.oddRecords?.('empty', block.issues.empty);
    if (block.issues.invalidUtf8 > 0) {
      this.observer.oddRecords?.('invalid_utf8', block.issues.invalidUtf8);
      this.reporter.warn(`kafka: ${block.issues.invalidUtf8} record(s) with invalid UTF-8 (${block.issues.invalidAt.join(', ')}${block.issues.invalidUtf8 > block.issues.invalidAt.length ? ', …' : ''}): scanned as bytes; their hits show U+FFFD for the bad bytes`);
    }
    return block;
  }

  /** Records up to byte `end` of `block` reached the sink (not yet confirmed delivered). */
  handOver(block: RecordBlock, end: number): void {
    block.handOver(end, (partition, offset) => {
      const k = key(block.topic, partition);
      const next = offset + 1n;
      const h = this.handed.get(k);
      if (!h) this.handed.set(k, { topic: block.topic, partition, offset: next });
      else if (next > h.offset) h.offset = next;
    });
  }

  /** True when a commit is due (the interval passed, or a rebalance was announced). */
  commitDue(): boolean {
    return this.commitSoon || Date.now() - this.lastCommit >= this.options.commitIntervalMs;
  }

  /**
   * Commits what was handed over, after `deliver` (the sink's sync) resolved.
   * Only partitions assigned to this member now are committed. A failed
   * commit (a rebalance under way, the broker away) is reported once and
   * tried again at the next commit.
   */
  async commit(deliver: () => Promise<void>): Promise<void> {
    this.commitSoon = false;
    this.lastCommit = Date.now();
    const consumer = this.consumer;
    const offsets: Array<{ topic: string; partition: number; offset: bigint; leaderEpoch: number }> = [];
    for (const [k, h] of this.handed) {
      if (!this.assignedKeys.has(k)) continue;
      if ((this.committed.get(k) ?? -1n) >= h.offset) continue;
      offsets.push({ topic: h.topic, partition: h.partition, offset: h.offset, leaderEpoch: this.leaderEpochs.get(k) ?? -1 });
    }
    await deliver();
    if (offsets.length === 0 || !consumer) return;
    try {
      await consumer.commit({ offsets });
      for (const x of offsets) {
        const k = key(x.topic, x.partition);
        if ((this.committed.get(k) ?? -1n) < x.offset) this.committed.set(k, x.offset);
      }
      this.observer.committed?.(offsets.length);
      if (this.commitWarned) this.reporter.info('kafka: offsets are committed again');
      this.commitWarned = false;
    } catch (err) {
      this.observer.commitFailed?.();
      if (!this.commitWarned) this.reporter.warn(this.say(`kafka: committing offsets failed (${rootCauses(err)}); what was read is committed later or read again by the partition's next owner`));
      this.commitWarned = true;
    }
  }

  /** The offsets committed by this member (for the summary and tests). */
  committedOffsets(): Map<string, bigint> {
    return new Map(this.committed);
  }

  /** Leaves the group: fetching stops; nothing is committed here (commit first). */
  async close(): Promise<void> {
    this.closed = true;
    this.wake?.();
    await this.restarting;
    const consumer = this.consumer;
    if (!consumer) return;
    try {
      consumer.stopLagMonitoring();
    } catch {
      // not started
    }
    await this.stream?.close().catch(() => undefined);
    await consumer.close(true).catch(() => undefined);
  }
}
