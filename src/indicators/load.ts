/**
 * Loads indicator feeds into one {@link IndicatorStore}: detects each feed's
 * format, normalises every value, merges duplicates across feeds, and counts
 * and names what it had to skip. A bad entry never stops a load; `strict`
 * turns any bad entry into an error after the whole load has been reported.
 */
import { FeedError, IochuntError } from '../errors.js';
import { openInput } from '../input/open-input.js';
import { peek } from '../input/peek.js';
import type { Reporter } from '../report.js';
import { detectFeedReader, feedFormatNames, feedReaderByName, type BadRecord, type FeedNotice } from './loaders/index.js';
import { normalizeIndicator } from './normalize.js';
import { IndicatorStore } from './store.js';
import { SOURCE_META_KEYS, type IndicatorSource, type InvalidEntry, type RawEntry } from './types.js';
import { specialAddressReason, wideBlockReason } from './wide.js';

export interface LoadFeedsOptions {
  /** Any invalid entry makes the load fail (after reporting). */
  readonly strict?: boolean;
  /** Force a feed format instead of detecting it. */
  readonly format?: string;
  readonly reporter?: Reporter;
  /** How many invalid entries to name per feed on the reporter (default 5). */
  readonly namedInvalidPerFeed?: number;
  /** MISP: load attributes whose `to_ids` is false too. */
  readonly mispAll?: boolean;
  /** The feeds are allowlists: keep allowlist-only rows and patterns. */
  readonly allowlist?: boolean;
}

/** A substring or regex entry of an allowlist (MISP warninglists). */
export interface AllowPattern {
  readonly feed: string;
  readonly line: number;
  readonly kind: 'substring' | 'regex';
  readonly value: string;
}

/** What one feed contributed. */
export interface FeedSummary {
  readonly path: string;
  readonly format: string;
  /** Values read (valid or not). */
  readonly entries: number;
  /** Indicators this feed added that no earlier feed had. */
  readonly added: number;
  /** Valid entries that repeated an indicator already loaded. */
  readonly duplicates: number;
  readonly invalid: number;
  /** Entries the feed itself said not to use (revoked, deleted, `to_ids` false, unsupported type). */
  readonly skipped: number;
  /** Very wide address blocks loaded (see `wide.ts`); refused under `strict`. */
  readonly wide: number;
}

export interface LoadResult {
  readonly store: IndicatorStore;
  readonly feeds: readonly FeedSummary[];
  /** Every invalid entry with its reason. */
  readonly invalid: readonly InvalidEntry[];
  /** Every entry skipped because the feed said so, with the reason. */
  readonly skipped: readonly InvalidEntry[];
  /** Substring and regex entries (only with `allowlist`). */
  readonly patterns: readonly AllowPattern[];
  /** Very wide address blocks that were loaded (with a warning), with the reason. */
  readonly wide: readonly InvalidEntry[];
}

const HEAD_BYTES = 64 * 1024;

export { feedFormatNames } from './loaders/index.js';

/**
 * Loads every feed in `paths` (in order) into a new store, or into `into`.
 * Throws {@link FeedError} when a feed cannot be read at all, and when
 * `strict` is set and any entry was invalid.
 */
export async function loadFeeds(
  paths: readonly string[],
  options: LoadFeedsOptions = {},
  into: IndicatorStore = new IndicatorStore(),
): Promise<LoadResult> {
  const store = into;
  const feeds: FeedSummary[] = [];
  const invalid: InvalidEntry[] = [];
  const skipped: InvalidEntry[] = [];
  const patterns: AllowPattern[] = [];
  const wide: InvalidEntry[] = [];
  const readOptions = { ...(options.mispAll ? { mispAll: true } : {}), ...(options.allowlist ? { allowlist: true } : {}) };
  const named = options.namedInvalidPerFeed ?? 5;
  const forced = options.format ? feedReaderByName(options.format) : undefined;
  if (options.format && !forced) {
    throw new FeedError(options.format, `unknown feed format; known formats: ${feedFormatNames().join(', ')}`);
  }

  // Per feed: where its first invalid entry is and why (--strict names each feed).
  const firstInvalid = new Map<string, { at: string; reason: string }>();
  const firstWide = new Map<string, string>();
  for (const path of paths) {
    let entries = 0;
    let added = 0;
    let duplicates = 0;
    let bad = 0;
    let policy = 0;
    let wideHere = 0;
    let unit = forced?.position;
    const skip = (line: number, value: string, reason: string): void => {
      bad++;
      invalid.push({ feed: path, line, value, reason });
      if (bad === 1) firstInvalid.set(path, { at: where(path, line, unit), reason });
      if (bad <= named) options.reporter?.warn(`${where(path, line, unit)}: skipped ${JSON.stringify(clip(value))}: ${reason}`);
    };
    let format = forced?.name ?? 'unknown';
    try {
      const input = await openInput(path);
      const { head, chunks } = await peek(input.chunks, HEAD_BYTES);
      const headText = head.toString('utf8').replace(/^\uFEFF/, '');
      const reader = forced ?? detectFeedReader(headText);
      format = reader.name;
      unit = reader.position;
      const take = (entry: RawEntry | BadRecord | FeedNotice): void => {
        if ('notice' in entry) {
          options.reporter?.warn(`${path}: ${entry.notice}`);
          return;
        }
        entries++;
        if ('bad' in entry) {
          if (entry.policy) {
            policy++;
            skipped.push({ feed: path, line: entry.line, value: entry.value, reason: entry.reason });
          } else skip(entry.line, entry.value, entry.reason);
          return;
        }
        if (entry.pattern) {
          if (options.allowlist) patterns.push({ feed: path, line: entry.line, kind: entry.pattern, value: entry.value });
          else {
            policy++;
            skipped.push({ feed: path, line: entry.line, value: entry.value, reason: `${entry.pattern} entries only apply to --allow` });
          }
          return;
        }
        const r = normalizeIndicator(entry.value, entry.declaredType);
        if (!r.ok) {
          skip(entry.line, entry.value, r.reason);
          return;
        }
        const special = specialAddressReason(r.indicator);
        if (special) {
          skip(entry.line, entry.value, special);
          return;
        }
        const wideWhy = wideBlockReason(r.indicator, entry.value);
        if (wideWhy) {
          wideHere++;
          wide.push({ feed: path, line: entry.line, value: entry.value, reason: wideWhy });
          if (wideHere === 1) firstWide.set(path, where(path, entry.line, unit));
          if (wideHere <= named) {
            options.reporter?.warn(`${where(path, entry.line, unit)}: ${JSON.stringify(clip(entry.value))} is a ${wideWhy}${options.strict ? '' : '; loaded (--strict refuses it)'}`);
          }
        }
        const source = sourceOf(path, entry);
        if (store.add(r.indicator, source).isNew) added++;
        else duplicates++;
      };
      for await (const item of reader.read(chunks, headText, readOptions)) {
        // Readers may yield batches of entries (see FeedReader.read).
        if (Array.isArray(item)) for (const entry of item as readonly RawEntry[]) take(entry);
        else take(item as RawEntry | BadRecord | FeedNotice);
      }
    } catch (err) {
      if (err instanceof FeedError) throw err;
      const why = err instanceof IochuntError ? err.message.replace(`${path}: `, '') : err instanceof Error ? err.message : String(err);
      throw new FeedError(path, `cannot read indicator feed: ${why}`, { cause: err });
    }
    if (bad > named) options.reporter?.warn(`${path}: ${bad - named} more invalid entries skipped`);
    if (wideHere > named) options.reporter?.warn(`${path}: ${wideHere - named} more very wide address blocks loaded`);
    feeds.push({ path, format, entries, added, duplicates, invalid: bad, skipped: policy, wide: wideHere });
  }

  if (options.strict && invalid.length > 0) {
    // Each feed with invalid entries is named with its own count and first entry.
    const perFeed = feeds
      .filter((f) => f.invalid > 0)
      .map((f) => {
        const first = firstInvalid.get(f.path);
        return `${f.invalid} in ${f.path} (first at ${first?.at}: ${first?.reason})`;
      });
    const n = invalid.length;
    throw new IochuntError('E_FEED_INVALID_ENTRY', `${n} invalid indicator entr${n === 1 ? 'y' : 'ies'} (--strict): ${perFeed.join('; ')}`);
  }
  if (options.strict && wide.length > 0) {
    // Each feed with very wide blocks is named with its own count and first one.
    const perFeed = feeds.filter((f) => f.wide > 0).map((f) => `${f.wide} in ${f.path} (first at ${firstWide.get(f.path)})`);
    const n = wide.length;
    throw new IochuntError(
      'E_FEED_INVALID_ENTRY',
      `${n} very wide address block${n === 1 ? '' : 's'} (--strict refuses IPv4 blocks shorter than /8 and IPv6 blocks shorter than /16): ${perFeed.join('; ')}`,
    );
  }
  return { store, feeds, invalid, skipped, patterns, wide };
}

/** The source record of an entry: feed, line and every metadata field the entry has. */
function sourceOf(feed: string, entry: RawEntry): IndicatorSource {
  const source: Record<string, string | number> = { feed, line: entry.line };
  for (const k of SOURCE_META_KEYS) {
    const v = entry[k];
    if (v) source[k] = v;
  }
  return source as unknown as IndicatorSource;
}

/** Where an entry is: `feed.txt:12` for a line, `feed.json (object 3)` for a JSON feed's object. */
function where(path: string, line: number, unit: string | undefined): string {
  return unit === undefined ? `${path}:${line}` : `${path} (${unit} ${line})`;
}

function clip(s: string): string {
  return s.length > 120 ? `${s.slice(0, 117)}...` : s;
}
