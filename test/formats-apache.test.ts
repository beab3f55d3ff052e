import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { runCli } from './helpers/cli.js';
import { at, docsOf, parseSamples, sample, sampleLines } from './helpers/samples.js';
import { tmpDir } from './helpers/tmp.js';

const FILES = [
  'beats/apache-access/test.log',
  'beats/apache-access/test-vhost.log',
  'beats/apache-access/darwin-2.4.23.log',
  'beats/apache-access/ssl-request.log',
];

describe('apache access logs', () => {
  it('detects every sample as apache and parses every line', async () => {
    const r = await parseSamples(FILES);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    for (const f of FILES) {
      const docs = docsOf(r, f);
      expect(docs.length, f).toBe(sampleLines(f).length);
      for (const d of docs) {
        expect(d.event.dataset, d.event.original).toBe('apache.access');
        expect(d['@timestamp'], d.event.original).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
      }
    }
  });

  it('agrees with the Filebeat expected output on the key fields', async () => {
    const expected = JSON.parse(readFileSync(sample('beats/apache-access/test.log-expected.json'), 'utf8')) as Array<Record<string, any>>;
    const docs = docsOf(await parseSamples(['beats/apache-access/test.log']), 'beats/apache-access/test.log');
    expected.forEach((e, i) => {
      const d = docs[i] as Record<string, any>;
      for (const key of ['@timestamp', 'source.ip', 'source.address', 'source.domain', 'url.original', 'http.response.status_code', 'http.request.referrer', 'user_agent.original']) {
        // Filebeat keeps "-" (no referrer, no user agent) as a value; iochunt leaves the field out.
        const want = e[key] === '-' && (key === 'http.request.referrer' || key === 'user_agent.original') ? undefined : e[key];
        expect(key === '@timestamp' ? d['@timestamp'] : at(d, key), `line ${i + 1} ${key}`).toEqual(want);
      }
      expect(at(d, 'http.request.method')?.toLowerCase()).toEqual(e['http.request.method']);
    });
  });

  it('parses vhost, IPv6, host-name clients, escapes and forwarded-for fields', async () => {
    const t = tmpDir();
    const log = t.write(
      'access.log',
      [
        'www.example.org:443 2001:db8::7 - alice [10/Oct/2023:13:55:36 -0700] "GET /a\\"b\\x41 HTTP/1.1" 200 12 "http://ref.example/x" "curl/8.0" "203.0.113.9, 198.51.100.2"',
        '\\x16\\x03 garbage line that is not an access log',
        '10.0.0.1 - - [10/Oct/2023:13:55:36 +0000] "\\x16\\x03\\x01\\x02" 400 0 "-" "-"',
      ].join('\n'),
    );
    const r = await runCli(['parse', '-q', log]);
    expect(r.code).toBe(1); // the garbage line does not parse
    const [a, bad, tls] = r.docs as Array<Record<string, any>>;
    expect(at(a, 'destination.domain')).toBe('www.example.org');
    expect(at(a, 'destination.port')).toBe(443);
    expect(at(a, 'source.ip')).toBe('2001:db8::7');
    expect(at(a, 'user.name')).toBe('alice');
    expect(at(a, 'url.original')).toBe('/a"bA');
    expect(at(a, 'network.forwarded_ip')).toBe('203.0.113.9');
    expect(a?.['@timestamp']).toBe('2023-10-10T20:55:36.000Z');
    expect(bad?.event.kind).toBe('pipeline_error');
    // Not ECS (http.request has no line): kept in the dataset's namespace.
    expect(at(tls, 'apache.access.request_line')).toBe('\u0016\u0003\u0001\u0002');
    expect(at(tls, 'http.request.line')).toBeUndefined();
  });

  it('names the field of each hit and takes the event time; unparsed lines still hit as message', async () => {
    const t = tmpDir();
    const iocs = t.write('iocs.txt', '203.0.113.9\nref.example\n2001:db8::7\n');
    const log = t.write(
      'access.log',
      [
        'www.example.org:443 2001:db8::7 - - [10/Oct/2023:13:55:36 -0700] "GET /x?u=ref.example HTTP/1.1" 200 12 "http://ref.example/x" "curl/8.0" "203.0.113.9"',
        'not an access log line from 203.0.113.9',
      ].join('\n'),
    );
    const r = await runCli(['scan', '--no-info', '--iocs', iocs, log]);
    expect(r.code).toBe(0);
    const [first, second] = r.docs as Array<Record<string, any>>;
    expect(first?.['@timestamp']).toBe('2023-10-10T20:55:36.000Z');
    expect(first?.event.dataset).toBe('apache.access');
    expect(Date.parse(first?.event.created)).not.toBeNaN();
    const fields = first?.threat.enrichments.map((e: any) => `${e.indicator.name}@${e.matched.field}`);
    expect(fields).toEqual(['2001:db8::7@source.ip', 'ref.example@url.original', 'ref.example@http.request.referrer', '203.0.113.9@network.forwarded_ip']);
    expect(second?.threat.enrichments[0].matched.field).toBe('message');
    expect(second?.event.dataset).toBeUndefined();
  });

  it('--format none turns parsing off', async () => {
    const t = tmpDir();
    const iocs = t.write('iocs.txt', '::/127\n');
    const r = await runCli(['scan', '--no-info', '--format', 'none', '--iocs', iocs, sample('beats/apache-access/darwin-2.4.23.log')]);
    expect(r.docs.map((d) => d.threat.enrichments[0].matched.field)).toEqual(['message', 'message', 'message']);
  });

  it('rejects an unknown --format and --timezone', async () => {
    const a = await runCli(['scan', '--iocs', 'x', '--format', 'apach']);
    expect(a.code).toBe(2);
    expect(a.stderr).toContain('Expected one of');
    expect(a.stderr).toContain('for --format but received "apach" (did you mean apache?)');
    const b = await runCli(['scan', '--iocs', 'x', '--timezone', 'Mars/Olympus']);
    expect(b.code).toBe(2);
    expect(b.stderr).toContain('Expected an IANA time zone such as UTC or Europe/Paris for --timezone but received "Mars/Olympus"');
  });
});
