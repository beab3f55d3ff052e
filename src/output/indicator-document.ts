/**
 * Indicator documents (`iochunt es indicators push`): one ECS threat-intel
 * document (`event.kind: enrichment`, `threat.indicator.*`,
 * `threat.feed.name`) per indicator as one feed lists it, with the id that
 * hits name in `threat.enrichments.matched.id`.
 */
import { hostname } from 'node:os';
import type { IndicatorStore } from '../indicators/store.js';
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
 * The documents of every indicator of `store`, one per (indicator, feed
 * that lists it), in store order. The id depends only on the indicator and
 * what its feed says about it, so pushing the same feeds again gives the
 * same ids (see {@link indicatorDocId}).
 */
export function indicatorDocuments(store: IndicatorStore, options: IndicatorDocumentOptions): IndicatorDocument[] {
  const out: IndicatorDocument[] = [];
  const host = hostname();
  for (const stored of store.all()) {
    for (const source of stored.sources) {
      const name = feedDisplayName(source, options.feedNames);
      const { indicator, extras } = indicatorFields(stored, source);
      const tags = source.tags ? source.tags.split(', ') : undefined;
      out.push({
        id: indicatorDocId(stored.indicator, source, name),
        source: {
          '@timestamp': options.timestamp,
          ecs: { version: ECS_VERSION },
          agent: { type: 'iochunt', name: host, version: version() },
          event: { kind: 'enrichment', category: ['threat'], type: ['indicator'], dataset: INDICATOR_DATASET, created: options.timestamp },
          threat: { indicator, feed: { name } },
          ...(tags ? { tags } : {}),
          iochunt: extras,
        },
      });
    }
  }
  return out;
}
