/**
 * `feeds pull` from MISP, against a loopback server shaped as PyMISP and
 * MISP's OpenAPI describe `POST /attributes/restSearch`: `returnFormat`,
 * `page`/`limit`, `X-Result-Count`, `timestamp`, `deleted`, `to_ids`,
 * `Authorization: KEY`; then `scan` on the pulled feed.
 */
import { readFileSync, rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from './helpers/cli.js';
import { attribute, startIntelServer, type IntelServer } from './helpers/intel-server.js';
import { tmpDir } from './helpers/tmp.js';

const LOG = [
  '2024-06-01T10:00:00Z sshd[1]: Accepted password for bob from 192.0.2.1 port 22',
  '2024-06-01T10:00:01Z sshd[1]: Accepted password for bob from 192.0.2.2 port 22',
  '2024-06-01T10:00:02Z sshd[1]: Accepted password for bob from 192.0.2.3 port 22',
  '2024-06-01T10:00:03Z sshd[1]: Accepted password for bob from 192.0.2.4 port 22',
  '2024-06-01T10:00:04Z sshd[1]: Accepted password for bob from 192.0.2.7 port 22',
  '2024-06-01T10:00:05Z dnsmasq[2]: query[A] mal.misp.example from 10.0.0.2',
].join('\n');

describe('feeds pull: MISP', () => {
  const t = tmpDir('iochunt-misp-');
  let server: IntelServer;
  const feed = t.path('feeds', 'misp.json');
  const logs = t.write('mixed.log', `${LOG}\n`);
  let cfg = '';
  const env = (): NodeJS.ProcessEnv => ({ MISP_KEY: server.misp.key });
  const hits = async (): Promise<string[]> => {
    const r = await runCli(['scan', '--no-summary', '--iocs', feed, logs]);
    return r.docs.map((d) => d.threat.enrichments[0].indicator.name as string).sort();
  };
  const searches = (from = 0) => server.requests.slice(from).filter((q) => q.path === '/attributes/restSearch');

  beforeAll(async () => {
    server = await startIntelServer();
    server.misp.attributes = [
      attribute(1, 'ip-dst', '192.0.2.1', 1_700_000_001),
      attribute(2, 'ip-src', '192.0.2.2', 1_700_000_002),
      attribute(3, 'ip-dst', '192.0.2.3', 1_700_000_003, { to_ids: false }),
      attribute(4, 'ip-dst', '192.0.2.4', 1_700_000_004, { deleted: true }),
      attribute(5, 'domain', 'mal.misp.example', 1_700_000_005),
      attribute(6, 'text', 'not an indicator', 1_700_000_006),
    ];
    cfg = t.write(
      'iochunt.yaml',
      `state_dir: ./state
feeds_dir: ./feeds
feeds:
  - name: misp
    type: misp
    url: ${server.url}/
    credentials:
      api_key: { env: MISP_KEY }
    options:
      limit: 2
      published: true
      enforce_warninglist: true
      tags: ["tlp:amber", "!tlp:red"]
    http:
      backoff: 10ms
      timeout: 2s
`,
    );
  });
  afterAll(async () => {
    await server.close();
    rmSync(t.dir, { recursive: true, force: true });
  });

  it('pages through restSearch with the key, to_ids and the filters, and scan finds the attributes with their event and TLP', async () => {
    const r = await runCli(['feeds', 'pull', '--config', cfg], { env: env() });
    expect(r.stderr).toContain('misp: 3 indicators (+3 -0)');
    expect(r.code).toBe(0);
    const s = searches();
    expect(s.map((q) => JSON.parse(q.body).page)).toEqual([1, 2]);
    const body = JSON.parse(s[0]!.body);
    expect(body).toMatchObject({ returnFormat: 'json', limit: 2, to_ids: 1, published: 1, enforceWarninglist: 1, includeEventTags: true, tags: ['tlp:amber', '!tlp:red'] });
    expect(body.timestamp).toBeUndefined();
    expect(s[0]!.method).toBe('POST');
    expect(s[0]!.headers.authorization).toBe(server.misp.key);
    expect(s[0]!.headers.accept).toBe('application/json');
    expect(await hits()).toEqual(['192.0.2.1', '192.0.2.2', 'mal.misp.example']);
    const scan = await runCli(['scan', '--no-summary', '--iocs', feed, logs]);
    const e = scan.docs[0]!.threat.enrichments[0];
    expect(e.indicator.marking.tlp).toBe('AMBER');
    expect(e.indicator.description).toBe('attribute 1');
    expect(JSON.parse(readFileSync(feed, 'utf8')).response.map((x: { Event: { info: string } }) => x.Event.info)).toEqual(['Event 100', 'Event 101']);
  });

  it('resumes from the timestamp cursor with deleted [0,1]: a deleted attribute and one whose to_ids was cleared go, a new one comes', async () => {
    const from = server.requests.length;
    const a1 = server.misp.attributes[0]!;
    a1.deleted = true;
    a1.timestamp = '1700000100';
    const a2 = server.misp.attributes[1]!;
    a2.to_ids = false;
    a2.timestamp = '1700000101';
    server.misp.attributes.push(attribute(7, 'ip-dst', '192.0.2.7', 1_700_000_102));
    const r = await runCli(['feeds', 'pull', '--config', cfg], { env: env() });
    expect(r.stderr).toContain('misp: 2 indicators (+1 -2)');
    expect(r.code).toBe(0);
    const body = JSON.parse(searches(from)[0]!.body);
    expect(body.timestamp).toBe(1_700_000_006);
    expect(body.deleted).toEqual([0, 1]);
    expect(body.to_ids).toBeUndefined();
    expect(await hits()).toEqual(['192.0.2.7', 'mal.misp.example']);
    const status = JSON.parse((await runCli(['feeds', 'status', '--json', '--config', cfg])).stdout);
    expect(status.sources[0].state.cursor).toEqual({ timestamp: 1_700_000_102 });
  });

  it('nothing new: no rewrite, the cursor stays', async () => {
    const r = await runCli(['feeds', 'pull', '--config', cfg], { env: env() });
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('misp: unchanged, 2 indicators');
    const status = JSON.parse((await runCli(['feeds', 'status', '--json', '--config', cfg])).stdout);
    expect(status.sources[0].state.cursor).toEqual({ timestamp: 1_700_000_102 });
  });

  it('rides out 429 with an HTTP-date, 503 and an answer slower than http.timeout while paging', async () => {
    server.misp.attributes.push(attribute(8, 'ip-dst', '192.0.2.8', 1_700_000_200), attribute(9, 'ip-dst', '192.0.2.9', 1_700_000_201), attribute(10, 'ip-dst', '192.0.2.10', 1_700_000_202));
    // The wait depends on how long the CLI takes to start; 100 ms or more shows the date was read (the backoff is 10 ms).
    server.fail({ kind: 'status', status: 429, retryAfter: new Date(Date.now() + 5000).toUTCString() }, 1, '/attributes');
    server.fail({ kind: 'status', status: 503 }, 1, '/attributes');
    server.fail({ kind: 'slow', ms: 5000 }, 1, '/attributes');
    const r = await runCli(['feeds', 'pull', '--config', cfg], { env: env() });
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/misp: HTTP 429: .*\/attributes\/restSearch; retrying in (\d{3}ms|[1-5]s) \(attempt 2 of 6\)/);
    expect(r.stderr).toMatch(/misp: HTTP 503: .*retrying in \d+ms \(attempt 3 of 6\)/);
    expect(r.stderr).toMatch(/misp: no complete answer within http.timeout \(2s\) .*retrying in \d+ms \(attempt 4 of 6\)/);
    expect(r.stderr).toContain('misp: 5 indicators (+3 -0)');
  });

  it('fewer attributes than X-Result-Count announced is a failure that keeps the feed', async () => {
    const kept = readFileSync(feed);
    server.misp.claimCount = 50;
    try {
      const r = await runCli(['feeds', 'pull', '--full', '--config', cfg], { env: env() });
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/misp: MISP announced 50 attributes \(X-Result-Count\) but sent \d+; keeping the previous feed/);
      expect(readFileSync(feed).equals(kept)).toBe(true);
    } finally {
      delete server.misp.claimCount;
    }
  });

  it('a wrong key (403 from MISP) is not retried and never printed', async () => {
    const from = server.requests.length;
    const r = await runCli(['feeds', 'pull', '--config', cfg], { env: { MISP_KEY: 'WrongKeyWrongKeyWrongKeyWrongKeyWrongKey' } });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/misp: HTTP 403: .*Authentication failed/);
    expect(r.stderr).not.toContain('WrongKeyWrongKey');
    expect(searches(from)).toHaveLength(1);
  });

  it('an HTML maintenance page with 200 is refused and the feed kept', async () => {
    const kept = readFileSync(feed);
    server.fail({ kind: 'html200' });
    const r = await runCli(['feeds', 'pull', '--config', cfg], { env: env() });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/misp: attributes page 1: the server answered HTTP 200 with an HTML page \(text\/html; charset=utf-8\) instead of JSON: .*We are down for maintenance/);
    expect(readFileSync(feed).equals(kept)).toBe(true);
  });
});
