/**
 * Validity of indicators at an event's time: a match is kept only when at
 * least one source of its indicator is usable at the time of the line's
 * event. A source is unusable when the feed marked it inactive (OTX
 * `is_active: 0`), when the time falls outside its window (STIX `valid_from`
 * inclusive, `valid_until` / OTX `expiration` exclusive), or, with a maximum
 * age, when its newest time (modified, last seen, valid from, created) is
 * older than that many days before the scan. Sources without any time are
 * always usable. Applied after the scan (see {@link ValidityFilter.refine}), so the
 * compiled indicator tables and their cache do not depend on it.
 */
import type { HitLine } from '../output/hit-document.js';
import type { IndicatorLookup } from '../indicators/store.js';
import type { IndicatorSource } from '../indicators/types.js';

const DAY_MS = 24 * 60 * 60 * 1000;

/** Options of {@link ValidityFilter}. */
export interface ValidityOptions {
  /** Scan start (ms since the epoch): the event time of unparsed lines, and the origin of `maxAgeDays`. */
  readonly scanTimeMs: number;
  /** Drop sources whose newest time is older than this many days before the scan. */
  readonly maxAgeDays?: number;
  /** Ignore validity windows and inactive marks (`--ignore-validity`); only `maxAgeDays` applies. */
  readonly ignoreWindows?: boolean;
}

/** A usable window [from, until) in ms; a source contributes at most one. */
type Window = readonly [from: number, until: number];

/** The windows of an indicator usable at any time. */
const ALWAYS: readonly Window[] = [[-Infinity, Infinity]];

function ms(t: string | undefined): number | undefined {
  if (!t) return undefined;
  const n = Date.parse(t);
  return Number.isNaN(n) ? undefined : n;
}

/**
 * Decides, per indicator id and event time, whether any source of the
 * indicator is valid. Windows are computed once per indicator, on its first
 * match.
 */
export class ValidityFilter {
  private readonly windows = new Map<number, readonly Window[]>();
  private readonly cutoffMs: number | undefined;
  /** Matches dropped so far. */
  dropped = 0;

  constructor(
    private readonly store: IndicatorLookup,
    private readonly options: ValidityOptions,
  ) {
    this.cutoffMs = options.maxAgeDays === undefined ? undefined : options.scanTimeMs - options.maxAgeDays * DAY_MS;
  }

  /** The window in which `source` may match, or undefined when it never may. */
  sourceWindow(source: IndicatorSource): Window | undefined {
    if (this.options.ignoreWindows !== true && source.inactive === 'true') return undefined;
    if (this.cutoffMs !== undefined) {
      const times = [source.modifiedAt, source.lastSeen, source.validFrom, source.firstSeen].map(ms).filter((t): t is number => t !== undefined);
      if (times.length > 0 && Math.max(...times) < this.cutoffMs) return undefined;
    }
    if (this.options.ignoreWindows === true) return [-Infinity, Infinity];
    const from = ms(source.validFrom) ?? -Infinity;
    const until = ms(source.validUntil) ?? Infinity;
    return from < until ? [from, until] : undefined;
  }

  /** The usable windows of indicator `id`, computed on its first match. */
  private windowsOf(id: number): readonly Window[] {
    let w = this.windows.get(id);
    if (!w) {
      w = this.store
        .get(id)
        .sources.map((s) => this.sourceWindow(s))
        .filter((x): x is Window => x !== undefined);
      // The common case, a source without any time, shares one list (and is recognised by it).
      if (w.length === 1 && w[0]?.[0] === -Infinity && w[0][1] === Infinity) w = ALWAYS;
      this.windows.set(id, w);
    }
    return w;
  }

  /** True when indicator `id` may match an event at `timeMs`. */
  validAt(id: number, timeMs: number): boolean {
    const w = this.windowsOf(id);
    if (w === ALWAYS) return true;
    for (const [from, until] of w) if (timeMs >= from && timeMs < until) return true;
    return false;
  }

  /** The event time of a hit line: its parsed `@timestamp`, else the scan time. */
  eventTimeMs(line: HitLine): number {
    return ms(line.event?.timestamp) ?? this.options.scanTimeMs;
  }

  /** Keeps the matches of `line` that are valid at its event time; undefined when none is. */
  refine(line: HitLine): HitLine | undefined {
    // Indicators valid at any time (most) need no event time.
    let always = true;
    for (const m of line.matches) {
      if (this.windowsOf(m.id) !== ALWAYS) {
        always = false;
        break;
      }
    }
    if (always) return line;
    const t = this.eventTimeMs(line);
    const kept = line.matches.filter((m) => this.validAt(m.id, t));
    this.dropped += line.matches.length - kept.length;
    if (kept.length === line.matches.length) return line;
    return kept.length > 0 ? { ...line, matches: kept } : undefined;
  }
}
