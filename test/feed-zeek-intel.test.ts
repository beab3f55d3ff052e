import { describe, expect, it } from 'vitest';
import { loadFeeds } from '../src/indicators/load.js';
import { sample } from './helpers/samples.js';
import { tmpDir } from './helpers/tmp.js';

describe('Zeek Intel framework input files', () => {
  it('reads ADDR and overlapping SUBNET rows with their meta (zeek sample)', async () => {
    const feed = sample('zeek/intel-input/match-subnet.intel.dat');
    const { store, feeds } = await loadFeeds([feed]);
    expect(feeds[0]).toMatchObject({ format: 'zeek-intel', invalid: 0, skipped: 0 });
    expect(store.all().map((s) => s.indicator.name)).toEqual([
      '192.168.1.1',
      '192.168.2.0/24',
      '192.168.142.1',
      '192.168.142.0/24',
      '192.168.142.0/26',
      '192.168.128.0/18',
    ]);
    expect(store.get(1).sources[0]).toEqual({
      feed,
      line: 3,
      description: 'this subnetwork is just plain baaad',
      reference: 'http://some-data-distributor.com/2',
      provider: 'source1',
    });
  });

  it('reads DOMAIN, EMAIL, CERT_HASH and duplicate rows (zeek samples)', async () => {
    const { store, feeds } = await loadFeeds([
      sample('zeek/intel-input/certs.intel.dat'),
      sample('zeek/intel-input/input-and-match.intel.dat'),
      sample('zeek/intel-input/smtp.intel.dat'),
      sample('zeek/intel-input/doc.basic.intel.txt'),
    ]);
    expect(feeds.map((f) => f.format)).toEqual(['zeek-intel', 'zeek-intel', 'zeek-intel', 'zeek-intel']);
    expect(feeds[1]).toMatchObject({ added: 2, duplicates: 1 });
    expect(store.find('domain-name', 'www.pantz.org')).toBeDefined();
    expect(store.find('file', '2c322ae2b7fe91391345e070b63668978bb1c9da')).toBeDefined();
    expect(store.find('email-addr', 'jan.grashoefer@cern.ch')).toBeDefined();
    expect(store.find('domain-name', 'www.reddit.com')?.sources[0]?.provider).toBe('my_special_source');
  });

  it('skips meta.whitelist rows as indicators, keeps them for --allow (zeek sample)', async () => {
    const feed = sample('zeek/intel-input/whitelisting.whitelist.dat');
    const asIocs = await loadFeeds([feed]);
    expect(asIocs.store.size).toBe(0);
    expect(asIocs.skipped.map((s) => s.reason)).toEqual(['meta.whitelist is T (an allowlist entry; use it with --allow)']);
    const asAllow = await loadFeeds([feed], { allowlist: true });
    expect(asAllow.store.find('domain-name', 'meta.wikimedia.org')).toBeDefined();
  });

  it('stores URL rows as scheme-less URLs and skips unsupported types', async () => {
    const t = tmpDir();
    const feed = t.write(
      'intel.dat',
      '#fields\tindicator\tindicator_type\tmeta.source\tmeta.desc\n' +
        'evil.example/gate.php\tIntel::URL\tsrc\t-\n' +
        `${'f'.repeat(64)}\tIntel::FILE_HASH\tsrc\tdropper\n` +
        'bob\tIntel::USER_NAME\tsrc\t-\n',
    );
    const { store, skipped } = await loadFeeds([feed]);
    const url = store.all()[0]?.indicator;
    expect(url).toMatchObject({ type: 'url', name: 'evil.example/gate.php', url: { schemeless: true } });
    expect(store.all()[0]?.sources[0]?.description).toBeUndefined();
    expect(store.find('file', 'f'.repeat(64))).toBeDefined();
    expect(skipped.map((s) => [s.line, s.reason])).toEqual([[4, 'Zeek intel type "Intel::USER_NAME" is not an indicator iochunt matches']]);
  });
});
