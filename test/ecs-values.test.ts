/**
 * The values ECS constrains: STIX confidence, TLP, readable feed names,
 * `--iocs NAME=FILE`, and the stable indicator document id.
 */
import { describe, expect, it } from 'vitest';
import { confidenceOf, feedDisplayName, indicatorDocId, splitFeedNames, tlpMarking } from '../src/output/ecs-values.js';
import { atomicValue, hasField } from '../src/output/hit-document.js';

describe('ECS values', () => {
  it('maps confidence to the STIX scale: 0 None, 1-29 Low, 30-69 Medium, 70-100 High, words, else Not Specified', () => {
    const label = (v: string) => confidenceOf(v)?.label;
    expect(['0', '1', '29', '29.9', '30', '69', '70', '100'].map(label)).toEqual(['None', 'Low', 'Low', 'Low', 'Medium', 'Medium', 'High', 'High']);
    expect(confidenceOf('85')).toEqual({ label: 'High', numeric: 85 });
    expect(confidenceOf('101')).toEqual({ label: 'Not Specified' });
    expect(['HIGH', 'low', ' Medium ', 'none', 'moderate', 'critical', 'unknown', 'sure', '-5'].map(label)).toEqual([
      'High', 'Low', 'Medium', 'None', 'Medium', 'High', 'Not Specified', 'Not Specified', 'Not Specified',
    ]);
    expect(confidenceOf(undefined)).toBeUndefined();
    expect(confidenceOf('  ')).toBeUndefined();
  });

  it('keeps only the TLP markings ECS allows', () => {
    expect(['amber', 'AMBER+STRICT', 'amber+strict', 'TLP:CLEAR', 'white', 'green', 'red'].map(tlpMarking)).toEqual(['AMBER', 'AMBER+STRICT', 'AMBER+STRICT', 'CLEAR', 'WHITE', 'GREEN', 'RED']);
    expect(['unknown', 'amber strict x', 'TLP:EX:CHEMICAL', '', undefined].map(tlpMarking)).toEqual([undefined, undefined, undefined, undefined, undefined]);
  });

  it('names a feed by NAME=, else its provider, else its file name', () => {
    const names = new Map([['/feeds/a.json', 'ACME']]);
    expect(feedDisplayName({ feed: '/feeds/a.json', provider: 'Org' }, names)).toBe('ACME');
    expect(feedDisplayName({ feed: '/feeds/b.json', provider: 'Org' }, names)).toBe('Org');
    expect(feedDisplayName({ feed: '/feeds/c.txt' }, names)).toBe('c.txt');
    expect(feedDisplayName({ feed: '-' })).toBe('-');
  });

  it('splits --iocs NAME=FILE, but not an existing file with = in its name, nor a NAME with a slash', () => {
    const exists = (p: string) => p === 'odd=name.txt';
    const r = splitFeedNames(['ACME CERT=feeds/acme.json', 'plain.txt', 'odd=name.txt', 'dir/x=y.txt', '=nameless.txt'], exists);
    expect(r.paths).toEqual(['feeds/acme.json', 'plain.txt', 'odd=name.txt', 'dir/x=y.txt', '=nameless.txt']);
    expect([...r.names]).toEqual([['feeds/acme.json', 'ACME CERT']]);
  });

  it('gives an indicator document id that depends on the indicator, feed name and metadata, not on the path or line', () => {
    const ind = { type: 'ipv4-addr' as const, name: '192.0.2.1' };
    const base = indicatorDocId(ind, { feed: 'a/feed.txt', line: 3, description: 'x' }, 'feed.txt');
    expect(base).toMatch(/^[A-Za-z0-9_-]{27}$/);
    expect(indicatorDocId(ind, { feed: '/abs/a/feed.txt', line: 9, description: 'x' }, 'feed.txt')).toBe(base);
    expect(indicatorDocId(ind, { feed: 'a/feed.txt', line: 3, description: 'y' }, 'feed.txt')).not.toBe(base);
    expect(indicatorDocId(ind, { feed: 'a/feed.txt', line: 3, description: 'x' }, 'Other')).not.toBe(base);
    expect(indicatorDocId({ ...ind, name: '192.0.2.2' }, { feed: 'a/feed.txt', line: 3, description: 'x' }, 'feed.txt')).not.toBe(base);
  });

  it('reads matched values as ECS does (JSON escapes undone) and finds fields in arrays of objects and dotted keys', () => {
    expect(atomicValue('http:\\/\\/evil.example\\/x')).toBe('http://evil.example/x');
    expect(atomicValue('evil.example')).toBe('evil.example');
    expect(atomicValue('\\x41bad')).toBe('\\x41bad'); // not a JSON escape: as written
    const doc = { dns: { answers: [{ data: '1.2.3.4' }, { name: 'x' }] }, iochunt: { json: { 'id.orig_h': '10.0.0.1' } }, host: {} };
    expect(hasField(doc, 'dns.answers.data')).toBe(true);
    expect(hasField(doc, 'iochunt.json.id.orig_h')).toBe(true);
    expect(hasField(doc, 'dns.answers.type')).toBe(false);
    expect(hasField(doc, 'host')).toBe(false); // an object is not a value
    expect(hasField(doc, 'message')).toBe(false);
  });
});
