/**
 * ECS conformance: every field of every document iochunt writes, checked
 * against ECS's own field list (fixtures/ecs/ecs_flat.yml, ECS 8.17.0):
 * `parse` documents and scan hits of every sample log, unparsed lines, and
 * hits and indicator documents built from every feed format's metadata.
 * The README's hit field list is checked against the fields the hits have
 * (IOCHUNT_UPDATE_README=1 rewrites it).
 */
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadFeeds } from '../src/indicators/load.js';
import { normalizeIndicator } from '../src/indicators/normalize.js';
import type { IndicatorStore } from '../src/indicators/store.js';
import { buildHitDocument, withHitContext, type HitLine } from '../src/output/hit-document.js';
import { indicatorDocuments } from '../src/output/indicator-document.js';
import { inDataStream, dataStreamOf } from '../src/output/es/data-stream.js';
import { ROOT, runCli } from './helpers/cli.js';
import { checkDocument, classify, ecsFields, type Problem } from './helpers/ecs-schema.js';
import { FULL_STACK, hitMappings, indicatorDocMappings } from '../src/output/es/index-template.js';
import { MISP_EVENT, STIX_BUNDLE } from './helpers/feed-fixtures.js';
import { FIXTURES, SAMPLES } from './helpers/samples.js';
import { tmpDir } from './helpers/tmp.js';

/** Every sample log: fixtures/logs and fixtures/third-party except feeds, licences and notes. */
function sampleLogs(): string[] {
  const out: string[] = [];
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir).sort()) {
      const p = join(dir, name);
      if (statSync(p).isDirectory()) {
        if (name !== 'ti-feeds' && name !== 'intel-input') walk(p);
      } else if (!/LICEN[CS]E|COPYING|\.md$|expected\.json$/i.test(name)) out.push(p);
    }
  };
  walk(SAMPLES);
  walk(join(FIXTURES, 'logs'));
  return out;
}

function problemsOf(docs: ReadonlyArray<Record<string, any>>, seen?: Set<string>): string[] {
  const out = new Set<string>();
  for (const d of docs) {
    for (const p of checkDocument(d, seen) as Problem[]) {
      out.add(`${d.event?.dataset ?? d.event?.kind ?? '?'}: ${p.field}: ${p.problem}` + (p.value !== undefined ? ` (${JSON.stringify(p.value).slice(0, 80)})` : ''));
    }
  }
  return [...out].sort();
}

const IPV4 = /^\d{1,3}(\.\d{1,3}){3}$/;

/** Indicators to hit the samples with: addresses, names and hashes the parse documents hold. */
function harvest(docs: ReadonlyArray<Record<string, any>>): string[] {
  const out = new Set<string>();
  const paths = ['source.ip', 'destination.ip', 'client.ip', 'server.ip', 'url.domain', 'dns.question.name', 'source.domain', 'file.hash.md5', 'file.hash.sha256'];
  for (const d of docs) {
    for (const p of paths) {
      let cur: any = d;
      for (const k of p.split('.')) cur = cur?.[k];
      if (typeof cur === 'string' && cur.length > 3 && !cur.startsWith('10.') && !cur.startsWith('127.') && (IPV4.test(cur) || /^[a-z0-9.-]+\.[a-z]{2,}$/i.test(cur) || /^[0-9a-f]{32,64}$/.test(cur))) out.add(cur);
    }
  }
  // Generic JSON lines (threat-intel exports read as logs): their addresses too.
  const walk = (v: unknown): void => {
    if (typeof v === 'string' && IPV4.test(v) && !v.startsWith('10.') && !v.startsWith('127.')) out.add(v);
    else if (v !== null && typeof v === 'object') for (const c of Object.values(v)) walk(c);
  };
  for (const d of docs) walk(d.iochunt?.json);
  return [...out].sort();
}

const seenInHits = new Set<string>();

describe('ECS conformance', () => {
  const logs = sampleLogs();

  it('parse documents of every sample log have only ECS, dataset-namespace or iochunt fields, typed and valued as ECS says', async () => {
    const r = await runCli(['parse', '-q', ...logs]);
    expect(r.code, r.stderr).toBeLessThan(2);
    expect(r.docs.length).toBeGreaterThan(300);
    const datasets = new Set(r.docs.map((d) => d.event.dataset));
    for (const ds of ['zeek.dns', 'zeek.http', 'zeek.files', 'zeek.intel', 'aws.cloudtrail', 'aws.vpcflow', 'gcp.audit', 'gcp.dns', 'gcp.vpcflow', 'aws.route53_resolver_logs', 'apache.access', 'apache.error', 'system.auth', 'system.syslog', 'bind.query']) {
      expect(datasets, ds).toContain(ds);
    }
    expect(problemsOf(r.docs)).toEqual([]);
  });

  it('Zeek TSV (typed from #types) and Zeek JSON give every field one JSON type', async () => {
    const dir = join(SAMPLES, 'zeek/dns-tsv');
    const tsv = readdirSync(dir).map((f) => join(dir, f));
    const json = join(SAMPLES, 'integrations/zeek-dns-json/test-dns.log');
    const r = await runCli(['parse', '-q', ...tsv, json]);
    const types = new Map<string, Set<string>>();
    const kinds = new Map<string, Set<string>>();
    const walk = (v: unknown, path: string, format: string): void => {
      if (Array.isArray(v)) {
        for (const x of v) walk(x, path, format);
      } else if (v !== null && typeof v === 'object') {
        for (const [k, x] of Object.entries(v)) walk(x, `${path}.${k}`, format);
      } else {
        if (!types.has(path)) types.set(path, new Set());
        types.get(path)?.add(typeof v);
        if (!kinds.has(path)) kinds.set(path, new Set());
        kinds.get(path)?.add(format);
      }
    };
    for (const d of r.docs) walk({ zeek: d.zeek, source: d.source, destination: d.destination, dns: d.dns }, 'doc', d.event.original.startsWith('{') ? 'json' : 'tsv');
    const shared = [...kinds].filter(([, k]) => k.size === 2).map(([p]) => p);
    expect(shared).toEqual(expect.arrayContaining(['doc.zeek.dns.AA', 'doc.zeek.dns.rtt', 'doc.zeek.dns.TTLs', 'doc.source.port', 'doc.dns.answers.data']));
    expect(shared.filter((p) => (types.get(p)?.size ?? 0) > 1)).toEqual([]);
    expect([...(types.get('doc.zeek.dns.AA') ?? [])]).toEqual(['boolean']);
  });

  it('scan hits of every sample log (and of unparsed lines) conform, with every matched.field present in the hit', async () => {
    const parsed = await runCli(['parse', '-q', ...logs]);
    const values = harvest(parsed.docs);
    expect(values.length).toBeGreaterThan(50);
    const t = tmpDir();
    const feed = t.write('samples.txt', `${values.join('\n')}\n`);
    // A Route 53 answer (JSON path answers.Rdata, an array): named by the ECS field the hit has.
    const other = t.write('other.txt', '198.51.100.77\nhttp://198.51.100.77/x\nip-172-31-86-159.ec2.internal\n');
    const unparsed = t.write('notes.txt', 'saw 198.51.100.77 and http:\\/\\/x in a note\nnothing here\n');
    const generic = t.write('app.ndjson', '{"time":"2024-05-01T10:00:00Z","peer":{"addr":"198.51.100.77"},"url":"http:\\/\\/198.51.100.77\\/x"}\n');
    const r = await runCli(['scan', '--no-info', '--no-cache', '--iocs', `Sample feed=${feed}`, '--iocs', other, ...logs, unparsed, generic]);
    expect(r.code, r.stderr).toBe(0);
    const hits = r.docs;
    expect(hits.length).toBeGreaterThan(100);
    const datasets = new Set(hits.map((d) => d.event.dataset));
    for (const ds of ['zeek.dns', 'zeek.files', 'aws.cloudtrail', 'aws.vpcflow', 'gcp.audit', 'apache.access', 'system.auth', 'bind.query', 'json']) expect(datasets, ds).toContain(ds);
    expect(problemsOf(hits, seenInHits)).toEqual([]);
    for (const h of hits) {
      expect(h.event.kind).toBe('alert');
      expect(h.ecs.version).toBe('8.17.0');
      expect(h.agent.type).toBe('iochunt');
      for (const e of h.threat.enrichments) {
        const field: string = e.matched.field;
        let cur: any = [h];
        for (const k of field.split('.')) cur = cur.flatMap((c: any) => (c?.[k] === undefined ? [] : [].concat(c[k])));
        expect(cur.length, `${field} in ${h.event.original.slice(0, 100)}`).toBeGreaterThan(0);
        expect(typeof e.feed.name).toBe('string');
        expect(e.matched.atomic).not.toContain('\\/');
      }
    }
    const note = hits.find((h) => h.log.file.path === unparsed);
    expect(note?.message).toBe('saw 198.51.100.77 and http:\\/\\/x in a note');
    expect(note?.threat.enrichments[0].matched.field).toBe('message');
    expect(note?.threat.enrichments[0].feed.name).toBe('other.txt');
    const json = hits.find((h) => h.log.file.path === generic);
    expect(json?.threat.enrichments.map((e: any) => [e.matched.field, e.matched.atomic])).toEqual([
      ['iochunt.json.peer.addr', '198.51.100.77'],
      // Written http:\/\/… in the JSON text: the value as ECS reads it.
      ['iochunt.json.url', 'http://198.51.100.77/x'],
      ['iochunt.json.url', '198.51.100.77'],
    ]);
    const route53 = hits.filter((h) => h.event.dataset === 'aws.route53_resolver_logs').flatMap((h) => h.threat.enrichments);
    expect(route53.find((e: any) => e.matched.atomic === 'ip-172-31-86-159.ec2.internal')?.matched.field).toBe('dns.answers.data');
    const named = hits.find((h) => h.log.file.path !== unparsed);
    expect(named?.threat.enrichments[0].feed.name).toBe('Sample feed');
    expect(named?.threat.enrichments[0].iochunt.feed.path).toBe(feed);
    // In a data stream: data_stream.* of the target, the format's dataset kept in iochunt.dataset.
    const ds = dataStreamOf('logs-iochunt.hits-default');
    const inStream = hits.map((h) => inDataStream(h as never, ds as never) as Record<string, any>);
    expect(problemsOf(inStream)).toEqual([]);
    expect(inStream[0]?.data_stream).toEqual({ type: 'logs', dataset: 'iochunt.hits', namespace: 'default' });
  });

  it('hits and indicator documents from every feed format carry ECS-valid metadata (confidence, TLP, times), the rest under iochunt.*', async () => {
    const t = tmpDir();
    const feeds = [
      t.write('bundle.json', JSON.stringify(STIX_BUNDLE)),
      t.write('event.json', JSON.stringify(MISP_EVENT)),
      t.write(
        'meta.csv',
        'indicator,type,confidence,severity,description\n' +
          '198.51.100.1,ipv4,85,high,a\n' +
          '198.51.100.2,ipv4,high,3,b\n' +
          '198.51.100.3,ipv4,0,,c\n' +
          '198.51.100.4,ipv4,250,,d\n' +
          '198.51.100.5,ipv4,sure,,e\n',
      ),
      join(SAMPLES, 'beats/ti-otx/otx_sample.ndjson.log'),
      t.write(
        'pulse.json',
        JSON.stringify({
          id: 'p1',
          name: 'Pulse Y',
          author_name: 'AlienVault',
          TLP: 'white',
          tags: ['botnet'],
          references: ['https://blog.example/y'],
          created: '2024-01-05T10:00:00.000000',
          modified: '2024-01-06T10:00:00.000000',
          indicators: [{ indicator: '198.51.100.40', type: 'IPv4', created: '2024-01-05T10:00:00', expiration: '2030-01-01T00:00:00', is_active: 1 }],
        }),
      ),
      t.write(
        'etd.json',
        JSON.stringify({
          name: 'organizations/1/eventThreatDetectionSettings/customModules/2',
          displayName: 'bad_domains',
          type: 'CONFIGURABLE_BAD_DOMAIN',
          config: { domains: ['etd-evil.example'], metadata: { severity: 'HIGH', description: 'Known bad domains', recommendation: 'Block and investigate' } },
        }),
      ),
      ...['eset/groundbait.samples.md5', 'ipsum/levels-5.txt', 'signature-base/c2-iocs.txt', 'unit42/MuddyWater.csv', 'unit42/bitter.iocs.csv'].map((f) => join(SAMPLES, 'ti-feeds', f)),
      ...['doc.basic.intel.txt', 'input-and-match.intel.dat'].map((f) => join(SAMPLES, 'zeek/intel-input', f)),
    ];
    const { store, feeds: loadedFeeds } = await loadFeeds(feeds);
    const loaded = [...loadedFeeds];
    // GuardDuty lists are never detected by content: named with --iocs-format.
    const av = await loadFeeds([t.write('av.txt', '192.0.2.1#4#2#Malicious Host#KR##37.5,126.9#3\n')], { format: 'guardduty-alien-vault' }, store);
    loaded.push(...(av.feeds as typeof loaded));
    expect(store.size).toBeGreaterThan(20);
    expect(new Set(loaded.map((f) => f.format))).toEqual(new Set(['stix', 'misp', 'csv', 'otx', 'gcp-etd', 'guardduty-alien-vault', 'plain', 'zeek-intel']));
    // Every metadata key a feed source can have, with TLP spellings feeds use (the loaders keep them lower case, without the prefix).
    const tlps = ['amber', 'amber+strict', 'clear', 'white', 'green', 'red', 'unknown-tlp'];
    tlps.forEach((tlp, i) => {
      const r = normalizeIndicator(`192.0.2.${100 + i}`);
      if (!r.ok) throw new Error(r.reason);
      store.add(r.indicator, {
        feed: 'synthetic.json',
        line: i + 1,
        tlp,
        description: 'd',
        confidence: String(i * 15),
        reference: 'https://example.org/r',
        severity: 'HIGH',
        provider: 'Synthetic CERT',
        firstSeen: '2024-01-01T00:00:00.000Z',
        lastSeen: '2024-02-01T00:00:00.000Z',
        modifiedAt: '2024-02-02T00:00:00.000Z',
        recommendation: 'block it',
        tags: 'a, b',
        validFrom: '2024-01-01T00:00:00.000Z',
        validUntil: '2030-01-01T00:00:00.000Z',
      });
    });
    const lookup = withHitContext(store, { feedNames: new Map([[feeds[2] as string, 'Metadata CSV']]) });
    const docs: Array<Record<string, any>> = [];
    for (const s of (store as IndicatorStore).all()) {
      const line = Buffer.from(`x ${s.indicator.name} y`);
      const hit: HitLine = { path: '-', offset: 0, line, matches: [{ id: s.id, start: 2, end: 2 + Buffer.byteLength(s.indicator.name) }] };
      docs.push(buildHitDocument(hit, lookup, '2026-01-01T00:00:00.000Z') as Record<string, any>);
    }
    const indicatorDocs = indicatorDocuments(store, { feedNames: new Map([[feeds[2] as string, 'Metadata CSV']]), timestamp: '2026-01-01T00:00:00.000Z' });
    expect(problemsOf(docs, seenInHits)).toEqual([]);
    expect(problemsOf(indicatorDocs.map((d) => d.source))).toEqual([]);
    const conf = (ip: string) => docs.find((d) => d.threat.enrichments[0].indicator.name === ip)?.threat.enrichments[0];
    expect(conf('198.51.100.1')?.indicator.confidence).toBe('High');
    expect(conf('198.51.100.1')?.iochunt.confidence).toBe(85);
    expect(conf('198.51.100.1')?.iochunt.severity).toBe('high');
    expect(conf('198.51.100.1')?.feed.name).toBe('Metadata CSV');
    expect(conf('198.51.100.2')?.indicator.confidence).toBe('High');
    expect(conf('198.51.100.3')?.indicator.confidence).toBe('None');
    expect(tlps.map((_t, i) => conf(`192.0.2.${100 + i}`)?.indicator.marking?.tlp)).toEqual(['AMBER', 'AMBER+STRICT', 'CLEAR', 'WHITE', 'GREEN', 'RED', undefined]);
    expect(conf('192.0.2.106')?.iochunt.tlp).toBe('unknown-tlp');
    expect(tlps.map((_t, i) => conf(`192.0.2.${100 + i}`)?.indicator.confidence)).toEqual(['None', 'Low', 'Medium', 'Medium', 'Medium', 'High', 'High']);
    expect(conf('192.0.2.100')?.iochunt).toMatchObject({ severity: 'HIGH', recommendation: 'block it', valid_from: '2024-01-01T00:00:00.000Z', valid_until: '2030-01-01T00:00:00.000Z' });
    expect(conf('192.0.2.100')?.feed.name).toBe('Synthetic CERT');
    expect(conf('198.51.100.2')?.feed.name).toBe('Metadata CSV');
    const stix = docs.find((d) => d.threat.enrichments[0].indicator.name === '198.51.100.7')?.threat.enrichments[0];
    expect(stix?.indicator.marking.tlp).toBe('AMBER');
    expect(stix?.feed.name).toBe('ACME CERT');
    expect(conf('198.51.100.4')?.indicator.confidence).toBe('Not Specified');
    expect(conf('198.51.100.5')?.indicator.confidence).toBe('Not Specified');
    // Every hit's matched.id is the id of an indicator document.
    const ids = new Set(indicatorDocs.map((d) => d.id));
    for (const d of docs) for (const e of d.threat.enrichments) expect(ids.has(e.matched.id)).toBe(true);
  });

  it('the templates type every ECS field they name as ECS does (or as its stand-in where the cluster lacks the type)', () => {
    const ecs = ecsFields();
    const none = { ecsMappings: false, logsMappings: false, logsSettings: false, wildcard: false };
    // Without x-pack: wildcard → keyword, match_only_text → text, constant_keyword → keyword.
    const standIn: Record<string, string> = { wildcard: 'keyword', match_only_text: 'text', constant_keyword: 'keyword' };
    const checked: string[] = [];
    for (const [features, mappings] of [
      [FULL_STACK, hitMappings(FULL_STACK)],
      [none, hitMappings(none)],
      [FULL_STACK, indicatorDocMappings(FULL_STACK)],
      [none, indicatorDocMappings(none)],
    ] as const) {
      const walk = (props: Record<string, any>, prefix: string): void => {
        for (const [k, m] of Object.entries(props)) {
          const path = prefix ? `${prefix}.${k}` : k;
          if (m.properties) walk(m.properties, path);
          if (!m.type || m.type === 'nested' || !ecs[path]) continue;
          const want = ecs[path]!.type;
          const expected = features.wildcard && features.ecsMappings ? want : (standIn[want] ?? want);
          expect(m.type, path).toBe(expected);
          checked.push(path);
        }
      };
      walk((mappings as any).properties, '');
    }
    expect(checked.length).toBeGreaterThan(80);
  });

  it('the README lists exactly the fields hits have', () => {
    const fields = [...seenInHits].filter((f) => classify(f) !== 'unknown').sort();
    expect(fields.length).toBeGreaterThan(50);
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    const START = '<!-- hit-fields:start (test/ecs-conformance.test.ts checks this list; IOCHUNT_UPDATE_README=1 rewrites it) -->';
    const END = '<!-- hit-fields:end -->';
    const list = fields.map((f) => `\`${f}\``).join(', ');
    const block = `${START}\n${list}\n${END}`;
    const re = /<!-- hit-fields:start[^\n]*-->\n[\s\S]*?<!-- hit-fields:end -->/;
    if (process.env.IOCHUNT_UPDATE_README === '1') writeFileSync(join(ROOT, 'README.md'), readme.replace(re, block));
    expect(re.exec(readFileSync(join(ROOT, 'README.md'), 'utf8'))?.[0]).toBe(block);
  });
});
