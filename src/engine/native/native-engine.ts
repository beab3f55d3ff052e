/**
 * The native engine: the indicator tables live in native memory and whole
 * buffers are scanned in C++, crossing into JavaScript once per buffer.
 */
import type { CompiledIndicators } from '../compile.js';
import type { MatchEngine, PackedHits } from '../engine.js';
import type { NativeAddon, NativeMatcher } from './addon-types.js';

export class NativeEngine implements MatchEngine {
  readonly kind = 'native' as const;
  private matcher: NativeMatcher | undefined;

  private constructor(
    private readonly addon: NativeAddon,
    matcher: NativeMatcher,
  ) {
    this.matcher = matcher;
  }

  /** Compiles `compiled` into a native matcher. */
  static create(addon: NativeAddon, compiled: CompiledIndicators): NativeEngine {
    return new NativeEngine(addon, addon.compile(compiled as unknown as Record<string, unknown>));
  }

  private live(): NativeMatcher {
    if (!this.matcher) throw new Error('native engine used after close()');
    return this.matcher;
  }

  scan(buf: Uint8Array): PackedHits {
    return this.addon.scan(this.live(), buf);
  }

  scanAsync(buf: Uint8Array): Promise<PackedHits> {
    return this.addon.scanAsync(this.live(), buf);
  }

  close(): void {
    if (this.matcher) this.addon.release(this.matcher);
    this.matcher = undefined;
  }
}
