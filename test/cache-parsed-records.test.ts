/**
 * A cached run keeps a bounded number of parsed indicator records: a scan
 * whose hits name more distinct indicators than it keeps (twice over, so that
 * dropped records are parsed again) gives the same documents as a run that
 * loads the feeds.
 */
import { describe, expect, it } from 'vitest';
import { runCli } from './helpers/cli.js';
import { tmpDir } from './helpers/tmp.js';

const t = tmpDir('iochunt-parsed-');

describe('cached indicator records', () => {
  it('more distinct hit indicators than are kept parsed: the same hits as without the cache', async () => {
    const ips: string[] = [];
    for (let i = 0; i < 9000; i++) ips.push(`198.${18 + (i >> 16)}.${(i >> 8) & 255}.${i & 255}`);
    const feed = t.write('iocs.txt', `${ips.join('\n')}\nevil.example\n`);
    const lines = [...ips, ...ips.slice().reverse()].map((ip, n) => `${n} connection from ${ip} to evil.example`);
    const log = t.write('a.log', `${lines.join('\n')}\n`);
    const cache = t.path('cache');
    // The lines carry no time: @timestamp and event.created are the run's.
    const strip = (docs: Array<Record<string, any>>) => docs.map((d) => JSON.stringify({ ...d, '@timestamp': undefined, event: { ...d.event, created: undefined } }));
    const fresh = await runCli(['scan', '--no-info', '--no-cache', '-i', feed, log]);
    const fill = await runCli(['scan', '--cache-dir', cache, '-i', feed, log]);
    const cached = await runCli(['scan', '--cache-dir', cache, '-i', feed, log]);
    expect(fill.code).toBe(0);
    expect(cached.stderr).toMatch(/from the cache/);
    expect(fresh.docs).toHaveLength(18000);
    expect(strip(cached.docs)).toEqual(strip(fresh.docs));
  }, 120_000);
});
