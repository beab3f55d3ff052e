/**
 * The native engine must return exactly the hits of the TypeScript reference
 * engine: same packed arrays, byte for byte. Checked on random corpora with
 * planted indicators and decoys (many seeds), on the same lines mangled at
 * random around token boundaries, and on every sample log in fixtures/
 * (third-party and written by the project) with indicators taken from those logs.
 */
import { describe, expect, it } from 'vitest';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { LineGenerator, LOG_FORMATS, makeIndicators, Rng, type IndicatorSet } from '../bench/corpus.js';
import { compileIndicators, type DomainMatch } from '../src/engine/compile.js';
import { JsEngine } from '../src/engine/js/js-engine.js';
import { loadNativeAddon } from '../src/engine/native/load-addon.js';
import { NativeEngine } from '../src/engine/native/native-engine.js';
import { normalizeIndicator } from '../src/indicators/normalize.js';
import { IndicatorStore } from '../src/indicators/store.js';
import { engineNames } from './helpers/engines.js';
import { OWN_LOGS, SAMPLES } from './helpers/samples.js';

const hasNative = engineNames().includes('native');

function storeFrom(values: Iterable<string>): IndicatorStore {
  const store = new IndicatorStore();
  let line = 0;
  for (const v of values) {
    const r = normalizeIndicator(v);
    if (r.ok) store.add(r.indicator, { feed: 'differential', line: ++line });
  }
  return store;
}

function setValues(set: IndicatorSet): string[] {
  return [set.ipv4, set.cidr4, set.ipv6, set.cidr6, set.domains, set.urls, set.hashes, set.emails].flat().map((i) => i.feed);
}

/** Both engines over the same store. */
function pair(store: IndicatorStore, domainMatch: DomainMatch) {
  const compiled = compileIndicators(store, { domainMatch });
  const addon = loadNativeAddon();
  if (!addon.ok) throw new Error(addon.reason);
  return { js: new JsEngine(compiled), native: NativeEngine.create(addon.addon, compiled) };
}

// Bytes that sit on token boundaries, plus some that are not text at all.
const MANGLE = [...'.:-_@/\\%+#?=&[]()"\' \t\r,;0123456789abcdefABCDEFxyzXYZ'].map((c) => c.charCodeAt(0)).concat([0, 0x80, 0xc3, 0xa9, 0xff, 0xe2]);

/** Randomly inserts, deletes, replaces and upper-cases bytes of `line`. */
function mangle(rng: Rng, line: Buffer): Buffer {
  const bytes = [...line];
  const edits = 1 + rng.int(4);
  for (let e = 0; e < edits; e++) {
    const at = rng.int(bytes.length + 1);
    switch (rng.int(4)) {
      case 0:
        bytes.splice(at, 0, MANGLE[rng.int(MANGLE.length)]!);
        break;
      case 1:
        bytes.splice(at, 1 + rng.int(3));
        break;
      case 2:
        if (at < bytes.length) bytes[at] = MANGLE[rng.int(MANGLE.length)]!;
        break;
      default:
        for (let i = at; i < Math.min(bytes.length, at + 12); i++) {
          const c = bytes[i]!;
          if (c >= 0x61 && c <= 0x7a) bytes[i] = c - 32;
        }
    }
  }
  return Buffer.from(bytes.filter((b) => b !== 0x0a));
}

const hex2 = (c: number, upper: boolean): string => {
  const h = c.toString(16).padStart(2, '0');
  return upper ? h.toUpperCase() : h;
};

/**
 * Escapes bytes of `line` as a URL parameter or a JSON string would (README,
 * "Escaped text"): percent escapes of separators, dots, letters and UTF-8
 * bytes, JSON \u00XX and \/, backslash pairs, a BOM at the start, and
 * broken escapes (`%`, `%4`, `%zz`, `\u00`).
 */
function encode(rng: Rng, line: Buffer): Buffer {
  let out = rng.int(6) === 0 ? String.fromCharCode(0xef, 0xbb, 0xbf) : '';
  const rate = 1 + rng.int(4);
  for (const c of line) {
    const r = rng.int(10);
    const special = c === 0x2f || c === 0x3a || c === 0x2e || c === 0x40 || c === 0x20 || c === 0x3d || c === 0x26 || c >= 0x80;
    if ((special && r < rate) || r === 9) {
      switch (rng.int(7)) {
        case 0:
        case 1:
        case 2:
          out += `%${hex2(c, rng.int(2) === 0)}`;
          break;
        case 3:
          out += c < 0x80 ? `\\u00${hex2(c, rng.int(2) === 0)}` : `%${hex2(c, true)}`;
          break;
        case 4:
          out += c === 0x2f ? '\\/' : `%25${hex2(c, false)}`;
          break;
        case 5:
          out += ['%', '%4', '%zz', '\\u00', '\\\\', '\\\\u002f'][rng.int(6)] + String.fromCharCode(c);
          break;
        default:
          out += String.fromCharCode(c);
      }
    } else out += String.fromCharCode(c);
  }
  return Buffer.from(out, 'latin1');
}

/** `perFormat` generated lines of every format, a third of them mangled, joined by newlines. */
function mixedLog(rng: Rng, set: IndicatorSet, perFormat: number, hitRate: number, finalNewline: boolean): Buffer {
  const parts: Buffer[] = [];
  for (const format of LOG_FORMATS) {
    const gen = new LineGenerator(rng, set, format, { hitRate, decoyRate: 0.3 });
    for (let i = 0; i < perFormat; i++) {
      const line = Buffer.from(gen.next().text);
      parts.push(rng.int(3) === 0 ? mangle(rng, line) : line);
    }
  }
  return Buffer.from(parts.map((p) => p.toString('latin1')).join('\n') + (finalNewline ? '\n' : ''), 'latin1');
}

function expectSame(js: JsEngine, native: NativeEngine, buf: Buffer, what: string): number {
  const a = js.scan(buf);
  const b = native.scan(buf);
  if (a.length !== b.length || !a.every((v, i) => v === b[i])) {
    // Name the first differing line, which is what a human needs to debug it.
    const lines = new Set<number>();
    for (let i = 0; i < Math.max(a.length, b.length); i += 4) {
      if (a[i] !== b[i] || a[i + 1] !== b[i + 1] || a[i + 2] !== b[i + 2] || a[i + 3] !== b[i + 3]) {
        lines.add((a[i] ?? b[i]) as number);
        break;
      }
    }
    const at = [...lines][0] ?? 0;
    const end = buf.indexOf(0x0a, at);
    const line = buf.subarray(at, end < 0 ? buf.length : end).toString('latin1');
    expect.fail(`${what}: engines differ (js ${a.length / 4} hits, native ${b.length / 4}) near line: ${JSON.stringify(line)}`);
  }
  return a.length / 4;
}

describe.skipIf(!hasNative)('native and TypeScript engines return identical hits', () => {
  it('on random corpora with planted indicators and decoys, 60 seeds', () => {
    let total = 0;
    for (let seed = 1; seed <= 60; seed++) {
      const rng = new Rng(seed * 7919);
      const counts = {
        ipv4: 5 + rng.int(60), cidr4: rng.int(12), ipv6: rng.int(20), cidr6: rng.int(6),
        domains: 5 + rng.int(60), urls: rng.int(25), hashes: rng.int(25), emails: rng.int(15),
      };
      const set = makeIndicators(rng, counts);
      const store = storeFrom(setValues(set));
      const domainMatch: DomainMatch = seed % 5 === 0 ? 'exact' : 'subdomain';
      const { js, native } = pair(store, domainMatch);
      // Sometimes no final newline, sometimes CRLF-ish noise is already inside.
      const buf = mixedLog(rng, set, 150, 0.3, seed % 2 === 1);
      total += expectSame(js, native, buf, `seed ${seed} (${domainMatch})`);
      native.close();
    }
    // The comparison means something only if there were plenty of hits.
    expect(total).toBeGreaterThan(5000);
  });

  it('with domain-only indicator sets, where the Hyperscan literal strategy is chosen', () => {
    let total = 0;
    for (let seed = 1; seed <= 20; seed++) {
      const rng = new Rng(seed * 104729);
      const set = makeIndicators(rng, { ipv4: 0, cidr4: 0, ipv6: 0, cidr6: 0, domains: 20 + rng.int(200), urls: 0, hashes: 0, emails: 0 });
      const domainMatch: DomainMatch = seed % 4 === 0 ? 'exact' : 'subdomain';
      const { js, native } = pair(storeFrom(setValues(set)), domainMatch);
      expect(native.cacheTables().hsDomainsDb?.length ?? 0).toBeGreaterThan(0);
      const buf = mixedLog(rng, set, 200, 0.4, false);
      total += expectSame(js, native, buf, `domain-only seed ${seed} (${domainMatch})`);
      native.close();
    }
    expect(total).toBeGreaterThan(800);
  });

  it('on escaped text: percent and JSON escapes, BOMs, encoded URLs and broken escapes, 40 seeds', () => {
    let total = 0;
    for (let seed = 1; seed <= 40; seed++) {
      const rng = new Rng(seed * 15485863);
      const counts = {
        ipv4: 5 + rng.int(40), cidr4: rng.int(8), ipv6: rng.int(12), cidr6: rng.int(4),
        domains: 5 + rng.int(40), urls: 5 + rng.int(20), hashes: rng.int(15), emails: rng.int(10),
      };
      const set = makeIndicators(rng, counts);
      const { js, native } = pair(storeFrom(setValues(set)), seed % 4 === 0 ? 'exact' : 'subdomain');
      const parts: string[] = [];
      for (const format of LOG_FORMATS) {
        const gen = new LineGenerator(rng, set, format, { hitRate: 0.5, decoyRate: 0.3 });
        for (let i = 0; i < 60; i++) {
          let line = encode(rng, Buffer.from(gen.next().text));
          if (rng.int(4) === 0) line = mangle(rng, line);
          parts.push(line.toString('latin1'));
        }
      }
      const buf = Buffer.from(parts.join('\n') + (seed % 2 === 0 ? '\n' : ''), 'latin1');
      total += expectSame(js, native, buf, `escaped seed ${seed}`);
      native.close();
    }
    expect(total).toBeGreaterThan(1000);
  });

  it('scanAsync returns what scan returns', async () => {
    const rng = new Rng(42);
    const set = makeIndicators(rng, { ipv4: 50, cidr4: 5, ipv6: 10, cidr6: 2, domains: 50, urls: 10, hashes: 10, emails: 10 });
    const { native } = pair(storeFrom(setValues(set)), 'subdomain');
    const gen = new LineGenerator(rng, set, 'apache', { hitRate: 0.5, decoyRate: 0.2 });
    const buf = Buffer.from(Array.from({ length: 2000 }, () => gen.next().text).join('\n'));
    const sync = native.scan(buf);
    const results = await Promise.all([native.scanAsync(buf), native.scanAsync(buf.subarray(0, buf.lastIndexOf(0x0a)))]);
    expect(sync.length).toBeGreaterThan(400);
    expect([...results[0]!]).toEqual([...sync]);
    expect(results[1]!.length).toBeLessThanOrEqual(sync.length);
    native.close();
  });

  it('on every real log sample, with indicators taken from those logs', () => {
    const files: string[] = [];
    const walk = (dir: string): void => {
      for (const name of readdirSync(dir).sort()) {
        const p = join(dir, name);
        if (statSync(p).isDirectory()) walk(p);
        else if (!/LICENSE|COPYING|SOURCES|\.md$|\.adoc$/.test(name)) files.push(p);
      }
    };
    walk(SAMPLES);
    walk(OWN_LOGS);
    const logs = files.filter((f) => !f.includes('ti-feeds'));
    const texts = logs.map((f) => {
      const raw = readFileSync(f);
      return raw[0] === 0x1f && raw[1] === 0x8b ? gunzipSync(raw) : raw;
    });
    // Indicators: a sample of the addresses, names, hashes and URLs the logs contain,
    // plus /16 and /24 blocks around some addresses, plus the sample feeds' entries.
    const rng = new Rng(2026);
    const values = new Set<string>();
    const all = Buffer.concat(texts).toString('latin1');
    const take = (re: RegExp, every: number, map: (m: string) => string = (m) => m): void => {
      let n = 0;
      for (const m of all.matchAll(re)) if (n++ % every === 0) values.add(map(m[0]));
    };
    take(/\b\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}\b/g, 7);
    take(/\b\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}\b/g, 53, (m) => `${m.split('.').slice(0, 2).join('.')}.0.0/16`);
    take(/\b[0-9a-f]{1,4}(?::[0-9a-f]{0,4}){2,7}\b/gi, 5);
    take(/\b(?:[a-z0-9-]+\.)+(?:com|net|org|io|ru|info|local|de|uk)\b/gi, 5);
    take(/\b[0-9a-f]{32}(?:[0-9a-f]{8}|[0-9a-f]{32})?\b/gi, 3);
    take(/https?:\/\/[^\s"'<>]+/g, 4);
    take(/[\w.+-]+@[\w-]+(?:\.[\w-]+)+/g, 2);
    for (const f of files.filter((f) => f.includes('ti-feeds') && /\.(txt|csv|ioc|sha1|sha256|md5)$/.test(f))) {
      for (const line of readFileSync(f, 'utf8').split('\n')) {
        const v = line.split(/[\s,;]/)[0];
        if (v && !v.startsWith('#') && rng.int(4) === 0) values.add(v);
      }
    }
    const store = storeFrom(values);
    expect(store.size).toBeGreaterThan(500);
    for (const domainMatch of ['subdomain', 'exact'] as const) {
      const { js, native } = pair(store, domainMatch);
      let hits = 0;
      texts.forEach((t, i) => {
        hits += expectSame(js, native, t, `${logs[i]} (${domainMatch})`);
      });
      // About 700 with the samples in fixtures/ (a floor, so that the comparison is not over nothing).
      expect(hits).toBeGreaterThan(500);
      native.close();
    }
  });
});
