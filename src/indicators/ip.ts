/**
 * IP address and CIDR indicators: strict parsing (inet_pton rules: no octal,
 * no leading zeros, no shortened IPv4), canonical naming (dotted quad, RFC 5952
 * for IPv6, CIDR with its network address) and IPv4-mapped unwrapping.
 */
import { isIPv4, isIPv6 } from 'node:net';
import ipaddr from 'ipaddr.js';
import type { IpValue } from './types.js';

/** Result of {@link parseIpIndicator}: a canonical value, or why it is not one. */
export type IpParse = { ok: true; name: string; ip: IpValue } | { ok: false; reason: string };

const CIDR_SUFFIX = /\/(\d{1,3})$/;
const OCTET = '(25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]\\d|\\d)';
/** A dotted quad as `isIPv4` reads it (Node's own pattern): no leading zeros, each part 0–255. */
const DOTTED_QUAD = new RegExp(`^${OCTET}\\.${OCTET}\\.${OCTET}\\.${OCTET}$`);

/** Formats network bytes (4 or 16) as a canonical address string. */
export function formatIpBytes(bytes: Uint8Array): string {
  if (bytes.length === 4) return `${bytes[0]}.${bytes[1]}.${bytes[2]}.${bytes[3]}`;
  return ipaddr.fromByteArray(Array.from(bytes)).toString();
}

function maskBytes(bytes: Uint8Array, prefix: number): Uint8Array {
  const out = new Uint8Array(bytes);
  for (let i = 0; i < out.length; i++) {
    const bitsHere = Math.max(0, Math.min(8, prefix - i * 8));
    out[i] = (out[i] ?? 0) & ((0xff << (8 - bitsHere)) & 0xff);
  }
  return out;
}

function isMappedV4(bytes: Uint8Array): boolean {
  for (let i = 0; i < 10; i++) if (bytes[i] !== 0) return false;
  return bytes[10] === 0xff && bytes[11] === 0xff;
}

/**
 * Writes an IPv6 address's trailing dotted quad as two hex groups
 * (`::1.2.3.4` → `::102:304`): ipaddr.js reads every `::a.b.c.d` as the
 * IPv4-mapped `::ffff:a.b.c.d`, but `::1.2.3.4` (IPv4-compatible) is another
 * address, and the engines read it as the bytes it names.
 */
function dottedTailAsHex(s: string): string {
  const m = /^(.*:)(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(s);
  if (!m) return s;
  const [a, b, c, d] = [m[2], m[3], m[4], m[5]].map(Number) as [number, number, number, number];
  return `${m[1]}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
}

/**
 * Parses an IP address or CIDR block in any common spelling: `10.1.2.3`,
 * `10.0.0.0/8`, `2001:DB8::1`, `[2001:db8::1]`, `fe80::1%eth0`, `::ffff:10.1.2.3`,
 * and an address with a port (`10.1.2.3:443`, `[2001:db8::1]:443`), which names the address.
 * IPv4-mapped IPv6 values become IPv4 indicators. A CIDR whose host bits are set
 * (`10.1.2.3/8`) is accepted and named by its network address (`10.0.0.0/8`).
 */
export function parseIpIndicator(text: string): IpParse {
  let s = text.trim();
  let prefix: number | undefined;
  const m = CIDR_SUFFIX.exec(s);
  if (m) {
    prefix = Number(m[1]);
    s = s.slice(0, m.index);
  }
  // An address with a port (`1.2.3.4:443`, `[2001:db8::1]:443`) names the address.
  const v4port = /^(\d{1,3}(?:\.\d{1,3}){3}):\d{1,5}$/.exec(s);
  if (v4port && prefix === undefined) s = v4port[1] ?? s;
  const v6port = /^(\[[^\]]+\]):\d{1,5}$/.exec(s);
  if (v6port && prefix === undefined) s = v6port[1] ?? s;
  if (s.startsWith('[') && s.endsWith(']')) s = s.slice(1, -1);
  const zone = s.indexOf('%');
  if (zone > 0 && s.includes(':')) s = s.slice(0, zone);

  let bytes: Uint8Array;
  let version: 4 | 6;
  const quad = DOTTED_QUAD.exec(s);
  if (quad) {
    // The common case, read without ipaddr.js (what isIPv4 accepts: no leading zeros, each part ≤ 255).
    version = 4;
    bytes = new Uint8Array([Number(quad[1]), Number(quad[2]), Number(quad[3]), Number(quad[4])]);
  } else if (isIPv4(s)) {
    version = 4;
    bytes = Uint8Array.from(ipaddr.IPv4.parse(s).toByteArray());
  } else if (isIPv6(s)) {
    version = 6;
    bytes = Uint8Array.from(ipaddr.IPv6.parse(dottedTailAsHex(s)).toByteArray());
  } else {
    return { ok: false, reason: 'not an IP address' };
  }

  const max = version === 4 ? 32 : 128;
  if (prefix === undefined) prefix = max;
  if (prefix > max) return { ok: false, reason: `prefix /${prefix} is longer than ${max} bits` };

  if (version === 6 && isMappedV4(bytes) && prefix >= 96) {
    version = 4;
    bytes = bytes.slice(12);
    prefix -= 96;
  }

  const net = maskBytes(bytes, prefix);
  const full = version === 4 ? 32 : 128;
  const addr = formatIpBytes(net);
  const name = prefix === full ? addr : `${addr}/${prefix}`;
  return { ok: true, name, ip: { version, bytes: net, prefix } };
}

/** True when `text` looks like it was meant as an IP or CIDR (used to pick the type to report). */
export function looksLikeIp(text: string): boolean {
  return /^\[?[0-9a-f:.]+(?:%[\w.-]+)?\]?(?::\d+)?(?:\/\d+)?$/i.test(text) && (text.includes(':') || (text.includes('.') && /\d/.test(text)));
}
