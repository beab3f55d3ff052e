/**
 * The compiled-indicator cache: a second run with unchanged feeds restores
 * the compiled indicators instead of loading the feeds, and finds exactly
 * the same hits; any change to a feed or to an option that changes matching
 * misses the cache; a damaged cache file is ignored with a warning; runs at
 * the same time do not corrupt each other.
 */
import { describe, expect, it } from 'vitest';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { runCli, type CliResult } from './helpers/cli.js';
import { engineNames } from './helpers/engines.js';
import { tmpDir } from './helpers/tmp.js';

const t = tmpDir('iochunt-cache-test-');
const log = t.write(
  'logs/a.log',
  [
    'GET from 203.0.113.9 ok',
    'dns query cdn.evil.example A',
    'mail from bad_guy@phish.example',
    'file 44d88612fea8a8f36de82e1230a2b5b2 seen',
    'url http://evil.example/payload.exe fetched',
    'nothing here 110.1.2.3 notevil.example',
    'block 198.51.100.77 in range',
  ].join('\n') + '\n',
);
const feedText = [
  '203.0.113.9',
  'evil.example',
  'bad_guy@phish.example',
  '44d88612fea8a8f36de82e1230a2b5b2',
  'http://evil.example/payload.exe',
  '198.51.100.0/24',
  'not an indicator at all',
].join('\n');

/** Hits without the scan time, for comparing runs. */
const hits = (r: CliResult) => r.docs.map((d) => ({ ...d, '@timestamp': undefined }));

describe.each(engineNames())('compiled-indicator cache (%s engine)', (engine) => {
  it('restores the indicators on the second run, with the same hits and warnings', async () => {
    const dir = t.path(`cache-${engine}`);
    const feed = t.write(`feeds/${engine}.txt`, feedText);
    const args = ['scan', '--engine', engine, '--cache-dir', dir, '--iocs', feed, log];
    const first = await runCli(args);
    expect(first.code).toBe(0);
    expect(first.stderr).not.toMatch(/from the cache/);
    expect(readdirSync(dir).filter((n) => n.endsWith('.iocc'))).toHaveLength(1);
    const second = await runCli(args);
    expect(second.code).toBe(0);
    expect(second.stderr).toMatch(/loaded 6 indicators .* from the cache; 1 invalid entries skipped/);
    // The invalid entry is still named on the cached run.
    expect(second.stderr).toMatch(/:7: skipped "not": a domain needs at least two labels/);
    expect(hits(second)).toEqual(hits(first));
    expect(first.docs).toHaveLength(6);
    expect(first.docs.map((d) => d.event.original)).not.toContain('nothing here 110.1.2.3 notevil.example');
  });

  it('misses when a feed changes, when matching options change, and never with --no-cache', async () => {
    const dir = t.path(`cache2-${engine}`);
    const feed = t.write(`feeds2/${engine}.txt`, feedText);
    await runCli(['scan', '--engine', engine, '--cache-dir', dir, '--iocs', feed, log]);
    // Same size, different content: a new indicator that the log has.
    writeFileSync(feed, feedText.replace('203.0.113.9', '110.1.2.3  '));
    const changed = await runCli(['scan', '--engine', engine, '--cache-dir', dir, '--iocs', feed, log]);
    expect(changed.stderr).not.toMatch(/from the cache/);
    expect(changed.docs.map((d) => d.event.original)).toContain('nothing here 110.1.2.3 notevil.example');
    expect(changed.docs.map((d) => d.event.original)).not.toContain('GET from 203.0.113.9 ok');
    // --domain-match exact changes what matches: it must not reuse the subdomain entry.
    const exact = await runCli(['scan', '--engine', engine, '--cache-dir', dir, '--domain-match', 'exact', '--iocs', feed, log]);
    expect(exact.stderr).not.toMatch(/from the cache/);
    expect(exact.docs.map((d) => d.event.original)).not.toContain('dns query cdn.evil.example A');
    const none = t.path(`cache3-${engine}`);
    const r = await runCli(['scan', '--engine', engine, '--no-cache', '--cache-dir', none, '--iocs', feed, log]);
    expect(r.code).toBe(0);
    expect(() => readdirSync(none)).toThrow();
  });

  it('ignores a damaged cache file with a warning and still finds every hit', async () => {
    const dir = t.path(`cache4-${engine}`);
    const feed = t.write(`feeds4/${engine}.txt`, feedText);
    const args = ['scan', '--engine', engine, '--cache-dir', dir, '--iocs', feed, log];
    const first = await runCli(args);
    const file = `${dir}/${readdirSync(dir).find((n) => n.endsWith('.iocc'))}`;
    const data = readFileSync(file);
    writeFileSync(file, data.subarray(0, data.length - 100));
    const r = await runCli(args);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/warning: ignoring an unusable indicator cache file .*truncated/);
    expect(hits(r)).toEqual(hits(first));
    // And the rewritten entry is good again.
    const again = await runCli(args);
    expect(again.stderr).toMatch(/from the cache/);
    expect(again.stderr).not.toMatch(/unusable/);
    // One byte changed inside the indicator records, length and trailer intact.
    const good = readFileSync(file);
    const at = good.lastIndexOf(Buffer.from('"203.0.113.9"'));
    expect(at).toBeGreaterThan(0);
    const bad = Buffer.from(good);
    bad[at] = 0x7b;
    writeFileSync(file, bad);
    const flipped = await runCli(args);
    expect(flipped.code).toBe(0);
    expect(flipped.stderr).toMatch(/warning: ignoring an unusable indicator cache file .*checksum mismatch/);
    expect(hits(flipped)).toEqual(hits(first));
  });
});

describe('compiled-indicator cache with a Hyperscan database', () => {
  it.skipIf(!engineNames().includes('native'))('stores the serialised database and finds the same hits from it', async () => {
    const dir = t.path('cache-hs');
    const feed = t.write('feeds-hs/domains.txt', 'evil.example\nphish.example\nbad-domain.test\n');
    const args = ['scan', '--engine', 'native', '--cache-dir', dir, '--iocs', feed, log];
    const first = await runCli(args);
    const second = await runCli(args);
    expect(second.stderr).toMatch(/from the cache/);
    const file = `${dir}/${readdirSync(dir).find((n) => n.endsWith('.iocc'))}`;
    expect(readFileSync(file).includes('"hsDomainsDb"')).toBe(true);
    expect(first.docs.map((d) => d.event.original)).toEqual([
      'dns query cdn.evil.example A',
      'mail from bad_guy@phish.example',
      'url http://evil.example/payload.exe fetched',
    ]);
    expect(hits(second)).toEqual(hits(first));
    const js = await runCli(['scan', '--engine', 'js', '--no-cache', '--iocs', feed, log]);
    expect(hits(js)).toEqual(hits(first));
  });
});

describe('compiled-indicator cache under concurrent runs', () => {
  it('lets several runs fill and read one cache at once', async () => {
    const dir = t.path('cache-concurrent');
    const feed = t.write('feeds-c/c.txt', feedText);
    const runs = await Promise.all(Array.from({ length: 6 }, () => runCli(['scan', '--cache-dir', dir, '--iocs', feed, log])));
    for (const r of runs) {
      expect(r.code).toBe(0);
      expect(r.stderr).not.toMatch(/unusable|cannot write/);
      expect(hits(r)).toEqual(hits(runs[0]!));
    }
    expect(readdirSync(dir).filter((n) => n.endsWith('.tmp'))).toEqual([]);
    const after = await runCli(['scan', '--cache-dir', dir, '--iocs', feed, log]);
    expect(after.stderr).toMatch(/from the cache/);
    expect(hits(after)).toEqual(hits(runs[0]!));
  });
});

describe('cache records', () => {
  it('give back every indicator exactly as loaded, for every kind and spelling', async () => {
    const { loadFeeds } = await import('../src/indicators/load.js');
    const { IndicatorCache, cacheKey } = await import('../src/cache/indicator-cache.js');
    const { compileIndicators } = await import('../src/engine/compile.js');
    const { packTables } = await import('../src/engine/native/native-engine.js');
    const { makeIndicators, feedText, Rng } = await import('../bench/corpus.js');
    const set = makeIndicators(new Rng(7), { ipv4: 200, cidr4: 30, ipv6: 60, cidr6: 20, domains: 200, urls: 80, hashes: 80, emails: 40 });
    const extra = [
      'bücher.example', 'xn--bcher-kva.example', 'mail@bücher.example', '::ffff:192.0.2.1', '2001:DB8::/32', '192.0.2.77/16',
      'evil.example/path?q=1', 'hxxps://Evil.Example:443/a#frag', 'ftp://files.example:21/x', 'E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855',
    ];
    const feed = t.write('feeds-rt/all.txt', `${feedText(set)}${extra.join('\n')}\n`);
    const csv = t.write('feeds-rt/meta.csv', 'indicator,description,confidence,reference,severity\nevil.example,"has, comma ""and quotes""",80,https://r.example/1,high\n203.0.113.5,line\\nbreak,10,,\n');
    const loaded = await loadFeeds([feed, csv], {});
    const store = loaded.store;
    const cache = new IndicatorCache(t.path('rt-cache'));
    const key = cacheKey({ feeds: [feed, csv], options: {}, version: 'test' }) as string;
    const tables = packTables(compileIndicators(store));
    expect(cache.write(key, { tables, store, counts: store.countsByType(), feeds: loaded.feeds, invalidCount: 0, warnings: [] })).toBeUndefined();
    const back = cache.read(key);
    if (!back || 'unusable' in back) throw new Error(`cache not readable: ${JSON.stringify(back)}`);
    expect(back.store.size).toBe(store.size);
    for (let id = 0; id < store.size; id++) expect(back.store.get(id)).toEqual(store.get(id));
    expect([...back.tables.domains.blob]).toEqual([...tables.domains.blob]);
    expect([...back.tables.ipv6.bytes]).toEqual([...tables.ipv6.bytes]);
  });
});
