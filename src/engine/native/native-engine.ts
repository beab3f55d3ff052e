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
    return NativeEngine.fromPacked(addon, packTables(compiled));
  }

  /** Compiles already packed tables (for example from the indicator cache). */
  static fromPacked(addon: NativeAddon, tables: PackedTables): NativeEngine {
    // IOCHUNT_DOMAIN_STRATEGY=hyperscan finds domains with a Hyperscan literal
    // database instead of the table walk; the benchmark compares the two.
    const strategy = process.env.IOCHUNT_DOMAIN_STRATEGY;
    const input = strategy ? { ...tables, domainStrategy: strategy } : tables;
    return new NativeEngine(addon, addon.compile(input as unknown as Record<string, unknown>));
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
export interface PackedTables {
  readonly domainMatch: CompiledIndicators['domainMatch'];
  readonly ipv4: CompiledIndicators['ipv4'];
  readonly ipv6: CompiledIndicators['ipv6'];
  readonly domains: PackedKeys;
  readonly hashes: PackedKeys;
  readonly emails: PackedKeys;
  readonly urls: PackedKeys;
  readonly urlsSchemeless: PackedKeys;
}

/** Packs compiled indicators for the addon (and the cache). */
export function packTables(c: CompiledIndicators): PackedTables {
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

/** The inverse of {@link packKeys}. */
export function unpackKeys(p: PackedKeys): KeyedIds {
  const decoder = new TextDecoder();
  const keys: string[] = new Array<string>(p.ids.length);
  for (let i = 0; i < p.ids.length; i++) keys[i] = decoder.decode(p.blob.subarray(p.offsets[i], p.offsets[i + 1]));
  return { keys, ids: p.ids };
}

/** The inverse of {@link packTables}: what the TypeScript engine builds from. */
export function unpackTables(t: PackedTables): CompiledIndicators {
  return {
    domainMatch: t.domainMatch,
    ipv4: t.ipv4,
    ipv6: t.ipv6,
    domains: unpackKeys(t.domains),
    hashes: unpackKeys(t.hashes),
    emails: unpackKeys(t.emails),
    urls: unpackKeys(t.urls),
    urlsSchemeless: unpackKeys(t.urlsSchemeless),
  };
}
