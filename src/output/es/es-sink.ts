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
 * - 401 or 403 on a bulk request stops delivery: what is not delivered, and
 *   every hit written after, is dead-lettered, and the write throws.
 * - {@link ElasticsearchSink.hurry} (a first SIGINT/SIGTERM) cuts retries short;
 *   {@link ElasticsearchSink.abandon} (a second one) dead-letters everything
 *   not yet delivered at once.
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
  /** Hits neither delivered nor written to the dead-letter file (it could not be written). */
  lost: number;
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
  readonly stats: EsDeliveryStats = { indexed: 0, duplicates: 0, retried: 0, deadLettered: 0, requests: 0, lost: 0 };
  private items: Item[] = [];
  private bytes = 0;
  private timer: NodeJS.Timeout | undefined;
  /** A batch the flush timer took out, waiting for a request slot: writes wait for it (backpressure). */
  private timerDispatch: Promise<void> | undefined;
  private inFlight = 0;
  private slotWaiters: Array<() => void> = [];
  private readonly tasks = new Set<Promise<void>>();
  /** Items not yet delivered, per batch taken out of {@link items} (waiting for a slot or in flight). */
  private readonly undelivered = new Set<{ items: readonly Item[] }>();
  private fatal: IochuntError | undefined;
  private lastWarn = 0;
  /** After {@link hurry}: no retry goes on past this time. */
  private hurryUntil: number | undefined;
  private readonly sleepers = new Set<() => void>();
  private abandoned = false;
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

  private static item(doc: HitDocument): Item {
    const id = hitId(doc);
    const source = JSON.stringify(doc);
    // `{"create":{"_id":"` + id + `"}}` and a newline (ids are base64url: nothing to escape), then the source and a newline.
    return { id, source, bytes: 22 + id.length + 1 + Buffer.byteLength(source) + 1 };
  }

  /** Once delivery has stopped: the open batch and `extra` go to the dead-letter file. */
  private deadLetterUnsent(fatal: IochuntError, extra: readonly Item[] = []): void {
    const rest = [...this.items, ...extra];
    this.items = [];
    this.bytes = 0;
    this.toDeadLetter(rest, { type: 'aborted', reason: `delivery stopped: ${fatal.message}` });
  }

  /** Once delivery has stopped: the documents go to the dead-letter file, and the write throws. */
  private refuseAfterFatal(docs: readonly HitDocument[], fatal: IochuntError): never {
    this.deadLetterUnsent(
      fatal,
      docs.map((d) => ElasticsearchSink.item(d)),
    );
    throw fatal;
  }

  async write(docs: readonly HitDocument[]): Promise<void> {
    const { batchBytes, batchDocs } = this.config.limits;
    for (let i = 0; i < docs.length; i++) {
      if (this.timerDispatch) await this.timerDispatch;
      if (this.fatal) this.refuseAfterFatal(docs.slice(i), this.fatal);
      const item = ElasticsearchSink.item(docs[i] as HitDocument);
      if (this.items.length > 0 && this.bytes + item.bytes > batchBytes) await this.dispatch();
      this.items.push(item);
      this.bytes += item.bytes;
      if (this.items.length === 1) this.startTimer();
      if (this.items.length >= batchDocs || this.bytes >= batchBytes) await this.dispatch();
    }
    if (this.fatal) this.refuseAfterFatal([], this.fatal);
  }

  private startTimer(): void {
    this.timer = setTimeout(() => {
      this.timer = undefined;
      // A batch that waited flushMs goes now. Until it has a request slot,
      // writes wait for it: the timer cannot pile batches up.
      const p = this.dispatch()
        .catch(() => undefined)
        .finally(() => {
          if (this.timerDispatch === p) this.timerDispatch = undefined;
        });
      this.timerDispatch = p;
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
    const entry = { items: batch as readonly Item[] };
    this.undelivered.add(entry);
    await this.acquire();
    const task: Promise<void> = this.deliver(entry, Date.now())
      .catch((err: unknown) => {
        // deliver() handles request errors: this is a bug; keep the hits.
        this.fatal ??= err instanceof IochuntError ? err : new IochuntError('E_INTERNAL', String((err as Error)?.message ?? err), { cause: err });
        this.toDeadLetter(entry.items, { type: 'aborted', reason: this.fatal.message });
      })
      .finally(() => {
        this.undelivered.delete(entry);
        this.release();
        this.tasks.delete(task);
      });
    this.tasks.add(task);
  }

  /** Dead-letters `items`; when the file cannot be written, counts them as lost and stops delivery. */
  private toDeadLetter(items: readonly Item[], reason: DeadLetterReason): void {
    if (items.length === 0) return;
    try {
      this.deadLetter.add(items, this.config.index, { ...reason, reason: redact(reason.reason, this.config.secrets) });
      this.stats.deadLettered += items.length;
    } catch (err) {
      this.stats.lost += items.length;
      const e = err instanceof IochuntError ? err : new IochuntError('E_OUTPUT', String(err), { cause: err });
      if (!this.fatal) {
        this.fatal = e;
        this.reporter.error(`${e.message}; ${items.length} hit(s) refused by Elasticsearch are lost`);
      }
    }
  }

  private warn(message: string): void {
    const now = Date.now();
    if (now - this.lastWarn < WARN_EVERY_MS) return;
    this.lastWarn = now;
    // Redact first, then cut: a cut must not leave the start of a secret.
    this.reporter.warn(redact(message, this.config.secrets).slice(0, 600));
  }

  /** Waits `ms`, or less when {@link hurry} or {@link abandon} is called. */
  private async nap(ms: number): Promise<void> {
    let wake: () => void = () => undefined;
    const woken = new Promise<void>((resolve) => {
      wake = resolve;
    });
    this.sleepers.add(wake);
    try {
      await Promise.race([this.sleep(ms), woken]);
    } finally {
      this.sleepers.delete(wake);
    }
  }

  /**
   * Delivers `entry.items` until every item is created, already there, or
   * dead-lettered; `entry.items` always holds what is not delivered yet.
   */
  private async deliver(entry: { items: readonly Item[] }, started: number): Promise<void> {
    const { retryForMs, minBackoffMs, maxBackoffMs, requestTimeoutMs } = this.config.limits;
    let attempt = 0;
    while (entry.items.length > 0) {
      const pending = entry.items;
      if (this.abandoned) return;
      if (this.fatal) {
        this.toDeadLetter(pending, { type: 'aborted', reason: `delivery stopped: ${this.fatal.message}` });
        entry.items = [];
        return;
      }
      let res: Awaited<ReturnType<Client['bulk']>> | undefined;
      let failure: unknown;
      this.stats.requests++;
      try {
        const body = pending.map((i) => `{"create":{"_id":"${i.id}"}}\n${i.source}\n`).join('');
        res = await this.client.bulk(
          {
            index: this.config.index,
            // A pre-serialised NDJSON body: the client sends strings as they are.
            operations: body as unknown as never[],
            ...(this.config.pipeline !== undefined ? { pipeline: this.config.pipeline } : {}),
          },
          { requestTimeout: requestTimeoutMs, maxRetries: 0 },
        );
      } catch (err) {
        failure = err;
      }
      if (this.abandoned) return;
      let retry: Item[] = [];
      let why = '';
      if (res) {
        const results = res.items.map((e) => Object.values(e)[0] as BulkItemResult | undefined);
        const refused = new Map<string, { reason: DeadLetterReason; items: Item[] }>();
        pending.forEach((item, i) => {
          const r = results[i];
          if (!r) {
            retry.push(item);
            why = 'the bulk reply lacked an item';
          } else if (r.status >= 200 && r.status < 300) this.stats.indexed++;
          else if (r.status === 409) this.stats.duplicates++;
          else if (r.status === 429 || r.status >= 500) {
            retry.push(item);
            why = `item ${r.status} ${r.error?.type ?? ''}: ${r.error?.reason ?? ''}`;
          } else {
            const type = r.error?.type ?? 'error';
            const reason = [r.error?.reason, r.error?.caused_by?.reason].filter(Boolean).join(': ') || `HTTP ${r.status}`;
            const key = `${r.status}\0${type}\0${reason}`;
            const group = refused.get(key) ?? { reason: { status: r.status, type, reason }, items: [] };
            group.items.push(item);
            refused.set(key, group);
          }
        });
        entry.items = retry;
        for (const g of refused.values()) {
          this.toDeadLetter(g.items, g.reason);
          this.warn(`Elasticsearch refused ${g.items.length} hit(s) (${g.reason.status} ${g.reason.type}: ${g.reason.reason}); written to ${this.deadLetter.path}`);
        }
      } else {
        const err = failure;
        const status = err instanceof errors.ResponseError ? err.statusCode : undefined;
        if (status === 401 || status === 403) {
          this.fatal ??= new ElasticsearchError(
            redact(`Elasticsearch refused to take hits into ${this.config.index}: ${describeEsError(err)}`, this.config.secrets),
            status,
            { cause: err },
          );
          this.toDeadLetter(pending, { status, type: 'refused', reason: describeEsError(err) });
          entry.items = [];
          return;
        }
        if (status === 413 && pending.length > 1) {
          // Too large for the cluster's http.max_content_length: halves, one after the other, within the same retry time.
          const half = Math.ceil(pending.length / 2);
          const first = { items: pending.slice(0, half) };
          const second = { items: pending.slice(half) };
          entry.items = [...first.items, ...second.items];
          await this.deliver(first, started);
          entry.items = second.items;
          await this.deliver(second, started);
          entry.items = [];
          return;
        }
        if (!isRetryable(err)) {
          this.toDeadLetter(pending, { ...(status !== undefined ? { status } : {}), type: 'request_failed', reason: describeEsError(err) });
          this.warn(`a bulk request to Elasticsearch failed (${describeEsError(err)}); its ${pending.length} hit(s) written to ${this.deadLetter.path}`);
          entry.items = [];
          return;
        }
        retry = [...pending];
        why = describeEsError(err);
      }
      if (retry.length === 0) return;
      const now = Date.now();
      const giveUpAt = Math.min(started + retryForMs, this.hurryUntil ?? Infinity);
      if (now >= giveUpAt) {
        const waited = Math.round((now - started) / 1000);
        const cause = this.hurryUntil !== undefined && now >= this.hurryUntil ? 'interrupted' : `not delivered after ${waited} s of retries`;
        this.toDeadLetter(retry, { type: 'retry_timeout', reason: `${cause}; last error: ${why}` });
        this.warn(`gave up on ${retry.length} hit(s) (${cause}; ${why}); written to ${this.deadLetter.path}`);
        entry.items = [];
        return;
      }
      // Backoff grows while nothing gets through, and eases when part of a request did.
      attempt = retry.length < pending.length ? Math.max(1, attempt - 1) : attempt + 1;
      this.stats.retried += retry.length;
      const delay = Math.min(backoffDelay(attempt, minBackoffMs, maxBackoffMs, this.random), Math.max(0, giveUpAt - now));
      this.warn(`Elasticsearch did not take ${retry.length} hit(s) (${why}); retrying with backoff (attempt ${attempt}, next in ${(delay / 1000).toFixed(1)} s)`);
      await this.nap(delay);
    }
  }

  /**
   * From now on, retries stop after `graceMs`: what is still failing then is
   * dead-lettered, so that a stop request ends the run soon even when the
   * cluster is down. Sleeping retries wake up now.
   */
  hurry(graceMs: number): void {
    this.hurryUntil = Math.min(this.hurryUntil ?? Infinity, Date.now() + graceMs);
    for (const wake of this.sleepers) wake();
  }

  /**
   * Stops at once: every hit not yet delivered (the open batch, batches
   * waiting for a slot, requests in flight, retries) is written to the
   * dead-letter file now, synchronously, with the reason. A request in flight
   * may still be indexed; a re-run then finds it already there. Returns the
   * number of hits dead-lettered.
   */
  abandon(reason: string): number {
    if (this.abandoned) return 0;
    this.abandoned = true;
    const all: Item[] = [...this.items];
    this.items = [];
    for (const entry of this.undelivered) {
      all.push(...entry.items);
      entry.items = [];
    }
    this.toDeadLetter(all, { type: 'aborted', reason });
    for (const wake of this.sleepers) wake();
    this.deadLetter.close();
    return all.length;
  }

  /** Sends the current batch and waits for every request, retries included. */
  async flush(): Promise<void> {
    await this.dispatch();
    while (this.tasks.size > 0) await Promise.all([...this.tasks]);
    if (this.fatal) throw this.fatal;
  }

  /** Every hit written so far is acknowledged by the cluster or in the (synchronously written) dead-letter file. */
  async sync(): Promise<void> {
    await this.flush();
  }

  /** Flushes, waits for every request, closes the dead-letter file, and throws when delivery was stopped. */
  async close(): Promise<void> {
    try {
      if (this.fatal) this.deadLetterUnsent(this.fatal);
      else await this.dispatch();
    } finally {
      // Never leave while requests are in flight.
      while (this.tasks.size > 0) await Promise.all([...this.tasks]);
      if (this.timer) clearTimeout(this.timer);
      this.deadLetter.close();
    }
    if (this.fatal) throw this.fatal;
  }
}
