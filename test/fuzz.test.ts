/**
 * Property/fuzz suite: generated feeds with every indicator type and their
 * decoys, wrapped in several log formats, mutated (cut points, CRLF, NULs,
 * BOMs, percent and JSON escapes, random boundary bytes, huge lines, gzip
 * member splits), and both engines checked against a deliberately simple
 * reference matcher written here from the README's rules (regular
 * expressions, Node's own IPv6 parser, a few loops): per line, the set of
 * indicators found must be equal, and nothing may throw.
 *
 * Budget: FUZZ_RUNS runs per property (default 25, a few seconds, in
 * `npm test`); `npm run fuzz` runs the long budget. FUZZ_SEED replays a
 * failing run (fast-check prints the seed and the shrunk counterexample).
 */
import { afterAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { rmSync } from 'node:fs';
import { isIPv6 } from 'node:net';
import { gzipSync } from 'node:zlib';
import ipaddr from 'ipaddr.js';
import type { MatchEngine } from '../src/engine/engine.js';
import { normalizeIndicator } from '../src/indicators/normalize.js';
import { IndicatorStore } from '../src/indicators/store.js';
import type { NormalizedIndicator } from '../src/indicators/types.js';
import { runCli } from './helpers/cli.js';
import { engineNames, makeEngine } from './helpers/engines.js';
import { tmpDir } from './helpers/tmp.js';

const RUNS = Math.max(1, Number(process.env.FUZZ_RUNS ?? 25));
const SEED = process.env.FUZZ_SEED ? Number(process.env.FUZZ_SEED) : undefined;
const params = (numRuns: number): fc.Parameters<unknown> => ({ numRuns, ...(SEED !== undefined ? { seed: SEED } : {}) });

// ---------------------------------------------------------------------------
// The reference matcher. Lines are latin1 strings (one char per byte).

const WORD = /[A-Za-z0-9_]/;
const isWord = (c: string | undefined): boolean => c !== undefined && WORD.test(c);
const isDomainByte = (c: string | undefined): boolean => c !== undefined && /[A-Za-z0-9_\-\x80-\xff]/.test(c);
const lowerAscii = (s: string): string => s.replace(/[A-Z]/g, (c) => c.toLowerCase());

interface Ref {
  readonly v4: Array<{ bytes: number[]; prefix: number; name: string }>;
  readonly v6: Array<{ bytes: number[]; prefix: number; name: string }>;
  readonly domains: Map<string, string>;
  readonly hashes: Map<string, string>;
  readonly emails: Map<string, string>;
  readonly urls: Map<string, string>;
  readonly bareUrls: Map<string, string>;
  /** `--domain-match exact`: a domain matches only the whole name. */
  readonly exact: boolean;
}

function refOf(indicators: readonly NormalizedIndicator[], exact = false): Ref {
  const ref: Ref = { v4: [], v6: [], domains: new Map(), hashes: new Map(), emails: new Map(), urls: new Map(), bareUrls: new Map(), exact };
  for (const i of indicators) {
    switch (i.type) {
      case 'ipv4-addr':
        ref.v4.push({ bytes: [...i.ip.bytes], prefix: i.ip.prefix, name: i.name });
        break;
      case 'ipv6-addr':
        ref.v6.push({ bytes: [...i.ip.bytes], prefix: i.ip.prefix, name: i.name });
        break;
      case 'domain-name':
        ref.domains.set(i.name, i.name);
        break;
      case 'file':
        ref.hashes.set(i.name, i.name);
        break;
      case 'email-addr':
        ref.emails.set(i.name, i.name);
        break;
      case 'url':
        (i.url.schemeless ? ref.bareUrls : ref.urls).set(i.name, i.name);
        break;
    }
  }
  return ref;
}

function inBlock(net: { bytes: number[]; prefix: number }, addr: number[]): boolean {
  for (let bit = 0; bit < net.prefix; bit++) {
    const m = 0x80 >> bit % 8;
    if (((net.bytes[bit >> 3] as number) & m) !== ((addr[bit >> 3] as number) & m)) return false;
  }
  return true;
}

function lookupIp(ref: Ref, bytes: number[], out: Set<string>): void {
  const mapped = bytes.length === 16 && bytes.slice(0, 10).every((b) => b === 0) && bytes[10] === 0xff && bytes[11] === 0xff;
  const addr = mapped ? bytes.slice(12) : bytes;
  for (const n of addr.length === 4 ? ref.v4 : ref.v6) if (inBlock(n, addr)) out.add(n.name);
}

/** Percent escapes and JSON \u00XX decoded once, `\\` kept, a leading BOM dropped; `esc` marks decoded escapes. */
function refDecode(line: string): { text: string; esc: boolean[] } {
  let text = '';
  const esc: boolean[] = [];
  const body = line.startsWith('\xef\xbb\xbf') ? line.slice(3) : line;
  for (const m of body.matchAll(/\\\\|%([0-9A-Fa-f]{2})|\\u00([0-7][0-9A-Fa-f])|[\s\S]/g)) {
    const hex = m[1] ?? m[2];
    if (hex !== undefined) {
      text += String.fromCharCode(parseInt(hex, 16));
      esc.push(true);
    } else {
      for (const c of m[0]) {
        text += c;
        esc.push(false);
      }
    }
  }
  return { text, esc };
}

const DEFAULT_PORT: Record<string, string> = { http: '80', https: '443', ws: '80', wss: '443', ftp: '21' };

/** `scheme://…` → [full key, scheme-less key] with and without its query, or undefined. */
function refUrlKeys(url: string): string[] | undefined {
  const sep = url.indexOf('://');
  const scheme = lowerAscii(url.slice(0, sep));
  const rest = url.slice(sep + 3);
  const authEnd = rest.search(/[/?#]/) < 0 ? rest.length : rest.search(/[/?#]/);
  const auth = rest.slice(0, authEnd);
  const at = auth.lastIndexOf('@');
  const user = auth.slice(0, at + 1);
  let host = auth.slice(at + 1);
  let port = '';
  const colon = host.lastIndexOf(':');
  const close = host.lastIndexOf(']');
  if (colon >= 0 && colon > close && /^\d*$/.test(host.slice(colon + 1)) && !(host.startsWith('[') && close < 0)) {
    port = host.slice(colon + 1);
    host = host.slice(0, colon);
  }
  host = lowerAscii(host).replace(/\.$/, '');
  if (host === '') return undefined;
  if (DEFAULT_PORT[scheme] === port) port = '';
  let path = rest.slice(authEnd).replace(/#.*$/s, '');
  if (path === '' || path.startsWith('?')) path = `/${path}`;
  const bare = `${user}${host}${port ? `:${port}` : ''}`;
  const keys = [`${scheme}://${bare}${path}`, `${bare}${path}`];
  const q = path.indexOf('?');
  if (q >= 0) keys.push(`${scheme}://${bare}${path.slice(0, q)}`, `${bare}${path.slice(0, q)}`);
  return keys;
}

function refUrls(ref: Ref, s: string, esc: boolean[] | undefined, out: Set<string>): void {
  for (let q = s.indexOf(':'); q >= 0; q = s.indexOf(':', q + 1)) {
    let body: number;
    let end = s.length;
    if (esc) {
      if (!(s.startsWith('//', q + 1) && (esc[q] || esc[q + 1] || esc[q + 2]))) continue;
      body = q + 3;
      for (let k = body; k < s.length; k++) if (s[k] === '&' && !esc[k]) { end = k; break; }
    } else if (s.startsWith('//', q + 1)) body = q + 3;
    else if (s.startsWith('\\/\\/', q + 1)) body = q + 5;
    else continue;
    let a = q;
    while (a > 0 && /[A-Za-z0-9+.-]/.test(s[a - 1] as string)) a--;
    while (a < q && !/[A-Za-z]/.test(s[a] as string)) a++;
    if (a === q) continue;
    let url = `${s.slice(a, q)}://`;
    for (let z = body; z < end; z++) {
      const c = s[z] as string;
      if (c === '\\' && s[z + 1] === '/') {
        url += '/';
        z++;
        continue;
      }
      if (c.charCodeAt(0) <= 0x20 || c.charCodeAt(0) === 0x7f || `"'<>\\^\`{|}`.includes(c)) break;
      url += c;
    }
    let trimmed = url.length;
    const min = q - a + 3;
    while (trimmed > min && '.,;:!?)]'.includes(url[trimmed - 1] as string)) trimmed--;
    for (let n = trimmed; n <= url.length; n++) {
      const keys = refUrlKeys(url.slice(0, n));
      if (!keys) continue;
      const found = keys.flatMap((k, i) => {
        const hit = i % 2 === 0 ? ref.urls.get(k) : ref.bareUrls.get(k);
        return hit ? [hit] : [];
      });
      if (found.length > 0) {
        for (const f of found) out.add(f);
        break;
      }
    }
  }
}

/** The 16 bytes of an IPv6 address (a dotted tail rewritten as hex first: ipaddr.js reads `::a.b.c.d` as `::ffff:a.b.c.d`). */
function v6Bytes(text: string): number[] {
  const m = /^(.*:)(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  const hex = m ? `${m[1]}${((Number(m[2]) << 8) | Number(m[3])).toString(16)}:${((Number(m[4]) << 8) | Number(m[5])).toString(16)}` : text;
  return ipaddr.IPv6.parse(hex).toByteArray();
}

/** The names of the indicators the README's rules find in one line. */
function referenceNames(ref: Ref, line: string): Set<string> {
  const out = new Set<string>();
  refUrls(ref, line, undefined, out);
  const { text: s, esc } = refDecode(line);
  refUrls(ref, s, esc, out);
  // IPv4: four strict octets, not after a word byte or '.', not before a word byte or '.'+word byte.
  const octet = '(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])';
  for (const m of s.matchAll(new RegExp(`(?<![A-Za-z0-9_.])${octet}(?:\\.${octet}){3}(?![A-Za-z0-9_])(?!\\.[A-Za-z0-9_])`, 'g'))) {
    lookupIp(ref, m[0].split('.').map(Number), out);
  }
  // IPv6: maximal runs of hex, ':' and '.', parsed by Node.
  for (const m of s.matchAll(/[0-9A-Fa-f:.]+/g)) {
    const run = m[0];
    const at = m.index;
    if (run.startsWith('.') || isWord(s[at - 1]) || (run.match(/:/g) ?? []).length < 2) continue;
    let after = at + run.length;
    if (s[after] === '%') {
      after++;
      while (after < s.length && /[A-Za-z0-9_-]/.test(s[after] as string)) after++;
    }
    if (isWord(s[after])) continue;
    let cand = run;
    let ok = isIPv6(cand);
    if (!ok && cand.endsWith('.')) ok = isIPv6((cand = cand.slice(0, -1)));
    if (!ok && cand.endsWith(':') && !cand.endsWith('::')) ok = isIPv6((cand = cand.slice(0, -1)));
    if (ok) lookupIp(ref, v6Bytes(cand), out);
  }
  // Domains: maximal runs of label bytes and dots; every label-boundary suffix.
  for (const m of s.matchAll(/[A-Za-z0-9_\-\x80-\xff.]+/g)) {
    const name = lowerAscii(m[0].replace(/^\.+|\.+$/g, ''));
    if (!name.includes('.')) continue;
    for (let k = 0; k < (ref.exact ? 1 : name.length); k++) {
      if (k > 0 && name[k - 1] !== '.') continue;
      const hit = ref.domains.get(name.slice(k));
      if (hit) out.add(hit);
    }
  }
  // Hashes: whole words of 32, 40, 64 or 128 hex digits.
  for (const m of s.matchAll(/[A-Za-z0-9_]+/g)) {
    if ([32, 40, 64, 128].includes(m[0].length) && /^[0-9a-fA-F]+$/.test(m[0])) {
      const hit = ref.hashes.get(m[0].toLowerCase());
      if (hit) out.add(hit);
    }
  }
  // E-mail: local part before each '@' (leading dots dropped), a domain run with a dot after it.
  for (let q = s.indexOf('@'); q >= 0; q = s.indexOf('@', q + 1)) {
    let a = q;
    while (a > 0 && /[A-Za-z0-9._%+-]/.test(s[a - 1] as string)) a--;
    while (a < q && s[a] === '.') a++;
    if (a === q) continue;
    let z = q + 1;
    while (z < s.length && (isDomainByte(s[z]) || s[z] === '.')) z++;
    while (z > q + 1 && s[z - 1] === '.') z--;
    if (!s.slice(q + 1, z).includes('.')) continue;
    const hit = ref.emails.get(lowerAscii(s.slice(a, z)));
    if (hit) out.add(hit);
  }
  return out;
}

// ---------------------------------------------------------------------------
// Engines, per line.

function engineNamesPerLine(engine: MatchEngine, store: IndicatorStore, buf: Buffer): Map<number, Set<string>> {
  const hits = engine.scan(buf);
  const out = new Map<number, Set<string>>();
  for (let i = 0; i < hits.length; i += 4) {
    const line = hits[i] as number;
    let set = out.get(line);
    if (!set) out.set(line, (set = new Set()));
    set.add(store.get(hits[i + 3] as number).indicator.name);
  }
  return out;
}

function lineStarts(buf: Buffer): number[] {
  const starts = [0];
  for (let i = buf.indexOf(0x0a); i >= 0; i = buf.indexOf(0x0a, i + 1)) starts.push(i + 1);
  if (starts[starts.length - 1] === buf.length && buf.length > 0) starts.pop();
  return starts;
}

/** Fails with the first line where `engine` and the reference disagree. */
function expectAgree(name: string, engine: MatchEngine, store: IndicatorStore, ref: Ref, buf: Buffer): number {
  const got = engineNamesPerLine(engine, store, buf);
  let total = 0;
  for (const start of lineStarts(buf)) {
    const end = buf.indexOf(0x0a, start);
    const line = buf.subarray(start, end < 0 ? buf.length : end).toString('latin1');
    const want = [...referenceNames(ref, line)].sort();
    const have = [...(got.get(start) ?? [])].sort();
    total += have.length;
    if (JSON.stringify(want) !== JSON.stringify(have)) {
      expect.fail(`${name} engine and the reference differ on line ${JSON.stringify(line.length > 400 ? `${line.slice(0, 400)}…` : line)}: engine ${JSON.stringify(have)}, reference ${JSON.stringify(want)}`);
    }
  }
  return total;
}

// ---------------------------------------------------------------------------
// Generators.

const SPECIAL_V4 = new Set(['0.0.0.0', '127.0.0.1']);
const label = fc.stringMatching(/^[a-z0-9](?:[a-z0-9-]{0,8}[a-z0-9])?$/);
const domainArb = fc.tuple(fc.array(label, { minLength: 1, maxLength: 3 }), fc.constantFrom('example', 'test', 'com', 'io', 'co.uk')).map(([ls, tld]) => `${ls.join('.')}.${tld}`);
const ipv4Arb = fc.ipV4().filter((ip) => !SPECIAL_V4.has(ip) && !ip.startsWith('192.0.2.'));
const hexArb = (n: number) => fc.stringMatching(new RegExp(`^[0-9a-f]{${n}}$`));
const pathArb = fc.stringMatching(/^(?:\/[A-Za-z0-9._~-]{0,8}){0,3}$/);

interface Pool {
  readonly ipv4: string[];
  readonly cidr4: Array<[string, number]>;
  readonly ipv6: string[];
  readonly cidr6: Array<[string, number]>;
  readonly domains: string[];
  readonly urls: string[];
  readonly bareUrls: string[];
  readonly hashes: string[];
  readonly emails: string[];
}

const poolArb: fc.Arbitrary<Pool> = fc.record({
  ipv4: fc.uniqueArray(ipv4Arb, { minLength: 1, maxLength: 5 }),
  cidr4: fc.array(fc.tuple(ipv4Arb, fc.constantFrom(8, 12, 16, 24, 30)), { maxLength: 2 }),
  ipv6: fc.uniqueArray(fc.ipV6(), { maxLength: 3 }),
  cidr6: fc.array(fc.tuple(fc.ipV6(), fc.constantFrom(32, 48, 64, 100)), { maxLength: 2 }),
  domains: fc.uniqueArray(domainArb, { minLength: 1, maxLength: 5 }),
  urls: fc.array(fc.tuple(fc.constantFrom('http', 'https', 'ftp'), domainArb, pathArb).map(([s, d, p]) => `${s}://${d}${p}`), { maxLength: 4 }),
  bareUrls: fc.array(fc.tuple(domainArb, pathArb).map(([d, p]) => `${d}${p || '/'}`), { maxLength: 2 }),
  hashes: fc.array(fc.oneof(hexArb(32), hexArb(40), hexArb(64)), { maxLength: 3 }),
  emails: fc.array(fc.tuple(fc.stringMatching(/^[a-z0-9_+-][a-z0-9._+-]{0,8}$/), domainArb).map(([l, d]) => `${l}@${d}`), { maxLength: 3 }),
});

/** An address inside a block (host bits from `fill`). */
function inside(net: string, prefix: number, fill: number): string {
  const bytes = ipaddr.parse(net).toByteArray();
  for (let bit = prefix; bit < bytes.length * 8; bit++) {
    if ((fill >> bit % 23) & 1) bytes[bit >> 3] = (bytes[bit >> 3] as number) | (0x80 >> bit % 8);
    else bytes[bit >> 3] = (bytes[bit >> 3] as number) & ~(0x80 >> bit % 8);
  }
  return ipaddr.fromByteArray(bytes).toString();
}

const upper = (s: string): string => s.toUpperCase();
const expand6 = (s: string): string => ipaddr.IPv6.parse(s).toNormalizedString();

/** Text pieces: indicators as logs write them, decoys, and filler. */
function pieceArb(p: Pool): fc.Arbitrary<string> {
  const choices: Array<fc.Arbitrary<string>> = [
    fc.constantFrom('GET', 'user', 'ok', 'x', '-', '200', '443', 'port', 'from', 'to', 'deny', 'c2', 'a.b', 'x@y', '10.0.0', '::', 'ff:ee'),
  ];
  const pick = <T,>(xs: readonly T[]) => fc.constantFrom(...xs);
  if (p.ipv4.length) {
    choices.push(pick(p.ipv4).chain((ip) => fc.constantFrom(ip, `::ffff:${ip}`, `[${ip}]:443`, `${ip}:8080`, `1${ip}`, `${ip}4`, `${ip}.5`, `v${ip}`, `${ip}.`, `host-${ip}`)));
  }
  if (p.cidr4.length) choices.push(fc.tuple(pick(p.cidr4), fc.nat()).map(([[n, pre], f]) => inside(n, pre, f)));
  if (p.ipv6.length) choices.push(pick(p.ipv6).chain((ip) => fc.constantFrom(ip, expand6(ip), upper(ip), `[${ip}]:443`, `${ip}%eth0`, `x${ip}`, `${ip}g`, `${ip}::`)));
  if (p.cidr6.length) choices.push(fc.tuple(pick(p.cidr6), fc.nat()).map(([[n, pre], f]) => inside(n, pre, f)));
  choices.push(pick(p.domains).chain((d) => fc.constantFrom(d, upper(d), `cdn.${d}`, `${d}.`, `not${d}`, `${d}x`, `${d}.org`, `my-${d}`, `_x.${d}`, `${d}-x`)));
  if (p.urls.length) {
    choices.push(pick(p.urls).chain((u) => fc.constantFrom(u, `${u}?id=7&x=1`, `${u}.`, `(${u})`, `${u}#frag`, u.replace(/^[a-z]+:\/\/[^/]*/, upper), `${u}x`, u.replace('://', 's://'), `${u}/`)));
  }
  if (p.bareUrls.length) choices.push(pick(p.bareUrls).chain((u) => fc.constantFrom(`http://${u}`, `https://${u}?q`, u)));
  if (p.hashes.length) choices.push(pick(p.hashes).chain((h) => fc.constantFrom(h, upper(h), `${h}0`, `a${h}`, `${h}.bin`, `sha=${h}`)));
  if (p.emails.length) choices.push(pick(p.emails).chain((e) => fc.constantFrom(e, upper(e), `x${e}`, `<${e}>`, `${e}.org`, `mailto:${e}`)));
  return fc.oneof(...choices);
}

const SEPARATORS = [' ', ' ', ' ', ',', ';', '"', "'", '(', ')', '[', ']', '=', '&', '/', ':', '\t', '|', '%20', '%2F', '%3A', '%2e', '\\u002f', '\\/'];

function lineArb(p: Pool): fc.Arbitrary<string> {
  return fc
    .tuple(fc.array(fc.tuple(pieceArb(p), fc.constantFrom(...SEPARATORS)), { minLength: 1, maxLength: 10 }), fc.constantFrom('plain', 'apache', 'json', 'json-escaped', 'syslog', 'zeek', 'query'))
    .map(([pieces, format]) => {
      const text = pieces.map(([a, b]) => a + b).join('');
      switch (format) {
        case 'apache':
          return `192.0.2.10 - - [01/Mar/2024:10:00:00 +0000] "GET /p?q=${text.replace(/[ "]/g, '+')} HTTP/1.1" 200 1 "-" "ua"`;
        case 'json':
          return `{"@timestamp":"2024-03-01T10:00:00Z","msg":${JSON.stringify(text)}}`;
        case 'json-escaped':
          return `{"msg":${JSON.stringify(text).replace(/\//g, '\\/')}}`;
        case 'syslog':
          return `<13>Mar  1 10:00:00 host app[1]: ${text}`;
        case 'zeek':
          return `1709287200.000000\tCx\t${text.replace(/ /g, '\t')}`;
        case 'query':
          // A redirect parameter: the text percent-encoded as browsers do.
          return `GET /r?next=${encodeURIComponent(text)}&lang=en HTTP/1.1`;
        default:
          return text;
      }
    });
}

/** Byte-level mutations: boundary bytes, deletions, escapes, NULs, CR, BOMs. */
type Mutation = { at: number; kind: 'insert' | 'delete' | 'escape' | 'nul' | 'bom' | 'cr' | 'upper'; byte: number };
const MANGLE = [...'.:-_@/\\%+#?=&[]()"\' \t,;0123456789abcdefABCDEFxyz'].map((c) => c.charCodeAt(0)).concat([0, 0x80, 0xc3, 0xa9, 0xff, 0xef]);
const mutationArb: fc.Arbitrary<Mutation> = fc.record({
  at: fc.nat(),
  kind: fc.constantFrom('insert', 'insert', 'delete', 'escape', 'escape', 'nul', 'bom', 'cr', 'upper'),
  byte: fc.constantFrom(...MANGLE),
});

function mutate(buf: Buffer, muts: readonly Mutation[]): Buffer {
  let b = [...buf];
  for (const m of muts) {
    if (b.length === 0) break;
    const at = m.at % (b.length + 1);
    switch (m.kind) {
      case 'insert':
        b.splice(at, 0, m.byte);
        break;
      case 'delete':
        b.splice(at, 1 + (m.byte % 3));
        break;
      case 'escape': {
        const c = b[at];
        if (c !== undefined && c !== 0x0a) b.splice(at, 1, ...Buffer.from(m.byte % 2 ? `%${c.toString(16).padStart(2, '0')}` : `%${c.toString(16).toUpperCase().padStart(2, '0')}`));
        break;
      }
      case 'nul':
        b.splice(at, 0, 0);
        break;
      case 'bom': {
        let s = at;
        while (s > 0 && b[s - 1] !== 0x0a) s--;
        b.splice(s, 0, 0xef, 0xbb, 0xbf);
        break;
      }
      case 'cr': {
        const nl = b.indexOf(0x0a, at);
        if (nl >= 0) b.splice(nl, 0, 0x0d);
        break;
      }
      case 'upper':
        b = b.map((c, i) => (i >= at && i < at + 16 && c >= 0x61 && c <= 0x7a ? c - 32 : c));
        break;
    }
  }
  return Buffer.from(b);
}

const scenarioArb = poolArb.chain((pool) =>
  fc.record({
    pool: fc.constant(pool),
    lines: fc.array(lineArb(pool), { minLength: 1, maxLength: 25 }),
    mutations: fc.array(mutationArb, { maxLength: 8 }),
    huge: fc.option(fc.tuple(fc.integer({ min: 1000, max: 100_000 }), pieceArb(pool)), { freq: 6 }),
    finalNewline: fc.boolean(),
    exact: fc.boolean(),
  }),
);

function storeOfPool(p: Pool): IndicatorStore {
  const store = new IndicatorStore();
  const values = [...p.ipv4, ...p.cidr4.map(([n, pre]) => `${n}/${pre}`), ...p.ipv6, ...p.cidr6.map(([n, pre]) => `${n}/${pre}`), ...p.domains, ...p.urls, ...p.bareUrls, ...p.hashes, ...p.emails];
  values.forEach((v, i) => {
    const r = normalizeIndicator(v);
    if (r.ok && !(r.indicator.type === 'ipv6-addr' && r.indicator.ip.prefix < 16)) store.add(r.indicator, { feed: 'fuzz', line: i + 1 });
  });
  return store;
}

function bufferOf(sc: { lines: string[]; mutations: Mutation[]; huge: [number, string] | null; finalNewline: boolean }): Buffer {
  const lines = [...sc.lines];
  if (sc.huge) {
    const [n, piece] = sc.huge;
    const pad = 'ab '.repeat(Math.ceil(n / 6));
    lines.push(`${pad}${piece}${pad}`);
  }
  const text = Buffer.from(lines.join('\n') + (sc.finalNewline ? '\n' : ''), 'utf8');
  return mutate(text, sc.mutations);
}

// ---------------------------------------------------------------------------

const ENGINES = engineNames();
const t = tmpDir();
afterAll(() => rmSync(t.dir, { recursive: true, force: true }));

describe('fuzz: engines against the reference matcher', () => {
  it(`generated feeds, log formats and mutations (${RUNS} runs)`, () => {
    let total = 0;
    fc.assert(
      fc.property(scenarioArb, (sc) => {
        const store = storeOfPool(sc.pool);
        const ind = store.all().map((s) => s.indicator);
        const ref = refOf(ind, sc.exact);
        const buf = bufferOf(sc);
        for (const name of ENGINES) {
          const engine = makeEngine(name, store, sc.exact ? 'exact' : 'subdomain');
          try {
            total += expectAgree(name, engine, store, ref, buf);
          } finally {
            engine.close();
          }
        }
      }),
      params(RUNS),
    );
    // The generator plants indicators in most lines: the runs must have found some.
    expect(total).toBeGreaterThan(0);
  });

  it(`a buffer cut at any line boundary gives the same hits as the whole (${RUNS} runs)`, () => {
    fc.assert(
      fc.property(scenarioArb, fc.nat(), (sc, cutAt) => {
        const store = storeOfPool(sc.pool);
        const buf = bufferOf(sc);
        const starts = lineStarts(buf);
        const cut = starts[cutAt % starts.length] as number;
        for (const name of ENGINES) {
          const engine = makeEngine(name, store);
          try {
            const whole = [...engine.scan(buf)];
            const a = [...engine.scan(buf.subarray(0, cut))];
            const b = [...engine.scan(buf.subarray(cut))].map((v, i) => (i % 4 === 3 ? v : v + cut));
            expect([...a, ...b]).toEqual(whole);
          } finally {
            engine.close();
          }
        }
      }),
      params(RUNS),
    );
  });
});

describe('fuzz: the CLI on gzip split into members at random cut points', () => {
  const runs = Math.max(2, Math.ceil(RUNS / 10));
  it(`reads a multi-member gzip as the plain text (${runs} runs)`, async () => {
    await fc.assert(
      fc.asyncProperty(scenarioArb, fc.array(fc.nat(), { maxLength: 4 }), async (sc, cuts) => {
        const store = storeOfPool(sc.pool);
        const feed = t.write('feed.txt', store.all().map((s) => s.indicator.name).join('\n'));
        const text = bufferOf({ ...sc, huge: null });
        const points = [...new Set(cuts.map((c) => c % (text.length + 1)))].sort((x, y) => x - y);
        const members: Buffer[] = [];
        let from = 0;
        for (const p of [...points, text.length]) {
          members.push(gzipSync(text.subarray(from, p)));
          from = p;
        }
        const plain = t.write('log.txt', text);
        const gz = t.write('log.gz', Buffer.concat(members));
        const a = await runCli(['scan', '--no-cache', '--format', 'none', '--iocs', feed, plain]);
        const b = await runCli(['scan', '--no-cache', '--format', 'none', '--iocs', feed, gz]);
        expect(b.code).toBe(a.code);
        const key = (docs: Array<Record<string, any>>) => docs.map((d) => [d.log.offset, d.event.original, d.threat.enrichments.map((e: any) => e.indicator.name)]);
        expect(key(b.docs)).toEqual(key(a.docs));
      }),
      params(runs),
    );
  }, 120_000);
});
