import { describe, expect, it } from 'vitest';
import { runCli } from './helpers/cli.js';
import { sample } from './helpers/samples.js';
import { tmpDir } from './helpers/tmp.js';
import { MISP_EVENT, STIX_BUNDLE } from './helpers/feed-fixtures.js';

describe('iocs stats and iocs check', () => {
  it('stats counts per feed and type, and explains every skipped and invalid entry', async () => {
    const t = tmpDir();
    const stix = t.write('bundle.json', JSON.stringify(STIX_BUNDLE));
    const misp = t.write('event.json', JSON.stringify(MISP_EVENT));
    const r = await runCli(['iocs', 'stats', stix, misp, sample('zeek/intel-input/whitelisting.whitelist.dat')]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`${stix}\n  format stix; 15 entries; indicators: ipv4-addr 2, ipv6-addr 1, domain-name 1, url 1, file 2, email-addr 1\n`);
    expect(r.stdout).toContain('  skipped 1: revoked\n');
    expect(r.stdout).toContain('  invalid 1: unsupported STIX pattern: AND\n');
    expect(r.stdout).toContain('  skipped 2: to_ids is false (use --misp-all to load it)\n  skipped 1: deleted attribute\n');
    expect(r.stdout).toContain('  skipped 1: meta.whitelist is T (an allowlist entry; use it with --allow)\n');
    expect(r.stdout).toMatch(/total: 17 indicators .*; 6 skipped, 6 invalid\n$/);
  });

  it('check names the covering indicator: exact, CIDR or parent domain, with its feed', async () => {
    const subnet = sample('zeek/intel-input/match-subnet.intel.dat');
    const certs = sample('zeek/intel-input/certs.intel.dat');
    const inCidr = await runCli(['iocs', 'check', '192.168.2.9', '--iocs', subnet]);
    expect(inCidr.code).toBe(0);
    expect(inCidr.stdout).toBe(`192.168.2.9: cidr ipv4-addr 192.168.2.0/24 from ${subnet}:3 (this subnetwork is just plain baaad)\n`);
    const exact = await runCli(['iocs', 'check', '192.168.1.1', '--iocs', subnet]);
    expect(exact.stdout).toMatch(/^192\.168\.1\.1: exact ipv4-addr 192\.168\.1\.1 from /);
    const parent = await runCli(['iocs', 'check', 'hxxp://a.www.pantz[.]org/x', '--iocs', certs]);
    expect(parent.stdout).toBe(`http://a.www.pantz.org/x: parent-domain domain-name www.pantz.org (matched "a.www.pantz.org") from ${certs}:2 (test entry)\n`);
    const none = await runCli(['iocs', 'check', '10.9.9.9', '--iocs', certs]);
    expect(none.code).toBe(1);
    expect(none.stdout).toBe('10.9.9.9 (ipv4-addr): not covered\n');
    // Any text is scanned as a line: a value that is no indicator is simply not covered; an empty one is refused.
    const text = await runCli(['iocs', 'check', 'not a value', '--iocs', certs]);
    expect(text.code).toBe(1);
    expect(text.stdout).toBe('not a value: not covered\n');
    const empty = await runCli(['iocs', 'check', ' ', '--iocs', certs]);
    expect(empty.code).toBe(2);
    expect(empty.stderr).toContain('iocs check needs a non-empty VALUE');
  });
});
