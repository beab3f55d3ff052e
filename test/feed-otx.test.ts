import { describe, expect, it } from 'vitest';
import { loadFeeds } from '../src/indicators/load.js';
import { sample } from './helpers/samples.js';
import { tmpDir } from './helpers/tmp.js';

export const OTX_PULSES = {
  count: 1,
  next: null,
  results: [
    {
      id: '65f0c0ffee',
      name: 'Pulse Y',
      author_name: 'AlienVault',
      TLP: 'white',
      tags: ['botnet'],
      references: ['https://blog.example/y'],
      created: '2024-01-05T10:00:00.000000',
      modified: '2024-01-06T10:00:00.000000',
      indicators: [
        { indicator: '198.51.100.40', type: 'IPv4', created: '2024-01-05T10:00:00', expiration: '2030-01-01T00:00:00', is_active: 1 },
        { indicator: '198.51.100.0/28', type: 'CIDR', is_active: 1 },
        { indicator: 'otx-evil.example', type: 'domain', title: 'C2', is_active: 1 },
        { indicator: 'http://otx-bad.example/p', type: 'URL', is_active: 0 },
        { indicator: 'CVE-2024-0001', type: 'CVE', is_active: 1 },
      ],
    },
  ],
};

describe('AlienVault OTX', () => {
  it('reads the flat export (beats sample): every indicator loads', async () => {
    const { store, feeds, invalid } = await loadFeeds([sample('beats/ti-otx/otx_sample.ndjson.log')]);
    expect(feeds[0]).toMatchObject({ format: 'otx', invalid: 0, skipped: 0 });
    expect(invalid).toEqual([]);
    expect(store.find('ipv4-addr', '86.104.194.30')).toBeDefined();
    expect(store.find('domain-name', 'ip.anysrc.net')).toBeDefined();
    const counts = store.countsByType();
    expect(counts['ipv4-addr']).toBeGreaterThan(10);
    expect(counts.file).toBeGreaterThan(30);
    const md5 = store.find('file', '90421f8531f963d81cf54245b72cde80');
    expect(md5?.sources[0]?.description).toBe('MD5 of a5725af4391d21a232dc6d4ad33d7d915bd190bdac9b1826b73f364dc5c1aa65');
  });

  it('reads subscribed pulses with pulse metadata, expiration and is_active', async () => {
    const t = tmpDir();
    const feed = t.write('pulses.json', JSON.stringify(OTX_PULSES));
    const { store, skipped } = await loadFeeds([feed]);
    expect(store.all().map((s) => s.indicator.name)).toEqual(['198.51.100.40', '198.51.100.0/28', 'otx-evil.example', 'http://otx-bad.example/p']);
    expect(store.get(0).sources[0]).toEqual({
      feed,
      line: 1,
      description: 'Pulse Y',
      provider: 'AlienVault',
      reference: 'https://blog.example/y',
      tlp: 'white',
      firstSeen: '2024-01-05T10:00:00.000Z',
      modifiedAt: '2024-01-06T10:00:00.000Z',
      tags: 'botnet',
      validUntil: '2030-01-01T00:00:00.000Z',
    });
    expect(store.get(2).sources[0]?.description).toBe('Pulse Y: C2');
    expect(store.get(3).sources[0]?.inactive).toBe('true');
    expect(skipped.map((s) => s.reason)).toEqual(['OTX type "CVE" is not an indicator iochunt matches']);
  });

  it('reads one exported pulse', async () => {
    const t = tmpDir();
    const feed = t.write('pulse.json', JSON.stringify(OTX_PULSES.results[0]));
    expect((await loadFeeds([feed])).store.size).toBe(4);
  });
});
