/**
 * Library entry point: the pieces of the pipeline for programmatic use.
 */
export { compileIndicators, type CompiledIndicators, type DomainMatch } from './engine/compile.js';
export type { MatchEngine, PackedHits } from './engine/engine.js';
export { createEngine, type EngineChoice } from './engine/select.js';
export { JsEngine } from './engine/js/js-engine.js';
export * from './errors.js';
export { loadFeeds, type LoadResult } from './indicators/load.js';
export { normalizeIndicator } from './indicators/normalize.js';
export { IndicatorStore } from './indicators/store.js';
export type * from './indicators/types.js';
export { buildHitDocument, withHitContext, type Enrichment, type HitContext, type HitDocument } from './output/hit-document.js';
export { ECS_VERSION } from './output/ecs-values.js';
export { indicatorDocuments, type IndicatorDocument } from './output/indicator-document.js';
export { JsonlSink } from './output/jsonl-sink.js';
export type { HitSink } from './output/sink.js';
export { search, type SearchOptions, type SearchStats } from './search/search.js';
