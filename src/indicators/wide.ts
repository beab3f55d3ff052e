/**
 * Address blocks so wide that a feed listing them almost certainly means
 * something else (a bogon or special-purpose list, a typo, an IPv4-mapped
 * block such as `::ffff:0:0/96`, which is every IPv4 address): IPv4 blocks
 * shorter than /8 and IPv6 blocks shorter than /16. Feeds load them with a
 * warning; `--strict` refuses them; `iocs stats` lists them.
 */
import type { NormalizedIndicator } from './types.js';

/** Shortest IPv4 prefix that is not "very wide". */
export const WIDE_V4_BELOW = 8;
/** Shortest IPv6 prefix that is not "very wide". */
export const WIDE_V6_BELOW = 16;

// A Map, not an object: looking a name up as an object key interns the name
// (a million feed entries filled V8's string table and its garbage collections).
const SPECIAL: ReadonlyMap<string, string> = new Map([
  ['0.0.0.0', 'the unspecified address 0.0.0.0 is not an indicator (hosts-file blocklists map names to it; every listening-socket line would hit)'],
  ['127.0.0.1', 'the loopback address 127.0.0.1 is not an indicator (hosts-file blocklists map names to it; every local connection would hit)'],
  ['::', 'the unspecified address :: is not an indicator (every listening-socket line would hit)'],
  ['::1', 'the loopback address ::1 is not an indicator (every local connection would hit)'],
]);

/**
 * Why `indicator` is an address no feed can mean as a threat (`0.0.0.0`,
 * `127.0.0.1`, `::`, `::1`: the sink addresses of hosts-file blocklists), or
 * undefined. Such entries are invalid: skipped with a warning, refused by
 * `--strict`.
 */
export function specialAddressReason(indicator: NormalizedIndicator): string | undefined {
  if (indicator.type !== 'ipv4-addr' && indicator.type !== 'ipv6-addr') return undefined;
  return SPECIAL.get(indicator.name);
}

/**
 * Why `indicator` (read from the feed text `written`) is a very wide block,
 * or undefined when it is not one.
 */
export function wideBlockReason(indicator: NormalizedIndicator, written: string): string | undefined {
  if (indicator.type !== 'ipv4-addr' && indicator.type !== 'ipv6-addr') return undefined;
  const { version, prefix } = indicator.ip;
  if (version === 4 && prefix < WIDE_V4_BELOW) {
    const share = 2 ** (32 - prefix);
    const mapped = written.includes(':') ? ` (IPv4-mapped IPv6 block, read as ${indicator.name})` : '';
    return `very wide block${mapped}: /${prefix} covers ${share.toLocaleString('en-US')} IPv4 addresses${prefix === 0 ? ', all of IPv4' : ''}`;
  }
  if (version === 6 && prefix < WIDE_V6_BELOW) {
    return `very wide block: /${prefix} covers ${prefix === 0 ? 'all of IPv6' : `1/${2 ** prefix} of IPv6`}`;
  }
  return undefined;
}
