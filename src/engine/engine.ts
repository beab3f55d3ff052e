/**
 * The one narrow interface between the search pipeline and a matching
 * engine. Two implementations exist: the TypeScript reference engine
 * (`engine/js`) and the native Hyperscan-backed engine (`engine/native`).
 * Both must return exactly the same hits for the same input; the
 * differential tests hold them to it.
 */

import type { PackedTables } from './native/native-engine.js';

/**
 * Hits of one buffer, packed: four unsigned integers per hit,
 * `[lineStart, tokenStart, tokenEnd, indicatorId]`, offsets relative to the
 * scanned buffer, `tokenEnd` exclusive. Hits are sorted by those four values
 * in that order and contain no duplicates.
 */
export type PackedHits = Uint32Array;

/** Number of integers per hit in {@link PackedHits}. */
export const HIT_STRIDE = 4;

export type EngineKind = 'native' | 'js';

export interface MatchEngine {
  readonly kind: EngineKind;
  /**
   * Scans `buf`, which holds whole lines: lines end at `\n`; the last line
   * may end at the end of the buffer without one. Never reports a token that
   * crosses a newline or the end of the buffer.
   */
  scan(buf: Uint8Array): PackedHits;
  /**
   * Same as {@link scan}, possibly on another thread. `buf` must not be
   * modified until the promise settles.
   */
  scanAsync(buf: Uint8Array): Promise<PackedHits>;
  /**
   * The packed tables worth caching for this engine, when it has more to
   * cache than the tables it was built from (a serialised Hyperscan database).
   */
  cacheTables?(): PackedTables;
  /** Releases native memory; the engine is unusable afterwards. */
  close(): void;
}
