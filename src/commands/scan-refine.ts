/**
 * The post-scan refine step of `scan`: drops matches of indicators that are
 * not valid at the line's event time (windows and inactive marks unless
 * `--ignore-validity`; `--max-age` always), then matches whose value an
 * `--allow` list covers. Filters
 * run after the native scan, so they never change the compiled tables or the
 * compiled-indicator cache key.
 */
import type { Allowlist } from '../filters/allowlist.js';
import { ValidityFilter } from '../filters/validity.js';
import type { IndicatorLookup } from '../indicators/store.js';
import type { HitLine } from '../output/hit-document.js';

/** The filters of a scan, composed; `refine` is undefined when there is nothing to filter. */
export interface ScanFilters {
  readonly refine?: (line: HitLine) => HitLine | undefined;
  /** `; N match(es) dropped …` for the end-of-run summary, or `''`. */
  summary(): string;
}

/** Options that select the filters. */
export interface ScanFilterOptions {
  readonly ignoreValidity?: boolean;
  readonly maxAgeDays?: number;
  readonly allowlist?: Allowlist;
}

/** Builds the refine step of a scan that started at `scanTimeMs`. */
export function scanRefiner(store: IndicatorLookup, options: ScanFilterOptions, scanTimeMs: number): ScanFilters {
  const validity =
    options.ignoreValidity && options.maxAgeDays === undefined
      ? undefined
      : new ValidityFilter(store, {
          scanTimeMs,
          ...(options.maxAgeDays !== undefined ? { maxAgeDays: options.maxAgeDays } : {}),
          ...(options.ignoreValidity ? { ignoreWindows: true } : {}),
        });
  const steps: Array<(line: HitLine) => HitLine | undefined> = [];
  if (validity) steps.push((l) => validity.refine(l));
  const allow = options.allowlist;
  if (allow) steps.push((l) => allow.refine(l));
  return {
    ...(steps.length > 0
      ? {
          refine: (line: HitLine): HitLine | undefined => {
            let l: HitLine | undefined = line;
            for (const step of steps) if (l) l = step(l);
            return l;
          },
        }
      : {}),
    summary: () => {
      const parts: string[] = [];
      if (validity && validity.dropped > 0) parts.push(`${validity.dropped} outside their validity`);
      if (allow && allow.dropped > 0) parts.push(`${allow.dropped} allowlisted`);
      return parts.length > 0 ? `; match(es) dropped: ${parts.join(', ')}` : '';
    },
  };
}
