import { describe, expect, it } from 'vitest';
import { jsonItems } from '../src/indicators/loaders/json-walk.js';

async function* pieces(text: string, size: number): AsyncGenerator<Buffer> {
  const bytes = Buffer.from(text, 'utf8');
  for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, i + size);
}

async function collect(text: string, size: number, select: (p: readonly (string | number)[]) => boolean) {
  const out = [];
  for await (const it of jsonItems(pieces(text, size), select)) out.push(it);
  return out;
}

describe('jsonItems', () => {
  const bundle = '\uFEFF{"type":"bundle","objects":[{"id":"a","n":1.5,"s":"caf\u00e9 \u{1F600}","x":[true,null,{"k":"v"}]},{"id":"b"}],"tail":2}';

  it('gives the same items whatever the chunk size (BOM, split UTF-8 and tokens)', async () => {
    const want = await collect(bundle, 1 << 16, (p) => p.length === 2 && p[0] === 'objects');
    expect(want.map((i) => i.value)).toEqual([
      { id: 'a', n: 1.5, s: 'caf\u00e9 \u{1F600}', x: [true, null, { k: 'v' }] },
      { id: 'b' },
    ]);
    expect(want.map((i) => i.path)).toEqual([['objects', 0], ['objects', 1]]);
    for (const size of [1, 2, 3, 7]) expect(await collect(bundle, size, (p) => p.length === 2 && p[0] === 'objects')).toEqual(want);
  });

  it('numbers NDJSON documents and selects top-level scalars', async () => {
    const items = await collect('{"a":1}\n{"a":2}\n3\n', 4, (p) => p.length === 0);
    expect(items.map((i) => [i.doc, i.value])).toEqual([[1, { a: 1 }], [2, { a: 2 }], [3, 3]]);
  });

  it('throws on malformed JSON', async () => {
    await expect(collect('{"a":[1,}', 3, () => true)).rejects.toThrow();
  });

  it('names the lines around a syntax error, and a file that ends early', async () => {
    const good = Array.from({ length: 5000 }, (_, i) => `  {"id": ${i}},`);
    const broken = [...good];
    broken[3000] = '  {"id" 3000},';
    const text = `[\n${broken.join('\n')}\n  {"id": -1}\n]\n`;
    const err = await collect(text, 1 << 16, (p) => p.length === 1).then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    expect(err?.message).toMatch(/^malformed JSON in lines (\d+)-(\d+): /);
    const [, from, to] = /lines (\d+)-(\d+)/.exec(err!.message)!.map(Number);
    // The bad line is line 3002 (the "[" is line 1).
    expect(from).toBeLessThanOrEqual(3002);
    expect(to).toBeGreaterThanOrEqual(3002);
    expect(to! - from!).toBeLessThan(200);
    await expect(collect(`[\n${good.join('\n')}\n  {"id"`, 4096, () => true)).rejects.toThrow(/^the JSON ends early, at line 5002 \(truncated file\?\)/);
  });
});
