/**
 * The indicator set a sweep or a tail scans with: loaded from the feeds,
 * compiled (through the cache), identified by the feeds' bytes, and recorded
 * as a snapshot for later retro-hunts. `tail` builds a new one beside the
 * running one when the feeds change and swaps it in between two cycles.
 */
import { performance } from 'node:perf_hooks';
import { createEngine } from '../engine/select.js';
import type { MatchEngine } from '../engine/engine.js';
import { stat } from 'node:fs/promises';
import { describeError, IochuntError } from '../errors.js';
import type { TailMetrics } from '../metrics/tail-metrics.js';
import { feedSetId, type IndicatorSetSnapshots } from '../indicators/indicator-set.js';
import { prepareIndicators, prepareOptionsOf } from '../indicators/prepare.js';
import type { IndicatorLookup } from '../indicators/store.js';
import type { IndicatorType } from '../indicators/types.js';
import type { Reporter } from '../report.js';
import type { ScanOptions } from '../commands/scan.js';

/** A compiled indicator set with its id. */
export interface ActiveSet {
  /** {@link feedSetId} of the feeds it was loaded from. */
  readonly id: string;
  readonly store: IndicatorLookup;
  readonly engine: MatchEngine;
  readonly counts: Record<IndicatorType, number>;
  readonly fromCache: boolean;
  /** Milliseconds the load took. */
  readonly loadMs: number;
}

/** The options that make a set's id (the same as sweep's, so that sweep and tail share a state). */
export function setIdOptions(options: ScanOptions): Readonly<Record<string, unknown>> {
  return { format: options.iocsFormat ?? '', domainMatch: options.domainMatch, mispAll: options.mispAll === true, strict: options.strict };
}

/** How many times a load is retried when a feed changed while it was read. */
const ATTEMPTS = 5;

/**
 * Loads and compiles the feeds of `options` and records a snapshot of them.
 * A feed replaced while it is read (the id of its bytes differs before and
 * after the load) is loaded again, so that the set, its id and its snapshot
 * always describe the same bytes. Throws feed errors as `scan` does; the
 * caller keeps its running set then.
 */
export async function loadActiveSet(options: ScanOptions, snapshots: IndicatorSetSnapshots, reporter: Reporter): Promise<ActiveSet> {
  const idOptions = setIdOptions(options);
  const readOptions = { ...(options.iocsFormat ? { format: options.iocsFormat } : {}), ...(options.mispAll ? { mispAll: true } : {}) };
  for (let attempt = 1; ; attempt++) {
    const started = performance.now();
    // A feed that cannot be read is reported by the load below, with its name.
    const before = await feedSetId(options.iocs, idOptions).catch(() => undefined);
    const prepared = await prepareIndicators(prepareOptionsOf(options), reporter);
    const snapshotted = before !== undefined && snapshots.has(before);
    if (before !== undefined && !snapshotted) snapshots.save(before, options.iocs, readOptions);
    const after = await feedSetId(options.iocs, idOptions).catch(() => undefined);
    const snapshotOk = before !== undefined && (snapshotted || (await snapshots.matches(before, options.iocs, idOptions)));
    if (before === undefined || before !== after || !snapshotOk) {
      if (before !== undefined && !snapshotted) snapshots.remove(before);
      if (attempt >= ATTEMPTS) throw new IochuntError('E_FEED', `the feeds ${options.iocs.join(', ')} kept changing while they were loaded (${ATTEMPTS} attempts)`);
      continue;
    }
    const engine = await createEngine(options.engine, prepared.tables, reporter);
    prepared.persist?.(engine.cacheTables?.() ?? prepared.tables.packed());
    return { id: before, store: prepared.store, engine, counts: prepared.counts, fromCache: prepared.fromCache, loadMs: performance.now() - started };
  }
}

/** The reload metrics a {@link SetReloader} keeps (those of `TailMetrics`). */
export type ReloadMetrics = Pick<TailMetrics, 'reloads' | 'reloadLast' | 'reloadSuccess' | 'reloadDuration'>;

/** A failed indicator load is tried again this often while the feeds stay as they are. */
const LOAD_RETRY_MS = 60_000;

/**
 * The running indicator set of a long-running command (`tail` over files or
 * over Kafka) and the one being loaded beside it. One load at a time: a
 * request during a load loads again after it. A load that fails keeps the
 * running set (error logged, metrics set) and is retried every minute while
 * the feeds stay as they are; a loaded set identical to the running one is
 * dropped. The caller swaps a staged set in between two of its cycles with
 * {@link SetReloader.swap}, so a block is never scanned half with one set.
 */
export class SetReloader {
  /** The set scanning now; set by {@link start}. */
  current: ActiveSet | undefined;
  /** A set loaded beside the running one, swapped in by {@link swap}. */
  private next: ActiveSet | undefined;
  private loading: Promise<void> | undefined;
  private again = false;
  private signature = '';
  private lastFailed = false;
  private lastAttempt = 0;

  /**
   * @param onStaged called when a new set is staged (to wake the caller's loop).
   */
  constructor(
    private readonly options: ScanOptions,
    private readonly snapshots: IndicatorSetSnapshots,
    private readonly reporter: Reporter,
    private readonly metrics: ReloadMetrics,
    private readonly signal: AbortSignal,
    private readonly onStaged: () => void = () => undefined,
  ) {}

  /** Loads the first set; throws (nothing runs yet) when it cannot be loaded. */
  async start(): Promise<ActiveSet> {
    this.signature = await this.feedSignature();
    const set = await this.load('start');
    if (!set) throw new IochuntError('E_FEED', `no indicator set could be loaded from ${this.options.iocs.join(', ')}`);
    this.current = set;
    return set;
  }

  /** True while a loaded set waits for {@link swap}. */
  get staged(): boolean {
    return this.next !== undefined;
  }

  /** Reloads when a feed's size, time or inode changed since the last load (or a failed load is due again). */
  async check(): Promise<void> {
    const sig = await this.feedSignature();
    if (sig === this.signature && !(this.lastFailed && performance.now() - this.lastAttempt >= LOAD_RETRY_MS)) return;
    this.signature = sig;
    this.reload('a feed changed');
  }

  /** Starts loading the feeds beside the running set (SIGHUP, a feed changed, a pulled source replaced its file). */
  reload(why: string): void {
    if (this.signal.aborted) return;
    if (this.loading) {
      this.again = true;
      return;
    }
    this.loading = (async () => {
      do {
        this.again = false;
        this.signature = await this.feedSignature();
        const loaded = await this.load(why);
        if (!loaded) continue;
        if (loaded.id === (this.next ?? this.current)?.id) {
          loaded.engine.close();
          this.metrics.reloads.inc({ result: 'unchanged' });
          this.reporter.info(`indicators unchanged (set ${loaded.id.slice(0, 12)})`);
        } else {
          this.next?.engine.close();
          this.next = loaded;
          this.onStaged();
        }
      } while (this.again && !this.signal.aborted);
      this.loading = undefined;
    })();
  }

  /**
   * Makes the staged set the running one; returns it with the set it
   * replaced (whose engine the caller closes once it no longer needs it),
   * or undefined when nothing is staged.
   */
  swap(): { set: ActiveSet; old: ActiveSet | undefined } | undefined {
    const set = this.next;
    if (!set) return undefined;
    this.next = undefined;
    const old = this.current;
    this.current = set;
    return { set, old };
  }

  /** Resolves once no load is under way (a load requested meanwhile included). */
  async idle(): Promise<void> {
    while (this.loading) await this.loading;
  }

  /** Closes the engines of the running and the staged set. */
  close(): void {
    this.current?.engine.close();
    this.next?.engine.close();
    this.current = this.next = undefined;
  }

  /** Size, time and inode of every feed: a cheap change test for polling. */
  private async feedSignature(): Promise<string> {
    const parts: string[] = [];
    for (const f of this.options.iocs) {
      try {
        const st = await stat(f);
        parts.push(`${st.ino}:${st.size}:${st.mtimeMs}`);
      } catch {
        parts.push('missing');
      }
    }
    return parts.join('|');
  }

  /** Loads the feeds; on failure keeps the running set and returns undefined, except at start (thrown). */
  private async load(why: string): Promise<ActiveSet | undefined> {
    const started = performance.now();
    this.lastAttempt = started;
    this.metrics.reloadLast.set(Date.now() / 1000);
    try {
      const set = await loadActiveSet(this.options, this.snapshots, this.reporter);
      this.metrics.reloadDuration.observe((performance.now() - started) / 1000);
      this.metrics.reloadSuccess.set(1);
      if (why !== 'start') this.metrics.reloads.inc({ result: 'success' });
      if (this.lastFailed) this.reporter.info('the indicator feeds load again');
      this.lastFailed = false;
      return set;
    } catch (err) {
      if (why === 'start') throw err;
      this.metrics.reloadSuccess.set(0);
      this.metrics.reloads.inc({ result: 'failure' });
      this.lastFailed = true;
      this.reporter.error(`reloading the indicators (${why}) failed; the running set ${this.current?.id.slice(0, 12) ?? ''} stays in use: ${err instanceof IochuntError ? err.message : describeError(err)}`);
      return undefined;
    }
  }
}
