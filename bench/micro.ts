/**
 * `npm run bench:micro`: tinybench micro-benchmarks of the hot functions,
 * on the same generated data as `npm run bench`:
 *
 * - scanning one 1 MiB block of Apache log, native engine and TypeScript engine;
 * - turning the hits of a block into hit documents (the only per-line work in JavaScript);
 * - normalising feed entries (the cold start);
 * - compiling the native matcher from packed tables (the cached start).
 *
 * Nothing here is a test: it prints a table and exits.
 */
import { Bench } from 'tinybench';
import { compileIndicators } from '../src/engine/compile.js';
import { JsEngine } from '../src/engine/js/js-engine.js';
import { loadNativeAddon } from '../src/engine/native/load-addon.js';
import { NativeEngine, packTables } from '../src/engine/native/native-engine.js';
import { normalizeIndicator } from '../src/indicators/normalize.js';
import { IndicatorStore } from '../src/indicators/store.js';
import { buildHitDocument } from '../src/output/hit-document.js';
import { hitLines } from '../src/search/hit-lines.js';
import { feedText, LineGenerator, makeIndicators, Rng } from './corpus.js';
import { mix } from './mix.js';

const total = Number(process.env.MICRO_INDICATORS ?? 100_000);
const set = makeIndicators(new Rng(1000 + total), mix(total));
const values = feedText(set)
  .split('\n')
  .filter((l) => l !== '' && !l.startsWith('#'));
const store = new IndicatorStore();
values.forEach((v, i) => {
  const r = normalizeIndicator(v);
  if (r.ok) store.add(r.indicator, { feed: 'micro', line: i + 1 });
});
const compiled = compileIndicators(store);
const packed = packTables(compiled);
const gen = new LineGenerator(new Rng(7), set, 'apache', { hitRate: 0.002, decoyRate: 0.01 });
let text = '';
while (text.length < 1 << 20) text += `${gen.next().text}\n`;
const block = Buffer.from(text);

const addon = loadNativeAddon();
const js = new JsEngine(compiled);
const native = addon.ok ? NativeEngine.fromPacked(addon.addon, packed) : undefined;
const hits = (native ?? js).scan(block);
const sample = values.slice(0, 10_000);

const bench = new Bench({ time: 2000 });
if (native && addon.ok) {
  bench.add('native scan, 1 MiB Apache block', () => {
    native.scan(block);
  });
  bench.add(`native compile, ${store.size} indicators (packed, as from the cache)`, () => {
    NativeEngine.fromPacked(addon.addon, { ...packed, domainStrategy: 'table' }).close();
  });
}
bench.add('TypeScript scan, 1 MiB Apache block', () => {
  js.scan(block);
});
bench.add(`hit lines + documents for one block (${hits.length / 4} hits)`, () => {
  for (const line of hitLines('bench.log', block, 0, hits)) buildHitDocument(line, store, '2026-01-01T00:00:00Z');
});
bench.add('normalise 10,000 feed entries', () => {
  for (const v of sample) normalizeIndicator(v);
});

await bench.run();
const rows = bench.tasks.map((t) => {
  const r = t.result as { latency?: { mean: number }; mean?: number } | undefined;
  const meanMs = r?.latency?.mean ?? r?.mean ?? NaN;
  const perBlock = t.name.includes('1 MiB') ? ` (${((block.length / 1e6) / (meanMs / 1000)).toFixed(0)} MB/s)` : '';
  return `| ${t.name} | ${meanMs.toFixed(3)} ms${perBlock} |`;
});
console.log(`micro-benchmarks, ${new Date().toISOString().slice(0, 10)}, ${store.size} indicators, Node ${process.version}`);
console.log('| task | mean |\n|---|---:|');
console.log(rows.join('\n'));
native?.close();
