/**
 * The TypeScript reference engine. It implements the matching rules (README,
 * "Matching rules") as plainly as possible; the native engine must agree
 * with it hit for hit. It is also the fallback where the native addon is not
 * built.
 */
import { fullKey, schemelessKey, splitUrl } from '../../indicators/url.js';
import type { CompiledIndicators, KeyedIds } from '../compile.js';
import type { MatchEngine, PackedHits } from '../engine.js';
import { BitTrie } from './bit-trie.js';
import { CLASS, DIGIT, DOMAIN, HEX, LOCAL, LOWER, SCHEME, URL_STOP, V6, WORD } from './char-class.js';
import { parseDottedQuad, parseIpv6 } from './ip-parse.js';
import { decodeLine } from '../escapes.js';

const NL = 0x0a;
const DOT = 0x2e;
const COLON = 0x3a;
const SLASH = 0x2f;
const BACKSLASH = 0x5c;
const AT = 0x40;
const PERCENT = 0x25;
const AMP = 0x26;
const HASH_LENGTHS = new Set([32, 40, 64, 128]);
/** Characters taken for sentence punctuation at the end of a URL (tried without them first). */
const URL_TRAIL = new Set([...'.,;:!?)]'].map((c) => c.charCodeAt(0)));

function cls(c: number | undefined): number {
  return c === undefined ? 0 : (CLASS[c] as number);
}

/** Converts a UTF-8 key to the byte string (latin1) the engine compares against. */
function byteKey(key: string): string {
  return Buffer.from(key, 'utf8').toString('latin1');
}

function keyedMap(k: KeyedIds): Map<string, number> {
  const m = new Map<string, number>();
  k.keys.forEach((key, i) => m.set(byteKey(key), k.ids[i] as number));
  return m;
}

function isAlpha(c: number): boolean {
  return (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a);
}

function isMappedV4(b: Uint8Array): boolean {
  for (let i = 0; i < 10; i++) if (b[i] !== 0) return false;
  return b[10] === 0xff && b[11] === 0xff;
}

export class JsEngine implements MatchEngine {
  readonly kind = 'js' as const;
  private readonly v4Exact = new Map<number, number>();
  private readonly v4Trie = new BitTrie();
  private readonly v6Exact = new Map<string, number>();
  private readonly v6Trie = new BitTrie();
  private readonly hasIp: boolean;
  private readonly domains: Map<string, number>;
  private readonly hashes: Map<string, number>;
  private readonly emails: Map<string, number>;
  private readonly urls: Map<string, number>;
  private readonly urlsSchemeless: Map<string, number>;
  private readonly subdomains: boolean;

  // Per-scan state.
  private buf: Uint8Array = new Uint8Array(0);
  private hits: number[] = [];
  /** While scanning a decoded view: raw offset of every view byte (see escapes.ts), and which were escapes. */
  private rawPos: Int32Array | undefined;
  private escaped: Uint8Array | undefined;
  private lineStart = 0;
  private readonly u32 = new Uint32Array(1);
  private readonly v6 = new Uint8Array(16);
  private readonly v4bytes = new Uint8Array(4);
  private readonly found: number[] = [];

  constructor(compiled: CompiledIndicators) {
    const { ipv4, ipv6 } = compiled;
    for (let i = 0; i < ipv4.ids.length; i++) {
      const bytes = ipv4.bytes.subarray(i * 4, i * 4 + 4);
      const prefix = ipv4.prefix[i] as number;
      const id = ipv4.ids[i] as number;
      if (prefix === 32) this.v4Exact.set(((bytes[0]! << 24) | (bytes[1]! << 16) | (bytes[2]! << 8) | bytes[3]!) >>> 0, id);
      else this.v4Trie.insert(bytes, prefix, id);
    }
    for (let i = 0; i < ipv6.ids.length; i++) {
      const bytes = ipv6.bytes.subarray(i * 16, i * 16 + 16);
      const prefix = ipv6.prefix[i] as number;
      const id = ipv6.ids[i] as number;
      if (prefix === 128) this.v6Exact.set(Buffer.from(bytes).toString('latin1'), id);
      else this.v6Trie.insert(bytes, prefix, id);
    }
    // IPv4-mapped IPv6 tokens match IPv4 indicators, so both scans run whenever any IP is listed.
    this.hasIp = ipv4.ids.length > 0 || ipv6.ids.length > 0;
    this.domains = keyedMap(compiled.domains);
    this.hashes = keyedMap(compiled.hashes);
    this.emails = keyedMap(compiled.emails);
    this.urls = keyedMap(compiled.urls);
    this.urlsSchemeless = keyedMap(compiled.urlsSchemeless);
    this.subdomains = compiled.domainMatch === 'subdomain';
  }

  scan(buf: Uint8Array): PackedHits {
    this.buf = buf;
    this.hits = [];
    let s = 0;
    const n = buf.length;
    while (s < n) {
      let e = buf.indexOf(NL, s);
      if (e < 0) e = n;
      this.lineStart = s;
      this.scanLine(s, e);
      s = e + 1;
    }
    return this.pack();
  }

  scanAsync(buf: Uint8Array): Promise<PackedHits> {
    try {
      return Promise.resolve(this.scan(buf));
    } catch (err) {
      return Promise.reject(err);
    }
  }

  close(): void {
    this.buf = new Uint8Array(0);
  }

  private emit(a: number, b: number, id: number): void {
    const m = this.rawPos;
    if (m) this.hits.push(this.lineStart, m[a] as number, m[b] as number, id);
    else this.hits.push(this.lineStart, a, b, id);
  }

  private pack(): PackedHits {
    const h = this.hits;
    const count = h.length / 4;
    const order = Array.from({ length: count }, (_, i) => i);
    order.sort((x, y) => {
      for (let k = 0; k < 4; k++) {
        const d = (h[x * 4 + k] as number) - (h[y * 4 + k] as number);
        if (d !== 0) return d;
      }
      return 0;
    });
    const out: number[] = [];
    for (const i of order) {
      const q = [h[i * 4], h[i * 4 + 1], h[i * 4 + 2], h[i * 4 + 3]] as number[];
      const l = out.length;
      if (l >= 4 && out[l - 4] === q[0] && out[l - 3] === q[1] && out[l - 2] === q[2] && out[l - 1] === q[3]) continue;
      out.push(...q);
    }
    return Uint32Array.from(out);
  }

  /** ASCII-lower-cased byte string of buf[a, b). */
  private lower(a: number, b: number): string {
    let s = '';
    for (let i = a; i < b; i++) s += String.fromCharCode(LOWER[this.buf[i] as number] as number);
    return s;
  }

  private scanLine(s: number, e: number): void {
    const urls = this.urls.size > 0 || this.urlsSchemeless.size > 0;
    // URLs in the raw text; every other token in the decoded view (escapes.ts).
    if (urls) this.scanUrls(s, e, false);
    const raw = this.buf;
    const view = decodeLine(raw, s, e);
    if (view) {
      this.buf = view.bytes;
      this.rawPos = view.rawPos;
      this.escaped = view.escaped;
      s = 0;
      e = view.bytes.length;
    }
    try {
      if (this.hasIp) {
        this.scanIpv4(s, e);
        this.scanIpv6(s, e);
      }
      if (this.domains.size > 0) this.scanDomains(s, e);
      if (this.hashes.size > 0) this.scanHashes(s, e);
      if (this.emails.size > 0) this.scanEmails(s, e);
      if (view && urls) this.scanUrls(s, e, true);
    } finally {
      this.buf = raw;
      this.rawPos = undefined;
      this.escaped = undefined;
    }
  }

  private lookupV4(addr: number, a: number, b: number): void {
    const exact = this.v4Exact.get(addr);
    if (exact !== undefined) this.emit(a, b, exact);
    const bytes = this.v4bytes;
    bytes[0] = addr >>> 24;
    bytes[1] = (addr >>> 16) & 0xff;
    bytes[2] = (addr >>> 8) & 0xff;
    bytes[3] = addr & 0xff;
    this.found.length = 0;
    this.v4Trie.lookup(bytes, 32, this.found);
    for (const id of this.found) this.emit(a, b, id);
  }

  /** IPv4: four strict octets, not inside a longer word or dotted run. */
  private scanIpv4(s: number, e: number): void {
    const buf = this.buf;
    for (let p = s; p < e; p++) {
      if ((cls(buf[p]) & DIGIT) === 0) continue;
      if (p > s && ((cls(buf[p - 1]) & WORD) !== 0 || buf[p - 1] === DOT)) continue;
      const end = parseDottedQuad(buf, p, e, this.u32);
      if (end < 0) continue;
      if (end < e) {
        const c = buf[end] as number;
        if ((cls(c) & WORD) !== 0) continue;
        if (c === DOT && end + 1 < e && (cls(buf[end + 1]) & WORD) !== 0) continue;
      }
      this.lookupV4(this.u32[0] as number, p, end);
      p = end - 1;
    }
  }

  /** IPv6: a whole run of hex, `:` and `.` with at least two colons, optional `%zone`. */
  private scanIpv6(s: number, e: number): void {
    const buf = this.buf;
    for (let p = s; p < e; p++) {
      if ((cls(buf[p]) & HEX) === 0 && buf[p] !== COLON) continue;
      if (p > s) {
        const prev = buf[p - 1] as number;
        if ((cls(prev) & WORD) !== 0 || prev === COLON || prev === DOT) continue;
      }
      const a = p;
      let r = p;
      let colons = 0;
      while (r < e && (cls(buf[r]) & V6) !== 0) {
        if (buf[r] === COLON) colons++;
        r++;
      }
      p = r - 1;
      if (colons < 2) continue;
      let bound = r;
      if (bound < e && buf[bound] === PERCENT) {
        bound++;
        while (bound < e && ((cls(buf[bound]) & WORD) !== 0 || buf[bound] === 0x2d)) bound++;
      }
      if (bound < e && (cls(buf[bound]) & WORD) !== 0) continue;
      let end = r;
      let ok = parseIpv6(buf, a, end, this.v6);
      if (!ok && buf[end - 1] === DOT) {
        end--;
        ok = parseIpv6(buf, a, end, this.v6);
      }
      if (!ok && buf[end - 1] === COLON && buf[end - 2] !== COLON) {
        end--;
        ok = parseIpv6(buf, a, end, this.v6);
      }
      if (ok) this.lookupV6(this.v6, a, end);
    }
  }

  private lookupV6(bytes: Uint8Array, a: number, b: number): void {
    if (isMappedV4(bytes)) {
      const addr = ((bytes[12]! << 24) | (bytes[13]! << 16) | (bytes[14]! << 8) | bytes[15]!) >>> 0;
      this.lookupV4(addr, a, b);
      return;
    }
    const exact = this.v6Exact.get(Buffer.from(bytes).toString('latin1'));
    if (exact !== undefined) this.emit(a, b, exact);
    this.found.length = 0;
    this.v6Trie.lookup(bytes, 128, this.found);
    for (const id of this.found) this.emit(a, b, id);
  }

  /** Domains: a maximal run of label bytes and dots; every label-boundary suffix is looked up. */
  private scanDomains(s: number, e: number): void {
    const buf = this.buf;
    for (let p = s; p < e; p++) {
      const b0 = buf[p] as number;
      if ((cls(b0) & DOMAIN) === 0 && b0 !== DOT) continue;
      let r = p;
      while (r < e && ((cls(buf[r]) & DOMAIN) !== 0 || buf[r] === DOT)) r++;
      let a = p;
      let z = r;
      p = r - 1;
      while (a < z && buf[a] === DOT) a++;
      while (z > a && buf[z - 1] === DOT) z--;
      if (buf.subarray(a, z).indexOf(DOT) < 0) continue;
      const key = this.lower(a, z);
      if (!this.subdomains) {
        const id = this.domains.get(key);
        if (id !== undefined) this.emit(a, z, id);
        continue;
      }
      for (let k = 0; k < key.length; k++) {
        if (k > 0 && key.charCodeAt(k - 1) !== DOT) continue;
        const id = this.domains.get(k === 0 ? key : key.slice(k));
        if (id !== undefined) this.emit(a, z, id);
      }
    }
  }

  /** Hashes: a whole word that is 32, 40, 64 or 128 hex digits. */
  private scanHashes(s: number, e: number): void {
    const buf = this.buf;
    for (let p = s; p < e; p++) {
      if ((cls(buf[p]) & WORD) === 0) continue;
      let r = p;
      let allHex = true;
      while (r < e && (cls(buf[r]) & WORD) !== 0) {
        if ((cls(buf[r]) & HEX) === 0) allHex = false;
        r++;
      }
      const a = p;
      p = r - 1;
      if (!allHex || !HASH_LENGTHS.has(r - a)) continue;
      const id = this.hashes.get(this.lower(a, r));
      if (id !== undefined) this.emit(a, r, id);
    }
  }

  /** E-mail: local part `[A-Za-z0-9._%+-]+` (leading dots dropped), `@`, a domain run with a dot. */
  private scanEmails(s: number, e: number): void {
    const buf = this.buf;
    for (let q = buf.indexOf(AT, s); q >= 0 && q < e; q = buf.indexOf(AT, q + 1)) {
      let a = q;
      while (a > s && (cls(buf[a - 1]) & LOCAL) !== 0) a--;
      while (a < q && buf[a] === DOT) a++;
      if (a === q) continue;
      let z = q + 1;
      while (z < e && ((cls(buf[z]) & DOMAIN) !== 0 || buf[z] === DOT)) z++;
      while (z > q + 1 && buf[z - 1] === DOT) z--;
      if (buf.subarray(q + 1, z).indexOf(DOT) < 0) continue;
      const id = this.emails.get(this.lower(a, z));
      if (id !== undefined) this.emit(a, z, id);
    }
  }

  /**
   * URLs: `scheme://` (or JSON-escaped `scheme:\/\/`) up to a stop byte,
   * normalised, then shortened by trailing punctuation. With `encoded` (in a
   * decoded view), only URLs whose `://` was escaped, ending at an unescaped `&`.
   */
  private scanUrls(s: number, lineEnd: number, encoded: boolean): void {
    const buf = this.buf;
    const esc = this.escaped;
    for (let q = buf.indexOf(COLON, s); q >= 0 && q < lineEnd; q = buf.indexOf(COLON, q + 1)) {
      let bodyStart: number;
      let e = lineEnd;
      if (encoded) {
        if (!(q + 2 < e && buf[q + 1] === SLASH && buf[q + 2] === SLASH)) continue;
        if (!esc || (esc[q] === 0 && esc[q + 1] === 0 && esc[q + 2] === 0)) continue;
        bodyStart = q + 3;
        for (let k = bodyStart; k < e; k++) {
          if (buf[k] === AMP && esc[k] === 0) {
            e = k;
            break;
          }
        }
      } else if (q + 2 < e && buf[q + 1] === SLASH && buf[q + 2] === SLASH) bodyStart = q + 3;
      else if (q + 4 < e && buf[q + 1] === BACKSLASH && buf[q + 2] === SLASH && buf[q + 3] === BACKSLASH && buf[q + 4] === SLASH) bodyStart = q + 5;
      else continue;
      let a = q;
      while (a > s && (cls(buf[a - 1]) & SCHEME) !== 0) a--;
      while (a < q && !isAlpha(buf[a] as number)) a++;
      if (a === q) continue;
      let url = `${String.fromCharCode(...buf.subarray(a, q))}://`;
      let z = bodyStart;
      while (z < e) {
        const c = buf[z] as number;
        if (c === BACKSLASH && z + 1 < e && buf[z + 1] === SLASH) {
          url += '/';
          z += 2;
          continue;
        }
        if ((cls(c) & URL_STOP) !== 0) break;
        url += String.fromCharCode(c);
        z++;
      }
      // Trailing punctuation is most likely prose: try the URL without it
      // first, then give the characters back one at a time.
      let trimmed = url.length;
      const minLen = q - a + 3;
      while (trimmed > minLen && URL_TRAIL.has(url.charCodeAt(trimmed - 1))) trimmed--;
      for (let len = trimmed; len <= url.length; len++) {
        if (this.matchUrl(url.slice(0, len), a, z - (url.length - len))) break;
      }
    }
  }

  private matchUrl(url: string, a: number, z: number): boolean {
    const parts = splitUrl(url);
    if (!parts) return false;
    const before = this.hits.length;
    const look = (p: typeof parts): void => {
      const full = this.urls.get(fullKey(p));
      if (full !== undefined) this.emit(a, z, full);
      const bare = this.urlsSchemeless.get(schemelessKey(p));
      if (bare !== undefined) this.emit(a, z, bare);
    };
    look(parts);
    const qm = parts.pathQuery.indexOf('?');
    if (qm >= 0) look({ ...parts, pathQuery: parts.pathQuery.slice(0, qm) });
    return this.hits.length > before;
  }
}
