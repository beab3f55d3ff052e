import { describe, expect, it } from 'vitest';
import { loadFeeds } from '../src/indicators/load.js';
import { parseStixPattern } from '../src/indicators/loaders/stix-pattern.js';
import { indicator, STIX_BUNDLE } from './helpers/feed-fixtures.js';
import { tmpDir } from './helpers/tmp.js';

describe('STIX 2.1 bundles', () => {
  it('parses =, ISSUBSET and ORs over the supported object paths', () => {
    expect(parseStixPattern("[ipv4-addr:value = '1.2.3.4' OR domain-name:value = 'a.example']")).toEqual({
      ok: true,
      values: [
        { value: '1.2.3.4', declaredType: 'ipv4-addr' },
        { value: 'a.example', declaredType: 'domain-name' },
      ],
    });
    expect(parseStixPattern("([file:hashes.'SHA-1' = 'x'])")).toMatchObject({ ok: true, values: [{ declaredType: 'sha1' }] });
    expect(parseStixPattern("[ipv4-addr:value != '1.2.3.4']")).toEqual({ ok: false, reason: 'unsupported STIX pattern: operator !=' });
    expect(parseStixPattern("[a:b = 'x'] AND [c:d = 'y']")).toEqual({ ok: false, reason: 'unsupported STIX pattern: AND' });
  });

  it('loads indicators with metadata, skips revoked ones and counts unsupported patterns', async () => {
    const t = tmpDir();
    const feed = t.write('bundle.json', JSON.stringify(STIX_BUNDLE, null, 2));
    const { store, feeds, invalid, skipped } = await loadFeeds([feed]);
    expect(feeds[0]).toMatchObject({ format: 'stix', invalid: 6, skipped: 1 });
    expect(store.all().map((s) => s.indicator.name)).toEqual([
      '198.51.100.7',
      'evil.example',
      'http://bad.example/gate.php',
      '203.0.113.0/24',
      '2001:db8::1',
      'a'.repeat(64),
      'b'.repeat(32),
      'phish@evil.example',
    ]);
    expect(skipped).toEqual([{ feed, line: 7, value: "[ipv4-addr:value = '192.0.2.66']", reason: 'revoked' }]);
    expect(invalid.map((i) => i.reason)).toEqual([
      'unsupported STIX pattern: AND',
      'unsupported STIX pattern: FOLLOWEDBY',
      'unsupported STIX pattern: WITHIN',
      'unsupported STIX pattern: operator MATCHES',
      'unsupported STIX pattern: object path process:name',
      'pattern_type yara is not supported',
    ]);
    expect(store.get(0).sources[0]).toEqual({
      feed,
      line: 2,
      description: 'C2 server',
      confidence: '85',
      reference: 'https://acme.example/r/1',
      provider: 'ACME CERT',
      tlp: 'amber',
      firstSeen: '2024-01-01T00:00:00.000Z',
      modifiedAt: '2024-02-01T00:00:00.000Z',
      tags: 'c2',
      validFrom: '2024-01-01T00:00:00.000Z',
      validUntil: '2030-01-01T00:00:00.000Z',
    });
  });

  it('reads a bare array of objects and --iocs-format stix', async () => {
    const t = tmpDir();
    const feed = t.write('objs.json', JSON.stringify([indicator(1, "[domain-name:value = 'evil.example']")]));
    const { store } = await loadFeeds([feed], { format: 'stix' });
    expect(store.find('domain-name', 'evil.example')).toBeDefined();
  });
});
