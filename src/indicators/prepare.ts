/**
 * Indicators ready to scan with: loaded from the feeds and compiled, or
 * restored from the compiled-indicator cache when the feeds and options are
 * unchanged since a run that stored them.
 */
import { cacheKey, IndicatorCache } from '../cache/indicator-cache.js';
import { compileIndicators, type DomainMatch } from '../engine/compile.js';
import { tablesFromCompiled, tablesFromPacked, type EngineTables } from '../engine/select.js';
import { UsageError } from '../errors.js';
import type { Reporter } from '../report.js';
import { version } from '../version.js';
import type { IndicatorLookup } from './store.js';
import type { IndicatorType } from './types.js';
import type { PackedTables } from '../engine/native/native-engine.js';

/**
 * Changes whenever the same feed bytes load into different indicators (a new
 * layout is detected, an entry becomes invalid), so that cache files written
 * by an earlier build of the same version are not restored.
 */
const LOADER_REVISION = 2;

export interface PrepareOptions {
  readonly iocs: readonly string[];
  readonly iocsFormat?: string;
  readonly domainMatch: DomainMatch;
  readonly strict: boolean;
  /** MISP: load attributes whose `to_ids` is false too (`--misp-all`). */
  readonly mispAll?: boolean;
  /** Cache directory, or undefined for no cache. */
  readonly cacheDir?: string;
}

export interface PreparedIndicators {
  readonly store: IndicatorLookup;
  readonly tables: EngineTables;
  readonly counts: Record<IndicatorType, number>;
  readonly invalidCount: number;
  readonly fromCache: boolean;
  /**
   * Stores the compiled indicators in the cache (after the engine is built,
   * so that it can add what it compiled); undefined when there is nothing to
   * store. Failures cost a warning.
   */
  readonly persist?: (tables: PackedTables) => void;
}

/** The feed options of a command (`scan`, `sweep`, `tail`) as {@link prepareIndicators} takes them. */
export function prepareOptionsOf(options: PrepareOptions): PrepareOptions {
  return {
    iocs: options.iocs,
    ...(options.iocsFormat ? { iocsFormat: options.iocsFormat } : {}),
    domainMatch: options.domainMatch,
    strict: options.strict,
    ...(options.mispAll ? { mispAll: true } : {}),
    ...(options.cacheDir ? { cacheDir: options.cacheDir } : {}),
  };
}

/**
 * Loads and compiles the feeds, through the cache when `cacheDir` is set.
 * Warnings about invalid feed entries are printed on every run, cached or
 * not. A cache that cannot be read or written costs a warning, never the run.
 * Throws {@link UsageError} when no feed holds a valid indicator, and feed
 * errors as {@link loadFeeds} does.
 */
export async function prepareIndicators(options: PrepareOptions, reporter: Reporter): Promise<PreparedIndicators> {
  const cache = options.cacheDir ? new IndicatorCache(options.cacheDir) : undefined;
  const key = cache
    ? cacheKey({
        feeds: options.iocs,
        options: {
          format: options.iocsFormat,
          domainMatch: options.domainMatch,
          strict: options.strict,
          mispAll: options.mispAll === true,
          loaders: LOADER_REVISION,
        },
        version: version(),
      })
    : undefined;
  if (cache && key) {
    const hit = cache.read(key);
    if (hit && 'unusable' in hit) {
      reporter.warn(`ignoring an unusable indicator cache file (${hit.unusable}); loading the feeds`);
    } else if (hit) {
      for (const w of hit.warnings) reporter.warn(w);
      return { store: hit.store, tables: tablesFromPacked(hit.tables), counts: hit.counts, invalidCount: hit.invalidCount, fromCache: true };
    }
  }

  const warnings: string[] = [];
  const teeing: Reporter = {
    error: (m) => reporter.error(m),
    info: (m) => reporter.info(m),
    warn: (m) => {
      warnings.push(m);
      reporter.warn(m);
    },
  };
  // The feed readers are loaded only when the cache cannot answer.
  const { loadFeeds } = await import('./load.js');
  const loaded = await loadFeeds(options.iocs, {
    strict: options.strict,
    reporter: teeing,
    ...(options.mispAll ? { mispAll: true } : {}),
    ...(options.iocsFormat ? { format: options.iocsFormat } : {}),
  });
  const { store } = loaded;
  if (store.size === 0) {
    throw new UsageError(`no valid indicators in ${options.iocs.join(', ')} (${loaded.invalid.length} invalid entries skipped)`);
  }
  const counts = store.countsByType();
  const tables = tablesFromCompiled(compileIndicators(store, { domainMatch: options.domainMatch }));
  const persist =
    cache && key
      ? (packed: PackedTables): void => {
          const failed = cache.write(key, { tables: packed, store, counts, feeds: loaded.feeds, invalidCount: loaded.invalid.length, warnings });
          if (failed) reporter.warn(failed);
        }
      : undefined;
  return { store, tables, counts, invalidCount: loaded.invalid.length, fromCache: false, ...(persist ? { persist } : {}) };
}
