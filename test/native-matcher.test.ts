/**
 * The native matcher's fast paths (see native/src/classify.h and filters.h):
 * every edge case of test/helpers/native-cases.ts must give the TypeScript
 * engine's hits, hit what it should and nothing else; the scalar byte
 * classification (IOCHUNT_NATIVE_SIMD=0) must give the same hits as the AVX2
 * and AVX-512BW ones.
 */
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { engineNames, makeEngine } from './helpers/engines.js';
import { casesStore, nativeCases, TOKENS } from './helpers/native-cases.js';

const hasNative = engineNames().includes('native');

describe.skipIf(!hasNative)('native matcher fast paths', () => {
  const store = casesStore();
  const native = makeEngine('native', store);
  const js = makeEngine('js', store);
  const cases = nativeCases();

  it.each(TOKENS.map(([token, name]) => [token, name]))('%j at every offset hits %j (or nothing) and only that', (token, name) => {
    const mine = cases.filter((c) => c.token === token);
    expect(mine.length).toBeGreaterThan(0);
    for (const c of mine) {
      const buf = Buffer.from(c.text, 'utf8');
      const hits = native.scan(buf);
      expect(Array.from(hits), JSON.stringify(c.text)).toEqual(Array.from(js.scan(buf)));
      const names = new Set<string>();
      for (let i = 3; i < hits.length; i += 4) names.add(store.get(hits[i] as number).indicator.name);
      if (c.expect !== undefined) expect([...names], JSON.stringify(c.text)).toEqual(name === '' ? [] : [name]);
    }
  });

  it('empty and one-byte buffers hit nothing', () => {
    for (const text of ['', '.', ':', '@', '%', '\n', '\u00ff', '1', 'a'])
      expect(Array.from(native.scan(Buffer.from(text, 'utf8')))).toEqual([]);
  });

  it('gives the same hits with the scalar, AVX2 and AVX-512 byte classifications', () => {
    const script = fileURLToPath(new URL('./helpers/native-cases.ts', import.meta.url));
    const run = (simd: string): string =>
      execFileSync(process.execPath, ['--import', 'tsx', script], {
        env: { ...process.env, IOCHUNT_NATIVE_SIMD: simd },
        maxBuffer: 256 << 20,
        encoding: 'utf8',
      });
    // 0: the table-driven loop, 1: AVX2 (at most), 2: AVX-512BW (at most);
    // each falls back to what the CPU has.
    const scalar = JSON.parse(run('0')) as number[][];
    expect(scalar.length).toBe(cases.length);
    expect(scalar.some((h) => h.length > 0)).toBe(true);
    expect(JSON.parse(run('1'))).toEqual(scalar);
    expect(JSON.parse(run('2'))).toEqual(scalar);
  }, 120_000);
});
