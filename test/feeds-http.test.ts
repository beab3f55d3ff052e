/**
 * The HTTP policy of live sources, through `feeds pull` of a URL list:
 * Retry-After in seconds and as an HTTP-date (past and malformed dates mean
 * no wait; long ones are cut to http.max_retry_after), 5xx backoff, 4xx not
 * retried, per-attempt timeouts, truncated bodies, HTML pages, ETag and
 * Last-Modified (304), gzip, a proxy from HTTP_PROXY / NO_PROXY, a custom
 * CA, and the shrink guard.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, rmSync, statSync } from 'node:fs';
import { createServer as createHttpServer, request as httpRequest, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { connect, type AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { parseRetryAfter } from '../src/sources/retry-after.js';
import { runCli } from './helpers/cli.js';
import { startIntelServer, type IntelServer } from './helpers/intel-server.js';
import { tmpDir } from './helpers/tmp.js';

const ips = (n: number, base = 10): string => Array.from({ length: n }, (_, i) => `198.51.${base}.${i + 1}`).join('\n') + '\n';

describe('Retry-After', () => {
  const now = Date.parse('2026-01-01T00:00:00Z');
  it('reads seconds and HTTP-dates; past, malformed or absent values', () => {
    expect(parseRetryAfter('2', now)).toBe(2000);
    expect(parseRetryAfter(' 120 ', now)).toBe(120_000);
    expect(parseRetryAfter('Thu, 01 Jan 2026 00:00:30 GMT', now)).toBe(30_000);
    expect(parseRetryAfter('Wednesday, 31-Dec-25 23:00:00 GMT', now)).toBe(0);
    expect(parseRetryAfter('Wed, 31 Dec 2025 23:59:00 GMT', now)).toBe(0);
    expect(parseRetryAfter('soon', now)).toBe(0);
    expect(parseRetryAfter('-5', now)).toBe(0);
    expect(parseRetryAfter('1.5', now)).toBe(0);
    expect(parseRetryAfter(undefined, now)).toBeUndefined();
  });
});

describe('feeds pull: HTTP policy', () => {
  const t = tmpDir('iochunt-http-');
  let server: IntelServer;
  let n = 0;
  const feedOf = (name: string): string => t.path('feeds', `${name}.txt`);
  /** A fresh source (own state and feed) with `http` settings; returns the config path. */
  const source = (http: string, extra = '', path = '/lists/ips.txt'): { cfg: string; name: string } => {
    const name = `list${++n}`;
    const cfg = t.write(
      `${name}.yaml`,
      `state_dir: ./state
feeds_dir: ./feeds
feeds:
  - name: ${name}
    type: url
    url: ${server.url}${path}
    http:
      backoff: 10ms
${http}
${extra}`,
    );
    return { cfg, name };
  };
  const count = (path = '/lists/ips.txt'): number => server.requests.filter((q) => q.path === path).length;

  beforeAll(async () => {
    server = await startIntelServer();
  });
  beforeEach(() => {
    server.files.set('/lists/ips.txt', { body: ips(10) });
  });
  afterAll(async () => {
    await server.close();
    rmSync(t.dir, { recursive: true, force: true });
  });

  it('429 with Retry-After: 2 waits 2 s and retries', async () => {
    const { cfg, name } = source('');
    server.fail({ kind: 'status', status: 429, retryAfter: '2' });
    const before = count();
    const r = await runCli(['feeds', 'pull', '--config', cfg]);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(new RegExp(`${name}: HTTP 429: .* from http://127\\.0\\.0\\.1:\\d+/lists/ips\\.txt; retrying in 2s \\(attempt 2 of 6\\)`));
    expect(count() - before).toBe(2);
    expect(readFileSync(feedOf(name), 'utf8')).toBe(ips(10));
  });

  it('429 with an HTTP-date waits until that date', async () => {
    const { cfg } = source('');
    // The wait depends on how long the CLI takes to start; 100 ms or more shows the date was read (the backoff is 10 ms).
    server.fail({ kind: 'status', status: 429, retryAfter: new Date(Date.now() + 5000).toUTCString() });
    const r = await runCli(['feeds', 'pull', '--config', cfg]);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/HTTP 429: .*; retrying in (\d{3}ms|[1-5]s) \(attempt 2 of 6\)/);
  });

  it('503 with a past or malformed date retries at once', async () => {
    const { cfg } = source('');
    server.fail({ kind: 'status', status: 503, retryAfter: 'Mon, 01 Jan 2001 00:00:00 GMT' });
    server.fail({ kind: 'status', status: 503, retryAfter: 'whenever' });
    const r = await runCli(['feeds', 'pull', '--config', cfg]);
    expect(r.code).toBe(0);
    expect(r.stderr.match(/HTTP 503: .*; retrying in 0ms/g)).toHaveLength(2);
  });

  it('a Retry-After beyond http.max_retry_after is cut to it', async () => {
    const { cfg } = source('      max_retry_after: 1s');
    server.fail({ kind: 'status', status: 503, retryAfter: '7200' });
    const r = await runCli(['feeds', 'pull', '--config', cfg]);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('retrying in 1s (Retry-After 2h cut to http.max_retry_after)');
  });

  it('5xx are retried with backoff; when they persist the pull fails and the previous feed stays', async () => {
    const { cfg, name } = source('      retries: 2');
    server.fail({ kind: 'status', status: 500 }, 2);
    const ok = await runCli(['feeds', 'pull', '--config', cfg]);
    expect(ok.code).toBe(0);
    expect(ok.stderr.match(/HTTP 500: .*retrying in \d+ms/g)).toHaveLength(2);
    const kept = readFileSync(feedOf(name));
    server.files.set('/lists/ips.txt', { body: ips(12) });
    server.fail({ kind: 'status', status: 502 }, 3);
    const before = count();
    const r = await runCli(['feeds', 'pull', '--config', cfg]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(new RegExp(`error: ${name}: HTTP 502: .* \\(after 3 attempts\\); the previous feed stays \\(10 indicators\\)`));
    expect(count() - before).toBe(3);
    expect(readFileSync(feedOf(name)).equals(kept)).toBe(true);
  });

  it('4xx other than 408 and 429 are not retried', async () => {
    const { cfg, name } = source('', '', '/lists/missing.txt');
    const r = await runCli(['feeds', 'pull', '--config', cfg]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(new RegExp(`${name}: HTTP 404: not found from http://127\\.0\\.0\\.1:\\d+/lists/missing\\.txt; no feed yet`));
    expect(count('/lists/missing.txt')).toBe(1);
    const s = source('');
    server.fail({ kind: 'status', status: 408 });
    expect((await runCli(['feeds', 'pull', '--config', s.cfg])).code).toBe(0);
  });

  it('an answer slower than http.timeout is abandoned (and retried when retries are left)', async () => {
    const slow = source('      timeout: 300ms\n      retries: 0');
    server.fail({ kind: 'slow', ms: 2000 });
    const r = await runCli(['feeds', 'pull', '--config', slow.cfg]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(new RegExp(`${slow.name}: no complete answer within http.timeout \\(300ms\\) from http://127\\.0\\.0\\.1:\\d+/lists/ips\\.txt`));
    const retried = source('      timeout: 1500ms\n      retries: 1');
    server.fail({ kind: 'slow', ms: 5000 });
    expect((await runCli(['feeds', 'pull', '--config', retried.cfg])).code).toBe(0);
  });

  it('a body cut short is retried; when every answer is cut, the pull fails', async () => {
    const s = source('      retries: 1');
    server.fail({ kind: 'truncated' });
    const ok = await runCli(['feeds', 'pull', '--config', s.cfg]);
    expect(ok.code).toBe(0);
    expect(ok.stderr).toMatch(/reading the response body: .*retrying/);
    server.fail({ kind: 'truncated' }, 2);
    const r = await runCli(['feeds', 'pull', '--config', s.cfg, '--full']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(new RegExp(`${s.name}: reading the response body: .* \\(after 2 attempts\\); the previous feed stays`));
  });

  it('an HTML page with 200 is not a feed', async () => {
    const s = source('');
    server.fail({ kind: 'html200' });
    const r = await runCli(['feeds', 'pull', '--config', s.cfg]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`${s.name}: the server answered HTTP 200 with an HTML page (text/html; charset=utf-8), not a feed: "Maintenance We are down for maintenance"`);
  });

  it('ETag and Last-Modified: an unchanged list costs a 304 and leaves the feed alone; gzip transfer and .gz files are unpacked', async () => {
    server.files.set('/lists/tagged.csv', { body: 'ip,comment\n198.51.100.9,c2\n', etag: '"v1"', lastModified: 'Mon, 01 Jan 2024 00:00:00 GMT', gzipTransfer: true });
    const s = source('', '', '/lists/tagged.csv');
    const feed = t.path('feeds', `${s.name}.csv`);
    const first = await runCli(['feeds', 'pull', '--config', s.cfg]);
    expect(first.code).toBe(0);
    expect(readFileSync(feed, 'utf8')).toBe('ip,comment\n198.51.100.9,c2\n');
    const mtime = statSync(feed).mtimeMs;
    const again = await runCli(['feeds', 'pull', '--config', s.cfg]);
    expect(again.code).toBe(0);
    expect(again.stderr).toContain(`${s.name}: unchanged, 1 indicators`);
    const last = server.requests.filter((q) => q.path === '/lists/tagged.csv').at(-1)!;
    expect(last.headers['if-none-match']).toBe('"v1"');
    expect(last.headers['if-modified-since']).toBe('Mon, 01 Jan 2024 00:00:00 GMT');
    expect(last.headers['accept-encoding']).toContain('gzip');
    expect(statSync(feed).mtimeMs).toBe(mtime);
    server.files.set('/lists/packed.txt.gz', { body: gzipSync(ips(3)), contentType: 'application/gzip' });
    const gz = source('', '', '/lists/packed.txt.gz');
    expect((await runCli(['feeds', 'pull', '--config', gz.cfg])).code).toBe(0);
    expect(readFileSync(t.path('feeds', `${gz.name}.txt`), 'utf8')).toBe(ips(3));
  });

  it('a list that shrinks by more than max_shrink is refused unless --accept-shrink', async () => {
    const s = source('', '    max_shrink: 50%');
    expect((await runCli(['feeds', 'pull', '--config', s.cfg])).code).toBe(0);
    server.files.set('/lists/ips.txt', { body: ips(4) });
    const r = await runCli(['feeds', 'pull', '--config', s.cfg]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`${s.name}: refusing a feed that shrinks from 10 to 4 indicators without deletions explaining it (more than max_shrink 50%); the previous feed stays.`);
    expect(readFileSync(feedOf(s.name), 'utf8')).toBe(ips(10));
    server.files.set('/lists/ips.txt', { body: ips(6) });
    expect((await runCli(['feeds', 'pull', '--config', s.cfg])).code).toBe(0); // 40% less: allowed
    server.files.set('/lists/ips.txt', { body: '' });
    expect((await runCli(['feeds', 'pull', '--config', s.cfg])).code).toBe(2);
    const forced = await runCli(['feeds', 'pull', '--accept-shrink', '--config', s.cfg]);
    expect(forced.code).toBe(0);
    expect(readFileSync(feedOf(s.name), 'utf8')).toBe('');
  });

  it('bearer tokens from a file and named headers from the environment are sent; redirects keep them only on the same origin', async () => {
    const other = await startIntelServer();
    try {
      t.write('token.txt', 'Tok-en-Value-9\n');
      other.files.set('/moved.txt', { body: ips(2, 30) });
      server.redirects.set('/a.txt', [302, '/lists/ips.txt']);
      server.redirects.set('/b.txt', [301, `${other.url}/moved.txt`]);
      const cfg = t.write(
        'auth.yaml',
        `state_dir: ./state
feeds_dir: ./feeds
feeds:
  - name: bearer
    type: url
    url: ${server.url}/a.txt?api_key=Query-Secret-77
    credentials: { token: { file: ./token.txt } }
  - name: header
    type: url
    url: ${server.url}/b.txt
    credentials: { header: X-Api-Key, value: { env: LIST_KEY } }
`,
      );
      const before = server.requests.length;
      const r = await runCli(['feeds', 'pull', '--config', cfg], { env: { LIST_KEY: 'Header-Secret-55' } });
      expect(r.code).toBe(0);
      const mine = server.requests.slice(before);
      expect(mine.find((q) => q.path === '/a.txt')?.headers.authorization).toBe('Bearer Tok-en-Value-9');
      expect(mine.find((q) => q.path === '/lists/ips.txt')?.headers.authorization).toBe('Bearer Tok-en-Value-9');
      expect(mine.find((q) => q.path === '/b.txt')?.headers['x-api-key']).toBe('Header-Secret-55');
      const moved = other.requests.find((q) => q.path === '/moved.txt');
      expect(moved?.headers['x-api-key']).toBeUndefined();
      expect(moved?.headers['user-agent']).toMatch(/^iochunt\//);
      expect(readFileSync(t.path('feeds', 'header.txt'), 'utf8')).toBe(ips(2, 30));
      const status = await runCli(['feeds', 'status', '--config', cfg]);
      expect(status.stdout).toContain(`${server.url}/a.txt?api_key=***`);
      expect(status.stdout).toContain(`credentials:  token from file ${t.path('token.txt')}`);
      for (const secret of ['Query-Secret-77', 'Tok-en-Value-9', 'Header-Secret-55']) {
        expect(r.stderr + status.stdout).not.toContain(secret);
      }
    } finally {
      await other.close();
    }
  });

  describe('proxy and TLS', () => {
    let proxy: Server;
    const tunnelled: string[] = [];
    beforeAll(async () => {
      proxy = createHttpServer((req, res) => {
        tunnelled.push(`GET ${req.url}`);
        const u = new URL(req.url ?? '');
        const up = httpRequest({ host: u.hostname, port: u.port, path: `${u.pathname}${u.search}`, method: req.method, headers: req.headers }, (r) => {
          res.writeHead(r.statusCode ?? 502, r.headers);
          r.pipe(res);
        });
        req.pipe(up);
      });
      proxy.on('connect', (req, socket, head) => {
        tunnelled.push(`CONNECT ${req.url}`);
        const [host, port] = (req.url ?? '').split(':');
        const up = connect(Number(port), host, () => {
          socket.write('HTTP/1.1 200 Connection Established\r\n\r\n');
          up.write(head);
          up.pipe(socket);
          socket.pipe(up);
        });
        up.on('error', () => socket.destroy());
        socket.on('error', () => up.destroy());
      });
      await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
    });
    afterAll(async () => {
      proxy.closeAllConnections();
      await new Promise<void>((r) => proxy.close(() => r()));
    });

    it('goes through HTTP_PROXY, and around it for hosts in NO_PROXY', async () => {
      const proxyUrl = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
      const s = source('');
      const r = await runCli(['feeds', 'pull', '--config', s.cfg], { env: { HTTP_PROXY: proxyUrl, http_proxy: proxyUrl, NO_PROXY: '', no_proxy: '' } });
      expect(r.code).toBe(0);
      const port = new URL(server.url).port;
      expect(tunnelled.some((l) => l.includes(`127.0.0.1:${port}`))).toBe(true);
      tunnelled.length = 0;
      const direct = source('');
      const d = await runCli(['feeds', 'pull', '--config', direct.cfg], { env: { HTTP_PROXY: proxyUrl, http_proxy: proxyUrl, NO_PROXY: '127.0.0.1', no_proxy: '127.0.0.1' } });
      expect(d.code).toBe(0);
      expect(tunnelled).toEqual([]);
    });

    it('refuses a certificate it cannot verify (no retry) and trusts http.ca_file', async () => {
      const key = t.path('key.pem');
      const cert = t.path('cert.pem');
      execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '2', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'], { stdio: 'ignore' });
      let hits = 0;
      const tls = createHttpsServer({ key: readFileSync(key), cert: readFileSync(cert) }, (_req, res) => {
        hits++;
        res.writeHead(200, { 'content-type': 'text/plain' });
        res.end(ips(2, 20));
      });
      await new Promise<void>((r) => tls.listen(0, '127.0.0.1', r));
      try {
        const url = `https://127.0.0.1:${(tls.address() as AddressInfo).port}/ips.txt`;
        const cfg = (ca: string): string =>
          t.write(`tls${++n}.yaml`, `state_dir: ./state\nfeeds_dir: ./feeds\nfeeds:\n  - name: tls${n}\n    type: url\n    url: ${url}\n    http:\n      backoff: 10ms\n${ca}`);
        const refused = await runCli(['feeds', 'pull', '--config', cfg('')]);
        expect(refused.code).toBe(2);
        expect(refused.stderr).toMatch(/self[- ]signed certificate/i);
        expect(refused.stderr).not.toContain('retrying');
        const trusted = await runCli(['feeds', 'pull', '--config', cfg(`      ca_file: ${cert}`)]);
        expect(trusted.code).toBe(0);
        expect(hits).toBe(1);
      } finally {
        tls.closeAllConnections();
        await new Promise<void>((r) => tls.close(() => r()));
      }
    });
  });
});
