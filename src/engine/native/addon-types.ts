/**
 * The shape of the native addon's exports (see `native/src/addon.cc`).
 */

/** An opaque handle to a compiled matcher living in native memory. */
export interface NativeMatcher {
  readonly __brand: 'NativeMatcher';
}

export interface NativeAddon {
  /** Builds a matcher from flattened indicator tables (see `engine/native/native-engine.ts`). */
  compile(tables: Record<string, unknown>): NativeMatcher;
  /** Scans `buf` on the calling thread; returns packed hits. */
  scan(matcher: NativeMatcher, buf: Uint8Array): Uint32Array;
  /** Scans `buf` on a libuv worker thread. */
  scanAsync(matcher: NativeMatcher, buf: Uint8Array): Promise<Uint32Array>;
  /** Frees the matcher. */
  release(matcher: NativeMatcher): void;
  /** The matcher's Hyperscan domain database, serialised, or undefined when it walks tables instead. */
  serializedDomains(matcher: NativeMatcher): Uint8Array | undefined;
  /** Library versions, for `iochunt version` and bug reports. */
  versions(): { hyperscan: string; addon: string };
}
