/**
 * Escaped text (README, "Escaped text"): percent escapes and JSON \u00XX
 * escapes are read decoded for IP addresses, domains, hashes and e-mail
 * addresses; URLs whose "://" is escaped are read decoded up to a raw `&`;
 * a BOM at a line start does not glue to the first token. Both engines.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { rmSync } from 'node:fs';
import { matchedText } from '../src/engine/escapes.js';
import { runCli } from './helpers/cli.js';
import { engineNames, matcher } from './helpers/engines.js';
import { tmpDir } from './helpers/tmp.js';

const INDICATORS = [
  'evil.example',
  '10.1.2.3',
  'https://evil.example/x',
  'http://10.1.2.3/x',
  'http://bad.example/a%20b',
  'bob@mail.example',
  'd41d8cd98f00b204e9800998ecf8427e',
  '2001:db8::1',
  'cher.example',
];

const t = tmpDir();
afterAll(() => rmSync(t.dir, { recursive: true, force: true }));

for (const name of engineNames()) {
  describe(`escaped text, ${name} engine`, () => {
    const m = matcher(name, INDICATORS);
    /** [indicator, atomic as hits show it] pairs of a line. */
    const hits = (line: string | Buffer) =>
      m.found(line).map((f) => [f.name, matchedText(Buffer.from(f.atomic, 'utf8'))]);

    it('finds indicators inside percent-encoded URLs and query strings', () => {
      expect(hits('GET /r?next=https%3A%2F%2Fevil.example%2Fx HTTP/1.1')).toEqual([
        ['https://evil.example/x', 'https://evil.example/x'],
        ['evil.example', 'evil.example'],
      ]);
      expect(hits('GET /r?u=http%3A%2F%2F10.1.2.3%2Fx&z=1')).toEqual([
        ['http://10.1.2.3/x', 'http://10.1.2.3/x'],
        ['10.1.2.3', '10.1.2.3'],
      ]);
      expect(hits('/search?q=hello%20evil.example')).toEqual([['evil.example', 'evil.example']]);
      expect(hits('/r?u=%2Fwww.evil.example')).toEqual([['evil.example', 'www.evil.example']]);
      expect(hits('to=bob%40mail.example')).toEqual([['bob@mail.example', 'bob@mail.example']]);
      expect(hits('h=%3Dd41d8cd98f00b204e9800998ecf8427e%26')).toEqual([['d41d8cd98f00b204e9800998ecf8427e', 'd41d8cd98f00b204e9800998ecf8427e']]);
      expect(hits('peer=%5B2001:db8::1%5D%3A443')).toEqual([['2001:db8::1', '2001:db8::1']]);
      expect(hits('lower case %2fevil.example and %2e')).toEqual([['evil.example', 'evil.example']]);
    });

    it('reads an escaped dot or letter inside a name decoded', () => {
      expect(hits('x=evil%2Eexample')).toEqual([['evil.example', 'evil.example']]);
      expect(hits('x=www%2eevil.example')).toEqual([['evil.example', 'www.evil.example']]);
      expect(hits('x=10%2E1%2E2%2E3')).toEqual([['10.1.2.3', '10.1.2.3']]);
    });

    it('an encoded URL ends at a raw &, keeps its escaped query, and is decoded once', () => {
      expect(hits('next=https%3A%2F%2Fevil.example%2Fx%3Fa%3D1%26b%3D2&c=3').map((h) => h[0])).toEqual(['https://evil.example/x', 'evil.example']);
      expect(hits('u=http%3A%2F%2Fbad.example%2Fa%2520b&x').map((h) => h[0])).toEqual(['http://bad.example/a%20b']);
      expect(hits('u=http://bad.example/a%20b').map((h) => h[0])).toEqual(['http://bad.example/a%20b']);
      // Twice encoded: one level is decoded, so the scheme's "://" is still escaped.
      expect(hits('u=https%253A%252F%252Fevil.example%252Fx').map((h) => h[0])).toEqual([]);
      // A raw URL keeps its path as written: %2F is not a slash there.
      expect(hits('https://evil.example%2Fx').map((h) => h[0])).toEqual(['evil.example']);
    });

    it('JSON \\u00XX escapes and \\/ are read as the characters', () => {
      expect(hits('{"u":"\\u002fevil.example"}')).toEqual([['evil.example', 'evil.example']]);
      expect(hits('{"u":"https:\\u002f\\u002fevil.example\\u002fx"}')).toEqual([
        ['https://evil.example/x', 'https://evil.example/x'],
        ['evil.example', 'evil.example'],
      ]);
      expect(hits('{"u":"https:\\/\\/evil.example\\/x"}').map((h) => h[0])).toEqual(['https://evil.example/x', 'evil.example']);
      // An escaped backslash does not start an escape.
      expect(hits('{"p":"C:\\\\u002fevil.example"}')).toEqual([]);
    });

    it('decoys stay decoys', () => {
      for (const line of [
        'a=%2F10.1.2.34',
        'a=%2F110.1.2.3',
        'a=%2Fnotevil.example',
        'a=10.1.2.3%2E4',
        'a=10.1.2.3%41',
        'a=%2E10.1.2.3',
        'a=evil.example%2Ecom',
        'a=evil.example%2D1',
        'a=%41evil.example',
        'a=%2Devil.example',
        'a=x%2Ebob@mail.example.org',
        'a=d41d8cd98f00b204e9800998ecf8427e%30',
        'a=2001:db8::1%3A2',
        'a=%3A2001:db8::1',
      ]) {
        expect(hits(line), line).toEqual([]);
      }
      // A percent-encoded UTF-8 name is one label: no false hit on its tail.
      expect(hits('a=b%C3%BCcher.example')).toEqual([]);
      expect(hits('a=b\u00fccher.example')).toEqual([]);
      // Not escapes: a lone % or one hex digit.
      expect(hits('100% evil.example, 50%:10.1.2.3')).toEqual([
        ['evil.example', 'evil.example'],
        ['10.1.2.3', '10.1.2.3'],
      ]);
    });

    it('a UTF-8 BOM at the start of a line does not glue to the first token', () => {
      const buf = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('evil.example x\n'), Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('10.1.2.3\n')]);
      const found = m.engine.scan(buf);
      expect(Array.from(found)).toEqual([0, 3, 15, m.store.find('domain-name', 'evil.example')!.id, 18, 21, 29, m.store.find('ipv4-addr', '10.1.2.3')!.id]);
      // Elsewhere in a line, U+FEFF is a non-ASCII label byte, as any other.
      expect(hits('x \ufeffevil.example')).toEqual([]);
    });
  });
}

describe('escaped text in hits', () => {
  it('matched.atomic is the decoded text; the raw line stays in event.original', async () => {
    const feed = t.write('feed.txt', INDICATORS.join('\n'));
    const log = t.write('access.log', '\ufeff10.9.9.9 - - [01/Mar/2024:10:00:00 +0000] "GET /r?next=https%3A%2F%2Fevil.example%2Fx HTTP/1.1" 302 0 "-" "x"\nx=evil%2Eexample\n');
    const r = await runCli(['scan', '--no-cache', '--iocs', feed, log]);
    expect(r.code).toBe(0);
    expect(r.docs).toHaveLength(2);
    const atomics = r.docs.map((d) => d.threat.enrichments.map((e: any) => [e.indicator.name, e.matched.atomic]));
    expect(atomics).toEqual([
      [
        ['https://evil.example/x', 'https://evil.example/x'],
        ['evil.example', 'evil.example'],
      ],
      [['evil.example', 'evil.example']],
    ]);
    expect(r.docs[0]?.event.original).toContain('next=https%3A%2F%2Fevil.example%2Fx');
  });
});
