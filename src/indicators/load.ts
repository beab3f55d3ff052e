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
import { detectFeedReader, feedReaderByName, FEED_READERS } from './loaders/index.js';
import { normalizeIndicator } from './normalize.js';
import { IndicatorStore } from './store.js';
import type { IndicatorSource, InvalidEntry } from './types.js';

export interface LoadFeedsOptions {
  /** Any invalid entry makes the load fail (after reporting). */
  readonly strict?: boolean;
  /** Force a feed format instead of detecting it. */
  readonly format?: string;
  readonly reporter?: Reporter;
  /** How many invalid entries to name per feed on the reporter (default 5). */
  readonly namedInvalidPerFeed?: number;
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
}

export interface LoadResult {
  readonly store: IndicatorStore;
  readonly feeds: readonly FeedSummary[];
  /** Every skipped entry with its reason. */
  readonly invalid: readonly InvalidEntry[];
}

const HEAD_BYTES = 64 * 1024;

/** Names of the feed formats, for option validation. */
export function feedFormatNames(): string[] {
  return FEED_READERS.map((r) => r.name);
}

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
  const named = options.namedInvalidPerFeed ?? 5;
  const forced = options.format ? feedReaderByName(options.format) : undefined;
  if (options.format && !forced) {
    throw new FeedError(options.format, `unknown feed format; known formats: ${feedFormatNames().join(', ')}`);
  }

  for (const path of paths) {
    let entries = 0;
    let added = 0;
    let duplicates = 0;
    let bad = 0;
    const skip = (line: number, value: string, reason: string): void => {
      bad++;
      invalid.push({ feed: path, line, value, reason });
      if (bad <= named) options.reporter?.warn(`${path}:${line}: skipped ${JSON.stringify(clip(value))}: ${reason}`);
    };
    let format = forced?.name ?? 'unknown';
    try {
      const input = await openInput(path);
      const { head, chunks } = await peek(input.chunks, HEAD_BYTES);
      const headText = head.toString('utf8').replace(/^\uFEFF/, '');
      const reader = forced ?? detectFeedReader(headText);
      format = reader.name;
      for await (const entry of reader.read(chunks, headText)) {
        entries++;
        if ('bad' in entry) {
          skip(entry.line, entry.value, entry.reason);
          continue;
        }
        const r = normalizeIndicator(entry.value, entry.declaredType);
        if (!r.ok) {
          skip(entry.line, entry.value, r.reason);
          continue;
        }
        const source: IndicatorSource = {
          feed: path,
          line: entry.line,
          ...(entry.description ? { description: entry.description } : {}),
          ...(entry.confidence ? { confidence: entry.confidence } : {}),
          ...(entry.reference ? { reference: entry.reference } : {}),
          ...(entry.severity ? { severity: entry.severity } : {}),
        };
        if (store.add(r.indicator, source).isNew) added++;
        else duplicates++;
      }
    } catch (err) {
      if (err instanceof FeedError) throw err;
      const why = err instanceof IochuntError ? err.message.replace(`${path}: `, '') : String(err);
      throw new FeedError(path, `cannot read indicator feed: ${why}`, { cause: err });
    }
    if (bad > named) options.reporter?.warn(`${path}: ${bad - named} more invalid entries skipped`);
    feeds.push({ path, format, entries, added, duplicates, invalid: bad });
  }

  if (options.strict && invalid.length > 0) {
    const first = invalid[0] as InvalidEntry;
    throw new FeedError(
      first.feed,
      `${invalid.length} invalid indicator entr${invalid.length === 1 ? 'y' : 'ies'} (--strict); first at line ${first.line}: ${first.reason}`,
      { code: 'E_FEED_INVALID_ENTRY' },
    );
  }
  return { store, feeds, invalid };
}

function clip(s: string): string {
  return s.length > 120 ? `${s.slice(0, 117)}...` : s;
}
