import { utimesSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { runCli } from './helpers/cli.js';
import { at, docsOf, parseSamples, sampleLines } from './helpers/samples.js';
import { tmpDir } from './helpers/tmp.js';

const SYSLOG = [
  'beats/syslog/darwin-syslog-sample.log',
  'beats/syslog/iso8601_timestamp_multiline_syslog.log',
  'beats/syslog/suse-syslog.log',
  'beats/syslog/test-syslog.log',
  'beats/syslog/tz-offset.log',
  'beats/syslog-auth/test.log',
  'beats/syslog-auth/timestamp.log',
  'logs/syslog/messages',
  'logs/syslog/secure',
  'dynatrace-otel/syslog-rfc/RFC3164',
  'dynatrace-otel/syslog-rfc/RFC5424',
  'dynatrace-otel/syslog-rfc/rfc3164-skip-pri-absent',
  'dynatrace-otel/syslog-rfc/rfc5424-skip-pri-present',
  'dynatrace-otel/syslog-rfc/rfc6587-non-transparent-framing',
  'dynatrace-otel/syslog-rfc/rfc6587-octet-counting',
  'dynatrace-otel/syslog-rfc/rfc6587-octet-counting-preserve-space',
];

/** Continuation lines of multi-line records have no header of their own; they are read as part of the record before them. */
const isContinuation = (f: string, line: string): boolean => /^\s/.test(line) || (f.endsWith('test-syslog.log') && line === 'syslog');

describe('syslog', () => {
  it('detects every syslog sample and parses every record line, keeping every line', async () => {
    const r = await parseSamples(SYSLOG);
    expect(r.stderr).toBe('');
    for (const f of SYSLOG) {
      const lines = sampleLines(f);
      const docs = docsOf(r, f);
      expect(docs.length, f).toBe(lines.length);
      let record: Record<string, any> | undefined;
      docs.forEach((d, i) => {
        const line = lines[i] as string;
        expect(d.event.kind, `${f}: ${line}`).toBe('event');
        if (isContinuation(f, line)) {
          expect(d.message, line).toBe(line);
          expect(d['@timestamp'], line).toBe(record?.['@timestamp']);
          expect(at(d, 'process.name'), line).toBe(at(record, 'process.name'));
          expect(at(d, 'host.hostname'), line).toBe(at(record, 'host.hostname'));
        } else {
          record = d;
        }
        expect(d.event.dataset, line).toMatch(/^(system\.(syslog|auth)|bind\.(log|query))$/);
        expect(d['@timestamp'], line).toMatch(/Z$/);
      });
    }
  });

  it('reads continuation lines as part of the record before them, with their own offset', async () => {
    const f = 'beats/syslog/iso8601_timestamp_multiline_syslog.log';
    const docs = docsOf(await parseSamples([f]), f);
    expect(docs.map((d) => [d.log.offset, d['@timestamp'], at(d, 'host.hostname'), at(d, 'process.name'), at(d, 'process.pid')])).toEqual([
      [0, '2020-12-25T21:59:59.000Z', 'a-mac-with-esc-key', 'GoogleSoftwareUpdateAgent', 21412],
      [103, '2020-12-25T21:59:59.000Z', 'a-mac-with-esc-key', 'GoogleSoftwareUpdateAgent', 21412],
      [231, '2020-12-25T21:59:59.000Z', 'a-mac-with-esc-key', 'GoogleSoftwareUpdateAgent', 21412],
    ]);
    expect(docs[2]?.message).toBe("\t\tinstalled products, except:'com.google.Keystone'.");
  });

  it('names the sshd and pam_unix peers of the RHEL messages and secure logs (addresses, names, IPv6)', async () => {
    const files = ['logs/syslog/messages', 'logs/syslog/secure'];
    const r = await parseSamples(files);
    const [messages, secure] = files.map((f) => docsOf(r, f));
    const peer = (docs: Array<Record<string, any>> | undefined, text: string) => {
      const d = docs?.find((x) => x.event.original.includes(text));
      return [at(d, 'event.dataset'), at(d, 'process.name'), at(d, 'source.ip') ?? at(d, 'source.domain'), at(d, 'user.name')];
    };
    expect(peer(messages, 'rhost=host-22.scan.example.com')).toEqual(['system.auth', 'sshd(pam_unix)', 'host-22.scan.example.com', 'root']);
    expect(peer(messages, 'rhost=2001:db8:0:7::15  user=guest')).toEqual(['system.auth', 'sshd(pam_unix)', '2001:db8:0:7::15', 'guest']);
    expect(peer(messages, 'xinetd[2201]: START')).toEqual(['system.syslog', 'xinetd', undefined, undefined]);
    expect(peer(secure, 'Failed password for invalid user oracle')).toEqual(['system.auth', 'sshd', '203.0.113.9', 'oracle']);
    expect(peer(secure, 'Accepted password for alice')).toEqual(['system.auth', 'sshd', '2001:db8:10::5', 'alice']);
    // rhost= followed by a trailing space and no user: the address without the space, no user.
    const bare = messages?.find((x) => x.event.original.endsWith('rhost=198.51.100.23 '));
    expect([at(bare, 'source.ip'), at(bare, 'user.name')]).toEqual(['198.51.100.23', undefined]);
  });

  it('keeps a header-less first line unparsed', async () => {
    const t = tmpDir();
    const log = t.write('cont.log', '  orphan line\nMar  3 10:00:00 h app[1]: start\n  more\n');
    const r = await runCli(['parse', '-q', log]);
    expect(r.code).toBe(1);
    expect(r.docs.map((d) => d.event.kind)).toEqual(['pipeline_error', 'event', 'event']);
    expect(at(r.docs[2], 'process.name')).toBe('app');
  });

  it('reads RFC 5424 headers, structured data and octet-counted framing', async () => {
    const f = 'dynatrace-otel/syslog-rfc/rfc6587-octet-counting';
    const [d] = docsOf(await parseSamples([f]), f);
    expect(d?.['@timestamp']).toBe('2015-08-05T21:58:59.693Z');
    expect(at(d, 'log.syslog.priority')).toBe(86);
    expect(at(d, 'host.ip')).toBe('192.168.2.132');
    expect(at(d, 'process.name')).toBe('SecureAuth0');
    expect(at(d, 'log.syslog.structured_data')).toEqual({ 'SecureAuth@27389': { UserHostAddress: '192.168.2.132', Realm: 'SecureAuth0', UserID: 'Tester2', PEN: '27389' } });
    expect(d?.message).toBe("Found the user for retrieving user's profile");
  });

  it('converts rsyslog offsets to UTC', async () => {
    const f = 'beats/syslog/tz-offset.log';
    const docs = docsOf(await parseSamples([f]), f);
    expect(docs.map((d) => d['@timestamp'])).toEqual(['1986-04-25T21:23:45.101Z', '1986-04-25T21:23:45.388Z', '2019-06-14T10:40:20.912Z']);
  });

  it('parses sshd peers anchored on the last "from … port", even with a hostile user name', async () => {
    const t = tmpDir();
    const log = t.write(
      'auth.log',
      [
        'Mar  3 10:00:00 bastion sshd[1]: Failed password for invalid user x from 198.51.100.1 port 1 from 203.0.113.50 port 2222 ssh2',
        'Mar  3 10:00:01 bastion sshd[1]: Accepted publickey for bob from 2001:db8::5 port 22 ssh2: RSA 39:33:99:e9:a0:dc:f2:33:a3:e5:72:3b:7c:3a:56:84',
        'Mar  3 10:00:02 bastion sshd(pam_unix)[9]: authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=220-135-151-1.hinet-ip.hinet.net  user=root',
      ].join('\n'),
    );
    const docs = (await runCli(['parse', '-q', log])).docs;
    expect(at(docs[0], 'source.ip')).toBe('203.0.113.50');
    expect(at(docs[0], 'source.port')).toBe(2222);
    expect(at(docs[0], 'user.name')).toBe('invalid user x from 198.51.100.1 port 1'.replace('invalid user ', ''));
    expect(at(docs[0], 'event.outcome')).toBe('failure');
    expect(at(docs[1], 'source.ip')).toBe('2001:db8::5');
    expect(at(docs[1], 'event.outcome')).toBe('success');
    expect(at(docs[2], 'source.domain')).toBe('220-135-151-1.hinet-ip.hinet.net');
    expect(at(docs[2], 'user.name')).toBe('root');
  });

  it('takes the year from the file time and the zone from --timezone for RFC 3164', async () => {
    const t = tmpDir();
    const iocs = t.write('iocs.txt', '203.0.113.50\n');
    const log = t.write(
      'auth.log',
      'Dec 31 23:30:00 bastion sshd[1]: Failed password for root from 203.0.113.50 port 2222 ssh2\n' +
        'Jan  2 01:00:00 bastion sshd[1]: Invalid user admin from 203.0.113.50\n',
    );
    // The file was last written on 2024-01-05: December is the year before.
    const mtime = new Date('2024-01-05T12:00:00Z');
    utimesSync(log, mtime, mtime);
    const r = await runCli(['scan', '--no-info', '--iocs', iocs, '--timezone', 'Europe/Paris', log]);
    expect(r.code).toBe(0);
    expect(r.docs.map((d) => d['@timestamp'])).toEqual(['2023-12-31T22:30:00.000Z', '2024-01-02T00:00:00.000Z']);
    expect(r.docs.map((d) => d.threat.enrichments[0].matched.field)).toEqual(['source.ip', 'source.ip']);
    expect(r.docs.map((d) => d.event.dataset)).toEqual(['system.auth', 'system.auth']);
  });
});

describe('DNS servers through syslog', () => {
  it('detects the Infoblox/BIND sample as bind and names client, query and answers', async () => {
    const f = 'integrations/bind-infoblox/test-dns.log';
    const r = await parseSamples([f]);
    expect(r.code).toBe(0);
    const docs = docsOf(r, f);
    expect(docs.length).toBe(sampleLines(f).length);
    expect(docs[0]?.event.dataset).toBe('bind.query');
    expect(at(docs[0], 'client.ip')).toBe('192.168.0.1');
    expect(at(docs[0], 'dns.answers')?.map((a: any) => a.data)).toEqual(['foo.com', '0.0.0.0']);
    expect(docs[0]?.['@timestamp']).toBe('2022-04-07T08:08:10.043Z');
    const v6 = docs.find((d) => at(d, 'dns.question.name') === 'version.bind');
    expect(at(v6, 'dns.question.class')).toBe('CH');
    expect(at(v6, 'server.ip')).toBe('192.168.0.1');
  });

  it('parses bare BIND query logs with IPv6 clients, and names the field of each hit', async () => {
    const t = tmpDir();
    const iocs = t.write('iocs.txt', 'evil.example\n2001:db8::1\n198.51.100.7\n');
    const log = t.write(
      'query.log',
      '07-Jun-2026 05:59:41.389 queries: info: client @0x7f3a2c001234 2001:db8::1#16361 (www.evil.example): view eu: query: www.evil.example IN A +E(0)DC (198.51.100.7)\n' +
        '07-Jun-2026 05:59:42.000 client 10.0.0.3#1035: query: 3.example.com IN A +\n',
    );
    const r = await runCli(['scan', '--no-info', '--iocs', iocs, log]);
    const [d] = r.docs;
    expect(d?.event.dataset).toBe('bind.query');
    expect(d?.['@timestamp']).toBe('2026-06-07T05:59:41.389Z');
    expect(d?.threat.enrichments.map((e: any) => `${e.indicator.name}@${e.matched.field}`)).toEqual([
      '2001:db8::1@client.ip',
      'evil.example@dns.question.name',
      '198.51.100.7@server.ip',
    ]);
  });

  it('parses dnsmasq query, forward and reply lines', async () => {
    const t = tmpDir();
    const log = t.write(
      'dnsmasq.log',
      [
        'Jun 12 04:48:44 dnsmasq[58493]: query[A] www.qq.com from 139.162.108.129',
        'Jun 12 04:48:44 dnsmasq[58493]: forwarded www.qq.com to 8.8.4.4',
        'Jun 12 04:48:44 dnsmasq[58493]: reply www.qq.com is <CNAME>',
        'Jun 12 04:48:44 dnsmasq[58493]: reply a1574.b.akamai.net is 95.101.72.167',
        'Oct 21 19:20:54 pihole pihole-FTL[7508]: cached google.com is 2607:f8b0:4005:80b::200e',
        'Feb 27 16:28:04 dnsmasq[7620]: /etc/pihole/gravity.list pubads.g.doubleclick.net is 2001:470:c03a:809::a',
        'Jun 12 04:48:45 dnsmasq[58493]: 17 10.0.0.9/51234 query[AAAA] evil.example from 10.0.0.9',
      ].join('\n'),
    );
    const r = await runCli(['parse', '-q', log]);
    expect(r.code).toBe(0);
    const d = r.docs;
    expect(d.every((x) => x.event.dataset === 'dnsmasq.log')).toBe(true);
    expect([at(d[0], 'dns.question.name'), at(d[0], 'client.ip'), at(d[0], 'dns.question.type')]).toEqual(['www.qq.com', '139.162.108.129', 'A']);
    expect(at(d[1], 'server.ip')).toBe('8.8.4.4');
    expect(at(d[3], 'dns.answers')).toEqual([{ data: '95.101.72.167' }]);
    expect(at(d[4], 'dns.answers')).toEqual([{ data: '2607:f8b0:4005:80b::200e' }]);
    expect(at(d[5], 'dns.question.name')).toBe('pubads.g.doubleclick.net');
    expect(at(d[6], 'dnsmasq.serial')).toBe(17);
  });
});
