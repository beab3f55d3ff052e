/**
 * Small value checks shared by the parsers.
 */
import { isIP } from 'node:net';

/** Whether `value` is an IPv4 or IPv6 address (IPv6 may carry a `%zone`). */
export function isIpAddress(value: string): boolean {
  return isIP(value.includes('%') ? value.replace(/%[^%]+$/, '') : value) !== 0;
}

/** The ECS field for a peer written as `value`: `<prefix>.ip` for an address, `<prefix>.domain` otherwise. */
export function peerField(prefix: string, value: string): string {
  return isIpAddress(value) ? `${prefix}.ip` : `${prefix}.domain`;
}

/** A whole number from a decimal string, or undefined (`-`, empty, garbage). */
export function toInt(value: string | undefined): number | undefined {
  if (value === undefined || !/^\d+$/.test(value)) return undefined;
  const n = Number(value);
  return Number.isSafeInteger(n) ? n : undefined;
}

const IANA_TRANSPORT: Readonly<Record<number, string>> = { 1: 'icmp', 6: 'tcp', 17: 'udp', 58: 'ipv6-icmp', 47: 'gre', 50: 'esp' };

/** ECS `network.transport` for an IANA protocol number. */
export function transportName(protocol: number | undefined): string | undefined {
  return protocol === undefined ? undefined : IANA_TRANSPORT[protocol];
}

/** `www.example.com.` → `www.example.com` (one trailing dot removed). */
export function stripDot(name: string): string {
  return name.endsWith('.') && name.length > 1 ? name.slice(0, -1) : name;
}
