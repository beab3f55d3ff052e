import { describe, expect, it } from 'vitest';
import { loadFeeds } from '../src/indicators/load.js';
import { MISP_EVENT } from './helpers/feed-fixtures.js';
import { tmpDir } from './helpers/tmp.js';

describe('MISP events and attribute lists', () => {
  it('loads to_ids attributes with composite types, event info, org, tags and TLP', async () => {
    const t = tmpDir();
    const feed = t.write('event.json', JSON.stringify(MISP_EVENT));
    const { store, feeds, skipped } = await loadFeeds([feed]);
    expect(feeds[0]).toMatchObject({ format: 'misp', invalid: 0, skipped: 4 });
    expect(store.all().map((s) => s.indicator.name)).toEqual([
      '198.51.100.20',
      '198.51.100.21',
      'evil-misp.example',
      '198.51.100.22',
      'c'.repeat(64),
      'http://bad-misp.example/x',
      'sender@evil-misp.example',
      'host.evil-misp.example',
      'd'.repeat(32),
    ]);
    expect(skipped.map((s) => [s.line, s.reason])).toEqual([
      [8, 'to_ids is false (use --misp-all to load it)'],
      [9, 'deleted attribute'],
      [10, 'to_ids is false (use --misp-all to load it)'],
      [11, 'MISP type "regkey" is not an indicator iochunt matches'],
    ]);
    expect(store.get(0).sources[0]).toEqual({
      feed,
      line: 1,
      description: 'C2',
      provider: 'CIRCL',
      reference: 'misp:event:5e1c1f3a-0000-4000-8000-000000000042',
      tlp: 'green',
      tags: 'misp-galaxy:threat-actor="X"',
      firstSeen: '2024-03-01T00:00:00.000Z',
      modifiedAt: '2024-03-08T00:00:00.000Z',
    });
    expect(store.get(1).sources[0]?.description).toBe('Phishing campaign X');
  });

  it('--misp-all loads to_ids false attributes, never deleted ones', async () => {
    const t = tmpDir();
    const feed = t.write('event.json', JSON.stringify(MISP_EVENT));
    const { store } = await loadFeeds([feed], { mispAll: true });
    expect(store.find('ipv4-addr', '198.51.100.30')).toBeDefined();
    expect(store.find('ipv4-addr', '198.51.100.31')).toBeUndefined();
  });

  it('reads {"response": [...]} event lists and attribute lists', async () => {
    const t = tmpDir();
    const list = t.write('list.json', JSON.stringify({ response: [MISP_EVENT, MISP_EVENT] }));
    expect((await loadFeeds([list])).store.size).toBe(9);
    const attrs = t.write(
      'attrs.json',
      JSON.stringify({ response: { Attribute: [{ type: 'sha1', category: 'Payload delivery', value: 'e'.repeat(40), to_ids: true }, { type: 'domain', category: 'Network activity', value: 'a.example', to_ids: false }] } }),
    );
    const r = await loadFeeds([attrs]);
    expect(r.feeds[0]?.format).toBe('misp');
    expect(r.store.all().map((s) => s.indicator.name)).toEqual(['e'.repeat(40)]);
    expect(r.skipped).toHaveLength(1);
  });
});
