import { afterAll, describe, expect, it } from 'vitest';
import { rmSync } from 'node:fs';
import { fromApacheTime, fromBindTime, fromBsdTime, fromIsoTime, offsetMinutes } from '../src/formats/time.js';
import { loadFeeds } from '../src/indicators/load.js';
import { runCli } from './helpers/cli.js';
import { tmpDir } from './helpers/tmp.js';

const t = tmpDir();
afterAll(() => rmSync(t.dir, { recursive: true, force: true }));

describe('times that do not exist are not read as other times', () => {
  it('in log formats: day of month, leap years, zones', () => {
    expect(fromApacheTime('31/Feb/2024:10:00:00 +0000')).toBeUndefined();
    expect(fromApacheTime('30/Feb/2024:10:00:00 +0000')).toBeUndefined();
    expect(fromApacheTime('29/Feb/2023:10:00:00 +0000')).toBeUndefined();
    expect(fromApacheTime('29/Feb/2024:10:00:00 +0000')).toBe('2024-02-29T10:00:00.000Z');
    expect(fromApacheTime('31/Apr/2024:10:00:00 +0000')).toBeUndefined();
    expect(fromApacheTime('01/Mar/2024:24:00:00 +0000')).toBeUndefined();
    expect(fromApacheTime('01/Mar/2024:10:00:00 +9999')).toBeUndefined();
    expect(fromApacheTime('01/Mar/2024:10:00:00 +0260')).toBeUndefined();
    expect(fromApacheTime('01/Mar/2024:10:00:00 +1400')).toBe('2024-02-29T20:00:00.000Z');
    expect(offsetMinutes('+99:99')).toBeUndefined();
    expect(fromIsoTime('2024-02-30T00:00:00Z')).toBeUndefined();
    expect(fromIsoTime('2024-01-01T00:00:00+99:99')).toBeUndefined();
    expect(fromIsoTime('2024-01-01T00:00:00+0100')).toBe('2023-12-31T23:00:00.000Z');
    expect(fromBsdTime('Feb', 30, '10:00:00', 'UTC', Date.UTC(2024, 5, 1))).toBeUndefined();
    expect(fromBsdTime('Feb', 29, '10:00:00', 'UTC', Date.UTC(2024, 5, 1))).toBe('2024-02-29T10:00:00.000Z');
    expect(fromBindTime('31-Apr-2024 05:59:41.389', 'UTC')).toBeUndefined();
    expect(fromBindTime('30-Apr-2024 05:59:41.389', 'UTC')).toBe('2024-04-30T05:59:41.389Z');
  });

  it('a hit on a line whose time is not real keeps the scan time and names the time in iochunt.time_invalid', async () => {
    const feed = t.write('feed.txt', '203.0.113.7\n');
    const log = t.write(
      'access.log',
      '203.0.113.7 - - [31/Feb/2024:10:00:00 +0000] "GET / HTTP/1.1" 200 1 "-" "x"\n' +
        '203.0.113.7 - - [01/Mar/2024:10:00:00 +9999] "GET / HTTP/1.1" 200 1 "-" "x"\n' +
        '203.0.113.7 - - [29/Feb/2024:10:00:00 +0000] "GET / HTTP/1.1" 200 1 "-" "x"\n',
    );
    const before = Date.now();
    const r = await runCli(['scan', '--no-cache', '--iocs', feed, log]);
    expect(r.code).toBe(0);
    const [a, b, c] = r.docs as [Record<string, any>, Record<string, any>, Record<string, any>];
    expect(a.event.dataset).toBe('apache.access');
    expect(Date.parse(a['@timestamp'])).toBeGreaterThanOrEqual(before - 1000);
    expect(a['@timestamp']).not.toBe('2024-03-02T10:00:00.000Z');
    expect(a.iochunt?.time_invalid).toBe('31/Feb/2024:10:00:00 +0000');
    expect(a.event.created).toBeUndefined();
    expect(b.iochunt?.time_invalid).toBe('01/Mar/2024:10:00:00 +9999');
    expect(c['@timestamp']).toBe('2024-02-29T10:00:00.000Z');
    expect(c.iochunt?.time_invalid).toBeUndefined();
  });

  it('syslog and JSON lines with impossible dates parse, keep the scan time and say so', async () => {
    const feed = t.write('feed2.txt', 'evil.example\n');
    const log = t.write('syslog', 'Feb 30 10:00:00 host prog[1]: lookup evil.example\nFeb 28 10:00:00 host prog[1]: lookup evil.example\n');
    const r = await runCli(['scan', '--no-cache', '--iocs', feed, log]);
    expect(r.docs).toHaveLength(2);
    expect(r.docs[0]?.event.dataset).toBe('system.syslog');
    expect(r.docs[0]?.iochunt?.time_invalid).toBe('Feb 30 10:00:00');
    expect(r.docs[1]?.iochunt?.time_invalid).toBeUndefined();
    const json = t.write('x.jsonl', '{"timestamp":"2024-02-31T00:00:00Z","q":"evil.example"}\n');
    const j = await runCli(['scan', '--no-cache', '--iocs', feed, json]);
    expect(j.docs[0]?.iochunt?.time_invalid).toBe('2024-02-31T00:00:00Z');
    expect(j.docs[0]?.['@timestamp']).not.toMatch(/^2024-03/);
  });
});

describe('feed validity times that cannot be used make the entry invalid', () => {
  const ind = (id: number, value: string, extra: Record<string, unknown>) => ({
    type: 'indicator',
    spec_version: '2.1',
    id: `indicator--0000000${id}-0000-4000-8000-000000000000`,
    created: '2024-01-01T00:00:00Z',
    modified: '2024-01-01T00:00:00Z',
    pattern: `[domain-name:value = '${value}']`,
    pattern_type: 'stix',
    valid_from: '2024-01-01T00:00:00Z',
    ...extra,
  });
  const bundle = {
    type: 'bundle',
    id: 'bundle--00000000-0000-4000-8000-000000000000',
    objects: [
      ind(1, 'forever.example', {}),
      ind(2, 'notadate.example', { valid_until: 'not-a-date' }),
      ind(3, 'backwards.example', { valid_until: '2023-01-01T00:00:00Z' }),
      ind(4, 'feb31.example', { valid_until: '2024-02-31T00:00:00Z' }),
      ind(5, 'badfrom.example', { valid_from: 'yesterday' }),
      ind(6, 'ok.example', { valid_until: '2030-01-01T00:00:00Z' }),
    ],
  };

  it('STIX: unreadable valid_until/valid_from, valid_until not after valid_from', async () => {
    const feed = t.write('bundle.json', JSON.stringify(bundle));
    const r = await loadFeeds([feed]);
    expect(r.store.all().map((s) => s.indicator.name)).toEqual(['forever.example', 'ok.example']);
    expect(r.invalid.map((i) => [i.line, i.reason])).toEqual([
      [2, 'valid_until is not a valid time: "not-a-date"'],
      [3, 'valid_until 2023-01-01T00:00:00.000Z is not after valid_from 2024-01-01T00:00:00.000Z'],
      [4, 'valid_until is not a valid time: "2024-02-31T00:00:00Z"'],
      [5, 'valid_from is not a valid time: "yesterday"'],
    ]);
    const stats = await runCli(['iocs', 'stats', feed]);
    expect(stats.stdout).toContain('  invalid 1: valid_until is not a valid time: "not-a-date"\n');
    expect(stats.stdout).toContain('invalid 4\n');
    const strict = await runCli(['scan', '--strict', '--no-cache', '--iocs', feed], { stdin: 'forever.example\n' });
    expect(strict.code).toBe(2);
  });

  it('OTX: an expiration that is not a time', async () => {
    const feed = t.write(
      'otx.json',
      JSON.stringify([
        { indicator: 'a.example', type: 'domain', expiration: '2024-13-01T00:00:00' },
        { indicator: 'b.example', type: 'domain', expiration: null },
        { indicator: 'c.example', type: 'domain', expiration: '2030-01-01T00:00:00' },
      ]),
    );
    const r = await loadFeeds([feed], { format: 'otx' });
    expect(r.store.all().map((s) => s.indicator.name)).toEqual(['b.example', 'c.example']);
    expect(r.invalid.map((i) => i.reason)).toEqual(['expiration is not a valid time: "2024-13-01T00:00:00"']);
  });
});
