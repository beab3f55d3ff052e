/**
 * Writes the inputs of the native matcher's stand-alone harness (harness.cc):
 * the packed tables of `bench:micro`'s indicator set and blocks of generated
 * log, plus the hits today's addon finds in them (the reference the harness
 * checks byte for byte).
 *
 *   npx tsx native/src/bench/dump.ts OUTDIR [MIB=1] [INDICATORS=100000]
 *
 * Tables file: domainMatch byte, then for ipv4/ipv6: n, bytes, prefix, ids;
 * for domains/hashes/emails/urls/urlsSchemeless: n, blob length, blob,
 * offsets (n+1), ids. All integers little-endian uint32.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { feedText, LineGenerator, LOG_FORMATS, makeIndicators, Rng, type LogFormat } from '../../../bench/corpus.js';
import { mix } from '../../../bench/mix.js';
import { compileIndicators } from '../../../src/engine/compile.js';
import { loadNativeAddon } from '../../../src/engine/native/load-addon.js';
import { NativeEngine, packTables, type PackedKeys } from '../../../src/engine/native/native-engine.js';
import { normalizeIndicator } from '../../../src/indicators/normalize.js';
import { IndicatorStore } from '../../../src/indicators/store.js';

const out = process.argv[2] ?? '/tmp/iochunt-harness';
const mib = Number(process.argv[3] ?? 1);
const total = Number(process.argv[4] ?? 100_000);
mkdirSync(out, { recursive: true });

const set = makeIndicators(new Rng(1000 + total), mix(total));
const values = feedText(set)
  .split('\n')
  .filter((l) => l !== '' && !l.startsWith('#'));
const store = new IndicatorStore();
values.forEach((v, i) => {
  const r = normalizeIndicator(v);
  if (r.ok) store.add(r.indicator, { feed: 'micro', line: i + 1 });
});
const packed = packTables(compileIndicators(store));

const parts: Buffer[] = [];
const u32 = (n: number): void => {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(n);
  parts.push(b);
};
const bytes = (a: ArrayBufferView): void => {
  parts.push(Buffer.from(a.buffer, a.byteOffset, a.byteLength));
};
parts.push(Buffer.from([packed.domainMatch === 'subdomain' ? 1 : 0]));
for (const ip of [packed.ipv4, packed.ipv6]) {
  u32(ip.ids.length);
  bytes(ip.bytes);
  bytes(ip.prefix);
  bytes(ip.ids);
}
for (const k of [packed.domains, packed.hashes, packed.emails, packed.urls, packed.urlsSchemeless] as PackedKeys[]) {
  u32(k.ids.length);
  u32(k.blob.length);
  bytes(k.blob);
  bytes(k.offsets);
  bytes(k.ids);
}
writeFileSync(join(out, 'tables.bin'), Buffer.concat(parts));

const addon = loadNativeAddon();
if (!addon.ok) throw new Error('native addon not built');
const engine = NativeEngine.fromPacked(addon.addon, packed);
const formats: LogFormat[] = [...LOG_FORMATS];
for (const [format, dense] of formats.flatMap((f) => [[f, false], [f, true]] as const)) {
  const name = dense ? `${format}-dense` : format;
  const opts = dense ? { hitRate: 0.3, decoyRate: 0.3 } : { hitRate: 0.002, decoyRate: 0.01 };
  const gen = new LineGenerator(new Rng(7), set, format, opts);
  const lines: string[] = [];
  let size = 0;
  while (size < mib << 20) {
    const t = `${gen.next().text}\n`;
    lines.push(t);
    size += Buffer.byteLength(t);
  }
  const block = Buffer.from(lines.join(''));
  writeFileSync(join(out, `${name}.log`), block);
  const hits = engine.scan(block);
  writeFileSync(join(out, `${name}.hits`), Buffer.from(hits.buffer, hits.byteOffset, hits.byteLength));
  console.log(`${name}: ${block.length} bytes, ${hits.length / 4} hits`);
}
engine.close();
