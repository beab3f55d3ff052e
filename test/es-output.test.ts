/**
 * `scan --es` and `es setup` against a real Elasticsearch node (see
 * helpers/es-global-setup.ts): the template's mappings, exactly one document
 * per hit line over a couple of hundred megabytes of mixed logs, no copies on
 * a second run, credentials, refused items in the dead-letter file, ingest
 * pipelines, and an unreachable cluster.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { LineGenerator, LOG_FORMATS, makeIndicators, Rng, feedText } from '../bench/corpus.js';
import { runCli, parseJsonl, startCli } from './helpers/cli.js';
import { allDocs, countDocs, es, esEnv, esNode } from './helpers/es-test.js';
import { freePort } from './helpers/es-node.js';
import { tmpDir } from './helpers/tmp.js';

const node = esNode();
const t = tmpDir('iochunt-es-');
const run = `${process.pid}`;

describe.skipIf(!node)('Elasticsearch output (real node)', () => {
  const n = node as NonNullable<typeof node>;
  const env = esEnv(n);
  const created: string[] = [];

  /** A fresh index name for one test, with the iochunt template installed for it. */
  async function setupIndex(name: string): Promise<string> {
    const index = `logs-iochunt.hits-${name}-${run}`;
    const r = await runCli(['es', 'setup', '--es', n.url, '--es-index', index], { env });
    expect(r.stderr).toMatch(/installed index template/);
    expect(r.code).toBe(0);
    created.push(index);
    return index;
  }

  afterAll(async () => {
    // The generated logs are ~200 MB.
    rmSync(t.dir, { recursive: true, force: true });
    for (const index of created) {
      await es(n, 'DELETE', `/_data_stream/${index}`);
      await es(n, 'DELETE', `/${index}`);
      await es(n, 'DELETE', `/_index_template/iochunt-hits-${index}`);
    }
  });

  describe('es setup', () => {
    it('installs a data stream template that maps addresses as ip, times as date and enrichments as nested', async () => {
      const index = await setupIndex('setup');
      const tpl = await es(n, 'GET', `/_index_template/iochunt-hits-${index}`);
      expect(tpl.status).toBe(200);
      const body = tpl.body.index_templates[0].index_template;
      expect(body.index_patterns).toEqual([index]);
      expect(body.data_stream).toBeDefined();
      // The mapping as the cluster resolves it for the target.
      const sim = await es(n, 'POST', `/_index_template/_simulate_index/${index}`);
      expect(sim.status).toBe(200);
      const props = sim.body.template.mappings.properties;
      expect(props['@timestamp'].type).toBe('date');
      expect(props.source.properties.ip.type).toBe('ip');
      expect(props.destination.properties.ip.type).toBe('ip');
      expect(props.log.properties.offset.type).toBe('long');
      expect(props.log.properties.file.properties.path.type).toBe('keyword');
      expect(props.threat.properties.enrichments.type).toBe('nested');
      expect(props.threat.properties.enrichments.properties.indicator.properties.ip.type).toBe('ip');
      // Generic JSON lines keep their object under iochunt.json.
      expect(props.iochunt.properties.json.type).toBe('flattened');
    });

    it('prints the template without a cluster', async () => {
      const r = await runCli(['es', 'setup', '--print']);
      expect(r.code).toBe(0);
      // The hit template and the indicator template, as for a full stack (composed of its ecs@mappings and logs@settings).
      const [hitsTpl, indicatorsTpl] = JSON.parse(r.stdout);
      expect(hitsTpl.name).toBe('iochunt-hits');
      expect(hitsTpl.body.index_patterns).toEqual(['logs-iochunt.hits-*']);
      expect(hitsTpl.body.composed_of).toEqual(['logs@mappings', 'logs@settings', 'ecs@mappings']);
      expect(hitsTpl.body.template.mappings.properties.url.properties.original.type).toBe('wildcard');
      expect(indicatorsTpl.name).toBe('iochunt-indicators');
      expect(indicatorsTpl.body.index_patterns).toEqual(['logs-ti_iochunt.indicators-*']);
      const withRetention = JSON.parse((await runCli(['es', 'setup', '--print', '--retention', '90'])).stdout);
      expect(withRetention[0].body.template.lifecycle).toEqual({ enabled: true, data_retention: '90d' });
      // The retention takes over from the stack's logs ILM policy; without one, that policy governs.
      expect(withRetention[0].body.template.settings.index.lifecycle.prefer_ilm).toBe(false);
      expect(hitsTpl.body.template.settings).toEqual({});
      expect((await runCli(['es', 'setup', '--print', '--retention', '0'])).code).toBe(2);
    });
  });

  describe('a few hundred megabytes of mixed logs', () => {
    const rng = new Rng(20261124);
    const set = makeIndicators(rng, { ipv4: 300, cidr4: 40, ipv6: 60, cidr6: 10, domains: 300, urls: 80, hashes: 120, emails: 60 });
    const feed = t.write('mixed/feed.txt', feedText(set));
    let planted = 0;
    let totalBytes = 0;
    beforeAll(() => {
      // 5 formats x ~8 MB, each written to 5 directories (separate files, so separate hits): ~200 MB.
      for (const format of LOG_FORMATS) {
        const gen = new LineGenerator(rng, set, format, { hitRate: 0.02, decoyRate: 0.1 });
        const lines: string[] = [];
        let bytes = 0;
        let hits = 0;
        while (bytes < 8_000_000) {
          const l = gen.next();
          lines.push(l.text);
          bytes += Buffer.byteLength(l.text) + 1;
          if (l.hits.length > 0) hits++;
        }
        const text = lines.join('\n') + '\n';
        for (let copy = 0; copy < 5; copy++) {
          t.write(`mixed/logs/${copy}/${format}.log`, text);
          planted += hits;
          totalBytes += Buffer.byteLength(text);
        }
      }
    }, 120_000);

    it('indexes exactly one document per hit line, and a second identical run adds none', async () => {
      expect(totalBytes).toBeGreaterThan(190_000_000);
      const index = await setupIndex('mixed');
      const jsonl = t.path('mixed/hits.jsonl');
      const deadLetter = t.path('mixed/dead.jsonl');
      const args = ['scan', '--iocs', feed, t.path('mixed/logs'), '--es', n.url, '--es-index', index, '--es-dead-letter', deadLetter];
      const first = await runCli([...args, '--output', jsonl], { env });
      expect(first.stderr).not.toMatch(/error|warning/);
      expect(first.code).toBe(0);
      const reference = parseJsonl(readFileSync(jsonl, 'utf8'));
      expect(reference.length).toBe(planted);
      expect(first.stderr).toContain(`${planted} indexed, 0 already there (duplicates), 0 retried, 0 dead-lettered`);

      const docs = await allDocs(n, index);
      expect(docs.length).toBe(planted);
      const key = (d: any): string => `${d.log.file.path}\t${d.log.offset}`;
      expect(new Set(docs.map((d) => key(d._source))).size).toBe(planted);
      expect(docs.map((d) => key(d._source)).sort()).toEqual(reference.map(key).sort());
      expect(new Set(docs.map((d) => d._id)).size).toBe(planted);

      const second = await runCli(args, { env });
      expect(second.code).toBe(0);
      expect(second.stderr).toContain(`0 indexed, ${planted} already there (duplicates), 0 retried, 0 dead-lettered`);
      expect(await countDocs(n, index)).toBe(planted);
      expect(existsSync(deadLetter)).toBe(false);
    }, 300_000);
  });

  it('on SIGTERM stops reading, delivers what it found, and a re-run delivers the rest without copies', async () => {
    const index = await setupIndex('sigterm');
    const rng = new Rng(99);
    const set = makeIndicators(rng, { ipv4: 100, cidr4: 5, ipv6: 10, cidr6: 2, domains: 100, urls: 20, hashes: 20, emails: 10 });
    const gen = new LineGenerator(rng, set, 'apache', { hitRate: 0.5, decoyRate: 0.05 });
    const lines: string[] = [];
    let hitLines = 0;
    for (let i = 0; i < 40_000; i++) {
      const l = gen.next();
      lines.push(l.text);
      if (l.hits.length > 0) hitLines++;
    }
    const feed = t.write('sigterm/feed.txt', feedText(set));
    const log = t.write('sigterm/access.log', lines.join('\n') + '\n');
    const args = ['scan', '--iocs', feed, log, '--es', n.url, '--es-index', index, '--es-batch-docs', '100', '--es-concurrency', '1'];
    const { child, exited, stderr: stderrSoFar } = startCli(args, { env });
    // The data stream exists once the first hit is in.
    while ((await countDocs(n, index).catch(() => 0)) < 500) {
      expect(child.exitCode).toBeNull();
      await new Promise((r) => setTimeout(r, 100));
    }
    child.kill('SIGTERM');
    expect(await exited).toBe(143);
    const stderr = stderrSoFar();
    expect(stderr).toMatch(/interrupted \(SIGTERM\): no more input is read/);
    const m = /(\d+) indexed, 0 already there \(duplicates\), \d+ retried, 0 dead-lettered/.exec(stderr);
    expect(m).not.toBeNull();
    const delivered = Number(m?.[1]);
    expect(delivered).toBeLessThan(hitLines);
    expect(await countDocs(n, index)).toBe(delivered);

    const rest = await runCli(args, { env });
    expect(rest.code).toBe(0);
    expect(rest.stderr).toContain(`${hitLines - delivered} indexed, ${delivered} already there (duplicates)`);
    expect(await countDocs(n, index)).toBe(hitLines);
  }, 180_000);

  it('delivers the hits of a slowly fed pipe while it is still open (a tail -F sidecar)', async () => {
    const index = await setupIndex('pipe');
    const feed = t.write('pipe/feed.txt', '203.0.113.9\nevil.example\n');
    const { child, exited } = startCli(['scan', '--iocs', feed, '--es', n.url, '--es-index', index], { env });
    const waitForCount = async (want: number): Promise<number> => {
      let c = 0;
      for (let i = 0; i < 300 && c < want; i++) {
        await new Promise((r) => setTimeout(r, 100));
        c = await countDocs(n, index).catch(() => 0);
      }
      return c;
    };
    child.stdin.write('GET / from 203.0.113.9\n');
    expect(await waitForCount(1)).toBe(1);
    expect(child.exitCode).toBeNull();
    child.stdin.write('lookup cdn.evil.example\nnothing here\n');
    expect(await waitForCount(2)).toBe(2);
    child.stdin.end();
    expect(await exited).toBe(0);
    expect(await countDocs(n, index)).toBe(2);
  });

  describe('documents', () => {
    const feed = t.write('docs/feed.txt', '203.0.113.9\nevil.example\n2001:db8:bad::/48\n');
    const apache = t.write(
      'docs/access.log',
      '203.0.113.9 - - [10/Oct/2026:13:55:36 +0000] "GET /x HTTP/1.1" 200 12 "-" "curl/8"\n' +
        '198.51.100.1 - - [10/Oct/2026:13:55:37 +0000] "GET http://cdn.evil.example/a HTTP/1.1" 200 12 "-" "curl/8"\n' +
        '2001:db8:bad::7 - - [10/Oct/2026:13:55:38 +0000] "GET / HTTP/1.1" 404 0 "-" "curl/8"\n' +
        '198.51.100.2 - - [10/Oct/2026:13:55:39 +0000] "GET /notevil.example HTTP/1.1" 200 1 "-" "curl/8"\n',
    );

    it('can be searched by address range, nested indicator and event time', async () => {
      const index = await setupIndex('docs');
      const r = await runCli(['scan', '--iocs', feed, apache, '--es', n.url, '--es-index', index], { env });
      expect(r.code).toBe(0);
      expect(r.stdout).toBe('');
      expect(await countDocs(n, index)).toBe(3);
      const byRange = await es(n, 'POST', `/${index}/_search`, { query: { term: { 'source.ip': '203.0.113.0/24' } } });
      expect(byRange.body.hits.total.value).toBe(1);
      const v6 = await es(n, 'POST', `/${index}/_search`, { query: { term: { 'source.ip': '2001:db8:bad::/48' } } });
      expect(v6.body.hits.total.value).toBe(1);
      const nested = await es(n, 'POST', `/${index}/_search`, {
        query: {
          nested: {
            path: 'threat.enrichments',
            query: { bool: { filter: [{ term: { 'threat.enrichments.indicator.name': 'evil.example' } }, { term: { 'threat.enrichments.matched.field': 'url.original' } }] } },
          },
        },
      });
      expect(nested.body.hits.total.value).toBe(1);
      const byTime = await es(n, 'POST', `/${index}/_search`, { query: { range: { '@timestamp': { gte: '2026-10-10T13:55:37Z', lte: '2026-10-10T13:55:37Z' } } } });
      expect(byTime.body.hits.total.value).toBe(1);
      expect(byTime.body.hits.hits[0]._source.event.original).toContain('cdn.evil.example');
    });

    it('goes through the ingest pipeline named by --es-pipeline, and refuses a missing one', async () => {
      const index = await setupIndex('pipeline');
      const pipeline = `iochunt-test-${run}`;
      // The integration-test distribution has one processor, from its security module: it adds the writing user.
      const put = await es(n, 'PUT', `/_ingest/pipeline/${pipeline}`, { processors: [{ set_security_user: { field: 'written_by' } }] });
      expect(put.status).toBe(200);
      try {
        const r = await runCli(['scan', '--iocs', feed, apache, '--es', n.url, '--es-index', index, '--es-pipeline', pipeline], { env });
        expect(r.code).toBe(0);
        expect(await countDocs(n, index)).toBe(3);
        const found = await es(n, 'POST', `/${index}/_search`, { query: { term: { 'written_by.username': n.username } } });
        expect(found.body.hits.total.value).toBe(3);
        const missing = await runCli(['scan', '--iocs', feed, apache, '--es', n.url, '--es-index', index, '--es-pipeline', `${pipeline}-none`], { env });
        expect(missing.code).toBe(2);
        expect(missing.stderr).toMatch(/ingest pipeline "iochunt-test-\d+-none" does not exist/);
      } finally {
        await es(n, 'DELETE', `/_ingest/pipeline/${pipeline}`);
      }
    });

    it('dead-letters the hits the cluster refuses (a mapping conflict), indexes the rest, and exits 2', async () => {
      // A plain index where event.dataset is a number: parsed Apache lines carry "apache.access" there.
      const index = `iochunt-conflict-${run}`;
      created.push(index);
      expect((await es(n, 'PUT', `/${index}`, { mappings: { properties: { event: { properties: { dataset: { type: 'long' } } } } } })).status).toBe(200);
      const plain = t.write('docs/plain.txt', 'free text with 203.0.113.9 in it\nand evil.example here\nnothing\n');
      const deadLetter = t.path('docs/conflict-dead.jsonl');
      const r = await runCli(['scan', '--iocs', feed, apache, plain, '--es', n.url, '--es-index', index, '--es-dead-letter', deadLetter], { env });
      expect(r.code).toBe(2);
      expect(r.stderr).toContain('2 indexed, 0 already there (duplicates), 0 retried, 3 dead-lettered');
      expect(r.stderr).toMatch(/3 hit\(s\) were not indexed; they are in .*conflict-dead\.jsonl/);
      expect(await countDocs(n, index)).toBe(2);
      const dead = parseJsonl(readFileSync(deadLetter, 'utf8'));
      expect(dead).toHaveLength(3);
      for (const d of dead) {
        expect(d.index).toBe(index);
        expect(d.error.status).toBe(400);
        expect(d.error.type).toMatch(/parsing_exception/);
        expect(d.document.event.dataset).toBe('apache.access');
        expect(d._id).toMatch(/^[A-Za-z0-9_-]{27}$/);
      }
      const apacheLines = readFileSync(apache, 'utf8').split('\n');
      const offsets = [0, 1, 2].map((i) => apacheLines.slice(0, i).reduce((sum, l) => sum + Buffer.byteLength(l) + 1, 0));
      expect(dead.map((d) => d.document.log.offset).sort((a, b) => a - b)).toEqual(offsets);
      // A second run appends; the ids stay the same.
      const again = await runCli(['scan', '--iocs', feed, apache, plain, '--es', n.url, '--es-index', index, '--es-dead-letter', deadLetter], { env });
      expect(again.stderr).toContain('0 indexed, 2 already there (duplicates), 0 retried, 3 dead-lettered');
      const dead2 = parseJsonl(readFileSync(deadLetter, 'utf8'));
      expect(dead2).toHaveLength(6);
      expect(dead2.slice(3).map((d) => d._id)).toEqual(dead.map((d) => d._id));
    });
  });

  describe('credentials', () => {
    const feed = t.write('auth/feed.txt', '203.0.113.9\n');
    const log = t.write('auth/a.log', 'x 203.0.113.9 y\n');

    it('refuses a wrong password with exit 2 and never prints it', async () => {
      const wrong = 'Wr0ng-Secret-Pa55';
      const r = await runCli(['scan', '--iocs', feed, log, '--es', n.url], { env: { ...env, IOCHUNT_ES_PASSWORD: wrong } });
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/refused the credentials/);
      expect(r.stderr).not.toContain(wrong);
      expect(r.stderr).not.toContain(Buffer.from(`${n.username}:${wrong}`).toString('base64'));
      expect(r.stdout).toBe('');
    });

    it('fails without credentials on a secured cluster', async () => {
      const r = await runCli(['scan', '--iocs', feed, log, '--es', n.url], { env: { ...env, IOCHUNT_ES_USERNAME: '', IOCHUNT_ES_PASSWORD: '' } });
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/refused the credentials.*401/);
    });

    it('reads them from --es-auth-file', async () => {
      const index = await setupIndex('authfile');
      const file = t.write('auth/es.env', `# test credentials\nIOCHUNT_ES_USERNAME=${n.username}\nexport IOCHUNT_ES_PASSWORD="${n.password}"\n`);
      const r = await runCli(['scan', '--iocs', feed, log, '--es', n.url, '--es-index', index, '--es-auth-file', file], {
        env: { ...env, IOCHUNT_ES_USERNAME: '', IOCHUNT_ES_PASSWORD: '' },
      });
      expect(r.stderr).not.toContain(n.password as string);
      expect(r.code).toBe(0);
      expect(await countDocs(n, index)).toBe(1);
    });

    it('refuses credentials in the URL without echoing them', async () => {
      const url = new URL(n.url);
      url.username = n.username as string;
      url.password = 'Leaky-Pa55word';
      const r = await runCli(['scan', '--iocs', feed, log, '--es', url.toString()], { env });
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/credentials in the URL are refused/);
      expect(r.stderr).not.toContain('Leaky-Pa55word');
    });
  });

  it('exits 2 with a clear message when the cluster is not reachable', async () => {
    const port = await freePort();
    const feed = t.write('down/feed.txt', '203.0.113.9\n');
    const log = t.write('down/a.log', 'x 203.0.113.9 y\n');
    const r = await runCli(['scan', '--iocs', feed, log, '--es', `http://127.0.0.1:${port}`], { env });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(new RegExp(`Elasticsearch is not reachable at http://127.0.0.1:${port}.*--es-wait`));
    expect(r.stdout).toBe('');
  });

  it('delivers through the live node when another --es node is down', async () => {
    const index = await setupIndex('nodes');
    const dead = `http://127.0.0.1:${await freePort()}`;
    const feed = t.write('nodes/feed.txt', '203.0.113.9\n');
    const lines = Array.from({ length: 400 }, (_, i) => `line ${i} from 203.0.113.9`);
    const log = t.write('nodes/a.log', lines.join('\n') + '\n');
    const r = await runCli(['scan', '--iocs', feed, log, '--es', dead, '--es', n.url, '--es-index', index, '--es-batch-docs', '20'], { env });
    expect(r.code).toBe(0);
    expect(await countDocs(n, index)).toBe(400);
  });

  it('keeps writing JSON Lines to --output beside Elasticsearch', async () => {
    const index = await setupIndex('tee');
    const feed = t.write('tee/feed.txt', '203.0.113.9\n');
    const log = t.write('tee/a.log', 'x 203.0.113.9 y\nz\nw 203.0.113.9\n');
    const out = t.path('tee/out.jsonl');
    const r = await runCli(['scan', '--iocs', feed, log, '--es', n.url, '--es-index', index, '--output', out], { env });
    expect(r.code).toBe(0);
    expect(parseJsonl(readFileSync(out, 'utf8'))).toHaveLength(2);
    expect(await countDocs(n, index)).toBe(2);
    writeFileSync(out, '');
  });
});
