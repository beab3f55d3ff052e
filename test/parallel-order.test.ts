/**
 * Parallel scanning: whatever --threads is, the output is the same documents
 * in the same order (file order, then offset), over several files of many
 * blocks each, plain and gzip.
 */
import { describe, expect, it } from 'vitest';
import { gzipSync } from 'node:zlib';
import { feedText, LineGenerator, makeIndicators, Rng } from '../bench/corpus.js';
import { runCli, type CliResult } from './helpers/cli.js';
import { engineNames } from './helpers/engines.js';
import { tmpDir } from './helpers/tmp.js';

const t = tmpDir('iochunt-parallel-');
const rng = new Rng(4242);
const set = makeIndicators(rng, { ipv4: 200, cidr4: 20, ipv6: 40, cidr6: 5, domains: 200, urls: 40, hashes: 40, emails: 20 });
const feed = t.write('iocs.txt', feedText(set));
// Three files of about 3.5 MB (four blocks each), one of them gzip, one small.
(['apache', 'syslog', 'jsonl'] as const).forEach((format, i) => {
  const gen = new LineGenerator(rng, set, format, { hitRate: 0.02, decoyRate: 0.05 });
  const lines: string[] = [];
  let size = 0;
  while (size < 3_500_000) {
    const l = gen.next().text;
    lines.push(l);
    size += l.length + 1;
  }
  const text = `${lines.join('\n')}\n`;
  t.write(`logs/${i}-${format}${i === 1 ? '.log.gz' : '.log'}`, i === 1 ? gzipSync(text) : text);
});
t.write('logs/3-small.log', `${set.ipv4[0]!.name} small file\n`);

const comparable = (r: CliResult) => r.docs.map((d) => JSON.stringify({ ...d, event: { ...d.event, created: undefined }, '@timestamp': undefined }));

describe.each(engineNames())('output order with --threads (%s engine)', (engine) => {
  it('is the same for 1, 2 and 7 threads', async () => {
    const run = (threads: number) => runCli(['scan', '--no-cache', '--engine', engine, '--threads', String(threads), '--iocs', feed, t.path('logs')]);
    const one = await run(1);
    expect(one.code).toBe(0);
    expect(one.docs.length).toBeGreaterThan(500);
    // File order, then offset order.
    const keys = one.docs.map((d) => [d.log.file.path as string, d.log.offset as number] as const);
    const sorted = [...keys].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] - b[1]));
    expect(keys).toEqual(sorted);
    expect(new Set(keys.map((k) => k[0])).size).toBe(4);
    for (const threads of [2, 7]) {
      const r = await run(threads);
      expect(r.code).toBe(0);
      expect(comparable(r)).toEqual(comparable(one));
    }
  });
});
