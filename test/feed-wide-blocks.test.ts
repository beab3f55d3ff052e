import { afterAll, describe, expect, it } from 'vitest';
import { rmSync } from 'node:fs';
import { IochuntError } from '../src/errors.js';
import { loadFeeds } from '../src/indicators/load.js';
import { recordingReporter } from '../src/report.js';
import { runCli } from './helpers/cli.js';
import { tmpDir } from './helpers/tmp.js';

const t = tmpDir();
afterAll(() => rmSync(t.dir, { recursive: true, force: true }));

const FEED = ['::ffff:0:0/96', '10.0.0.0/8', '::ffff:10.0.0.0/104', '0.0.0.0/0', '2000::/3', '2001:db8::/32', '1.0.0.0/7', '::ffff:192.0.2.0/120'].join('\n');

describe('very wide address blocks', () => {
  it('keep their width when IPv4-mapped, load with a counted warning, and are named', async () => {
    const feed = t.write('bogons.txt', FEED);
    const rep = recordingReporter();
    const r = await loadFeeds([feed], { reporter: rep });
    const names = r.store.all().map((s) => s.indicator.name);
    expect(names).toEqual(['0.0.0.0/0', '10.0.0.0/8', '2000::/3', '2001:db8::/32', '0.0.0.0/7', '192.0.2.0/24']);
    expect(r.wide.map((w) => [w.line, w.value])).toEqual([
      [1, '::ffff:0:0/96'],
      [4, '0.0.0.0/0'],
      [5, '2000::/3'],
      [7, '1.0.0.0/7'],
    ]);
    expect(r.wide[0]?.reason).toContain('IPv4-mapped IPv6 block, read as 0.0.0.0/0');
    expect(r.wide[0]?.reason).toContain('all of IPv4');
    expect(r.feeds[0]?.wide).toBe(4);
    const warnings = rep.messages.filter((m) => m.level === 'warn').map((m) => m.message);
    expect(warnings).toHaveLength(4);
    expect(warnings[0]).toBe(`${feed}:1: "::ffff:0:0/96" is a very wide block (IPv4-mapped IPv6 block, read as 0.0.0.0/0): /0 covers 4,294,967,296 IPv4 addresses, all of IPv4; loaded (--strict refuses it)`);
  });

  it('are refused by --strict', async () => {
    const feed = t.write('strict.txt', FEED);
    await expect(loadFeeds([feed], { strict: true })).rejects.toThrow(IochuntError);
    await expect(loadFeeds([feed], { strict: true })).rejects.toThrow(/4 very wide address blocks \(--strict refuses IPv4 blocks shorter than \/8 and IPv6 blocks shorter than \/16\): 4 in \S+strict.txt \(first at \S+strict.txt:1\)/);
    const ok = t.write('narrow.txt', '10.0.0.0/8\n2001:db8::/32\n');
    await expect(loadFeeds([ok], { strict: true })).resolves.toBeDefined();
    const cli = await runCli(['scan', '--strict', '--no-cache', '--iocs', feed], { stdin: '10.1.2.3\n' });
    expect(cli.code).toBe(2);
    expect(cli.stderr).toContain('very wide address block');
  });

  it('are listed by iocs stats', async () => {
    const feed = t.write('stats.txt', FEED);
    const r = await runCli(['iocs', 'stats', feed]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('  wide block at line 1: "::ffff:0:0/96": very wide block (IPv4-mapped IPv6 block, read as 0.0.0.0/0)');
    expect(r.stdout).toContain('  wide block at line 5: "2000::/3": very wide block: /3 covers 1/8 of IPv6\n');
    expect(r.stdout).toMatch(/total: 6 indicators .*, 4 very wide blocks\n$/);
  });

  it('in an allowlist are warned about too, and a narrower mapped block keeps its width', async () => {
    const feed = t.write('feed.txt', '10.1.2.3\n192.0.2.7\n');
    const allow = t.write('allow.txt', '::ffff:0:0/96\n');
    const r = await runCli(['scan', '--no-cache', '--iocs', feed, '--allow', allow], { stdin: '10.1.2.3 192.0.2.7\n' });
    expect(r.stderr).toContain(`${allow}:1: "::ffff:0:0/96" is a very wide block`);
    const narrow = t.write('allow2.txt', '::ffff:192.0.2.0/120\n');
    const r2 = await runCli(['scan', '--no-cache', '--iocs', feed, '--allow', narrow], { stdin: 'a 10.1.2.3\nb 192.0.2.7\n' });
    expect(r2.code).toBe(0);
    expect(r2.docs.map((d) => d.event.original)).toEqual(['a 10.1.2.3']);
    expect(r2.stderr).not.toContain('wide');
  });
});

describe('IPv6 values with a dotted tail', () => {
  it('only ::ffff:a.b.c.d is IPv4-mapped; ::a.b.c.d (IPv4-compatible) stays IPv6', async () => {
    const feed = t.write('compat.txt', '::ffff:198.51.100.7\n::198.51.100.8\n::0.0.0.0/96\n64:ff9b::198.51.100.9\n');
    const r = await loadFeeds([feed]);
    expect(r.store.all().map((s) => s.indicator.name)).toEqual(['198.51.100.7', '::c633:6408', '::/96', '64:ff9b::c633:6409']);
    expect(r.wide).toEqual([]);
  });
});
