/**
 * Indicator documents (`iochunt es indicators push`): one ECS threat-intel
 * document (`event.kind: enrichment`, `threat.indicator.*`,
 * `threat.feed.name`) per indicator as one feed lists it, with the id that
 * hits name in `threat.enrichments.matched.id`.
 */
import { hostname } from 'node:os';
import type { IndicatorStore, StoredIndicator } from '../indicators/store.js';
import type { IndicatorSource } from '../indicators/types.js';
import { version } from '../version.js';
import { ECS_VERSION, feedDisplayName, indicatorDocId } from './ecs-values.js';
import { indicatorFields } from './hit-document.js';

/** The dataset of indicator documents (`logs-ti_iochunt.indicators-<namespace>`). */
export const INDICATOR_DATASET = 'ti_iochunt.indicators';

/** An indicator document and its `_id`. */
export interface IndicatorDocument {
  readonly id: string;
  readonly source: Record<string, unknown>;
}

export interface IndicatorDocumentOptions {
  /** Readable feed names by path (`--iocs NAME=FILE`). */
  readonly feedNames?: ReadonlyMap<string, string>;
  /** `@timestamp` and `event.created`: when the set was pushed. */
  readonly timestamp: string;
}

/**
 * The indicator documents of a store, by position: every id at once (cheap),
 * each document's source only when asked for (a push builds only the
 * documents the cluster does not have yet).
 */
export interface IndicatorDocumentSet {
  /** The `_id` of every document, one per (indicator, feed that lists it), in store order. */
  readonly ids: readonly string[];
  /** The source of document `i` (built on each call). */
  source(i: number): Record<string, unknown>;
}

/**
 * The indicator documents of `store`. The id depends only on the indicator
 * and what its feed says about it, so pushing the same feeds again gives the
 * same ids (see {@link indicatorDocId}).
 */
export function indicatorDocumentSet(store: IndicatorStore, options: IndicatorDocumentOptions): IndicatorDocumentSet {
  const entries: Array<{ stored: StoredIndicator; source: IndicatorSource; name: string }> = [];
  const ids: string[] = [];
  for (const stored of store.all()) {
    for (const source of stored.sources) {
      const name = feedDisplayName(source, options.feedNames);
      entries.push({ stored, source, name });
      ids.push(indicatorDocId(stored.indicator, source, name));
    }
  }
  const host = hostname();
  return {
    ids,
    source(i) {
      const { stored, source, name } = entries[i] as (typeof entries)[number];
      const { indicator, extras } = indicatorFields(stored, source);
      const tags = source.tags ? source.tags.split(', ') : undefined;
      return {
        '@timestamp': options.timestamp,
        ecs: { version: ECS_VERSION },
        agent: { type: 'iochunt', name: host, version: version() },
        event: { kind: 'enrichment', category: ['threat'], type: ['indicator'], dataset: INDICATOR_DATASET, created: options.timestamp },
        threat: { indicator, feed: { name } },
        ...(tags ? { tags } : {}),
        iochunt: extras,
      };
    },
  };
}

/** Every indicator document of `store`, built (for tests and the library; a push uses {@link indicatorDocumentSet}). */
export function indicatorDocuments(store: IndicatorStore, options: IndicatorDocumentOptions): IndicatorDocument[] {
  const set = indicatorDocumentSet(store, options);
  return set.ids.map((id, i) => ({ id, source: set.source(i) }));
}
