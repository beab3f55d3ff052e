/**
 * ECS documents on a real Elasticsearch node: the template stack resolves
 * with the expected types; Zeek TSV and Zeek JSON hits of one kind share a
 * data stream with nothing dead-lettered; `es indicators push` writes the
 * indicator documents once, a second push changes nothing, removed
 * indicators disappear; a hit's `threat.enrichments.matched.id` fetches its
 * indicator document.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { runCli } from './helpers/cli.js';
import { countDocs, es, esEnv, esNode } from './helpers/es-test.js';
import { sample } from './helpers/samples.js';
import { tmpDir } from './helpers/tmp.js';

const node = esNode();
const run = `${process.pid}`;

describe.skipIf(!node)('ECS documents in Elasticsearch (real node)', () => {
  const n = node as NonNullable<typeof node>;
  const env = esEnv(n);
  const t = tmpDir('iochunt-es-ecs-');
  const hits = `logs-iochunt.hits-ecs${run}`;
  const indicators = `logs-ti_iochunt.indicators-ecs${run}`;

  afterAll(async () => {
    for (const ds of [hits, indicators]) await es(n, 'DELETE', `/_data_stream/${ds}`);
    await es(n, 'DELETE', `/_index_template/iochunt-hits-${hits}`);
  });

  it('es setup: the template stack resolves with wildcard-or-long-keyword URLs, keyword descriptions, nested enrichments, ip addresses and a retention', async () => {
    const r = await runCli(['es', 'setup', '--es', n.url, '--es-index', hits, '--retention', '30'], { env });
    expect(r.code, r.stderr).toBe(0);
    // The test distribution has neither the stack's component templates nor the wildcard type: the fallback must say so.
    const ecsMappings = (await es(n, 'GET', '/_component_template/ecs@mappings')).status === 200;
    expect(r.stderr).toMatch(ecsMappings ? /composed of the stack's ecs@mappings/ : /iochunt's own ECS mappings/);
    for (const [target, kind] of [
      [hits, 'hits'],
      [indicators, 'indicators'],
    ] as const) {
      const sim = await es(n, 'POST', `/_index_template/_simulate_index/${target}`);
      expect(sim.status, JSON.stringify(sim.body).slice(0, 300)).toBe(200);
      // The indicator template is shared by every `es setup` (other test files may replace it meanwhile): its retention is not checked here.
      expect(sim.body.template.lifecycle).toMatchObject(kind === 'hits' ? { enabled: true, data_retention: '30d' } : { enabled: true });
      const p = sim.body.template.mappings.properties;
      const wildcard = (await es(n, 'POST', '/_index_template/_simulate', { index_patterns: ['iochunt-wildcard-probe'], template: { mappings: { properties: { u: { type: 'wildcard' } } } } })).status === 200;
      if (kind === 'hits') {
        expect(p.url.properties.original.type).toBe(wildcard ? 'wildcard' : 'keyword');
        if (!wildcard) expect(p.url.properties.original.ignore_above).toBeGreaterThanOrEqual(8191);
        const e = p.threat.properties.enrichments;
        expect(e.type).toBe('nested');
        expect(e.properties.indicator.properties.description.type).toBe('keyword');
        expect(e.properties.indicator.properties.ip.type).toBe('ip');
        expect(e.properties.indicator.properties.url.properties.full.type).toBe(wildcard ? 'wildcard' : 'keyword');
        expect(e.properties.matched.properties.id.type).toBe('keyword');
        expect(e.properties.feed.properties.name.type).toBe('keyword');
        expect(p.source.properties.ip.type).toBe('ip');
        expect(p.host.properties.ip.type).toBe('ip');
        expect(p.related.properties.ip.type).toBe('ip');
        expect(p.iochunt.properties.json.type).toBe('flattened');
        expect(p.iochunt.properties.match.properties.kind.type).toBe('keyword');
      } else {
        const ind = p.threat.properties.indicator.properties;
        expect(ind.description.type).toBe('keyword');
        expect(ind.ip.type).toBe('ip');
        expect(ind.first_seen.type).toBe('date');
        expect(p.threat.properties.feed.properties.name.type).toBe('keyword');
      }
    }
  });

  it('indicators push: created once, a second push changes nothing, removed indicators disappear; hits name them by matched.id', async () => {
    const tsvDir = sample('zeek/dns-tsv');
    const tsv = readdirSync(tsvDir).map((f) => join(tsvDir, f));
    const json = sample('integrations/zeek-dns-json/test-dns.log');
    expect(existsSync(json)).toBe(true);
    // Addresses on both sides: every TSV and JSON line of these logs names one of them.
    const parsed = await runCli(['parse', '-q', ...tsv, json]);
    const ips = [...new Set(parsed.docs.flatMap((d) => [d.source?.ip, d.destination?.ip]).filter((v): v is string => typeof v === 'string'))].sort();
    expect(ips.length).toBeGreaterThan(10);
    const feed = t.write('zeek-ips.txt', `${ips.join('\n')}\n`);
    const push = () => runCli(['es', 'indicators', 'push', '--es', n.url, '--indicator-index', indicators, '--iocs', `Zeek peers=${feed}`], { env });
    const first = await push();
    expect(first.code, first.stderr).toBe(0);
    expect(first.stderr).toContain(`${ips.length} created, 0 unchanged, 0 removed`);
    expect(await countDocs(n, indicators)).toBe(ips.length);
    const before = await es(n, 'POST', `/${indicators}/_search`, { size: 1000, sort: [{ 'threat.indicator.name': 'asc' }] });
    const second = await push();
    expect(second.code).toBe(0);
    expect(second.stderr).toContain(`0 created, ${ips.length} unchanged, 0 removed`);
    const after = await es(n, 'POST', `/${indicators}/_search`, { size: 1000, sort: [{ 'threat.indicator.name': 'asc' }] });
    expect(after.body.hits.hits.map((h: any) => [h._id, h._source])).toEqual(before.body.hits.hits.map((h: any) => [h._id, h._source]));
    const doc = after.body.hits.hits[0]._source;
    expect(doc.event).toMatchObject({ kind: 'enrichment', category: ['threat'], type: ['indicator'] });
    expect(doc.threat.feed.name).toBe('Zeek peers');

    // Zeek TSV and JSON hits into one data stream: nothing refused.
    const deadLetter = join(t.dir, 'dead.jsonl');
    const scan = await runCli(['scan', '--es', n.url, '--es-index', hits, '--es-dead-letter', deadLetter, '--iocs', `Zeek peers=${feed}`, ...tsv, json], { env });
    expect(scan.code, scan.stderr).toBe(0);
    expect(scan.stderr).toMatch(/ 0 dead-lettered/);
    expect(existsSync(deadLetter)).toBe(false);
    expect(await countDocs(n, hits)).toBeGreaterThan(10);
    const found = await es(n, 'POST', `/${hits}/_search`, { size: 1000, query: { match_all: {} } });
    const docs = found.body.hits.hits.map((h: any) => h._source);
    const formats = new Set(docs.map((d: any) => (d.event.original.startsWith('{') ? 'json' : 'tsv')));
    expect([...formats].sort()).toEqual(['json', 'tsv']);
    for (const d of docs) {
      expect(d.data_stream).toEqual({ type: 'logs', dataset: 'iochunt.hits', namespace: `ecs${run}` });
      expect(d.event.dataset).toBe('iochunt.hits');
      expect(d.iochunt.dataset).toBe('zeek.dns');
    }
    // Booleans from TSV (T/F) and JSON (true/false) are one type.
    const aa = docs.filter((d: any) => d.zeek?.dns?.AA !== undefined).map((d: any) => typeof d.zeek.dns.AA);
    expect(aa.length).toBeGreaterThan(0);
    expect(new Set(aa)).toEqual(new Set(['boolean']));
    // A hit's matched.id fetches its indicator document.
    const e = docs[0].threat.enrichments[0];
    expect(e.matched.index).toBe('logs-ti_iochunt.indicators-default');
    const ind = await es(n, 'POST', `/${indicators}/_search`, { query: { ids: { values: [e.matched.id] } } });
    expect(ind.body.hits.hits).toHaveLength(1);
    expect(ind.body.hits.hits[0]._source.threat.indicator.name).toBe(e.indicator.name);

    // Indicators removed from the feed disappear at the next push; the others stay as they were.
    const kept = ips.slice(0, 3);
    t.write('zeek-ips.txt', `${kept.join('\n')}\n`);
    const third = await push();
    expect(third.code).toBe(0);
    expect(third.stderr).toContain(`0 created, 3 unchanged, ${ips.length - 3} removed`);
    const left = await es(n, 'POST', `/${indicators}/_search`, { size: 1000, sort: [{ 'threat.indicator.name': 'asc' }] });
    expect(left.body.hits.hits.map((h: any) => h._source.threat.indicator.name).sort()).toEqual([...kept].sort());
  });
});
