import { afterAll, describe, expect, it } from 'vitest';
import { rmSync } from 'node:fs';
import { IochuntError } from '../src/errors.js';
import { loadFeeds } from '../src/indicators/load.js';
import { recordingReporter } from '../src/report.js';
import { runCli } from './helpers/cli.js';
import { tmpDir } from './helpers/tmp.js';

const t = tmpDir();
afterAll(() => rmSync(t.dir, { recursive: true, force: true }));

const names = (r: Awaited<ReturnType<typeof loadFeeds>>) => r.store.all().map((s) => s.indicator.name);
const warnings = (rep: ReturnType<typeof recordingReporter>) => rep.messages.filter((m) => m.level === 'warn').map((m) => m.message);

// Layout of the public abuse.ch exports (header as published; rows invented, documentation addresses and names).
const THREATFOX = [
  '################################################################',
  '# ThreatFox IOCs: recent additions - CSV format                #',
  '#                                                              #',
  '# "first_seen_utc","ioc_id","ioc_value","ioc_type","threat_type","fk_malware","malware_alias","malware_printable","last_seen_utc","confidence_level","is_compromised","reference","tags","anonymous","reporter"',
  '"2026-07-04 22:19:04", "1", "c2.evil.example", "domain", "payload_delivery", "js.clearfake", "None", "ClearFake", "", "100", "False", "None", "ClearFake", "1", "anonymous"',
  '"2026-07-04 22:19:05", "2", "203.0.113.7:8443", "ip:port", "botnet_cc", "win.x", "None", "XBot", "", "75", "False", "https://ref.example/1", "x", "0", "tester"',
  '"2026-07-04 22:19:06", "3", "https://evil.example/gate.php", "url", "botnet_cc", "win.x", "None", "XBot", "", "75", "False", "None", "x", "0", "tester"',
  '"2026-07-04 22:19:07", "4", "d41d8cd98f00b204e9800998ecf8427e", "md5_hash", "payload", "win.x", "None", "XBot", "", "50", "False", "None", "x", "0", "tester"',
  `"2026-07-04 22:19:08", "5", "${'ab'.repeat(32)}", "sha256_hash", "payload", "win.x", "None", "XBot", "", "50", "False", "None", "x", "0", "tester"`,
  '"2026-07-04 22:19:09", "6", "[2001:db8::7]:443", "ip:port", "botnet_cc", "win.x", "None", "XBot", "", "50", "False", "None", "x", "0", "tester"',
  '# Number of entries: 6',
  '',
].join('\r\n');

const FEODO = [
  '################################################################',
  '# abuse.ch Feodo Tracker Botnet C2 IP Blocklist (CSV)          #',
  '################################################################',
  '#',
  '"first_seen_utc","dst_ip","dst_port","c2_status","last_online","malware"',
  '"2022-06-04 21:24:53","198.51.100.246","8080","offline","2026-03-07","Emotet"',
  '"2025-12-30 13:56:31","203.0.113.211","443","online","2026-03-12","QakBot"',
  '# end',
  '',
].join('\n');

describe('common feed layouts load as meant', () => {
  it('ThreatFox CSV: ip:port, domain, url, md5_hash and sha256_hash rows, with malware and confidence', async () => {
    const feed = t.write('threatfox.csv', THREATFOX);
    const rep = recordingReporter();
    const r = await loadFeeds([feed], { reporter: rep });
    expect(r.invalid).toEqual([]);
    expect(warnings(rep)).toEqual([]);
    expect(r.feeds[0]?.format).toBe('csv');
    expect(names(r)).toEqual(['c2.evil.example', '203.0.113.7', 'https://evil.example/gate.php', 'd41d8cd98f00b204e9800998ecf8427e', 'ab'.repeat(32), '2001:db8::7']);
    const src = r.store.all()[1]?.sources[0];
    expect(src).toMatchObject({ description: 'XBot', confidence: '75', reference: 'https://ref.example/1', line: 6 });
    expect(r.store.all()[0]?.sources[0]?.reference).toBeUndefined();
  });

  it('Feodo Tracker CSV: the dst_ip column', async () => {
    const feed = t.write('feodo.csv', FEODO);
    const rep = recordingReporter();
    const r = await loadFeeds([feed], { reporter: rep });
    expect(r.invalid).toEqual([]);
    expect(names(r)).toEqual(['198.51.100.246', '203.0.113.211']);
    expect(r.store.all()[0]?.sources[0]).toMatchObject({ description: 'Emotet', line: 6 });
  });

  it('hosts-file blocklists: the names load, the sink address does not, local entries are skipped', async () => {
    const feed = t.write(
      'hosts',
      [
        '# Title: a hosts blocklist',
        '127.0.0.1 localhost',
        '127.0.0.1 localhost.localdomain',
        '255.255.255.255 broadcasthost',
        '::1 localhost',
        'fe80::1%lo0 localhost',
        '0.0.0.0 0.0.0.0',
        '',
        '0.0.0.0 evil.example',
        '0.0.0.0 ads.bad.example   # tracker',
        '127.0.0.1 c2.evil.example other.evil.example',
      ].join('\n'),
    );
    const rep = recordingReporter();
    const r = await loadFeeds([feed], { reporter: rep });
    expect(r.feeds[0]?.format).toBe('hosts');
    expect(names(r)).toEqual(['evil.example', 'ads.bad.example', 'c2.evil.example', 'other.evil.example']);
    expect(r.invalid).toEqual([]);
    expect(r.skipped).toHaveLength(6);
    const cli = await runCli(['scan', '--no-cache', '--iocs', feed], { stdin: 'tcp 0.0.0.0:22 LISTEN\nGET http://evil.example/\n' });
    expect(cli.docs.map((d) => d.event.original)).toEqual(['GET http://evil.example/']);
  });

  it('a comma-separated list on one line gives every indicator', async () => {
    const feed = t.write('list.txt', 'evil.example,bad.example, 198.51.100.9 ,d41d8cd98f00b204e9800998ecf8427e\n203.0.113.9,65\nhttp://x.example/a,b\n');
    const r = await loadFeeds([feed]);
    expect(names(r)).toEqual(['evil.example', 'bad.example', '198.51.100.9', 'd41d8cd98f00b204e9800998ecf8427e', '203.0.113.9', 'http://x.example/a,b']);
  });

  it('a plain list whose lines have more than one field is read with a counted warning', async () => {
    const feed = t.write('two.txt', '198.51.100.1 evil.example\n198.51.100.2 bad.example\nok.example\n198.51.100.3\t17\n');
    const rep = recordingReporter();
    const r = await loadFeeds([feed], { reporter: rep });
    expect(r.feeds[0]?.format).toBe('plain');
    expect(names(r)).toEqual(['198.51.100.1', '198.51.100.2', 'ok.example', '198.51.100.3']);
    expect(warnings(rep)).toEqual([
      `${feed}: 2 lines have more than one field (first at line 1); only the first field of each was read as an indicator; if the list has another layout, name it with --iocs-format (see iochunt iocs formats)`,
    ]);
    const ipsum = t.write('ipsum.txt', '# IPsum\n198.51.100.1\t3\n198.51.100.2\t10\n');
    const rep2 = recordingReporter();
    await loadFeeds([ipsum], { reporter: rep2 });
    expect(warnings(rep2)).toEqual([]);
  });

  it('0.0.0.0, 127.0.0.1, :: and ::1 are refused with a counted warning, and --strict exits 2', async () => {
    const feed = t.write('sinks.txt', '0.0.0.0\n127.0.0.1\n::\n::1\n0:0:0:0:0:0:0:1\n10.1.2.3\n127.0.0.2\n');
    const rep = recordingReporter();
    const r = await loadFeeds([feed], { reporter: rep });
    expect(names(r)).toEqual(['10.1.2.3', '127.0.0.2']);
    expect(r.invalid.map((i) => i.value)).toEqual(['0.0.0.0', '127.0.0.1', '::', '::1', '0:0:0:0:0:0:0:1']);
    expect(r.invalid[0]?.reason).toMatch(/^the unspecified address 0\.0\.0\.0 is not an indicator/);
    expect(warnings(rep)).toHaveLength(5);
    await expect(loadFeeds([feed], { strict: true })).rejects.toThrow(IochuntError);
    const cli = await runCli(['scan', '--strict', '--no-cache', '--iocs', feed], { stdin: '10.1.2.3\n' });
    expect(cli.code).toBe(2);
    const ok = await runCli(['scan', '--no-cache', '--iocs', feed], { stdin: 'listen 0.0.0.0:80\nfrom 10.1.2.3\n' });
    expect(ok.code).toBe(0);
    expect(ok.docs.map((d) => d.event.original)).toEqual(['from 10.1.2.3']);
  });

  it('iocs formats names the hosts layout', async () => {
    const r = await runCli(['iocs', 'formats']);
    expect(r.stdout).toMatch(/^hosts +hosts-file blocklist/m);
    const feed = t.write('forced.txt', '0.0.0.0 evil.example\n');
    const forced = await loadFeeds([feed], { format: 'hosts' });
    expect(names(forced)).toEqual(['evil.example']);
  });
});

describe('CSV header choice', () => {
  it('a first row of column names stays the header even below a commented header of the same width', async () => {
    const feed = t.write('two-headers.csv', '# indicator,type,comment\nindicator,type,description\nevil.example,domain,x\n');
    const r = await loadFeeds([feed]);
    expect(names(r)).toEqual(['evil.example']);
    expect(r.invalid).toEqual([]);
  });
});
