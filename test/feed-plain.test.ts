import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { FeedError } from '../src/errors.js';
import { loadFeeds } from '../src/indicators/load.js';
import { recordingReporter } from '../src/report.js';
import { SAMPLES } from './helpers/samples.js';
import { tmpDir } from './helpers/tmp.js';


describe('plain indicator lists', () => {
  it('reads comments, blanks, CRLF, BOM, first fields and bullets', async () => {
    const t = tmpDir();
    const feed = t.write(
      'feed.txt',
      '\uFEFF# header comment\r\n10.1.2.3\r\n\r\nevil.example   # trailing comment\r\n' +
        '  - hxxp://bad[.]example/x  \r\n192.0.2.1\t42\r\nd41d8cd98f00b204e9800998ecf8427e;Dark thing\r\n203.0.113.9;65\r\nhttp://x.example/a#frag',
    );
    const { store, feeds, invalid } = await loadFeeds([feed]);
    expect(invalid).toEqual([]);
    expect(store.all().map((s) => s.indicator.name)).toEqual([
      '10.1.2.3',
      'evil.example',
      'http://bad.example/x',
      '192.0.2.1',
      'd41d8cd98f00b204e9800998ecf8427e',
      '203.0.113.9',
      'http://x.example/a',
    ]);
    expect(feeds[0]).toMatchObject({ format: 'plain', entries: 7, added: 7, invalid: 0 });
    expect(store.get(1).sources[0]).toEqual({ feed, line: 4 });
  });

  it('skips, counts and names invalid entries with file and line, and --strict refuses them', async () => {
    const t = tmpDir();
    const feed = t.write('feed.txt', '10.1.2.3\nnot_a_thing\n999.1.1.1\nevil.example\n');
    const rep = recordingReporter();
    const { store, invalid } = await loadFeeds([feed], { reporter: rep });
    expect(store.size).toBe(2);
    expect(invalid).toEqual([
      { feed, line: 2, value: 'not_a_thing', reason: 'a domain needs at least two labels' },
      { feed, line: 3, value: '999.1.1.1', reason: 'not an IP address' },
    ]);
    expect(rep.messages.map((m) => m.message)).toEqual([
      `${feed}:2: skipped "not_a_thing": a domain needs at least two labels`,
      `${feed}:3: skipped "999.1.1.1": not an IP address`,
    ]);
    await expect(loadFeeds([feed], { strict: true })).rejects.toMatchObject({ code: 'E_FEED_INVALID_ENTRY' });
  });

  it('names only the first few invalid entries, then counts the rest', async () => {
    const t = tmpDir();
    const feed = t.write('feed.txt', Array.from({ length: 9 }, (_, i) => `bad${i}`).join('\n'));
    const rep = recordingReporter();
    const { invalid } = await loadFeeds([feed], { reporter: rep });
    expect(invalid).toHaveLength(9);
    expect(rep.messages).toHaveLength(6);
    expect(rep.messages[5]?.message).toBe(`${feed}: 4 more invalid entries skipped`);
  });

  it('merges the same indicator from several feeds and remembers every source', async () => {
    const t = tmpDir();
    const a = t.write('a.txt', 'Evil.Example\n10.1.2.3\n');
    const b = t.write('b.txt', 'evil.example.\n10.1.2.3\n10.1.2.3\n');
    const { store, feeds } = await loadFeeds([a, b]);
    expect(store.size).toBe(2);
    expect(store.find('domain-name', 'evil.example')?.sources.map((s) => s.feed)).toEqual([a, b]);
    expect(feeds[1]).toMatchObject({ added: 0, duplicates: 3 });
  });

  it('reads a gzip-compressed feed', async () => {
    const t = tmpDir();
    const feed = t.write('feed.gz', gzipSync('10.1.2.3\nevil.example\n'));
    const { store } = await loadFeeds([feed]);
    expect(store.size).toBe(2);
  });

  it('fails with the path when a feed cannot be read', async () => {
    const err = await loadFeeds(['/nonexistent/feed.txt']).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(FeedError);
    expect((err as FeedError).message).toBe('/nonexistent/feed.txt: cannot read indicator feed: no such file');
  });

  it.each([
    ['ipsum/ipsum.txt', 'ipv4-addr'],
    ['ipsum/levels-5.txt', 'ipv4-addr'],
    ['signature-base/hash-iocs.txt', 'file'],
    ['eset/turla.samples.sha256', 'file'],
    ['eset/groundbait.samples.md5', 'file'],
    // One e-mail address hides among the domains.
    ['unit42/angler.compromised_domains.txt', undefined],
    ['unit42/Gamaredon_IoCs_JAN2022.txt', undefined],
  ])('loads every entry of the public list %s', async (name, type) => {
    const path = `${SAMPLES}ti-feeds/${name}`;
    const { store, invalid } = await loadFeeds([path]);
    expect(invalid).toEqual([]);
    // Independent count: distinct lower-cased first fields of the non-comment lines.
    const expected = new Set(
      readFileSync(path, 'utf8')
        .split(/\r?\n/)
        .map((l) => l.trim())
        .filter((l) => l !== '' && !l.startsWith('#'))
        .map((l) => (l.split(/[\s;]/)[0] ?? '').toLowerCase().replace(/\.$/, '')),
    );
    expect(store.size).toBe(expected.size);
    if (type) expect(store.countsByType()[type as 'file']).toBe(expected.size);
  });

  it('loads both the domains and the addresses of a mixed list (LOKI c2-iocs)', async () => {
    const { store, invalid } = await loadFeeds([`${SAMPLES}ti-feeds/signature-base/c2-iocs.txt`]);
    expect(invalid).toEqual([]);
    expect(store.find('ipv4-addr', '176.123.5.126')).toBeDefined();
    expect(store.find('domain-name', 'suroot.com')).toBeDefined();
  });
});
