/**
 * Workloads for the hit path (issue 17; bench/README.md, "Hit path"), written to
 * bench/out/ with the generator of `npm run bench`:
 *
 * - `hp-sparse.log`: Apache combined, 100k mixed indicators, 2 % planted
 *   hit lines (`--sparse-rate`; about the hit density of issue 17's 171 MB
 *   case: 17.5k hit lines), `--mb` MiB;
 * - `hp-dense.log`: the same lines, 90 % planted hit lines (every kind of
 *   indicator, escaped spellings included), `--dense-mb` MiB;
 * - `hp-referer.log`: the sparse lines with the referer of 90 % of them on one
 *   listed domain (`www.dense-referer.example`), `--dense-mb` MiB;
 * - `hp-check-FORMAT.log`: 2 MiB of every generated format, 50 % hit lines,
 *   to compare outputs before and after a change byte for byte;
 * - `hp-iocs.txt`: the 100k feed plus `dense-referer.example`.
 *
 *   npx tsx bench/hitpath-corpus.ts --mb 64 --dense-mb 16
 */
import { createWriteStream, mkdirSync, writeFileSync } from 'node:fs';
import { once } from 'node:events';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { feedText, LineGenerator, LOG_FORMATS, makeIndicators, Rng } from './corpus.js';
import { mix } from './mix.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const arg = (name: string, dflt: number): number => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : dflt;
};
const DENSE_DOMAIN = 'dense-referer.example';

async function write(path: string, mib: number, line: () => string): Promise<void> {
  const out = createWriteStream(path);
  let written = 0;
  while (written < mib * 1024 * 1024) {
    let chunk = '';
    for (let i = 0; i < 2000; i++) chunk += `${line()}\n`;
    written += Buffer.byteLength(chunk);
    if (!out.write(chunk)) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
}

async function main(): Promise<void> {
  const dir = join(ROOT, 'bench', 'out');
  mkdirSync(dir, { recursive: true });
  const total = 100_000;
  const seed = 1000 + total;
  const set = makeIndicators(new Rng(seed), mix(total));
  writeFileSync(join(dir, 'hp-iocs.txt'), `${feedText(set)}${DENSE_DOMAIN}\n`);
  const sparse = new LineGenerator(new Rng(seed + 1), set, 'apache', { hitRate: arg('sparse-rate', 0.02), decoyRate: 0.01 });
  await write(join(dir, 'hp-sparse.log'), arg('mb', 64), () => sparse.next().text);
  const dense = new LineGenerator(new Rng(seed + 2), set, 'apache', { hitRate: 0.9, decoyRate: 0.02 });
  await write(join(dir, 'hp-dense.log'), arg('dense-mb', 16), () => dense.next().text);
  const clean = new LineGenerator(new Rng(seed + 3), set, 'apache', { hitRate: 0.002, decoyRate: 0.01 });
  const rng = new Rng(seed + 4);
  await write(join(dir, 'hp-referer.log'), arg('dense-mb', 16), () => {
    const text = clean.next().text;
    if (!rng.chance(0.9)) return text;
    // The referer is the first quoted field after the status and size.
    return text.replace(/(" \d{3} \d+ ")[^"]*"/, `$1https://www.${DENSE_DOMAIN}/p/${rng.int(1000)}?q=${rng.hex(6)}"`);
  });
  for (const format of LOG_FORMATS) {
    const gen = new LineGenerator(new Rng(seed + 5), set, format, { hitRate: 0.5, decoyRate: 0.05 });
    await write(join(dir, `hp-check-${format}.log`), 2, () => gen.next().text);
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
