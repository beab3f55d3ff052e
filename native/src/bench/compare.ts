/**
 * Times two builds of the addon on the same 1 MiB Apache block and
 * `bench:micro`'s 100,000 indicators, alternating rounds of 25 scans, and
 * checks that their hits are identical:
 *
 *   npx tsx native/src/bench/compare.ts OLD.node NEW.node
 *
 * (Build the old one from a `git archive` of the old commit with node-gyp.)
 */
import { createRequire } from 'node:module';
import { feedText, LineGenerator, makeIndicators, Rng } from '../../../bench/corpus.js';
import { mix } from '../../../bench/mix.js';
import { compileIndicators } from '../../../src/engine/compile.js';
import { packTables } from '../../../src/engine/native/native-engine.js';
import { normalizeIndicator } from '../../../src/indicators/normalize.js';
import { IndicatorStore } from '../../../src/indicators/store.js';

interface Addon {
  compile(t: unknown): unknown;
  scan(m: unknown, b: Uint8Array): Uint32Array;
}

const paths = process.argv.slice(2, 4);
if (paths.length !== 2) throw new Error('usage: compare.ts OLD.node NEW.node');
const require = createRequire(import.meta.url);
const total = 100_000;
const set = makeIndicators(new Rng(1000 + total), mix(total));
const store = new IndicatorStore();
feedText(set)
  .split('\n')
  .filter((l) => l !== '' && !l.startsWith('#'))
  .forEach((v, i) => {
    const r = normalizeIndicator(v);
    if (r.ok) store.add(r.indicator, { feed: 'compare', line: i + 1 });
  });
const packed = { ...packTables(compileIndicators(store)), domainStrategy: 'table' };
const gen = new LineGenerator(new Rng(7), set, 'apache', { hitRate: 0.002, decoyRate: 0.01 });
let text = '';
while (text.length < 1 << 20) text += `${gen.next().text}\n`;
const block = Buffer.from(text);

const runs = paths.map((p) => {
  const addon = require(p) as Addon;
  return { p, addon, matcher: addon.compile(packed), ms: [] as number[] };
});
for (let round = 0; round < 20; round++)
  for (const r of runs)
    for (let i = 0; i < 25; i++) {
      const t0 = process.hrtime.bigint();
      r.addon.scan(r.matcher, block);
      r.ms.push(Number(process.hrtime.bigint() - t0) / 1e6);
    }
const hits = runs.map((r) => Buffer.from(r.addon.scan(r.matcher, block).buffer));
const mbs = (ms: number): string => (block.length / 1e6 / (ms / 1000)).toFixed(0);
for (const r of runs) {
  const t = r.ms.sort((a, b) => a - b);
  const med = t[t.length >> 1]!;
  console.log(`${r.p}: fastest ${t[0]!.toFixed(3)} ms (${mbs(t[0]!)} MB/s), median ${med.toFixed(3)} ms (${mbs(med)} MB/s)`);
}
console.log(`hits identical: ${hits[0]!.equals(hits[1]!)} (${hits[0]!.length / 16} hits)`);
