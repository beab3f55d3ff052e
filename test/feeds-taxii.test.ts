/**
 * `feeds pull` from a real TAXII 2.1 server: OASIS's medallion on loopback
 * with the memory back end — discovery, API root, collections, paging with
 * more/next, added_after resumed from X-TAXII-Date-Added-Last, revocations,
 * 406 on a wrong media type, and an authentication failure.
 */
import { readFileSync, rmSync, statSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from './helpers/cli.js';
import { freePort, medallionAvailable, startMedallion, type Medallion } from './helpers/medallion.js';
import { tmpDir } from './helpers/tmp.js';

const available = medallionAvailable();
const COLLECTION = '91a7b528-80eb-42ed-a74d-c6fbd5a26116';
const MEDIA = 'application/taxii+json;version=2.1';
const USER = 'alice';
const PASSWORD = 'taxii-Pa55-word-7f3e';

function indicator(n: number, value: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    type: 'indicator',
    spec_version: '2.1',
    id: `indicator--00000000-0000-4000-8000-00000000000${n}`,
    created: '2024-01-01T00:00:00.000Z',
    modified: '2024-01-01T00:00:00.000Z',
    name: `test indicator ${n}`,
    pattern: `[ipv4-addr:value = '${value}']`,
    pattern_type: 'stix',
    valid_from: '2024-01-01T00:00:00Z',
    created_by_ref: 'identity--00000000-0000-4000-8000-0000000000aa',
    object_marking_refs: ['marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da'],
    confidence: 80,
    ...extra,
  };
}

const IDENTITY = {
  type: 'identity',
  spec_version: '2.1',
  id: 'identity--00000000-0000-4000-8000-0000000000aa',
  created: '2024-01-01T00:00:00.000Z',
  modified: '2024-01-01T00:00:00.000Z',
  name: 'Example CERT',
  identity_class: 'organization',
};

// Five live indicators and one revoked (its value must never hit).
const OBJECTS = [
  IDENTITY,
  indicator(1, '198.51.100.1'),
  indicator(2, '198.51.100.2'),
  indicator(3, '198.51.100.3'),
  indicator(4, '198.51.100.4'),
  indicator(5, '198.51.100.5'),
  indicator(6, '198.51.100.6', { revoked: true }),
];

function data(url: string): unknown {
  return {
    '/discovery': { title: 'iochunt test TAXII server', default: `${url}/api1/`, api_roots: [`${url}/api1/`] },
    api1: {
      information: { title: 'API root 1', versions: [MEDIA], max_content_length: 10_485_760 },
      status: [],
      collections: [
        {
          id: COLLECTION,
          title: 'Indicators',
          can_read: true,
          can_write: true,
          media_types: ['application/stix+json;version=2.1'],
          objects: OBJECTS,
          manifest: OBJECTS.map((o, i) => ({
            id: o.id,
            date_added: `2024-02-01T00:00:0${i}.000000Z`,
            version: o.modified,
            media_type: 'application/stix+json;version=2.1',
          })),
        },
      ],
    },
  };
}

const LOG = [1, 2, 3, 4, 5, 6, 7].map((n) => `2024-03-01T00:00:0${n}Z sshd[1]: Failed password for root from 198.51.100.${n} port 22`).join('\n') + '\n';

describe.skipIf(!available)('feeds pull: TAXII 2.1 against medallion', () => {
  const t = tmpDir('iochunt-taxii-');
  let server: Medallion;
  const feed = t.path('feeds', 'cert.json');
  const logs = t.write('auth.log', LOG);

  const config = (name: string, extra: string, password = `{ env: TAXII_PASSWORD }`): string =>
    t.write(
      `${name}.yaml`,
      `state_dir: ./state
feeds_dir: ./feeds
feeds:
  - name: cert
    type: taxii
    url: ${server.url}/
    credentials:
      username: ${USER}
      password: ${password}
    options:
      collection: Indicators
      limit: 2
    http:
      backoff: 10ms
      retries: 2
${extra}`,
    );
  const env = { TAXII_PASSWORD: PASSWORD };
  const hits = async (): Promise<string[]> => {
    const r = await runCli(['scan', '--no-summary', '--iocs', feed, logs]);
    return r.docs.map((d) => d.threat.enrichments[0].indicator.ip as string).sort();
  };

  beforeAll(async () => {
    const port = await freePort();
    server = await startMedallion(t.dir, port, data(`http://127.0.0.1:${port}`), { [USER]: PASSWORD });
  });
  afterAll(async () => {
    await server?.stop();
    rmSync(t.dir, { recursive: true, force: true });
  });

  it('discovers the API root and collection, pages with more/next, stores a STIX bundle without the revoked indicator matching', async () => {
    const r = await runCli(['feeds', 'pull', '--config', config('c1', '')], { env });
    expect(r.stderr).toContain('cert: 5 indicators (+5 -0)');
    expect(r.code).toBe(0);
    const bundle = JSON.parse(readFileSync(feed, 'utf8'));
    expect(bundle.type).toBe('bundle');
    expect(bundle.objects.filter((o: { type: string }) => o.type === 'indicator')).toHaveLength(6);
    // limit 2 over 7 objects: the first page and three more through next.
    const pages = server.log().split('\n').filter((l) => l.includes(`/collections/${COLLECTION}/objects/`));
    expect(pages.filter((l) => l.includes('next=')).length).toBe(3);
    expect(await hits()).toEqual(['198.51.100.1', '198.51.100.2', '198.51.100.3', '198.51.100.4', '198.51.100.5']);
    const scan = await runCli(['scan', '--no-summary', '--iocs', feed, logs]);
    expect(scan.docs[0]!.threat.enrichments[0].indicator.provider).toBe('Example CERT');
    expect(scan.docs[0]!.threat.enrichments[0].indicator.marking.tlp).toBe('GREEN');
    const status = await runCli(['feeds', 'status', '--json', '--config', t.path('c1.yaml')]);
    const s = JSON.parse(status.stdout).sources[0].state;
    expect(s.cursor.added_after).toBe('2024-02-01T00:00:06.000000Z');
    expect(status.stdout).not.toContain(PASSWORD);
  });

  it('resumes with added_after from X-TAXII-Date-Added-Last: a new indicator and a revocation arrive, nothing else is fetched again', async () => {
    const before = server.log().length;
    const add = await fetch(`${server.url}/api1/collections/${COLLECTION}/objects/`, {
      method: 'POST',
      headers: { accept: MEDIA, 'content-type': MEDIA, authorization: `Basic ${Buffer.from(`${USER}:${PASSWORD}`).toString('base64')}` },
      body: JSON.stringify({
        objects: [indicator(7, '198.51.100.7', { modified: '2024-05-01T00:00:00.000Z' }), indicator(1, '198.51.100.1', { modified: '2024-05-01T00:00:00.000Z', revoked: true })],
      }),
    });
    expect(add.status).toBe(202);
    const r = await runCli(['feeds', 'pull', '--config', t.path('c1.yaml')], { env });
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('cert: 5 indicators (+1 -1)');
    const requests = server.log().slice(before).split('\n').filter((l) => l.includes('/objects/?'));
    expect(requests.length).toBe(1);
    expect(requests[0]).toMatch(/added_after=2024-02-01T00(:|%3A)00(:|%3A)06\.000000Z/);
    expect(await hits()).toEqual(['198.51.100.2', '198.51.100.3', '198.51.100.4', '198.51.100.5', '198.51.100.7']);
    // Nothing new: the feed is not rewritten.
    const mtime = statSync(feed).mtimeMs;
    const again = await runCli(['feeds', 'pull', '--config', t.path('c1.yaml')], { env });
    expect(again.code).toBe(0);
    expect(again.stderr).toContain('cert: unchanged, 5 indicators');
    expect(statSync(feed).mtimeMs).toBe(mtime);
  });

  it('a wrong password is a 401: not retried, the password never printed, the previous feed kept', async () => {
    const kept = readFileSync(feed);
    const before = server.log().length;
    const r = await runCli(['feeds', 'pull', '--config', t.path('c1.yaml')], { env: { TAXII_PASSWORD: 'wrong-Secret-123' } });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/cert: HTTP 401.* from http:\/\/127\.0\.0\.1:\d+\/taxii2\//);
    expect(r.stderr).toContain('the previous feed stays (5 indicators)');
    expect(r.stderr).not.toContain('wrong-Secret-123');
    expect(server.log().slice(before).split('\n').filter((l) => l.includes('GET /taxii2/')).length).toBe(1);
    expect(readFileSync(feed).equals(kept)).toBe(true);
    const status = await runCli(['feeds', 'status', '--config', t.path('c1.yaml')]);
    expect(status.code).toBe(1);
    expect(status.stdout).toContain('last error:');
    expect(status.stdout).toContain('HTTP 401');
    expect(status.stdout).not.toContain('wrong-Secret-123');
    // The right password again: back to normal.
    const ok = await runCli(['feeds', 'pull', '--config', t.path('c1.yaml')], { env });
    expect(ok.code).toBe(0);
  });

  it('finds an API root by name and a collection by id; an unknown API root or collection is named with what the server has', async () => {
    const cfg = (dir: string, options: string): string =>
      t.write(
        `${dir}.yaml`,
        `state_dir: ./${dir}/state
feeds_dir: ./${dir}/feeds
feeds:
  - name: cert
    type: taxii
    url: ${server.url}/taxii2/
    credentials: { username: ${USER}, password: { env: TAXII_PASSWORD } }
    options: ${options}
`,
      );
    const ok = await runCli(['feeds', 'pull', '--config', cfg('byid', `{ api_root: api1, collection: ${COLLECTION}, limit: 50 }`)], { env });
    expect(ok.code).toBe(0);
    expect(ok.stderr).toContain('cert: 5 indicators (+5 -0)');
    const root = await runCli(['feeds', 'pull', '--config', cfg('noroot', '{ api_root: api9, collection: Indicators }')], { env });
    expect(root.code).toBe(2);
    expect(root.stderr).toContain(`cert: API root "api9" is not among the server's (${server.url}/api1/)`);
    const col = await runCli(['feeds', 'pull', '--config', cfg('nocol', '{ collection: Malware }')], { env });
    expect(col.code).toBe(2);
    expect(col.stderr).toContain(`cert: collection "Malware" not found; the API root has: ${COLLECTION} (Indicators)`);
  });

  it('answers 406 to a request without the TAXII media type; a url source pointed at the objects endpoint fails clearly', async () => {
    const objects = `${server.url}/api1/collections/${COLLECTION}/objects/`;
    const auth = { authorization: `Basic ${Buffer.from(`${USER}:${PASSWORD}`).toString('base64')}` };
    expect((await fetch(objects, { headers: { accept: 'application/json', ...auth } })).status).toBe(406);
    expect((await fetch(objects, { headers: { accept: MEDIA, ...auth } })).status).toBe(200);
    const cfg = t.write(
      'c406.yaml',
      `state_dir: ./state406
feeds_dir: ./feeds406
feeds:
  - name: raw
    type: url
    url: ${objects}
    credentials: { username: ${USER}, password: { env: TAXII_PASSWORD } }
`,
    );
    const r = await runCli(['feeds', 'pull', '--config', cfg], { env });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/raw: HTTP 406: .*Accept/);
    expect(r.stderr).not.toContain('retrying');
  });
});
