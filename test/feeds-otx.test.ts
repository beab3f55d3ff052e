/**
 * `feeds pull` from AlienVault OTX, against a loopback server shaped as
 * OTX-Python-SDK describes the API: subscribed pulses paged with `next`,
 * `modified_since`, `/api/v1/pulses/events` (unsubscribe, delete,
 * subscribe), `X-OTX-API-KEY`; then `scan` on the pulled feed.
 */
import { readFileSync, rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from './helpers/cli.js';
import { pulse, startIntelServer, type IntelServer } from './helpers/intel-server.js';
import { tmpDir } from './helpers/tmp.js';

const LOG = [
  '2024-06-01T10:00:00Z sshd[1]: Accepted password for bob from 203.0.113.1 port 22',
  '2024-06-01T10:00:01Z sshd[1]: Accepted password for bob from 203.0.113.3 port 22',
  '2024-06-01T10:00:02Z sshd[1]: Accepted password for bob from 203.0.113.4 port 22',
  '2024-06-01T10:00:03Z sshd[1]: Accepted password for bob from 203.0.113.6 port 22',
  '2024-06-01T10:00:04Z sshd[1]: Accepted password for bob from 203.0.113.11 port 22',
  '2024-06-01T10:00:05Z dnsmasq[2]: query[A] www.evil-otx.example from 10.0.0.2',
  '2024-06-01T10:00:06Z dnsmasq[2]: query[A] notevil-otx.example from 10.0.0.2',
  '2024-06-01T10:00:07Z sshd[1]: Accepted password for bob from 198.18.0.2 port 22',
].join('\n');

describe('feeds pull: OTX', () => {
  const t = tmpDir('iochunt-otx-');
  let server: IntelServer;
  const feed = t.path('feeds', 'otx.json');
  const logs = t.write('mixed.log', `${LOG}\n`);
  let cfg = '';
  const env = (): NodeJS.ProcessEnv => ({ OTX_API_KEY: server.otx.key });
  const hits = async (): Promise<string[]> => {
    const r = await runCli(['scan', '--no-summary', '--iocs', feed, logs]);
    return r.docs.map((d) => d.threat.enrichments[0].indicator.name as string).sort();
  };

  beforeAll(async () => {
    server = await startIntelServer();
    server.otx.pulses = [
      pulse(1, '2024-05-01T00:00:00.000000', [
        { indicator: '203.0.113.1', type: 'IPv4' },
        { indicator: 'evil-otx.example', type: 'domain' },
      ]),
      pulse(2, '2024-05-02T00:00:00.000000', [
        { indicator: 'http://bad.example/x', type: 'URL' },
        { indicator: 'a'.repeat(64), type: 'FileHash-SHA256' },
      ]),
      pulse(3, '2024-05-03T00:00:00.000000', [{ indicator: '203.0.113.3', type: 'IPv4', is_active: 0 }]),
      pulse(4, '2024-05-04T00:00:00.000000', [{ indicator: '203.0.113.4', type: 'IPv4', expiration: '2024-05-10T00:00:00' }]),
      pulse(5, '2024-05-05T00:00:00.000000', [
        { indicator: 'CVE-2024-0001', type: 'CVE' },
        { indicator: 'c2.evil-otx.example', type: 'hostname' },
      ]),
    ];
    cfg = t.write(
      'iochunt.yaml',
      `state_dir: ./state
feeds_dir: ./feeds
feeds:
  - name: otx
    type: otx
    url: ${server.url}
    interval: 30m
    credentials:
      api_key: { env: OTX_API_KEY }
    options:
      limit: 2
    http:
      backoff: 10ms
`,
    );
  });
  afterAll(async () => {
    await server.close();
    rmSync(t.dir, { recursive: true, force: true });
  });

  it('pulls every page of the subscribed pulses, then scan finds what exists only at OTX (inactive and expired ones do not hit)', async () => {
    const r = await runCli(['feeds', 'pull', '--config', cfg], { env: env() });
    expect(r.stderr).toContain(`otx: 7 indicators (+7 -0), ${feed} replaced`);
    expect(r.code).toBe(0);
    const pages = server.requests.filter((q) => q.path === '/api/v1/pulses/subscribed');
    expect(pages.map((q) => q.query.get('page') ?? '1')).toEqual(['1', '2', '3']);
    expect(pages.every((q) => q.query.get('limit') === '2' && q.headers['x-otx-api-key'] === server.otx.key)).toBe(true);
    expect(pages[0]?.headers['user-agent']).toMatch(/^iochunt\/\d+\.\d+\.\d+/);
    const stored = JSON.parse(readFileSync(feed, 'utf8'));
    expect(stored.results.map((p: { id: string }) => p.id)).toEqual(server.otx.pulses.map((p) => p.id));
    const p4 = stored.results[3];
    expect(p4.indicators[0]).toMatchObject({ indicator: '203.0.113.4', expiration: '2024-05-10T00:00:00', is_active: 1 });
    expect(stored.results[2].indicators[0].is_active).toBe(0);
    expect(p4.description).toBeUndefined(); // only the fields the OTX reader uses are kept
    // 203.0.113.3 is inactive, 203.0.113.4 expired before the log line; notevil-otx.example is not evil-otx.example.
    expect(await hits()).toEqual(['203.0.113.1', 'evil-otx.example']);
    const scan = await runCli(['scan', '--no-summary', '--iocs', feed, logs]);
    const e = scan.docs[0]!.threat.enrichments[0];
    expect(e.indicator.provider).toBe('AlienVault');
    expect(e.indicator.reference).toBe('https://example.org/report/1');
    expect(e.indicator.marking.tlp).toBe('WHITE');
  });

  it('resumes from modified_since and applies pulse events: a changed pulse, a new one, an unsubscribed one', async () => {
    const first = server.requests.length;
    const p1 = server.otx.pulses[0]!;
    p1.modified = '2024-06-01T00:00:00.000000';
    p1.indicators.push({ ...p1.indicators[0]!, id: 1009, indicator: '203.0.113.11' });
    server.otx.pulses.push(pulse(6, '2024-06-02T00:00:00.000000', [{ indicator: '203.0.113.6', type: 'IPv4' }]));
    // Unsubscribed: OTX lists it no more, and says so in the events.
    const [p2] = server.otx.pulses.splice(1, 1);
    server.otx.events.push({ id: 'e1', action: 'unsubscribe', object_type: 'pulse', object_id: p2!.id, created: new Date().toISOString() });
    const r = await runCli(['feeds', 'pull', '--config', cfg], { env: env() });
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('otx: 7 indicators (+2 -2)');
    const seen = server.requests.slice(first);
    const events = seen.find((q) => q.path === '/api/v1/pulses/events');
    expect(events?.query.get('since')).toBeTruthy();
    const sub = seen.filter((q) => q.path === '/api/v1/pulses/subscribed');
    expect(sub[0]?.query.get('modified_since')).toBe('2024-05-05T00:00:00.000000');
    expect(await hits()).toEqual(['203.0.113.1', '203.0.113.11', '203.0.113.6', 'evil-otx.example']);
    const stored = JSON.parse(readFileSync(feed, 'utf8'));
    expect(stored.results.map((p: { id: string }) => p.id)).not.toContain(p2!.id);
  });

  it('a deleted pulse and an unsubscribed author remove their indicators even when that is most of the feed (deletions explain the shrink)', async () => {
    server.otx.events.push(
      { id: 'e2', action: 'delete', object_type: 'pulse', object_id: server.otx.pulses[0]!.id, created: new Date().toISOString() },
      { id: 'e3', action: 'unsubscribe', object_type: 'user', object_id: 'AlienVault', created: new Date().toISOString() },
    );
    server.otx.pulses = [];
    server.otx.pulses.push(pulse(7, '2024-06-03T00:00:00.000000', [{ indicator: '198.18.0.2', type: 'IPv4' }], 'someone-else'));
    const r = await runCli(['feeds', 'pull', '--config', cfg], { env: env() });
    expect(r.stderr).toContain('otx: 1 indicators (+1 -7)');
    expect(r.code).toBe(0);
    expect(await hits()).toEqual(['198.18.0.2']);
  });

  it('rides out 429 (Retry-After: 2), 500 and a truncated page while paging', async () => {
    server.otx.pulses.push(pulse(8, '2024-06-04T00:00:00.000000', [{ indicator: '198.18.0.8', type: 'IPv4' }], 'someone-else'));
    server.fail({ kind: 'status', status: 500 }, 1, '/api/v1/pulses/events');
    server.fail({ kind: 'status', status: 429, retryAfter: '2' }, 1, '/api/v1/pulses/subscribed');
    server.fail({ kind: 'truncated' }, 1, '/api/v1/pulses/subscribed');
    const r = await runCli(['feeds', 'pull', '--config', cfg], { env: env() });
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/otx: HTTP 500: .* from http:\/\/127\.0\.0\.1:\d+\/api\/v1\/pulses\/events; retrying in \d+ms \(attempt 2 of 6\)/);
    expect(r.stderr).toMatch(/otx: HTTP 429: .*\/api\/v1\/pulses\/subscribed; retrying in 2s \(attempt 2 of 6\)/);
    expect(r.stderr).toMatch(/otx: reading the response body: .*\/api\/v1\/pulses\/subscribed; retrying in \d+ms \(attempt 3 of 6\)/);
    expect(r.stderr).toContain('otx: 2 indicators (+1 -0)');
  });

  it('a subscribe event for a pulse fetches that pulse; one for a user fetches their pulses', async () => {
    const from = server.requests.length;
    const old = pulse(9, '2023-01-01T00:00:00.000000', [{ indicator: '198.18.0.9', type: 'IPv4' }], 'someone-else');
    const theirs = pulse(10, '2023-01-02T00:00:00.000000', [{ indicator: '198.18.0.10', type: 'IPv4' }], 'newauthor');
    server.otx.pulses.push(old, theirs);
    server.otx.events.push(
      { id: 'e4', action: 'subscribe', object_type: 'pulse', object_id: old.id, created: new Date().toISOString() },
      { id: 'e5', action: 'subscribe', object_type: 'user', object_id: 'newauthor', created: new Date().toISOString() },
    );
    const r = await runCli(['feeds', 'pull', '--config', cfg], { env: env() });
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('otx: 4 indicators (+2 -0)');
    const seen = server.requests.slice(from);
    expect(seen.some((q) => q.path === `/api/v1/pulses/${old.id}`)).toBe(true);
    expect(seen.some((q) => q.path === '/api/v1/pulses/subscribed' && q.query.get('author_name') === 'newauthor')).toBe(true);
  });

  it('a wrong key (401) fails at once, names the status, never prints the key, and keeps the feed', async () => {
    const kept = readFileSync(feed);
    server.otx.badKeyStatus = 401;
    const before = server.requests.length;
    const r = await runCli(['feeds', 'pull', '--config', cfg], { env: { OTX_API_KEY: 'not-the-right-key-42' } });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/error: otx: HTTP 401: .*Authentication credentials .* from http:\/\/127\.0\.0\.1:\d+\/api\/v1\/pulses\/events; the previous feed stays \(4 indicators\)/);
    expect(r.stderr).not.toContain('not-the-right-key-42');
    expect(server.requests.length - before).toBe(1);
    expect(readFileSync(feed).equals(kept)).toBe(true);
  });

  it('redacts the key when a server echoes it in an error', async () => {
    server.fail({ kind: 'status', status: 400, body: JSON.stringify({ detail: `bad request for key ${server.otx.key}` }) });
    const r = await runCli(['feeds', 'pull', '--config', cfg], { env: env() });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('bad request for key ***');
    expect(r.stderr).not.toContain(server.otx.key);
    const status = await runCli(['feeds', 'status', '--json', '--config', cfg]);
    expect(status.stdout).not.toContain(server.otx.key);
    expect(JSON.parse(status.stdout).sources[0].credentials).toEqual({ api_key: 'environment variable OTX_API_KEY' });
  });

  it('an unset environment variable is named, no request is sent', async () => {
    const before = server.requests.length;
    const r = await runCli(['feeds', 'pull', '--config', cfg], { env: { OTX_API_KEY: '' } });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('otx: credentials.api_key: environment variable OTX_API_KEY is not set');
    expect(server.requests.length).toBe(before);
    const json = await runCli(['feeds', 'pull', '--json', '--config', cfg], { env: { OTX_API_KEY: '' } });
    expect(json.code).toBe(2);
    const out = JSON.parse(json.stdout);
    expect(out.ok).toBe(false);
    expect(out.sources).toHaveLength(1);
    expect(out.sources[0]).toMatchObject({ name: 'otx', type: 'otx', ok: false, changed: false, indicators: 4, feedPath: feed });
    expect(out.sources[0].error).toContain('environment variable OTX_API_KEY is not set');
  });
});
