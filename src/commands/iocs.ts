/**
 * `iochunt iocs ...`: look at indicator feeds without scanning anything.
 * `formats` lists the feed formats in detection order; `stats` counts what
 * feeds hold and what was skipped and why; `check` says which indicator
 * finds in a value (with the engine, as `scan` would), and from which feed.
 */
import { UsageError } from '../errors.js';
import { loadAllowlist } from '../filters/allowlist.js';
import type { DomainMatch } from '../engine/compile.js';
import { TextMatcher } from '../engine/text-matcher.js';
import { loadFeeds, type LoadFeedsOptions } from '../indicators/load.js';
import { FEED_READERS } from '../indicators/loaders/index.js';
import { normalizeIndicator } from '../indicators/normalize.js';
import { refang } from '../indicators/refang.js';
import { INDICATOR_TYPES, type IndicatorType, type InvalidEntry } from '../indicators/types.js';
import { escapeControls, type Reporter } from '../report.js';
import { writeStdout } from '../output/stdout.js';

type Write = (s: string) => void;
/** Text for a terminal: feed names, values and reasons have their control characters escaped, line ends kept. */
const stdout: Write = (s) => writeStdout(s.split('\n').map(escapeControls).join('\n'));

/** Options shared by `iocs stats` and `iocs check`. */
export interface IocsOptions {
  readonly iocsFormat?: string;
  readonly mispAll?: boolean;
  /** `iocs check`: allowlists to check VALUE against. */
  readonly allow?: readonly string[];
  /** `iocs check`: how domain indicators match, as `scan --domain-match` (default subdomain). */
  readonly domainMatch?: DomainMatch;
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
 * Runs the matching engine over each VALUE as `scan` runs it over a log line
 * (after refanging it, so `hxxp://bad[.]example/x` can be pasted), and says
 * which indicators it finds (exact, CIDR, parent domain), from which feed and
 * line. A VALUE need not be an indicator: a whole log line may be checked.
 * With `allow`, also says whether each matched text is allowlisted (an
 * allowlisted match never produces a hit). Returns 0 when an indicator was
 * found in some VALUE, 1 when none was (allowlisted or not).
 * Throws {@link UsageError} when a VALUE is empty.
 */
export async function runIocsCheck(
  value: string | readonly string[],
  files: readonly string[],
  options: IocsOptions,
  reporter: Reporter,
  write: Write = stdout,
): Promise<number> {
  if (files.length === 0) throw new UsageError('iocs check needs at least one --iocs FILE');
  const values = typeof value === 'string' ? [value] : value;
  if (values.length === 0 || values.some((v) => v.trim() === '')) throw new UsageError('iocs check needs a non-empty VALUE');
  const r = await loadFeeds(files, { ...loadOptions(options), reporter });
  const matcher = new TextMatcher(r.store, options.domainMatch ?? 'subdomain');
  const allow = options.allow && options.allow.length > 0 ? await loadAllowlist(options.allow, reporter) : undefined;
  let covered = false;
  for (const v of values) {
    const text = refang(v.trim());
    const n = normalizeIndicator(v);
    const label = n.ok ? n.indicator.name : text;
    const hits = matcher.find(text);
    if (allow) {
      const texts = hits.length > 0 ? [...new Set(hits.map((h) => h.matched))] : [n.ok ? n.indicator.name : text];
      for (const t of texts) {
        const allowed = allow.covers(t);
        write(
          allowed
            ? `${t}: allowlisted (${allowed.how} ${allowed.entry} from ${allowed.feed}:${allowed.line}); it never produces a hit\n`
            : `${t}: not allowlisted\n`,
        );
      }
    }
    if (hits.length === 0) {
      write(n.ok ? `${label} (${n.indicator.type}): not covered\n` : `${label}: not covered\n`);
      continue;
    }
    covered = true;
    const seen = new Set<number>();
    for (const h of hits) {
      if (seen.has(h.stored.id)) continue;
      seen.add(h.stored.id);
      const at = h.matched === label ? '' : ` (matched ${JSON.stringify(h.matched)})`;
      for (const s of h.stored.sources) {
        write(`${label}: ${h.how} ${h.stored.indicator.type} ${h.stored.indicator.name}${at} from ${s.feed}:${s.line}${s.description ? ` (${s.description})` : ''}\n`);
      }
    }
  }
  return covered ? 0 : 1;
}
