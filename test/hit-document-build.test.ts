/**
 * The hit path's fast pieces against their plain references, byte for byte:
 * documents built key by key (`buildHitDocument`) against the spread-built
 * reference (`referenceHitDocument`), over parsed and unparsed lines whose
 * parsed fields collide with the document's own (`ecs`, `agent`, `host`,
 * `message`, `related`, `tags`, `threat`, `@timestamp`, `__proto__`, numeric
 * and dotted keys), with several matches, fields and sources; and the JSON
 * Lines buffer the search serialises documents into against `JSON.stringify`.
 */
import { describe, expect, it } from 'vitest';
import { normalizeIndicator } from '../src/indicators/normalize.js';
import { IndicatorStore } from '../src/indicators/store.js';
import type { IndicatorSource } from '../src/indicators/types.js';
import { buildHitDocument, enrichmentCount, referenceHitDocument, withHitContext, type HitLine, type LineMatch } from '../src/output/hit-document.js';
import { JsonlBuffer } from '../src/output/jsonl-buffer.js';

function storeOf(entries: Array<[string, Partial<IndicatorSource>[]]>): IndicatorStore {
  const store = new IndicatorStore();
  for (const [value, sources] of entries) {
    const n = normalizeIndicator(value);
    if (!n.ok) throw new Error(n.reason);
    sources.forEach((s, i) => store.add(n.indicator, { feed: `feeds/f${i}.txt`, line: i + 1, ...s }));
  }
  return store;
}

const STORE = storeOf([
  ['evil.example', [{}]],
  ['203.0.113.7', [{ severity: 'high', tags: 'apt, c2' }, { severity: '40', description: 'seen "twice"', tlp: 'amber' }]],
  ['http://bad.example/x', [{ confidence: '80', reference: 'https://ref.example/1' }]],
  ['d41d8cd98f00b204e9800998ecf8427e', [{ tags: 'malware' }]],
]);
const ID = {
  domain: STORE.find('domain-name', 'evil.example')!.id,
  ip: STORE.find('ipv4-addr', '203.0.113.7')!.id,
  url: STORE.find('url', 'http://bad.example/x')!.id,
  hash: STORE.find('file', 'd41d8cd98f00b204e9800998ecf8427e')!.id,
};

const TEXT = 'GET http://bad.example/x from 203.0.113.7 via www.evil.example hash d41d8cd98f00b204e9800998ecf8427e "q"\\ é';
const LINE = Buffer.from(TEXT);
function span(needle: string, id: number, field?: string): LineMatch {
  const start = LINE.indexOf(needle);
  if (start < 0) throw new Error(needle);
  return { id, start, end: start + Buffer.byteLength(needle), ...(field ? { field } : {}) };
}
const MATCHES = {
  url: span('http://bad.example/x', ID.url),
  ip: span('203.0.113.7', ID.ip),
  domain: span('www.evil.example', ID.domain),
  hash: span('d41d8cd98f00b204e9800998ecf8427e', ID.hash),
};

/** Parsed-field sets that exercise every branch of the document's assembly. */
const FIELD_SETS: Array<[string, Record<string, unknown> | undefined]> = [
  ['unparsed', undefined],
  ['plain', { source: { ip: '203.0.113.7', address: '203.0.113.7' }, url: { original: '/x', domain: 'www.evil.example' }, http: { request: { method: 'GET' } } }],
  ['own event, log and iochunt', { event: { category: ['web'], kind: 'event' }, log: { level: 'info' }, iochunt: { time_invalid: 'x' }, user: { name: 'bob' } }],
  ['host (ip string, hostname)', { host: { ip: '10.0.0.1', hostname: 'web1' }, destination: { domain: 'www.evil.example' } }],
  ['host with a name', { host: { name: 'h', ip: ['10.0.0.2'] } }],
  ['tags of the log', { tags: ['a', 'apt'], source: { ip: 'not-an-ip' } }],
  ['message of the log', { message: 'from 203.0.113.7 somewhere' }],
  ['message without the values', { message: 'nothing here' }],
  ['non-string message', { message: 42 }],
  ['undefined message', { message: undefined, a: 1 }],
  ['ecs and agent of the log', { agent: { name: 'shipper' }, ecs: { version: '1.0' }, z: 1 }],
  ['related of the log', { related: { user: ['x'] } }],
  ['threat and @timestamp of the log', { threat: { feed: 'x' }, '@timestamp': 'never', file: { hash: { md5: 'd41d8cd98f00b204e9800998ecf8427e' } } }],
  ['numeric keys', { 2: 'two', b: 'b', 1: 'one', dns: { answers: [{ data: '203.0.113.7' }, { data: 'x' }], question: { name: 'www.evil.example' } } }],
  ['dotted keys', { 'source.ip': '203.0.113.7', 'url.domain': 'www.evil.example' }],
  ['a __proto__ key', JSON.parse('{"__proto__": {"polluted": true}, "source": {"ip": "203.0.113.7"}}') as Record<string, unknown>],
];

const MATCH_SETS: Array<[string, (parsed: boolean) => LineMatch[]]> = [
  ['one match', () => [MATCHES.ip]],
  ['every kind, out of order', () => [MATCHES.hash, MATCHES.domain, MATCHES.url, MATCHES.ip]],
  [
    'fields named, one missing',
    (parsed) =>
      parsed
        ? [
            { ...MATCHES.ip, field: 'source.ip' },
            { ...MATCHES.domain, field: 'url.domain' },
            { ...MATCHES.url, field: 'no.such.field' },
            { ...MATCHES.hash, field: 'iochunt.time_invalid' },
          ]
        : [MATCHES.ip],
  ],
  ['the same indicator twice', () => [MATCHES.ip, MATCHES.ip, { ...MATCHES.ip, field: 'source.ip' }]],
];

function hitOf(fields: Record<string, unknown> | undefined, matches: LineMatch[]): HitLine {
  return {
    path: 'logs/access.log',
    offset: 1234,
    line: LINE,
    matches,
    ...(fields ? { event: { dataset: 'apache.access', fields, timestamp: '2024-03-01T00:00:00.000Z' } } : {}),
  };
}

/** Deep copies of parsed fields: each build gets its own, as each parsed line has. */
const copy = (f: Record<string, unknown> | undefined): Record<string, unknown> | undefined =>
  f === undefined ? undefined : structuredClone(f);

describe('hit documents built key by key', () => {
  const store = withHitContext(STORE, { feedNames: new Map([['feeds/f1.txt', 'Second feed']]) });
  for (const [fieldsName, fields] of FIELD_SETS) {
    for (const [matchName, matchesOf] of MATCH_SETS) {
      it(`match the reference document: ${fieldsName}, ${matchName}`, () => {
        const parsed = fields !== undefined;
        const theirs = referenceHitDocument(hitOf(fieldsName === 'a __proto__ key' ? fields : copy(fields), matchesOf(parsed)), store, '2026-12-01T00:00:00.000Z', '77');
        const ours = buildHitDocument(hitOf(fieldsName === 'a __proto__ key' ? fields : copy(fields), matchesOf(parsed)), store, '2026-12-01T00:00:00.000Z', '77');
        expect(JSON.stringify(ours)).toBe(JSON.stringify(theirs));
        // What -c, -l and -q count instead of building documents.
        expect(enrichmentCount(hitOf(copy(fields), matchesOf(parsed)), store)).toBe(ours.threat.enrichments.length);
      });
    }
  }

  it('keep an own __proto__ key of the log as a field, not as the prototype', () => {
    const [, fields] = FIELD_SETS.find(([n]) => n === 'a __proto__ key')!;
    const doc = buildHitDocument(hitOf(fields, [MATCHES.ip]), STORE, '2026-12-01T00:00:00.000Z');
    expect(Object.getPrototypeOf(doc)).toBe(Object.prototype);
    expect(JSON.stringify(doc)).toContain('"__proto__":{"polluted":true}');
  });
});

describe('JsonlBuffer', () => {
  it('holds each document as one line, in order, growing past its first size, and starts afresh after take', () => {
    const lines = new JsonlBuffer(256);
    const docs = MATCH_SETS.flatMap(([, m]) => FIELD_SETS.slice(0, 8).map(([, f]) => buildHitDocument(hitOf(copy(f), m(f !== undefined)), STORE, '2026-12-01T00:00:00.000Z')));
    for (const d of docs) lines.add(d);
    expect(lines.count).toBe(docs.length);
    const first = lines.take();
    expect(first.toString('utf8')).toBe(docs.map((d) => `${JSON.stringify(d)}\n`).join(''));
    expect(lines.count).toBe(0);
    expect(lines.take().length).toBe(0);
    lines.add(docs[0]!);
    const second = lines.take();
    expect(second.toString('utf8')).toBe(`${JSON.stringify(docs[0])}\n`);
    // What was taken is the caller's: later lines do not overwrite it.
    expect(first.toString('utf8').startsWith(JSON.stringify(docs[0]))).toBe(true);
  });

  it('encodes non-ASCII text as UTF-8', () => {
    const lines = new JsonlBuffer(8);
    const doc = buildHitDocument(hitOf({ message: 'é ✓ 😀 \ud800' }, [MATCHES.ip]), STORE, '2026-12-01T00:00:00.000Z');
    lines.add(doc);
    expect(lines.take().equals(Buffer.from(`${JSON.stringify(doc)}\n`, 'utf8'))).toBe(true);
  });

  it('holds documents of long non-ASCII lines between short ones', () => {
    const lines = new JsonlBuffer(1024);
    const short = buildHitDocument(hitOf(undefined, [MATCHES.ip]), STORE, '2026-12-01T00:00:00.000Z');
    const long = buildHitDocument(hitOf({ message: 'é✓😀"'.repeat(40_000) }, [MATCHES.ip]), STORE, '2026-12-01T00:00:00.000Z');
    for (const d of [short, long, short, long, short]) lines.add(d);
    const expected = [short, long, short, long, short].map((d) => `${JSON.stringify(d)}\n`).join('');
    expect(lines.take().equals(Buffer.from(expected, 'utf8'))).toBe(true);
    lines.add(short);
    expect(lines.take().toString('utf8')).toBe(`${JSON.stringify(short)}\n`);
  });
});
