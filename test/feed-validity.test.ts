import { describe, expect, it } from 'vitest';
import { ValidityFilter } from '../src/filters/validity.js';
import { IndicatorStore } from '../src/indicators/store.js';
import { normalizeIndicator } from '../src/indicators/normalize.js';
import { runCli } from './helpers/cli.js';
import { indicator } from './helpers/feed-fixtures.js';
import { tmpDir } from './helpers/tmp.js';

const apache = (ip: string, when: string) => `${ip} - - [${when}] "GET /index.html HTTP/1.1" 200 512 "-" "curl/8.0"\n`;

const BUNDLE = {
  type: 'bundle',
  id: 'bundle--v',
  objects: [
    indicator(1, "[ipv4-addr:value = '198.51.100.7']", { valid_from: '2024-01-01T00:00:00Z', valid_until: '2024-06-01T00:00:00Z' }),
    indicator(2, "[ipv4-addr:value = '198.51.100.8']", { valid_from: '2024-01-01T00:00:00Z' }),
  ],
};

const OTX = {
  results: [
    {
      name: 'Pulse V',
      indicators: [
        { indicator: '203.0.113.5', type: 'IPv4', is_active: 0 },
        { indicator: '203.0.113.6', type: 'IPv4', is_active: 1, expiration: '2024-02-01T00:00:00' },
        { indicator: '203.0.113.7', type: 'IPv4', is_active: 1 },
      ],
    },
  ],
};

function setup() {
  const t = tmpDir();
  const stix = t.write('stix.json', JSON.stringify(BUNDLE));
  const otx = t.write('otx.json', JSON.stringify(OTX));
  const plain = t.write('plain.txt', '192.0.2.50\n');
  const log = t.write(
    'access.log',
    apache('198.51.100.7', '01/Mar/2024:10:00:00 +0000') + // inside the STIX window
      apache('198.51.100.7', '01/Sep/2024:10:00:00 +0000') + // after valid_until
      apache('198.51.100.8', '01/Dec/2023:10:00:00 +0000') + // before valid_from
      apache('198.51.100.8', '01/Dec/2025:10:00:00 +0000') + // open-ended window
      apache('203.0.113.5', '01/Mar/2024:10:00:00 +0000') + // OTX inactive
      apache('203.0.113.6', '01/Jan/2024:10:00:00 +0000') + // before OTX expiration
      apache('203.0.113.6', '01/Mar/2024:10:00:00 +0000') + // after OTX expiration
      apache('203.0.113.7', '01/Mar/2024:10:00:00 +0000') +
      apache('192.0.2.50', '01/Mar/2024:10:00:00 +0000'),
  );
  return { t, stix, otx, plain, log };
}

const hitIps = (docs: Array<Record<string, any>>) => docs.map((d) => `${d.threat.enrichments[0].matched.atomic} ${d['@timestamp'].slice(0, 7)}`);

describe('validity windows', () => {
  it('matches an indicator only at event times inside its window; inactive never matches', async () => {
    const { stix, otx, plain, log } = setup();
    const r = await runCli(['scan', '--no-cache', '-i', stix, '-i', otx, '-i', plain, log]);
    expect(r.code).toBe(0);
    expect(hitIps(r.docs)).toEqual(['198.51.100.7 2024-03', '198.51.100.8 2025-12', '203.0.113.6 2024-01', '203.0.113.7 2024-03', '192.0.2.50 2024-03']);
    expect(r.stderr).toMatch(/match\(es\) dropped: 4 outside their validity/);
  });

  it('--ignore-validity brings expired, not-yet-valid and inactive indicators back', async () => {
    const { stix, otx, plain, log } = setup();
    const r = await runCli(['scan', '--no-cache', '--ignore-validity', '-i', stix, '-i', otx, '-i', plain, log]);
    expect(r.docs).toHaveLength(9);
  });

  it('uses the scan time for lines without an event time', async () => {
    const { t, stix } = setup();
    const log = t.write('plain.log', 'seen 198.51.100.7 and 198.51.100.8\n');
    const r = await runCli(['scan', '--no-cache', '--format', 'none', '-i', stix, log]);
    expect(r.docs.map((d) => d.threat.enrichments.map((e: any) => e.matched.atomic))).toEqual([['198.51.100.8']]);
  });

  it('--max-age drops indicators whose newest feed time is too old, keeps those without times', async () => {
    const { t, plain } = setup();
    const now = Date.now();
    const fresh = new Date(now - 5 * 86400e3).toISOString();
    const stale = new Date(now - 50 * 86400e3).toISOString();
    const bundle = {
      type: 'bundle',
      id: 'bundle--age',
      objects: [
        indicator(1, "[ipv4-addr:value = '198.51.100.10']", { created: stale, modified: fresh, valid_from: stale }),
        indicator(2, "[ipv4-addr:value = '198.51.100.11']", { created: stale, modified: stale, valid_from: stale }),
      ],
    };
    const stix = t.write('age.json', JSON.stringify(bundle));
    const log = t.write('age.log', 'a 198.51.100.10 b 198.51.100.11 c 192.0.2.50\n');
    const atoms = (docs: Array<Record<string, any>>) => docs.flatMap((d) => d.threat.enrichments.map((e: any) => e.matched.atomic));
    const r30 = await runCli(['scan', '--no-cache', '--max-age', '30', '-i', stix, '-i', plain, log]);
    expect(atoms(r30.docs)).toEqual(['198.51.100.10', '192.0.2.50']);
    const r90 = await runCli(['scan', '--no-cache', '--max-age', '90', '-i', stix, '-i', plain, log]);
    expect(atoms(r90.docs)).toEqual(['198.51.100.10', '198.51.100.11', '192.0.2.50']);
    // --ignore-validity does not switch an explicit --max-age off.
    const both = await runCli(['scan', '--no-cache', '--ignore-validity', '--max-age', '30', '-i', stix, '-i', plain, log]);
    expect(atoms(both.docs)).toEqual(['198.51.100.10', '192.0.2.50']);
  });

  it('validates --max-age', async () => {
    const { plain, log } = setup();
    for (const bad of ['0', '-3', 'ten', '1.5']) {
      const r = await runCli(['scan', '--no-cache', '--max-age', bad, '-i', plain, log]);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain(`Expected a whole number from 1 to 36500 for --max-age but received "${bad}"`);
    }
  });

  it('keeps a match when any source of the indicator is valid', () => {
    const store = new IndicatorStore();
    const n = normalizeIndicator('198.51.100.7');
    if (!n.ok) throw new Error(n.reason);
    store.add(n.indicator, { feed: 'a', line: 1, validUntil: '2024-01-01T00:00:00.000Z' });
    store.add(n.indicator, { feed: 'b', line: 1, inactive: 'true' });
    const f = new ValidityFilter(store, { scanTimeMs: Date.parse('2025-01-01T00:00:00Z') });
    expect(f.validAt(0, Date.parse('2023-06-01T00:00:00Z'))).toBe(true);
    expect(f.validAt(0, Date.parse('2024-01-01T00:00:00Z'))).toBe(false);
    store.add(n.indicator, { feed: 'c', line: 1 });
    expect(new ValidityFilter(store, { scanTimeMs: 0 }).validAt(0, Date.parse('2030-01-01T00:00:00Z'))).toBe(true);
  });
});
