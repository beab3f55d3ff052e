/**
 * Values that ECS constrains, computed from what feeds write: the STIX
 * confidence scale, TLP markings, readable feed names, and the stable id of
 * an indicator document (`threat.enrichments.matched.id`).
 */
import { hash } from 'node:crypto';
import { basename } from 'node:path';
import type { IndicatorSource, NormalizedIndicator } from '../indicators/types.js';
import { SOURCE_META_KEYS } from '../indicators/types.js';

/** The ECS version the documents follow (`ecs.version`); the conformance test checks them against this schema. */
export const ECS_VERSION = '8.17.0';

/** The data stream `iochunt es indicators push` writes by default (`threat.enrichments.matched.index`). */
export const DEFAULT_INDICATOR_INDEX = 'logs-ti_iochunt.indicators-default';

/** ECS `threat.indicator.confidence` values. */
export type EcsConfidence = 'Not Specified' | 'None' | 'Low' | 'Medium' | 'High';

const CONFIDENCE_WORDS: Readonly<Record<string, EcsConfidence>> = {
  none: 'None',
  low: 'Low',
  medium: 'Medium',
  med: 'Medium',
  moderate: 'Medium',
  high: 'High',
  'very high': 'High',
  critical: 'High',
  'not specified': 'Not Specified',
  unknown: 'Not Specified',
};

/**
 * A feed's confidence as ECS allows it, on the STIX 2.1 Appendix A scale:
 * 0 None, 1–29 Low, 30–69 Medium, 70–100 High; the words None/Low/Medium/High
 * (any case, and `moderate`, `critical`); anything else `Not Specified`.
 * `numeric` is the feed's number (0–100) when it wrote one.
 */
export function confidenceOf(raw: string | undefined): { label: EcsConfidence; numeric?: number } | undefined {
  if (raw === undefined) return undefined;
  const t = raw.trim().toLowerCase();
  if (t === '') return undefined;
  if (/^\d+(\.\d+)?$/.test(t)) {
    const n = Number(t);
    if (n > 100) return { label: 'Not Specified' };
    const label: EcsConfidence = n === 0 ? 'None' : n < 30 ? 'Low' : n < 70 ? 'Medium' : 'High';
    return { label, numeric: n };
  }
  return { label: CONFIDENCE_WORDS[t] ?? 'Not Specified' };
}

const TLP_VALUES = new Set(['WHITE', 'CLEAR', 'GREEN', 'AMBER', 'AMBER+STRICT', 'RED']);

/** A TLP marking as ECS allows it (`AMBER+STRICT`, `CLEAR` …), or undefined for any other value. */
export function tlpMarking(raw: string | undefined): string | undefined {
  if (!raw) return undefined;
  const t = raw.trim().toUpperCase().replace(/^TLP:\s*/, '').replace(/\s+/g, '');
  return TLP_VALUES.has(t) ? t : undefined;
}

/**
 * The readable name of a feed (`threat.enrichments.feed.name`,
 * `threat.feed.name`): the NAME of `--iocs NAME=FILE`, else the provider the
 * feed names (MISP org, OTX author, Zeek `meta.source`), else the file's base
 * name (`plain.txt`; `-` for stdin stays `-`).
 */
export function feedDisplayName(source: Pick<IndicatorSource, 'feed' | 'provider'>, names?: ReadonlyMap<string, string>): string {
  return names?.get(source.feed) ?? source.provider ?? (source.feed === '-' ? '-' : basename(source.feed));
}

/**
 * The `_id` of the indicator document of `indicator` as listed by `source`:
 * SHA-256 over the type, the canonical name, the feed's readable name and
 * what the feed says about it (not its path nor its line number: a feed read
 * from another directory, or with lines added above, keeps its ids), as 27
 * characters of base64url. The same feed entry gives the same id on every
 * push and in every hit; a changed entry gives a new document (the old one
 * is removed by the next push).
 */
export function indicatorDocId(indicator: Pick<NormalizedIndicator, 'type' | 'name'>, source: IndicatorSource, feedName: string): string {
  // One-shot hashing of the whole text: the same digest as hashing it piece by piece, at a fraction of the cost.
  let text = `${indicator.type}\0${indicator.name}\0${feedName}`;
  for (const k of SOURCE_META_KEYS) {
    const v = source[k];
    if (v !== undefined) text += `\0${k}=${v}`;
  }
  return hash('sha256', text, 'buffer').subarray(0, 20).toString('base64url');
}

/**
 * Splits `--iocs` values into feed paths and readable names: `NAME=FILE`
 * names FILE (when the whole value is not itself an existing file, and NAME
 * has no `/`); any other value is a path whose name is found later (see
 * {@link feedDisplayName}).
 */
export function splitFeedNames(values: readonly string[], exists: (path: string) => boolean): { paths: string[]; names: Map<string, string> } {
  const paths: string[] = [];
  const names = new Map<string, string>();
  for (const v of values) {
    const m = /^([^=/\\]+)=(.+)$/.exec(v);
    if (m && m[1]?.trim() && !exists(v)) {
      const path = m[2] as string;
      paths.push(path);
      names.set(path, (m[1] as string).trim());
    } else paths.push(v);
  }
  return { paths, names };
}
