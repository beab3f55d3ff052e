/**
 * The acceptance check of the core hunt: a corpus with planted indicators of
 * every kind and decoys, in five log formats, plain and gzip (one file
 * multi-member), scanned through the CLI: every planted occurrence is
 * reported and nothing else (precision and recall 1.0), on every engine.
 */
import { describe, expect, it } from 'vitest';
import { gzipSync } from 'node:zlib';
import { LineGenerator, LOG_FORMATS, makeIndicators, Rng, feedText } from '../bench/corpus.js';
import { runCli } from './helpers/cli.js';
import { engineNames } from './helpers/engines.js';
import { tmpDir } from './helpers/tmp.js';

const t = tmpDir('iochunt-corpus-');
const rng = new Rng(20261123);
const set = makeIndicators(rng, { ipv4: 300, cidr4: 40, ipv6: 60, cidr6: 10, domains: 300, urls: 80, hashes: 120, emails: 60 });
// Split the indicators over a plain list and a CSV feed.
const plain = t.write('feeds/a.txt', feedText(set, (_i, n) => n % 2 === 0));
const csvRows = feedText(set, (_i, n) => n % 2 === 1)
  .split('\n')
  .filter((l) => l !== '' && !l.startsWith('#'))
  .map((v) => `"${v}",,planted`);
const csv = t.write('feeds/b.csv', `indicator,type,description\n${csvRows.join('\n')}\n`);

const expected = new Map<string, string>();
let planted = 0;
LOG_FORMATS.forEach((format, fi) => {
  const gen = new LineGenerator(rng, set, format, { hitRate: 0.08, decoyRate: 0.15 });
  for (const variant of ['plain', 'gzip'] as const) {
    const lines = Array.from({ length: 2500 }, () => gen.next());
    const name = `logs/${fi}-${format}${variant === 'gzip' ? '.log.gz' : '.log'}`;
    const text = lines.map((l) => l.text).join('\n') + '\n';
    let data: Buffer = Buffer.from(text);
    if (variant === 'gzip') {
      // Two members, split mid-file, as logrotate copytruncate + append leaves them.
      const cut = data.indexOf(0x0a, Math.floor(data.length / 2)) + 1;
      data = Buffer.concat([gzipSync(data.subarray(0, cut)), gzipSync(data.subarray(cut))]);
    }
    const path = t.write(name, data);
    let offset = 0;
    for (const l of lines) {
      if (l.hits.length > 0) {
        expected.set(`${path}\t${offset}`, l.hits.join(' '));
        planted += l.hits.length;
      }
      offset += Buffer.byteLength(l.text) + 1;
    }
  }
});

describe.each(engineNames())('planted corpus, precision and recall (%s engine)', (engine) => {
  it('reports every planted indicator and no decoy', async () => {
    expect(planted).toBeGreaterThan(500);
    const r = await runCli(['scan', '--engine', engine, '--iocs', plain, '--iocs', csv, t.path('logs')]);
    expect(r.stderr).not.toMatch(/skipped|error/);
    expect(r.code).toBe(0);
    const actual = new Map<string, string>();
    for (const d of r.docs) {
      const names = [...new Set(d.threat.enrichments.map((e: any) => e.indicator.name as string))].sort();
      actual.set(`${d.log.file.path}\t${d.log.offset}`, names.join(' '));
    }
    const missed = [...expected].filter(([k, v]) => actual.get(k) !== v);
    const extra = [...actual].filter(([k]) => !expected.has(k));
    expect({ missed: missed.slice(0, 5), extra: extra.slice(0, 5) }).toEqual({ missed: [], extra: [] });
    expect(actual.size).toBe(expected.size);
  });
});
