/**
 * `iochunt iocs ...`: look at indicator feeds without scanning anything.
 * `formats` lists the feed formats in detection order; `stats` counts what
 * feeds hold and what was skipped and why; `check` says which indicator
 * covers a value, and from which feed.
 */
import { UsageError } from '../errors.js';
import { loadAllowlist } from '../filters/allowlist.js';
import { coveringIndicators } from '../indicators/cover.js';
import { loadFeeds, type LoadFeedsOptions } from '../indicators/load.js';
import { FEED_READERS } from '../indicators/loaders/index.js';
import { normalizeIndicator } from '../indicators/normalize.js';
import { INDICATOR_TYPES, type IndicatorType, type InvalidEntry } from '../indicators/types.js';
import type { Reporter } from '../report.js';

type Write = (s: string) => void;
const stdout: Write = (s) => process.stdout.write(s);

/** Options shared by `iocs stats` and `iocs check`. */
export interface IocsOptions {
  readonly iocsFormat?: string;
  readonly mispAll?: boolean;
  /** `iocs check`: allowlists to check VALUE against. */
  readonly allow?: readonly string[];
}

function loadOptions(options: IocsOptions): LoadFeedsOptions {
  return { namedInvalidPerFeed: 0, ...(options.iocsFormat ? { format: options.iocsFormat } : {}), ...(options.mispAll ? { mispAll: true } : {}) };
}

/** Prints the feed formats, one per line, in detection order; returns the exit code (0). */
export function runIocsFormats(write: Write = stdout): number {
  for (const r of FEED_READERS) write(`${r.name.padEnd(18)} ${r.description}\n`);
  return 0;
}

function reasons(entries: readonly InvalidEntry[], feed: string): Array<[string, number]> {
  const counts = new Map<string, number>();
  for (const e of entries) if (e.feed === feed) counts.set(e.reason, (counts.get(e.reason) ?? 0) + 1);
  return [...counts].sort((a, b) => b[1] - a[1]);
}

/**
 * Prints, per feed: its format, entries, indicators per type, duplicates,
 * and every skipped or invalid entry grouped by reason; then the totals.
 * Returns 0.
 */
export async function runIocsStats(files: readonly string[], options: IocsOptions, write: Write = stdout): Promise<number> {
  if (files.length === 0) throw new UsageError('iocs stats needs at least one FILE');
  const r = await loadFeeds(files, loadOptions(options));
  const perFeed = new Map<string, Record<IndicatorType, number>>();
  for (const s of r.store.all()) {
    for (const src of new Set(s.sources.map((x) => x.feed))) {
      let c = perFeed.get(src);
      if (!c) perFeed.set(src, (c = Object.fromEntries(INDICATOR_TYPES.map((t) => [t, 0])) as Record<IndicatorType, number>));
      c[s.indicator.type]++;
    }
  }
  const types = (c: Record<IndicatorType, number> | undefined): string =>
    INDICATOR_TYPES.filter((t) => (c?.[t] ?? 0) > 0).map((t) => `${t} ${c?.[t]}`).join(', ') || 'none';
  for (const f of r.feeds) {
    write(`${f.path}\n  format ${f.format}; ${f.entries} entries; indicators: ${types(perFeed.get(f.path))}\n`);
    write(`  new ${f.added}, already listed ${f.duplicates}, skipped ${f.skipped}, invalid ${f.invalid}\n`);
    for (const [reason, n] of reasons(r.skipped, f.path)) write(`  skipped ${n}: ${reason}\n`);
    for (const [reason, n] of reasons(r.invalid, f.path)) write(`  invalid ${n}: ${reason}\n`);
    for (const w of r.wide) if (w.feed === f.path) write(`  wide block at line ${w.line}: ${JSON.stringify(w.value)}: ${w.reason}\n`);
  }
  write(`total: ${r.store.size} indicators (${types(r.store.countsByType())}); ${r.skipped.length} skipped, ${r.invalid.length} invalid${r.wide.length > 0 ? `, ${r.wide.length} very wide blocks` : ''}\n`);
  return 0;
}

/**
 * Says which loaded indicators cover `value` (exact, CIDR, parent domain)
 * and from which feed and line, and, with `allow`, whether an allowlist
 * covers it (an allowlisted value never hits). Returns 0 when covered, 1
 * when not (allowlisted or not).
 * Throws {@link UsageError} when `value` is not an indicator.
 */
export async function runIocsCheck(value: string, files: readonly string[], options: IocsOptions, reporter: Reporter, write: Write = stdout): Promise<number> {
  if (files.length === 0) throw new UsageError('iocs check needs at least one --iocs FILE');
  const n = normalizeIndicator(value);
  if (!n.ok) throw new UsageError(`Expected an IP, CIDR, domain, URL, hash or e-mail address for VALUE but received ${JSON.stringify(value)} (${n.reason})`);
  const r = await loadFeeds(files, { ...loadOptions(options), reporter });
  const covers = coveringIndicators(r.store, n.indicator);
  if (options.allow && options.allow.length > 0) {
    const allowed = (await loadAllowlist(options.allow, reporter)).covers(value);
    write(
      allowed
        ? `${n.indicator.name}: allowlisted (${allowed.how} ${allowed.entry} from ${allowed.feed}:${allowed.line}); it never produces a hit\n`
        : `${n.indicator.name}: not allowlisted\n`,
    );
  }
  if (covers.length === 0) {
    write(`${n.indicator.name} (${n.indicator.type}): not covered\n`);
    return 1;
  }
  for (const c of covers) {
    for (const s of c.stored.sources) {
      write(`${n.indicator.name}: ${c.how} ${c.stored.indicator.type} ${c.stored.indicator.name} from ${s.feed}:${s.line}${s.description ? ` (${s.description})` : ''}\n`);
    }
  }
  return 0;
}
