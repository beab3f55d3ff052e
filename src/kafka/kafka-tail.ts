/**
 * `iochunt tail --kafka-*`: one worker of a consumer group. Records of the
 * input topics are joined into line-aligned blocks ({@link RecordBlock}) and
 * go through the one search pipeline (engine → hit lines → formats →
 * documents → sink) as planned inputs; each block's hits reach the sink
 * before the block is reported done, and offsets are committed per partition
 * only after the sink confirmed delivery ({@link KafkaGroupInput.commit}).
 *
 * Documents carry `kafka.topic`, `kafka.partition` and `kafka.offset`
 * instead of `log.file.path` (`log.offset` is the line's byte offset inside
 * the record's value), and their ids come from those coordinates, so a
 * record read twice (after a crash or a rebalance) is indexed once.
 *
 * Indicators are reloaded beside the running set on SIGHUP or a change of a
 * feed file, and swapped in between two blocks: the search over the running
 * set ends after the block in hand, and the next block is scanned with the
 * new set. Records delivered before are not retro-hunted.
 */
import { performance } from 'node:perf_hooks';
import type { Server } from 'node:http';
import { IochuntError } from '../errors.js';
import { loadAllowlist, type Allowlist } from '../filters/allowlist.js';
import { openScanRefiner } from '../formats/open-format.js';
import { IndicatorSetSnapshots } from '../indicators/indicator-set.js';
import { SetReloader, type ActiveSet } from '../follow/active-set.js';
import { handleSignals } from '../follow/shutdown.js';
import { openAppendedOutput } from '../output/appended-output.js';
import type { HitDocument } from '../output/hit-document.js';
import type { HitSink } from '../output/sink.js';
import { TeeSink } from '../output/tee-sink.js';
import { metricsUrl, serveMetrics, TailMetrics, type ListenAddress } from '../metrics/tail-metrics.js';
import type { Reporter } from '../report.js';
import { search, type SearchInput } from '../search/search.js';
import { scanRefiner } from '../commands/scan-refine.js';
import type { ScanOptions } from '../commands/scan.js';
import type { EsOutput } from '../commands/es-output.js';
import { rootCauses } from './client.js';
import { KafkaGroupInput } from './group-input.js';
import { KafkaHitsSink } from './hits-producer.js';
import { KafkaMetrics } from './kafka-metrics.js';
import { redactKafka, type KafkaOptions } from './kafka-options.js';
import type { RecordBlock } from './record-block.js';

/** Bytes of a topic's first records given to log-format detection. */
const HEAD_BYTES = 64 * 1024;
/** Feeds are checked for changes this often. */
const FEED_CHECK_MS = 1000;
/** A sink that has not confirmed delivery for this long makes /readyz fail. */
const SINK_STUCK_MS = 30_000;

/** Options of a Kafka worker: scan's, plus the few of `tail` that apply. */
export interface KafkaTailOptions extends ScanOptions {
  readonly kafka: KafkaOptions;
  /** Indicator-set snapshots are kept beside this path (`STATE.sets`). */
  readonly statePath: string;
  readonly shutdownTimeoutMs: number;
  readonly metricsListen?: ListenAddress;
}

/** Serialises writes and syncs of a sink: a commit's sync never runs in the middle of a write. */
function serialSink(inner: HitSink): HitSink {
  let chain: Promise<unknown> = Promise.resolve();
  const run = <T>(f: () => Promise<T>): Promise<T> => {
    const p = chain.then(f, f);
    chain = p.catch(() => undefined);
    return p;
  };
  return {
    get gone() {
      return inner.gone;
    },
    write: (docs) => run(() => inner.write(docs)),
    flush: () => run(() => inner.flush()),
    sync: () => run(() => (inner.sync ? inner.sync() : inner.flush())),
    close: () => run(() => inner.close()),
  };
}

/** Runs a Kafka worker until SIGTERM/SIGINT; returns the exit code. */
export async function runKafkaTail(options: KafkaTailOptions, reporter: Reporter): Promise<number> {
  const es: EsOutput | undefined = options.es ? await (await import('../commands/es-output.js')).openEsOutput(options.es, options.esDeadLetter, reporter) : undefined;
  try {
    return await new KafkaTail(options, reporter, es).run();
  } finally {
    await es?.client.close();
  }
}

class KafkaTail {
  private readonly metrics = new TailMetrics();
  private readonly kafkaMetrics = new KafkaMetrics(this.metrics);
  private readonly snapshots: IndicatorSetSnapshots;
  private readonly interrupt = new AbortController();
  /** The running indicator set and the one loaded beside it (swapped in between two searches). */
  private readonly sets: SetReloader;
  private set: ActiveSet | undefined;
  private readonly heads = new Map<string, Buffer>();
  /** Blocks whose hits may still be in the pipeline, by their path. */
  private readonly blocks = new Map<string, RecordBlock>();
  private syncingSince: number | undefined;
  private server: Server | undefined;
  private readonly input: KafkaGroupInput;
  private readonly totals = { records: 0, bytes: 0, hitLines: 0, errors: 0 };

  constructor(
    private readonly options: KafkaTailOptions,
    private readonly reporter: Reporter,
    private readonly es: EsOutput | undefined,
  ) {
    this.snapshots = new IndicatorSetSnapshots(`${options.statePath}.sets`);
    this.sets = new SetReloader(options, this.snapshots, reporter, this.metrics, this.interrupt.signal);
    this.input = new KafkaGroupInput(options.kafka, reporter, this.kafkaMetrics.observer());
  }

  async run(): Promise<number> {
    const { options, reporter } = this;
    const k = options.kafka;
    if (k.tls?.insecure) reporter.warn('--kafka-insecure: the TLS certificates of the Kafka brokers are not verified');
    this.set = await this.sets.start();
    this.metrics.setIndicators(this.set.counts);
    const { jsonl } = openAppendedOutput(options.output, [...options.iocs, ...(options.allow ?? [])], this.es?.deadLetter.path);
    const hits = k.hitsTopic ? await KafkaHitsSink.open(k) : undefined;
    const sinks = [jsonl, this.es?.sink, hits].filter((s): s is HitSink => s !== undefined);
    const inner = this.metrics.countingSink(sinks.length === 1 ? (sinks[0] as HitSink) : new TeeSink(sinks));
    if (this.es) this.metrics.watchEs(this.es.sink.stats);
    const sink = serialSink(inner);
    const allowlist = options.allow && options.allow.length > 0 ? await loadAllowlist(options.allow, reporter) : undefined;
    if (options.metricsListen) {
      this.server = await serveMetrics(this.metrics, { notReady: () => this.notReady() }, options.metricsListen);
      reporter.info(`metrics on ${metricsUrl(this.server)} (/healthz, /readyz)`);
    }
    const removeSignals = handleSignals({
      reporter,
      timeoutMs: options.shutdownTimeoutMs,
      stopping: 'no more records are read; delivering what was read and committing',
      keeps: 'the group keeps the last commit',
      rereadAfter: 'what was read after it is read again',
      stop: () => {
        this.es?.sink.hurry(Math.max(1000, options.shutdownTimeoutMs - 2000));
        this.interrupt.abort();
      },
      reload: () => this.sets.reload('SIGHUP'),
    });
    const feedTimer = setInterval(() => void this.sets.check(), FEED_CHECK_MS);
    feedTimer.unref();
    const deliver = async (): Promise<void> => {
      this.syncingSince = performance.now();
      try {
        await sink.sync?.();
      } finally {
        this.syncingSince = undefined;
      }
    };
    try {
      // A broker that cannot be reached is waited for; SIGTERM still ends the wait.
      const aborted = new Promise<'abort'>((resolve) => this.interrupt.signal.addEventListener('abort', () => resolve('abort'), { once: true }));
      const started = this.input.start().catch((err: unknown) => {
        throw new IochuntError('E_INPUT', this.redact(`kafka: cannot join group ${k.group} on ${k.brokers.join(',')}: ${rootCauses(err)}`), { cause: err });
      });
      started.catch(() => undefined);
      if ((await Promise.race([started, aborted])) === 'abort') return await this.finishEarly(sink);
      reporter.info(`kafka: joined group ${k.group} on ${k.brokers.join(',')} for ${k.topics.join(', ')} (from ${k.from} where the group has no offset)`);
      while (!this.interrupt.signal.aborted) {
        this.swapIfReady();
        await this.searchUntilSwap(this.set as ActiveSet, sink, allowlist, deliver);
        await this.input.commit(deliver);
      }
      await this.input.commit(deliver);
    } catch (err) {
      await sink.close().catch(() => undefined);
      throw err;
    } finally {
      clearInterval(feedTimer);
      removeSignals();
      await this.input.close();
      this.server?.close();
      this.sets.close();
    }
    await sink.close();
    if (options.summary) {
      reporter.info(`stopped: ${this.totals.records} record(s), ${(this.totals.bytes / 1e6).toFixed(1)} MB scanned, ${this.totals.hitLines} hit line(s)` + (hits ? `; ${hits.produced} hit(s) produced to ${k.hitsTopic}` : ''));
      if (this.es) reporter.info(this.es.summary());
    }
    if (this.es && this.es.sink.stats.deadLettered > 0) reporter.error(`${this.es.sink.stats.deadLettered} hit(s) were not indexed; they are in ${this.es.deadLetter.path} with the reason`);
    return 0;
  }

  /** SIGTERM before the group was joined: nothing was read, nothing to commit. */
  private async finishEarly(sink: HitSink): Promise<number> {
    await sink.close();
    return 0;
  }

  /** One search over blocks of records with `set`, until a new set is ready or the run stops. */
  private async searchUntilSwap(set: ActiveSet, sink: HitSink, allowlist: Allowlist | undefined, deliver: () => Promise<void>): Promise<void> {
    const { options, input } = this;
    const now = Date.now();
    const timestamp = new Date(now).toISOString();
    const filters = scanRefiner(set.store, { ...options, ...(allowlist ? { allowlist } : {}) }, now);
    const formatOptions = {
      timezone: options.timezone ?? 'UTC',
      ...(options.format ? { format: options.format } : {}),
      ...(options.vpcflowFields ? { vpcflowFields: options.vpcflowFields } : {}),
    };
    const stop = (): boolean => this.interrupt.signal.aborted || this.sets.staged;
    const self = this;
    async function* inputs(): AsyncGenerator<SearchInput> {
      for (;;) {
        if (stop()) return;
        const block = await input.nextBlock(1000, stop);
        if (!block) {
          // Idle, a rebalance announced, or stopping: deliver and commit what was read.
          if (input.commitDue()) await input.commit(deliver);
          continue;
        }
        self.totals.records += block.count;
        let head = self.heads.get(block.topic);
        if (!head) {
          head = Buffer.from(block.buf.subarray(0, HEAD_BYTES));
          self.heads.set(block.topic, head);
        }
        self.blocks.set(block.path, block);
        const buf = block.buf;
        yield {
          path: block.path,
          tag: block,
          head: { bytes: head, complete: false },
          open: async () => ({
            path: block.path,
            compression: 'none',
            start: 0,
            chunks: (async function* () {
              yield buf;
            })(),
            bytesRead: () => buf.length,
            close: () => undefined,
          }),
        };
      }
    }
    // Documents get the record's coordinates (and, without an event time, the record's time).
    const decorate = (docs: readonly HitDocument[]): void => {
      for (const doc of docs) {
        const block = this.blocks.get(doc.log.file.path);
        if (!block) continue;
        const c = block.locate(doc.log.offset);
        const log = doc.log as Record<string, unknown>;
        delete log.file;
        log.offset = c.inRecord;
        (doc as Record<string, unknown>).kafka = { topic: c.topic, partition: c.partition, offset: Number(c.offset) };
        if (doc['@timestamp'] === timestamp && c.timestamp > 0n) doc['@timestamp'] = new Date(Number(c.timestamp)).toISOString();
      }
    };
    const decorating: HitSink = {
      get gone() {
        return sink.gone;
      },
      write: async (docs) => {
        decorate(docs);
        this.totals.hitLines += docs.length;
        await sink.write(docs);
      },
      flush: () => sink.flush(),
      sync: () => (sink.sync ? sink.sync() : sink.flush()),
      close: async () => undefined,
    };
    const stats = await search([], {
      inputs: inputs(),
      signal: this.interrupt.signal,
      engine: set.engine,
      store: set.store,
      sink: decorating,
      reporter: this.reporter,
      maxLineBytes: options.maxLineBytes,
      concurrency: options.threads,
      timestamp,
      documentFields: { iochunt: { match: { kind: 'live' } } },
      ...(filters.refine ? { refine: filters.refine } : {}),
      inputRefiner: (head) => {
        const topic = this.blocks.get(head.path)?.topic;
        const format = topic !== undefined ? options.kafka.formats.get(topic) : undefined;
        return openScanRefiner(head, format ? { ...formatOptions, format } : formatOptions);
      },
      // Records are handed over per whole block of records (one planned input), never per piece of
      // one: a log-format parser may hold a hit line back until the end of the input.
      onBlockDone: async (_tag, _end, block) => {
        this.totals.bytes += block.length;
        this.metrics.bytesRead.inc({ kind: 'live' }, block.length);
        if (input.commitDue()) await input.commit(deliver);
      },
      onInputDone: (tag, error) => {
        const b = tag as RecordBlock;
        if (error === undefined) input.handOver(b, b.buf.length);
        else this.totals.errors++;
        this.blocks.delete(b.path);
      },
    });
    this.metrics.inputErrors.inc(stats.errors);
  }

  private notReady(): string | undefined {
    if (this.interrupt.signal.aborted) return 'shutting down';
    if (!this.set) return 'indicators not loaded';
    if (!this.input.hasPartitions) return 'no Kafka partitions assigned to this member yet';
    if (this.syncingSince !== undefined && performance.now() - this.syncingSince > SINK_STUCK_MS) return `the outputs have not confirmed delivery for ${Math.round((performance.now() - this.syncingSince) / 1000)} s`;
    return undefined;
  }

  private swapIfReady(): void {
    const swapped = this.sets.swap();
    if (!swapped) return;
    const { set: next, old } = swapped;
    this.set = next;
    this.metrics.setIndicators(next.counts);
    this.reporter.info(`indicators reloaded: ${next.store.size} (set ${next.id.slice(0, 12)}, was ${old?.id.slice(0, 12) ?? '-'}); records read from now on are scanned with it`);
    old?.engine.close();
  }

  /** Removes Kafka secrets from a message. */
  redact(text: string): string {
    return redactKafka(text, this.options.kafka.secrets);
  }
}
