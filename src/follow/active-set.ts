/**
 * The indicator set a sweep or a tail scans with: loaded from the feeds,
 * compiled (through the cache), identified by the feeds' bytes, and recorded
 * as a snapshot for later retro-hunts. `tail` builds a new one beside the
 * running one when the feeds change and swaps it in between two cycles.
 */
import { performance } from 'node:perf_hooks';
import { createEngine } from '../engine/select.js';
import type { MatchEngine } from '../engine/engine.js';
import { IochuntError } from '../errors.js';
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
