/**
 * Apache httpd error logs: a 2.0 error_log written for the tests, 2.4 lines (module:level,
 * pid:tid, client ip:port, IPv6 clients) and scan hits on the client.
 */
import { describe, expect, it } from 'vitest';
import { splitClient } from '../src/formats/apache-error.js';
import { runCli } from './helpers/cli.js';
import { at, docsOf, parseSamples, sampleLines } from './helpers/samples.js';
import { tmpDir } from './helpers/tmp.js';

const SAMPLE = 'logs/apache-error/error_log';

const V24 = [
  '[Wed Oct 11 14:32:52.123456 2000] [core:error] [pid 35708:tid 4328636416] [client 72.15.99.187:56120] AH00128: File does not exist: /usr/local/apache2/htdocs/favicon.ico',
  '[Thu Mar 07 09:01:02.000001 2024] [authz_core:error] [pid 12:tid 140] [client 2001:db8::7:56120] AH01630: client denied by server configuration: /srv/x, referer: http://evil.example/p',
  '[Thu Mar 07 09:01:03 2024] [ssl:warn] [pid 12] AH01909: server certificate does not include an ID which matches the server name',
  '[Thu Mar 07 09:01:04.5 2024] [:error] [pid 13] [client fe80::1%eth0:443] PHP Warning:  oops',
];

describe('apache error log', () => {
  it('detects the 2.0 error_log and parses every line with its time and level', async () => {
    const r = await parseSamples([SAMPLE]);
    expect(r.code).toBe(0);
    const docs = docsOf(r, SAMPLE);
    expect(docs.length).toBe(sampleLines(SAMPLE).length);
    for (const d of docs) {
      expect(d.event.kind, d.event.original).toBe('event');
      expect(d.event.dataset).toBe('apache.error');
      expect(d['@timestamp']).toMatch(/^2005-\d\d-\d\dT\d\d:\d\d:\d\d\.000Z$/);
      expect(['notice', 'warn', 'error']).toContain(at(d, 'log.level'));
      expect(d.message).toBeTruthy();
    }
    expect(new Set(docs.map((d) => at(d, 'log.level')))).toEqual(new Set(['notice', 'warn', 'error']));
    expect(docs.filter((d) => at(d, 'source.ip')).length).toBe(sampleLines(SAMPLE).filter((l) => l.includes('] [client ')).length);
    const client = docs.find((d) => d.event.original.includes('[client 198.51.100.99]'));
    expect(at(client, 'source.ip')).toBe('198.51.100.99');
    expect(at(client, 'source.port')).toBeUndefined();
    expect(client?.message).toBe('Directory index forbidden by rule: /var/www/html/');
  });

  it('parses 2.4 lines: module, pid/tid, client ip:port (IPv6 too), code, referer; zone from --timezone', async () => {
    const t = tmpDir();
    const log = t.write('error_log', `${V24.join('\n')}\n`);
    const r = await runCli(['parse', '-q', '--timezone', 'Europe/Paris', log]);
    expect(r.code).toBe(0);
    const [a, b, c, d] = r.docs;
    expect(a?.['@timestamp']).toBe('2000-10-11T12:32:52.123Z');
    expect([at(a, 'apache.error.module'), at(a, 'log.level'), at(a, 'process.pid'), at(a, 'process.thread.id')]).toEqual(['core', 'error', 35708, 4328636416]);
    expect([at(a, 'source.ip'), at(a, 'source.port'), at(a, 'error.code')]).toEqual(['72.15.99.187', 56120, 'AH00128']);
    expect(a?.message).toBe('AH00128: File does not exist: /usr/local/apache2/htdocs/favicon.ico');
    expect([at(b, 'source.ip'), at(b, 'source.port'), at(b, 'http.request.referrer')]).toEqual(['2001:db8::7', 56120, 'http://evil.example/p']);
    expect(b?.['@timestamp']).toBe('2024-03-07T08:01:02.000Z');
    expect([at(c, 'log.level'), at(c, 'process.pid'), at(c, 'source')]).toEqual(['warn', 12, undefined]);
    expect([at(d, 'source.ip'), at(d, 'source.port'), at(d, 'apache.error.module')]).toEqual(['fe80::1%eth0', 443, undefined]);
    expect(d?.['@timestamp']).toBe('2024-03-07T08:01:04.500Z');
  });

  it('splits clients by layout: 2.2 without a port, 2.4 with one', () => {
    expect(splitClient('2001:db8::1', false)).toEqual({ address: '2001:db8::1' });
    expect(splitClient('2001:db8::1:8080', true)).toEqual({ address: '2001:db8::1', port: 8080 });
    expect(splitClient('10.0.0.1:80', false)).toEqual({ address: '10.0.0.1', port: 80 });
    expect(splitClient('10.0.0.1', true)).toEqual({ address: '10.0.0.1' });
  });

  it('names a scan hit on the client source.ip, with the event time', async () => {
    const t = tmpDir();
    const iocs = t.write('iocs.txt', '72.15.99.187\n2001:db8::7\nevil.example\n222.166.160.184\n');
    const log = t.write('error_log', `${V24.join('\n')}\n[Sun Dec 04 05:15:09 2005] [error] [client 222.166.160.184] Directory index forbidden by rule: /var/www/html/\n[Sun Dec 04 05:15:10 2005] [error] [client 2001:db8::7] File does not exist: /x\n`);
    const r = await runCli(['scan', '--no-info', '--iocs', iocs, log]);
    expect(r.code).toBe(0);
    expect(r.docs.map((d) => [d['@timestamp'], d.event.dataset, d.threat.enrichments.map((e: any) => `${e.indicator.name}@${e.matched.field}`)])).toEqual([
      ['2000-10-11T14:32:52.123Z', 'apache.error', ['72.15.99.187@source.ip']],
      // The engine does not find an unbracketed IPv6 client inside addr:port (2001:db8::7:56120): no hit on the address.
      ['2024-03-07T09:01:02.000Z', 'apache.error', ['evil.example@http.request.referrer']],
      ['2005-12-04T05:15:09.000Z', 'apache.error', ['222.166.160.184@source.ip']],
      ['2005-12-04T05:15:10.000Z', 'apache.error', ['2001:db8::7@source.ip']],
    ]);
  });
});
