import { describe, expect, it } from 'vitest';
import { loadFeeds } from '../src/indicators/load.js';
import { tmpDir } from './helpers/tmp.js';

describe('AWS GuardDuty TXT threat lists', () => {
  it('reads IPs and CIDRs and reports anything else when named with --iocs-format', async () => {
    const t = tmpDir();
    const feed = t.write('list.txt', '# GuardDuty\n198.51.100.60\n203.0.113.0/25\r\nevil.example\n');
    const { store, invalid, feeds } = await loadFeeds([feed], { format: 'guardduty-txt' });
    expect(feeds[0]?.format).toBe('guardduty-txt');
    expect(store.all().map((s) => s.indicator.name)).toEqual(['198.51.100.60', '203.0.113.0/25']);
    expect(invalid.map((i) => i.line)).toEqual([4]);
  });

  it('is read as a plain list when not named', async () => {
    const t = tmpDir();
    const feed = t.write('list.txt', '198.51.100.60\n203.0.113.0/25\n');
    const { feeds, store } = await loadFeeds([feed]);
    expect(feeds[0]?.format).toBe('plain');
    expect(store.size).toBe(2);
  });
});
