/**
 * Indicator model shared by loaders, the store, the compiler and hit output.
 */

/** STIX 2.1 cyber-observable names, as used by ECS `threat.indicator.type`. */
export type IndicatorType = 'ipv4-addr' | 'ipv6-addr' | 'domain-name' | 'url' | 'file' | 'email-addr';

export const INDICATOR_TYPES: readonly IndicatorType[] = [
  'ipv4-addr',
  'ipv6-addr',
  'domain-name',
  'url',
  'file',
  'email-addr',
];

/** File hash algorithms iochunt recognises, keyed by hex length (32, 40, 64, 128). */
export type HashAlgorithm = 'md5' | 'sha1' | 'sha256' | 'sha512';

/** An IPv4/IPv6 address or CIDR block, already canonical. */
export interface IpValue {
  readonly version: 4 | 6;
  /** Network address bytes (4 or 16), host bits cleared for a CIDR. */
  readonly bytes: Uint8Array;
  /** Prefix length; 32 (v4) or 128 (v6) for a single address. */
  readonly prefix: number;
}

/** A URL indicator after normalisation (see `indicators/url.ts`). */
export interface UrlValue {
  /** `true` when the indicator had no scheme (Zeek intel style): it matches any scheme. */
  readonly schemeless: boolean;
  /** Match keys, one per host spelling (punycode and, for IDNs, Unicode). */
  readonly keys: readonly string[];
  /** Host as written in the canonical name (punycode for IDNs). */
  readonly host: string;
}

/**
 * One indicator in canonical form. `name` is what hits show as
 * `threat.enrichments[].indicator.name` and, with `type`, the identity used to
 * merge the same indicator coming from several feeds.
 */
export type NormalizedIndicator =
  | { readonly type: 'ipv4-addr' | 'ipv6-addr'; readonly name: string; readonly ip: IpValue }
  | {
      readonly type: 'domain-name';
      readonly name: string;
      /** Lookup keys: the ASCII (punycode) name and, for IDNs, the lower-case Unicode name. */
      readonly keys: readonly string[];
    }
  | { readonly type: 'url'; readonly name: string; readonly url: UrlValue }
  | { readonly type: 'file'; readonly name: string; readonly algorithm: HashAlgorithm }
  | {
      readonly type: 'email-addr';
      readonly name: string;
      /** Lookup keys: `local@ascii-domain` and, for IDN domains, `local@unicode-domain`. */
      readonly keys: readonly string[];
    };

/** Where an indicator came from, with whatever the feed said about it. */
export interface IndicatorSource {
  /** Feed name: the path of the indicator file as given on the command line. */
  readonly feed: string;
  /** 1-based line (or record number) in the feed. */
  readonly line: number;
  readonly description?: string;
  readonly confidence?: string;
  readonly reference?: string;
  readonly severity?: string;
}

/** A type a feed may declare for a value; `undefined` means "infer it". */
export type DeclaredType = IndicatorType | 'ip' | 'cidr' | 'hash' | HashAlgorithm | 'domain-or-ip';

/** A value read from a feed, before normalisation. */
export interface RawEntry {
  readonly value: string;
  readonly line: number;
  readonly declaredType?: DeclaredType;
  readonly description?: string;
  readonly confidence?: string;
  readonly reference?: string;
  readonly severity?: string;
}

/** A feed entry that was skipped, with the reason. */
export interface InvalidEntry {
  readonly feed: string;
  readonly line: number;
  readonly value: string;
  readonly reason: string;
}
