/**
 * Flattens an {@link IndicatorStore} into the lookup tables both engines
 * build their matchers from. Keys are UTF-8 strings; engines compare bytes.
 */
import type { IndicatorStore } from '../indicators/store.js';

/** How domain indicators match: also every subdomain (default), or only the name itself. */
export type DomainMatch = 'subdomain' | 'exact';

/** Lookup keys and the indicator id each one maps to (a key maps to exactly one id). */
export interface KeyedIds {
  readonly keys: readonly string[];
  readonly ids: Uint32Array;
}

/** Address blocks: `bytes` holds 4 (IPv4) or 16 (IPv6) bytes per entry. */
export interface IpBlocks {
  readonly bytes: Uint8Array;
  readonly prefix: Uint8Array;
  readonly ids: Uint32Array;
}

/** Everything an engine needs to match; produced by {@link compileIndicators}. */
export interface CompiledIndicators {
  readonly domainMatch: DomainMatch;
  /** Single addresses have prefix 32 / 128. */
  readonly ipv4: IpBlocks;
  readonly ipv6: IpBlocks;
  readonly domains: KeyedIds;
  /** Lower-case hex. */
  readonly hashes: KeyedIds;
  readonly emails: KeyedIds;
  /** Normalised `scheme://host…` keys. */
  readonly urls: KeyedIds;
  /** Normalised keys of scheme-less URL indicators (`host/path`). */
  readonly urlsSchemeless: KeyedIds;
}

class KeyedBuilder {
  readonly keys: string[] = [];
  readonly ids: number[] = [];
  add(key: string, id: number): void {
    this.keys.push(key);
    this.ids.push(id);
  }
  build(): KeyedIds {
    return { keys: this.keys, ids: Uint32Array.from(this.ids) };
  }
}

class IpBuilder {
  readonly bytes: number[] = [];
  readonly prefix: number[] = [];
  readonly ids: number[] = [];
  add(bytes: Uint8Array, prefix: number, id: number): void {
    for (const b of bytes) this.bytes.push(b);
    this.prefix.push(prefix);
    this.ids.push(id);
  }
  build(): IpBlocks {
    return { bytes: Uint8Array.from(this.bytes), prefix: Uint8Array.from(this.prefix), ids: Uint32Array.from(this.ids) };
  }
}

/** Builds the engine tables for every indicator in `store`. */
export function compileIndicators(store: IndicatorStore, options: { domainMatch?: DomainMatch } = {}): CompiledIndicators {
  const v4 = new IpBuilder();
  const v6 = new IpBuilder();
  const domains = new KeyedBuilder();
  const hashes = new KeyedBuilder();
  const emails = new KeyedBuilder();
  const urls = new KeyedBuilder();
  const urlsSchemeless = new KeyedBuilder();
  for (const { id, indicator } of store.all()) {
    switch (indicator.type) {
      case 'ipv4-addr':
        v4.add(indicator.ip.bytes, indicator.ip.prefix, id);
        break;
      case 'ipv6-addr':
        v6.add(indicator.ip.bytes, indicator.ip.prefix, id);
        break;
      case 'domain-name':
        for (const k of indicator.keys) domains.add(k, id);
        break;
      case 'file':
        hashes.add(indicator.name, id);
        break;
      case 'email-addr':
        for (const k of indicator.keys) emails.add(k, id);
        break;
      case 'url':
        for (const k of indicator.url.keys) (indicator.url.schemeless ? urlsSchemeless : urls).add(k, id);
        break;
    }
  }
  return {
    domainMatch: options.domainMatch ?? 'subdomain',
    ipv4: v4.build(),
    ipv6: v6.build(),
    domains: domains.build(),
    hashes: hashes.build(),
    emails: emails.build(),
    urls: urls.build(),
    urlsSchemeless: urlsSchemeless.build(),
  };
}
