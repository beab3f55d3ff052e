/**
 * The native engine: the indicator tables live in native memory and whole
 * buffers are scanned in C++, crossing into JavaScript once per buffer.
 */
import type { CompiledIndicators, KeyedIds } from '../compile.js';
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
    return new NativeEngine(addon, addon.compile(packTables(compiled)));
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

/** Keys packed for the addon: UTF-8 bytes of every key back to back. */
export interface PackedKeys {
  readonly blob: Uint8Array;
  /** `keys + 1` boundaries into `blob`. */
  readonly offsets: Uint32Array;
  readonly ids: Uint32Array;
}

/** Packs string keys into one buffer, so that a million keys cross into C++ as three arrays. */
export function packKeys(k: KeyedIds): PackedKeys {
  const offsets = new Uint32Array(k.keys.length + 1);
  let total = 0;
  for (let i = 0; i < k.keys.length; i++) {
    total += Buffer.byteLength(k.keys[i]!, 'utf8');
    offsets[i + 1] = total;
  }
  const blob = Buffer.allocUnsafe(total);
  for (let i = 0; i < k.keys.length; i++) blob.write(k.keys[i]!, offsets[i]!, 'utf8');
  return { blob, offsets, ids: k.ids };
}

/** The table object `addon.compile` reads (see native/src/addon.cc). */
export function packTables(c: CompiledIndicators): Record<string, unknown> {
  return {
    domainMatch: c.domainMatch,
    ipv4: c.ipv4,
    ipv6: c.ipv6,
    domains: packKeys(c.domains),
    hashes: packKeys(c.hashes),
    emails: packKeys(c.emails),
    urls: packKeys(c.urls),
    urlsSchemeless: packKeys(c.urlsSchemeless),
  };
}
