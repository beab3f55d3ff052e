/**
 * How both engines read escaped text (README, "Matching rules", "Escaped
 * text"). IP addresses, domain names, hashes and e-mail addresses are
 * searched in a decoded view of each line, where
 *
 * - a percent escape `%XX` (two hex digits, either case) is the byte 0xXX;
 * - a JSON escape `\u00XX` of a character below U+0080 is that character
 *   (`\u002f`, `\u002E`); a backslash pair `\\` is kept as it is and never
 *   starts an escape, so `\\u002f` is not one;
 * - a UTF-8 byte-order mark at the start of a line is dropped.
 *
 * Decoding is done once, never repeated (`%252F` reads `%2F`). URLs are
 * searched in the raw text (their paths and queries are compared byte for
 * byte) and, in addition, in the decoded view when the `://` that starts
 * them was escaped (`https%3A%2F%2Fevil.example%2Fx`): such an encoded URL
 * ends where the raw text has an unescaped `&` (the next parameter of the
 * URL it sits in), or at the usual stop bytes. Hits are reported at the
 * offsets of the raw text. `native/src/escapes.h` implements the same.
 */

const PERCENT = 0x25;
const BACKSLASH = 0x5c;
const U = 0x75;
const ZERO = 0x30;

function hexVal(c: number | undefined): number {
  if (c === undefined) return -1;
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  const l = c | 0x20;
  if (l >= 0x61 && l <= 0x66) return l - 0x57;
  return -1;
}

/** The decoded view of one line: its bytes, the raw offset of each byte (and of the end), and which bytes were escapes. */
export interface DecodedView {
  readonly bytes: Uint8Array;
  /** `rawPos[i]` is the raw offset of decoded byte i; `rawPos[bytes.length]` is the raw end. */
  readonly rawPos: Int32Array;
  /** 1 where the decoded byte came from an escape. */
  readonly escaped: Uint8Array;
}

/**
 * Decodes the line `buf[s, e)` (no `\n` inside; `s` is a line start), or
 * returns undefined when decoding changes nothing.
 */
export function decodeLine(buf: Uint8Array, s: number, e: number): DecodedView | undefined {
  let first = -1;
  const bom = e - s >= 3 && buf[s] === 0xef && buf[s + 1] === 0xbb && buf[s + 2] === 0xbf;
  if (!bom) {
    for (let i = s; i < e; i++) {
      const c = buf[i];
      if (c === PERCENT || c === BACKSLASH) {
        first = i;
        break;
      }
    }
    if (first < 0) return undefined;
  }
  const bytes = new Uint8Array(e - s);
  const rawPos = new Int32Array(e - s + 1);
  const escaped = new Uint8Array(e - s);
  let n = 0;
  let changed = bom;
  let i = bom ? s + 3 : s;
  while (i < e) {
    const c = buf[i] as number;
    if (c === PERCENT && i + 2 < e) {
      const h = hexVal(buf[i + 1]);
      const l = hexVal(buf[i + 2]);
      if (h >= 0 && l >= 0) {
        rawPos[n] = i;
        escaped[n] = 1;
        bytes[n++] = h * 16 + l;
        i += 3;
        changed = true;
        continue;
      }
    } else if (c === BACKSLASH && i + 1 < e) {
      if (buf[i + 1] === BACKSLASH) {
        rawPos[n] = i;
        bytes[n++] = c;
        rawPos[n] = i + 1;
        bytes[n++] = c;
        i += 2;
        continue;
      }
      if (i + 5 < e && buf[i + 1] === U && buf[i + 2] === ZERO && buf[i + 3] === ZERO) {
        const h = hexVal(buf[i + 4]);
        const l = hexVal(buf[i + 5]);
        if (h >= 0 && h < 8 && l >= 0) {
          rawPos[n] = i;
          escaped[n] = 1;
          bytes[n++] = h * 16 + l;
          i += 6;
          changed = true;
          continue;
        }
      }
    }
    rawPos[n] = i;
    bytes[n++] = c;
    i++;
  }
  if (!changed) return undefined;
  rawPos[n] = e;
  return { bytes: bytes.subarray(0, n), rawPos: rawPos.subarray(0, n + 1), escaped: escaped.subarray(0, n) };
}

const utf8 = new TextDecoder('utf-8', { fatal: false, ignoreBOM: true });

/** True when the raw text `text` of a URL hit starts with a scheme and an unescaped `://` (or `:\/\/`): it was found in the raw text. */
function isRawUrl(text: Uint8Array): boolean {
  let i = 0;
  while (i < text.length && text[i] !== 0x3a) i++;
  return text[i + 1] === 0x2f ? text[i + 2] === 0x2f : text[i + 1] === BACKSLASH && text[i + 2] === 0x2f;
}

/**
 * The matched text of a hit, as hits show it (`matched.atomic`) and as
 * allowlists judge it: the decoded view of the raw bytes `raw` (so
 * `evil%2Eexample` reads `evil.example`, `http%3A%2F%2Fevil.example%2Fx`
 * reads `http://evil.example/x`), except for a URL found in the raw text
 * (a scheme and an unescaped `://`, which no other kind of token holds),
 * which stays as written.
 */
export function matchedText(raw: Uint8Array): string {
  if (isRawUrl(raw)) return utf8.decode(raw);
  const v = decodeLine(raw, 0, raw.length);
  return utf8.decode(v ? v.bytes : raw);
}
