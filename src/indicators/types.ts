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

/**
 * What a feed says about one indicator, all optional strings (so that a
 * source survives the compiled-indicator cache as plain JSON). Times are
 * UTC ISO 8601. See the README ("Threat-intel feed formats") for the ECS
 * field each one becomes in hits.
 */
export interface SourceMeta {
  readonly description?: string;
  readonly confidence?: string;
  readonly reference?: string;
  /** Severity label or number as the feed wrote it (`HIGH`, `3`). */
  readonly severity?: string;
  /** Who published the indicator (MISP org, OTX author, Zeek meta.source). */
  readonly provider?: string;
  /** TLP marking, lower case without the prefix (`amber`, `clear`). */
  readonly tlp?: string;
  readonly firstSeen?: string;
  readonly lastSeen?: string;
  readonly modifiedAt?: string;
  /** What to do about a hit (SCC ETD `recommendation`). */
  readonly recommendation?: string;
  /** Feed tags and labels, joined with `, `. */
  readonly tags?: string;
  /** Start of the validity window (STIX `valid_from`). */
  readonly validFrom?: string;
  /** End of the validity window (STIX `valid_until`, OTX `expiration`). */
  readonly validUntil?: string;
  /** `'true'` when the feed marks the indicator inactive (OTX `is_active: 0`). */
  readonly inactive?: string;
}

/** The keys of {@link SourceMeta}, in output order. */
export const SOURCE_META_KEYS: readonly (keyof SourceMeta)[] = [
  'description',
  'confidence',
  'reference',
  'severity',
  'provider',
  'tlp',
  'firstSeen',
  'lastSeen',
  'modifiedAt',
  'recommendation',
  'tags',
  'validFrom',
  'validUntil',
  'inactive',
];

/** Where an indicator came from, with whatever the feed said about it. */
export interface IndicatorSource extends SourceMeta {
  /** Feed name: the path of the indicator file as given on the command line. */
  readonly feed: string;
  /** 1-based line (or record number) in the feed. */
  readonly line: number;
}

/** A type a feed may declare for a value; `undefined` means "infer it". */
export type DeclaredType = IndicatorType | 'ip' | 'cidr' | 'hash' | HashAlgorithm | 'domain-or-ip';

/** A value read from a feed, before normalisation. */
export interface RawEntry extends SourceMeta {
  readonly value: string;
  readonly line: number;
  readonly declaredType?: DeclaredType;
  /**
   * Set by allowlist-only formats (MISP warninglist `substring`/`regex`):
   * the value is a pattern, not an indicator. Indicator loads skip it.
   */
  readonly pattern?: 'substring' | 'regex';
}

/** A feed entry that was skipped, with the reason. */
export interface InvalidEntry {
  readonly feed: string;
  readonly line: number;
  readonly value: string;
  readonly reason: string;
}
