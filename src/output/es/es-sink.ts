/**
 * Hits into Elasticsearch with the bulk API, at least once, never twice.
 *
 * - Each hit becomes a `create` action with the id of {@link hitId}: a
 *   retried request or a second run over the same logs cannot make a second
 *   document; Elasticsearch answers 409 for the copy, counted as a duplicate
 *   (already delivered).
 * - Documents are gathered in batches bounded by bytes, documents and time.
 *   At most `concurrency` bulk requests are in flight; when all are busy,
 *   {@link ElasticsearchSink.write} waits, and so does the scan (backpressure).
 *   Memory held here stays under (concurrency + 2) batches, whatever the input.
 * - A request that gets no answer, a timeout, 429 or a 5xx is sent again after
 *   an exponential backoff with jitter. A 200 reply with `errors: true` is a
 *   partial failure: only its items with 429 or 5xx are sent again. Items
 *   refused for good (a mapping conflict, a missing pipeline) go to the
 *   dead-letter file with their error, as do items still failing when
 *   `retryForMs` has passed. 413 (request too large) splits the batch.
 * - 401 or 403 on a bulk request stops delivery: what is not delivered is
 *   dead-lettered and the next write throws.
 */
import type { Client } from '@elastic/elasticsearch';
import { errors } from '@elastic/elasticsearch';
import { IochuntError } from '../../errors.js';
import type { Reporter } from '../../report.js';
import type { HitDocument } from '../hit-document.js';
import type { HitSink } from '../sink.js';
import type { DeadLetterFile, DeadLetterReason } from './dead-letter.js';
import { describeEsError, ElasticsearchError, isRetryable } from './es-client.js';
import { redact, type EsConfig } from './es-config.js';
import { hitId } from './hit-id.js';

/** What happened to the hits handed to the sink. */
export interface EsDeliveryStats {
  /** Documents Elasticsearch created. */
  indexed: number;
  /** Documents it already had (409 on create): delivered by an earlier request or run. */
  duplicates: number;
  /** Item re-sends after 429, 5xx, timeouts or lost connections. */
  retried: number;
  /** Documents written to the dead-letter file. */
  deadLettered: number;
  /** Bulk requests sent (first tries and retries). */
  requests: number;
}

interface Item {
  readonly id: string;
  /** The document as JSON. */
  readonly source: string;
  /** Bytes of the action and source lines with their newlines. */
  readonly bytes: number;
}

interface BulkItemResult {
  status: number;
  error?: { type?: string; reason?: string; caused_by?: { type?: string; reason?: string } };
}

/**
 * Exponential backoff with "equal jitter": half of the capped exponential
 * delay is fixed, the other half random, so that clients that failed together
 * do not retry together, and no retry comes immediately.
 */
export function backoffDelay(attempt: number, minMs: number, maxMs: number, random: () => number = Math.random): number {
  const cap = Math.min(maxMs, minMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(cap / 2 + random() * (cap / 2));
}

/** Test seams: time and randomness. */
export interface EsSinkHooks {
  readonly random?: () => number;
  readonly sleep?: (ms: number) => Promise<void>;
}

const defaultSleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Warnings about a failing cluster are printed at most this often. */
const WARN_EVERY_MS = 10_000;

export class ElasticsearchSink implements HitSink {
  readonly stats: EsDeliveryStats = { indexed: 0, duplicates: 0, retried: 0, deadLettered: 0, requests: 0 };
  private items: Item[] = [];
  private bytes = 0;
  private timer: NodeJS.Timeout | undefined;
  private inFlight = 0;
  private slotWaiters: Array<() => void> = [];
  private readonly tasks = new Set<Promise<void>>();
  private fatal: IochuntError | undefined;
  private lastWarn = 0;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly random: () => number;

  constructor(
    private readonly client: Client,
    private readonly config: EsConfig,
    private readonly deadLetter: DeadLetterFile,
    private readonly reporter: Reporter,
    hooks: EsSinkHooks = {},
  ) {
    this.sleep = hooks.sleep ?? defaultSleep;
    this.random = hooks.random ?? Math.random;
  }

  /** Never gone: a refusing cluster makes {@link write} throw instead. */
  get gone(): boolean {
    return false;
  }

  private throwIfFatal(): void {
    if (this.fatal) throw this.fatal;
  }

  async write(docs: readonly HitDocument[]): Promise<void> {
    this.throwIfFatal();
    const { batchBytes, batchDocs } = this.config.limits;
    for (const doc of docs) {
      const id = hitId(doc);
      const source = JSON.stringify(doc);
      // ids are base64url: nothing to escape.
      // `{"create":{"_id":"` + id + `"}}` and a newline, then the source and a newline.
      const bytes = 22 + id.length + 1 + Buffer.byteLength(source) + 1;
      if (this.items.length > 0 && this.bytes + bytes > batchBytes) await this.dispatch();
      this.items.push({ id, source, bytes });
      this.bytes += bytes;
      if (this.items.length === 1) this.startTimer();
      if (this.items.length >= batchDocs || this.bytes >= batchBytes) await this.dispatch();
      this.throwIfFatal();
    }
  }

  private startTimer(): void {
    this.timer = setTimeout(() => {
      this.timer = undefined;
      // A batch that waited flushMs goes now; errors surface on the next write or close.
      void this.dispatch().catch(() => undefined);
    }, this.config.limits.flushMs);
    this.timer.unref();
  }

  private async acquire(): Promise<void> {
    while (this.inFlight >= this.config.limits.concurrency) {
      await new Promise<void>((resolve) => this.slotWaiters.push(resolve));
    }
    this.inFlight++;
  }

  private release(): void {
    this.inFlight--;
    this.slotWaiters.shift()?.();
  }

  /** Sends the current batch once a request slot is free. */
  private async dispatch(): Promise<void> {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    if (this.items.length === 0) return;
    const batch = this.items;
    this.items = [];
    this.bytes = 0;
    if (this.fatal) {
      this.toDeadLetter(batch, { type: 'aborted', reason: this.fatal.message });
      return;
    }
    await this.acquire();
    const task: Promise<void> = this.deliver(batch)
      .catch((err: unknown) => {
        // deliver() handles request errors; this is a dead-letter file that cannot be written.
        this.fatal ??= err instanceof IochuntError ? err : new IochuntError('E_OUTPUT', String((err as Error)?.message ?? err), { cause: err });
      })
      .finally(() => {
        this.release();
        this.tasks.delete(task);
      });
    this.tasks.add(task);
  }

  private toDeadLetter(items: readonly Item[], reason: DeadLetterReason): void {
    if (items.length === 0) return;
    this.deadLetter.add(items, this.config.index, { ...reason, reason: redact(reason.reason, this.config.secrets) });
    this.stats.deadLettered += items.length;
  }

  private warn(message: string): void {
    const now = Date.now();
    if (now - this.lastWarn < WARN_EVERY_MS) return;
    this.lastWarn = now;
    this.reporter.warn(redact(message, this.config.secrets));
  }

  /** Delivers `batch` until every item is created, already there, or dead-lettered. */
  private async deliver(batch: readonly Item[]): Promise<void> {
    const { retryForMs, minBackoffMs, maxBackoffMs, requestTimeoutMs } = this.config.limits;
    const started = Date.now();
    let pending: readonly Item[] = batch;
    let attempt = 0;
    while (pending.length > 0) {
      if (this.fatal) {
        this.toDeadLetter(pending, { type: 'aborted', reason: `delivery stopped: ${this.fatal.message}` });
        return;
      }
      let retry: Item[] = [];
      let why = '';
      try {
        this.stats.requests++;
        const body = pending.map((i) => `{"create":{"_id":"${i.id}"}}\n${i.source}\n`).join('');
        const res = await this.client.bulk(
          {
            index: this.config.index,
            // A pre-serialised NDJSON body: the client sends strings as they are.
            operations: body as unknown as never[],
            ...(this.config.pipeline !== undefined ? { pipeline: this.config.pipeline } : {}),
          },
          { requestTimeout: requestTimeoutMs, maxRetries: 0 },
        );
        const results = res.items.map((entry) => Object.values(entry)[0] as BulkItemResult | undefined);
        const refused = new Map<string, { reason: DeadLetterReason; items: Item[] }>();
        pending.forEach((item, i) => {
          const r = results[i];
          if (!r) {
            retry.push(item);
            why = 'the bulk reply lacked an item';
            return;
          }
          if (r.status >= 200 && r.status < 300) this.stats.indexed++;
          else if (r.status === 409) this.stats.duplicates++;
          else if (r.status === 429 || r.status >= 500) {
            retry.push(item);
            // Rejection reasons name thread pool internals at length: the start is enough.
            why = `item ${r.status} ${r.error?.type ?? ''}: ${(r.error?.reason ?? '').slice(0, 120)}`;
          } else {
            const type = r.error?.type ?? 'error';
            const reason = [r.error?.reason, r.error?.caused_by?.reason].filter(Boolean).join(': ') || `HTTP ${r.status}`;
            const key = `${r.status}\0${type}\0${reason}`;
            const group = refused.get(key) ?? { reason: { status: r.status, type, reason }, items: [] };
            group.items.push(item);
            refused.set(key, group);
          }
        });
        for (const g of refused.values()) {
          this.toDeadLetter(g.items, g.reason);
          this.warn(`Elasticsearch refused ${g.items.length} hit(s) (${g.reason.status} ${g.reason.type}: ${g.reason.reason.slice(0, 200)}); written to ${this.deadLetter.path}`);
        }
      } catch (err) {
        const status = err instanceof errors.ResponseError ? err.statusCode : undefined;
        if (status === 401 || status === 403) {
          this.fatal ??= new ElasticsearchError(
            redact(`Elasticsearch refused to take hits into ${this.config.index}: ${describeEsError(err)}`, this.config.secrets),
            status,
            { cause: err },
          );
          this.toDeadLetter(pending, { status, type: 'refused', reason: describeEsError(err) });
          return;
        }
        if (status === 413 && pending.length > 1) {
          // Too large for the cluster's http.max_content_length: halves, one after the other.
          const half = Math.ceil(pending.length / 2);
          await this.deliver(pending.slice(0, half));
          await this.deliver(pending.slice(half));
          return;
        }
        if (!isRetryable(err)) {
          this.toDeadLetter(pending, { ...(status !== undefined ? { status } : {}), type: 'request_failed', reason: describeEsError(err) });
          this.warn(`a bulk request to Elasticsearch failed (${describeEsError(err)}); its ${pending.length} hit(s) written to ${this.deadLetter.path}`);
          return;
        }
        retry = [...pending];
        why = describeEsError(err);
      }
      if (retry.length === 0) return;
      const waited = Date.now() - started;
      if (waited >= retryForMs) {
        this.toDeadLetter(retry, { type: 'retry_timeout', reason: `not delivered after ${Math.round(waited / 1000)} s of retries; last error: ${why}` });
        this.warn(`gave up on ${retry.length} hit(s) after ${Math.round(waited / 1000)} s of retries (${why}); written to ${this.deadLetter.path}`);
        return;
      }
      // Backoff grows while nothing gets through, and eases when part of a request did.
      attempt = retry.length < pending.length ? Math.max(1, attempt - 1) : attempt + 1;
      this.stats.retried += retry.length;
      const delay = Math.min(backoffDelay(attempt, minBackoffMs, maxBackoffMs, this.random), Math.max(0, retryForMs - waited));
      this.warn(`Elasticsearch did not take ${retry.length} hit(s) (${why}); retrying with backoff (attempt ${attempt}, next in ${(delay / 1000).toFixed(1)} s)`);
      await this.sleep(delay);
      pending = retry;
    }
  }

  /** Sends the current batch and waits for every request, retries included. */
  async flush(): Promise<void> {
    await this.dispatch();
    while (this.tasks.size > 0) await Promise.all([...this.tasks]);
    this.throwIfFatal();
  }

  /** Flushes, closes the dead-letter file, and throws when delivery was stopped. */
  async close(): Promise<void> {
    try {
      await this.dispatch();
      while (this.tasks.size > 0) await Promise.all([...this.tasks]);
    } finally {
      if (this.timer) clearTimeout(this.timer);
      this.deadLetter.close();
    }
    this.throwIfFatal();
  }
}
