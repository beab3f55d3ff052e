/**
 * Byte classes of the matching rules (README, "Matching rules"). The native
 * engine has the same table in `native/src/char_class.h`.
 */
import { isUrlStop } from '../../indicators/url.js';

/** `[A-Za-z0-9_]`: a token touching one of these is part of a longer word. */
export const WORD = 1;
export const DIGIT = 2;
/** `[0-9A-Fa-f]` */
export const HEX = 4;
/** Domain label bytes: `[A-Za-z0-9_-]` and every byte >= 0x80 (UTF-8 of IDNs). */
export const DOMAIN = 8;
/** E-mail local part: `[A-Za-z0-9._%+-]`. */
export const LOCAL = 16;
/** Bytes of an IPv6 run: hex, `:` and `.`. */
export const V6 = 32;
/** URL scheme: `[A-Za-z0-9+.-]`. */
export const SCHEME = 64;
/** Bytes that end a URL. */
export const URL_STOP = 128;

function build(): Uint8Array {
  const t = new Uint8Array(256);
  const set = (from: number, to: number, bits: number): void => {
    for (let c = from; c <= to; c++) t[c] = (t[c] ?? 0) | bits;
  };
  const ch = (s: string): number => s.charCodeAt(0);
  set(ch('A'), ch('Z'), WORD | DOMAIN | LOCAL | SCHEME);
  set(ch('a'), ch('z'), WORD | DOMAIN | LOCAL | SCHEME);
  set(ch('0'), ch('9'), WORD | DIGIT | HEX | DOMAIN | LOCAL | V6 | SCHEME);
  set(ch('A'), ch('F'), HEX | V6);
  set(ch('a'), ch('f'), HEX | V6);
  set(ch('_'), ch('_'), WORD | DOMAIN | LOCAL);
  set(ch('-'), ch('-'), DOMAIN | LOCAL | SCHEME);
  set(ch('.'), ch('.'), LOCAL | V6 | SCHEME);
  set(ch('%'), ch('%'), LOCAL);
  set(ch('+'), ch('+'), LOCAL | SCHEME);
  set(ch(':'), ch(':'), V6);
  set(0x80, 0xff, DOMAIN);
  for (let c = 0; c < 256; c++) if (isUrlStop(c)) t[c] = (t[c] ?? 0) | URL_STOP;
  return t;
}

/** Class bits of every byte value. */
export const CLASS: Uint8Array = build();

/** ASCII lower-case of every byte value (other bytes unchanged). */
export const LOWER: Uint8Array = (() => {
  const t = new Uint8Array(256);
  for (let c = 0; c < 256; c++) t[c] = c >= 0x41 && c <= 0x5a ? c + 32 : c;
  return t;
})();
