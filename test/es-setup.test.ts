/**
 * `es setup` against clusters the test node cannot play: one that refuses
 * data stream templates (the template is installed again as a plain index
 * template) and one that refuses the privilege (exit 2, the reason named).
 * A local stand-in answers `GET /` and `PUT /_index_template/...`; the real
 * template on a real node is checked in es-output.test.ts.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { runCli } from './helpers/cli.js';
import { NO_ES_AUTH } from './helpers/es-test.js';
import { templateBody } from '../src/output/es/index-template.js';


describe('iochunt es setup', () => {
  let server: Server;
  let url = '';
  let puts: Array<{ path: string; body: any }> = [];
  let answer: (body: any) => { status: number; body: unknown } = () => ({ status: 200, body: { acknowledged: true } });

  beforeEach(async () => {
    puts = [];
    server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        let reply = { status: 200, body: {} as unknown };
        if (req.method === 'PUT') {
          const body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
          puts.push({ path: req.url ?? '', body });
          reply = answer(body);
        }
        const text = JSON.stringify(reply.body);
        res.writeHead(reply.status, { 'content-type': 'application/json', 'x-elastic-product': 'Elasticsearch' });
        res.end(text);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterEach(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it('installs a plain index template when the cluster refuses data stream templates', async () => {
    answer = (body) =>
      body.data_stream
        ? {
            status: 400,
            body: {
              error: { type: 'x_content_parse_exception', reason: '[1:2] [index_template] unknown field [data_stream]' },
              status: 400,
            },
          }
        : { status: 200, body: { acknowledged: true } };
    const r = await runCli(['es', 'setup', '--es', url], { env: NO_ES_AUTH });
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/the cluster has no data streams .*installing a plain index template instead/);
    expect(r.stderr).toMatch(/installed index template iochunt-hits for logs-iochunt\.hits-default \(a plain index/);
    expect(puts.map((p) => [p.path, 'data_stream' in p.body])).toEqual([
      ['/_index_template/iochunt-hits', true],
      ['/_index_template/iochunt-hits', false],
    ]);
    // The stand-in has none of the stack's component templates, nor the wildcard type: iochunt's own equivalents.
    const none = { ecsMappings: false, logsMappings: false, logsSettings: false, wildcard: false };
    expect(puts[1]?.body).toEqual(JSON.parse(JSON.stringify(templateBody('logs-iochunt.hits-default', false, { features: none }))));
    expect(puts[1]?.body.composed_of).toEqual([]);
  });

  it('exits 2 naming the reason when the template cannot be installed (no privilege)', async () => {
    answer = () => ({
      status: 403,
      body: { error: { type: 'security_exception', reason: 'action [indices:admin/index_template/put] is unauthorized for user [writer]' }, status: 403 },
    });
    const r = await runCli(['es', 'setup', '--es', url, '--es-index', 'hits-x'], { env: NO_ES_AUTH });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/cannot install the index template iochunt-hits-hits-x: HTTP 403 security_exception: action \[indices:admin\/index_template\/put\] is unauthorized/);
    expect(puts).toHaveLength(1);
    expect(puts[0]?.body.index_patterns).toEqual(['hits-x']);
  });

  it('refuses an invalid --es-index before contacting the cluster', async () => {
    const r = await runCli(['es', 'setup', '--es', url, '--es-index', 'Hits'], { env: NO_ES_AUTH });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/Expected an Elasticsearch index or data stream name for --es-index/);
    expect(puts).toHaveLength(0);
  });

  it('es setup --retention and es indicators push refuse bad input before contacting the cluster', async () => {
    const retention = await runCli(['es', 'setup', '--es', url, '--retention', 'forever'], { env: NO_ES_AUTH });
    expect(retention.code).toBe(2);
    expect(retention.stderr).toMatch(/--retention/);
    const noFeed = await runCli(['es', 'indicators', 'push', '--es', url], { env: NO_ES_AUTH });
    expect(noFeed.code).toBe(2);
    expect(noFeed.stderr).toMatch(/es indicators push needs at least one --iocs FILE/);
    const missing = await runCli(['es', 'indicators', 'push', '--es', url, '--iocs', 'Named=/nonexistent/feed.txt'], { env: NO_ES_AUTH });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/\/nonexistent\/feed\.txt: cannot read indicator feed/);
    const badIndex = await runCli(['es', 'indicators', 'push', '--es', url, '--iocs', '/dev/null', '--indicator-index', 'Bad'], { env: NO_ES_AUTH });
    expect(badIndex.code).toBe(2);
    expect(badIndex.stderr).toMatch(/--indicator-index/);
    expect(puts).toHaveLength(0);
  });
});
