/**
 * TLS options of `scan --es` against a local HTTPS stand-in for a cluster
 * (a self-signed certificate made with openssl for 127.0.0.1): an unknown
 * certificate is refused, `--es-ca` trusts it, `--es-insecure` skips the check
 * with a warning. The stand-in can also hold bulk answers back, to stop a run
 * with two SIGTERMs while a request is in flight; and an unwritable
 * dead-letter file is refused before scanning. The stand-in answers only what a scan asks (`GET /`, the
 * template check, `_bulk`); delivery itself is proved on a real node in
 * es-output.test.ts.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { runCli, startCli } from './helpers/cli.js';
import { NO_ES_AUTH } from './helpers/es-test.js';
import { tmpDir } from './helpers/tmp.js';

const t = tmpDir('iochunt-es-tls-');

describe('scan --es over TLS', () => {
  let server: Server;
  let url = '';
  let created = 0;
  /** When set, bulk requests get no answer until it resolves. */
  let holdBulk: Promise<void> | undefined;
  let heldRequests = 0;
  const cert = t.path('cert.pem');
  const key = t.path('key.pem');
  const feed = t.write('feed.txt', '203.0.113.9\n');
  const log = t.write('a.log', 'x 203.0.113.9\ny\nz 203.0.113.9\n');

  beforeAll(async () => {
    execFileSync('openssl', [
      'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '2',
      '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1',
    ], { stdio: 'ignore' });
    server = createServer({ key: readFileSync(key), cert: readFileSync(cert) }, (req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', async () => {
        if (holdBulk && req.url?.includes('/_bulk')) {
          heldRequests++;
          await holdBulk;
        }
        let body: unknown = {};
        if (req.method === 'POST' && req.url?.includes('/_bulk')) {
          const lines = Buffer.concat(chunks).toString('utf8').split('\n').filter((l) => l !== '');
          const items = [];
          for (let i = 0; i < lines.length; i += 2) {
            const id = (JSON.parse(lines[i] as string) as { create: { _id: string } }).create._id;
            items.push({ create: { _index: 'x', _id: id, status: 201 } });
            created++;
          }
          body = { took: 1, errors: false, items };
        }
        const text = JSON.stringify(body);
        res.writeHead(200, { 'content-type': 'application/json', 'x-elastic-product': 'Elasticsearch', 'content-length': String(Buffer.byteLength(text)) });
        res.end(text);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it('refuses a certificate it cannot verify, with exit 2', async () => {
    const before = created;
    const r = await runCli(['scan', '--iocs', feed, log, '--es', url], { env: NO_ES_AUTH });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/not reachable at https:\/\/127\.0\.0\.1:\d+: .*self[- ]signed certificate/i);
    expect(created).toBe(before);
  });

  it('trusts the certificate given with --es-ca', async () => {
    const before = created;
    const r = await runCli(['scan', '--iocs', feed, log, '--es', url, '--es-ca', cert], { env: NO_ES_AUTH });
    expect(r.stderr).not.toMatch(/error/);
    expect(r.code).toBe(0);
    expect(created - before).toBe(2);
    expect(r.stderr).toContain('2 indexed');
  });

  it('skips the check with --es-insecure, and says so', async () => {
    const before = created;
    const r = await runCli(['scan', '--iocs', feed, log, '--es', url, '--es-insecure'], { env: NO_ES_AUTH });
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/--es-insecure: the TLS certificate of Elasticsearch is not verified/);
    expect(created - before).toBe(2);
  });

  it('refuses an --es-ca file that holds no PEM certificate, before contacting the cluster', async () => {
    const notPem = t.write('not.pem', 'hello\n');
    const r = await runCli(['scan', '--iocs', feed, log, '--es', url, '--es-ca', notPem], { env: NO_ES_AUTH });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--es-ca .*not\.pem: expected PEM certificates/);
    const missing = await runCli(['scan', '--iocs', feed, log, '--es', url, '--es-ca', t.path('nope.pem')], { env: NO_ES_AUTH });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/--es-ca .*nope\.pem: cannot read it \(ENOENT\)/);
  });

  it('refuses a dead-letter file that cannot be written, before scanning', async () => {
    const r = await runCli(['scan', '--iocs', feed, log, '--es', url, '--es-insecure', '--es-dead-letter', t.path('no-such-dir', 'dead.jsonl')], { env: NO_ES_AUTH });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/the dead-letter file .*no-such-dir\/dead\.jsonl cannot be written \(ENOENT\)/);
  });

  it('on a second SIGTERM writes the hits still in flight to the dead-letter file and exits 143', async () => {
    let release!: () => void;
    holdBulk = new Promise<void>((r) => (release = r));
    const dead = t.path('held-dead.jsonl');
    try {
      const { child, exited, stderr } = startCli(['scan', '--iocs', feed, log, '--es', url, '--es-insecure', '--es-dead-letter', dead], { env: NO_ES_AUTH });
      // The scan is over and its bulk request is held: the process waits for the answer.
      const before = heldRequests;
      while (heldRequests === before && child.exitCode === null) await new Promise((r) => setTimeout(r, 20));
      child.kill('SIGTERM');
      while (!/interrupted \(SIGTERM\)/.test(stderr())) await new Promise((r) => setTimeout(r, 20));
      child.kill('SIGTERM');
      expect(await exited).toBe(143);
      expect(stderr()).toMatch(/interrupted again \(SIGTERM\): stopped at once; 2 undelivered hit\(s\) written to .*held-dead\.jsonl/);
      const lines = readFileSync(dead, 'utf8').split('\n').filter((l) => l !== '').map((l) => JSON.parse(l));
      expect(lines).toHaveLength(2);
      for (const l of lines) expect(l.error).toMatchObject({ type: 'aborted' });
      expect(lines.map((l) => l.document.log.offset).sort((a: number, b: number) => a - b)).toEqual([0, 16]);
    } finally {
      holdBulk = undefined;
      release();
    }
  });
});
