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
    private readonly tables: PackedTables,
  ) {
    this.matcher = matcher;
  }

  /** Compiles `compiled` into a native matcher. */
  static create(addon: NativeAddon, compiled: CompiledIndicators): NativeEngine {
    return NativeEngine.fromPacked(addon, packTables(compiled));
  }

  /** Compiles already packed tables (for example from the indicator cache). */
  static fromPacked(addon: NativeAddon, tables: PackedTables): NativeEngine {
    const domainStrategy = chooseDomainStrategy(tables);
    // A serialised database is only valid for the strategy it was made for.
    const input: PackedTables = { ...tables, domainStrategy, ...(domainStrategy === 'hyperscan' ? {} : { hsDomainsDb: undefined }) };
    return new NativeEngine(addon, addon.compile(input as unknown as Record<string, unknown>), input);
  }

  /** The tables to cache: as given, plus the serialised Hyperscan database when there is one. */
  cacheTables(): PackedTables {
    const db = this.addon.serializedDomains(this.live());
    return { ...this.tables, ...(db ? { hsDomainsDb: db } : {}) };
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

/** How the native engine finds domain names: walking every dotted run through hash tables, or a Hyperscan literal database. */
export type DomainStrategy = 'table' | 'hyperscan';

/** Most domain keys for which a Hyperscan database is built (its compile time grows with the count). */
export const HYPERSCAN_DOMAIN_LIMIT = 200_000;

/**
 * The domain strategy for `tables`. Hyperscan finds domain keys in a buffer
 * about twice as fast as the table walk, but the walk over dotted runs is
 * needed for IPv4 addresses anyway, so Hyperscan pays only when there are
 * no IP indicators (measured: bench/README.md). `IOCHUNT_DOMAIN_STRATEGY`
 * overrides the choice.
 */
export function chooseDomainStrategy(tables: PackedTables, env: NodeJS.ProcessEnv = process.env): DomainStrategy {
  const forced = env.IOCHUNT_DOMAIN_STRATEGY;
  if (forced === 'table' || forced === 'hyperscan') return forced;
  const domains = tables.domains.ids.length;
  const ips = tables.ipv4.ids.length + tables.ipv6.ids.length;
  return ips === 0 && domains > 0 && domains <= HYPERSCAN_DOMAIN_LIMIT ? 'hyperscan' : 'table';
}

/** The table object `addon.compile` reads (see native/src/addon.cc). */
export interface PackedTables {
  /** Set by the engine when it compiles; see {@link chooseDomainStrategy}. */
  readonly domainStrategy?: DomainStrategy;
  /** A serialised Hyperscan domain database from an earlier run (the cache). */
  readonly hsDomainsDb?: Uint8Array | undefined;
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
