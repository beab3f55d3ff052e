/**
 * Byte-level IPv4/IPv6 parsing with inet_pton's strictness (no leading zeros
 * in dotted quads, at most one `::`, groups of 1–4 hex digits), used by the
 * TypeScript engine on tokens in log lines. `native/src/ip_parse.h` mirrors it.
 */
import { CLASS, DIGIT, HEX } from './char-class.js';

/**
 * Parses four dotted decimal octets starting at `p`, not reading at or past
 * `limit`. Returns the end offset (exclusive) and writes the address to
 * `out[0]`, or returns -1. Does not check what follows the address.
 */
export function parseDottedQuad(buf: Uint8Array, p: number, limit: number, out: Uint32Array): number {
  let pos = p;
  let value = 0;
  for (let octet = 0; octet < 4; octet++) {
    const start = pos;
    let v = 0;
    while (pos < limit && pos - start < 3 && ((CLASS[buf[pos] as number] as number) & DIGIT) !== 0) {
      v = v * 10 + ((buf[pos] as number) - 0x30);
      pos++;
    }
    const len = pos - start;
    if (len === 0) return -1;
    if (pos < limit && ((CLASS[buf[pos] as number] as number) & DIGIT) !== 0) return -1;
    if (len > 1 && buf[start] === 0x30) return -1;
    if (v > 255) return -1;
    value = value * 256 + v;
    if (octet < 3) {
      if (pos < limit && buf[pos] === 0x2e) pos++;
      else return -1;
    }
  }
  out[0] = value >>> 0;
  return pos;
}

const scratch = new Uint32Array(1);

/**
 * Parses `buf[a, b)` as one complete IPv6 address (optionally ending in a
 * dotted quad) into the 16 bytes of `out`. Returns false when it is not one.
 */
export function parseIpv6(buf: Uint8Array, a: number, b: number, out: Uint8Array): boolean {
  const groups: number[] = [];
  let dbl = -1;
  let i = a;
  if (b - a < 2) return false;
  if (buf[i] === 0x3a) {
    if (buf[i + 1] !== 0x3a) return false;
    dbl = 0;
    i += 2;
    if (i === b) {
      out.fill(0);
      return true;
    }
  }
  let tailV4 = -1;
  for (;;) {
    const start = i;
    let v = 0;
    while (i < b && i - start < 4 && ((CLASS[buf[i] as number] as number) & HEX) !== 0) {
      const c = buf[i] as number;
      v = v * 16 + (c <= 0x39 ? c - 0x30 : (c | 0x20) - 0x57);
      i++;
    }
    if (i < b && buf[i] === 0x2e) {
      // Embedded IPv4: must run to the end and take the place of two groups.
      const end = parseDottedQuad(buf, start, b, scratch);
      if (end !== b) return false;
      tailV4 = scratch[0] as number;
      break;
    }
    if (i === start) return false;
    if (i < b && ((CLASS[buf[i] as number] as number) & HEX) !== 0) return false;
    groups.push(v);
    if (groups.length > 8) return false;
    if (i === b) break;
    if (buf[i] !== 0x3a) return false;
    i++;
    if (i < b && buf[i] === 0x3a) {
      if (dbl >= 0) return false;
      dbl = groups.length;
      i++;
      if (i === b) break;
    } else if (i === b) {
      return false;
    }
  }
  const words = groups.slice();
  if (tailV4 >= 0) words.push(tailV4 >>> 16, tailV4 & 0xffff);
  if (dbl < 0) {
    if (words.length !== 8) return false;
  } else {
    if (words.length > 7) return false;
    const zeros = new Array<number>(8 - words.length).fill(0);
    // Groups before the `::` stay in front; the embedded IPv4 (if any) is always after it.
    const before = groups.slice(0, dbl);
    const after = words.slice(dbl);
    words.length = 0;
    words.push(...before, ...zeros, ...after);
  }
  for (let k = 0; k < 8; k++) {
    const w = words[k] as number;
    out[k * 2] = w >> 8;
    out[k * 2 + 1] = w & 0xff;
  }
  return true;
}
