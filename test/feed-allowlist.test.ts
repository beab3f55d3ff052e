import { describe, expect, it } from 'vitest';
import { loadAllowlist } from '../src/filters/allowlist.js';
import { recordingReporter } from '../src/report.js';
import { runCli } from './helpers/cli.js';
import { indicator } from './helpers/feed-fixtures.js';
import { tmpDir } from './helpers/tmp.js';

const atoms = (docs: Array<Record<string, any>>) => docs.flatMap((d) => d.threat.enrichments.map((e: any) => `${e.indicator.name}=${e.matched.atomic}`));

const warninglist = (type: string, list: string[]) => JSON.stringify({ name: `WL ${type}`, version: 1, description: 'test', matching_attributes: ['ip-dst', 'hostname'], type, list });

describe('--allow', () => {
  it('an allowlisted address inside a listed /24 produces no hit; a neighbour still hits', async () => {
    const t = tmpDir();
    const iocs = t.write('iocs.txt', '198.51.100.0/24\n');
    const allow = t.write('allow.txt', '198.51.100.9\n');
    const log = t.write('a.log', 'x 198.51.100.9 y\nx 198.51.100.10 y\n');
    const r = await runCli(['scan', '--no-cache', '--format', 'none', '-i', iocs, '--allow', allow, log]);
    expect(r.code).toBe(0);
    expect(atoms(r.docs)).toEqual(['198.51.100.0/24=198.51.100.10']);
    expect(r.stderr).toMatch(/1 allowlisted/);
    const none = await runCli(['scan', '--no-cache', '--format', 'none', '-i', iocs, '--allow', allow, t.write('b.log', 'x 198.51.100.9 y\n')]);
    expect(none.code).toBe(1);
  });

  it('an allowlisted subdomain of a listed domain produces no hit; other subdomains still do', async () => {
    const t = tmpDir();
    const iocs = t.write('iocs.txt', 'evil.example\n');
    const allow = t.write('allow.csv', 'indicator,type\ncdn.evil.example,domain\n');
    const log = t.write('a.log', 'GET http://img.cdn.evil.example/x\nGET http://c2.evil.example/x\nmail from bob@cdn.evil.example\n');
    const r = await runCli(['scan', '--no-cache', '--format', 'none', '-i', iocs, '--allow', allow, log]);
    expect(atoms(r.docs)).toEqual(['evil.example=c2.evil.example']);
  });

  it('reads MISP warninglists: cidr, hostname, substring and regex lists; regex patterns re2 rejects are named in one warning', async () => {
    const t = tmpDir();
    const iocs = t.write('iocs.txt', '203.0.113.0/24\nbad.example\n');
    const cidr = t.write('wl-cidr.json', warninglist('cidr', ['203.0.113.128/25']));
    const host = t.write('wl-host.json', warninglist('hostname', ['ok.bad.example']));
    const sub = t.write('wl-sub.json', warninglist('substring', ['.trusted-cdn.']));
    const re = t.write('wl-re.json', warninglist('regex', ['^a.*\\.bad\\.example$', '(?<=q)z', '/^Q.*\\.BAD\\.EXAMPLE$/i', '(a']));
    const log = t.write(
      'a.log',
      ['203.0.113.200', '203.0.113.5', 'www.ok.bad.example', 'x.trusted-cdn.bad.example', 'abc.bad.example', 'qz.bad.example', 'zz.bad.example']
        .map((v) => `v ${v}\n`)
        .join(''),
    );
    const r = await runCli(['scan', '--no-cache', '--format', 'none', '-i', iocs, '--allow', cidr, '--allow', host, '--allow', sub, '--allow', re, log]);
    expect(atoms(r.docs)).toEqual(['203.0.113.0/24=203.0.113.5', 'bad.example=zz.bad.example']);
    const warnings = r.stderr.split('\n').filter((l) => l.includes('regex allowlist'));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain('2 regex allowlist entries rejected by re2');
    expect(warnings[0]).toContain(`${re}:2 "(?<=q)z"`);
    expect(warnings[0]).toContain(`${re}:4 "(a"`);
  });

  it('applies regex entries to the matched text and its normalised form with re2, never JS RegExp', async () => {
    const t = tmpDir();
    const re = t.write('wl-re.json', warninglist('regex', ['^10\\.', '\\.internal\\.example$', '(a+)+\\1']));
    const rep = recordingReporter();
    const allow = await loadAllowlist([re], rep);
    expect(allow.covers('10.1.2.3')).toMatchObject({ how: 'regex', entry: '^10\\.', feed: re, line: 1 });
    // The defanged text is refanged and lower-cased before the second test.
    expect(allow.covers('HOST[.]Internal[.]example')).toMatchObject({ how: 'regex', line: 2 });
    expect(allow.covers('internal.example.org')).toBeUndefined();
    expect(rep.messages.filter((m) => m.level === 'warn').map((m) => m.message)).toEqual([
      expect.stringMatching(/^1 regex allowlist entry rejected by re2 and skipped: .*:3 "\(a\+\)\+\\\\1"/),
    ]);
  });

  it('reads allowlists in feed formats (STIX, Zeek intel whitelist rows)', async () => {
    const t = tmpDir();
    const iocs = t.write('iocs.txt', '192.0.2.0/24\n');
    const stix = t.write('allow.json', JSON.stringify({ type: 'bundle', id: 'bundle--a', objects: [indicator(1, "[ipv4-addr:value = '192.0.2.1']")] }));
    const allow = await loadAllowlist([stix], recordingReporter());
    expect(allow.covers('192.0.2.1')).toMatchObject({ how: 'exact', entry: '192.0.2.1', feed: stix });
    expect(allow.covers('192.0.2.2')).toBeUndefined();
    const zeek = t.write('allow.intel', '#fields\tindicator\tindicator_type\tmeta.source\tmeta.whitelist\n192.0.2.3\tIntel::ADDR\tops\tT\n');
    expect((await loadAllowlist([zeek], recordingReporter())).covers('192.0.2.3')).toMatchObject({ how: 'exact', feed: zeek });
    const log = t.write('a.log', 'v 192.0.2.1\nv 192.0.2.2\n');
    const r = await runCli(['scan', '--no-cache', '--format', 'none', '-i', iocs, '--allow', stix, log]);
    expect(atoms(r.docs)).toEqual(['192.0.2.0/24=192.0.2.2']);
  });

  it('iocs check says whether VALUE is allowlisted', async () => {
    const t = tmpDir();
    const iocs = t.write('iocs.txt', '198.51.100.0/24\n');
    const allow = t.write('allow.txt', '198.51.100.0/28\n');
    const yes = await runCli(['iocs', 'check', '198.51.100.9', '-i', iocs, '--allow', allow]);
    expect(yes.code).toBe(0);
    expect(yes.stdout).toContain(`198.51.100.9: allowlisted (cidr 198.51.100.0/28 from ${allow}:1)`);
    const no = await runCli(['iocs', 'check', '198.51.100.99', '-i', iocs, '--allow', allow]);
    expect(no.stdout).toContain('198.51.100.99: not allowlisted');
  });
});

describe('done when: indicators split across formats', () => {
  it('STIX + MISP + OTX + Zeek intel + ETD + plain find exactly the hits of one plain list', async () => {
    const t = tmpDir();
    const plain = t.write(
      'all.txt',
      ['198.51.100.7', '203.0.113.0/24', 'evil.example', 'http://bad.example/gate.php', 'a'.repeat(64), 'phish@evil2.example', '192.0.2.44', 'misp-evil.example', '2001:db8::1', 'otx-evil.example', 'b'.repeat(32), 'zeek-evil.example', '192.0.2.99', 'etd-evil.example', '192.0.2.128/26', 'plain-evil.example'].join('\n') + '\n',
    );
    const stix = t.write(
      'f.stix.json',
      JSON.stringify({
        type: 'bundle',
        id: 'bundle--s',
        objects: [
          indicator(1, "[ipv4-addr:value = '198.51.100.7'] OR [ipv4-addr:value ISSUBSET '203.0.113.0/24']"),
          indicator(2, "[domain-name:value = 'evil.example'] OR [url:value = 'http://bad.example/gate.php']"),
          indicator(3, `[file:hashes.'SHA-256' = '${'a'.repeat(64)}'] OR [email-addr:value = 'phish@evil2.example']`),
        ],
      }),
    );
    const misp = t.write(
      'f.misp.json',
      JSON.stringify({
        Event: {
          info: 'split',
          Attribute: [
            { type: 'ip-dst', value: '192.0.2.44', to_ids: true },
            { type: 'domain', value: 'misp-evil.example', to_ids: true },
          ],
        },
      }),
    );
    const otx = t.write(
      'f.otx.json',
      JSON.stringify({
        results: [
          {
            name: 'split',
            indicators: [
              { indicator: '2001:db8::1', type: 'IPv6', is_active: 1 },
              { indicator: 'otx-evil.example', type: 'domain', is_active: 1 },
            ],
          },
        ],
      }),
    );
    const zeek = t.write(
      'f.intel',
      '#fields\tindicator\tindicator_type\tmeta.source\n' +
        `${'b'.repeat(32)}\tIntel::FILE_HASH\tsplit\nzeek-evil.example\tIntel::DOMAIN\tsplit\n192.0.2.99\tIntel::ADDR\tsplit\n`,
    );
    const etd = t.write(
      'f.etd.json',
      JSON.stringify({ displayName: 'split', type: 'CONFIGURABLE_BAD_DOMAIN', config: { domains: ['etd-evil.example'], metadata: { severity: 'LOW' } } }),
    );
    const etdIp = t.write('f.etd-ip.json', JSON.stringify({ displayName: 'split', type: 'CONFIGURABLE_BAD_IP', config: { ips: ['192.0.2.128/26'], metadata: { severity: 'LOW' } } }));
    const rest = t.write('f.txt', 'plain-evil.example\n');
    const log = t.write(
      'mixed.log',
      [
        'conn 198.51.100.7 -> 203.0.113.77',
        'GET http://bad.example/gate.php?x=1 host www.evil.example',
        `file ${'a'.repeat(64)} md5 ${'B'.repeat(32)}`,
        'from phish@evil2.example to 192.0.2.44',
        'dns misp-evil.example otx-evil.example zeek-evil.example etd-evil.example plain-evil.example',
        'v6 [2001:db8::1]:443 and 192.0.2.99 and 192.0.2.130',
        'nothing 192.0.2.1 good.example',
      ].join('\n') + '\n',
    );
    const key = (docs: Array<Record<string, any>>) => docs.map((d) => [d.log.offset, d.threat.enrichments.map((e: any) => `${e.indicator.name}=${e.matched.atomic}`).sort()]);
    const one = await runCli(['scan', '--no-cache', '--format', 'none', '-i', plain, log]);
    const split = await runCli(['scan', '--no-cache', '--format', 'none', '-i', stix, '-i', misp, '-i', otx, '-i', zeek, '-i', etd, '-i', etdIp, '-i', rest, log]);
    expect(one.code).toBe(0);
    expect(split.stderr).not.toMatch(/skipped|invalid/);
    expect(key(one.docs).flatMap(([, a]) => a as string[])).toHaveLength(16);
    expect(key(split.docs)).toEqual(key(one.docs));
  });
});
