/**
 * Edge cases for the native matcher's fast paths (byte masks 64 bytes to a
 * word, filters before the exact tables): tokens at every offset from the
 * start and the end of a buffer, across 16/32/64-byte boundaries, next to
 * non-ASCII bytes and escape bytes, and near-misses that pass the filters.
 * Run as a script it prints the native engine's hits for every case as JSON
 * (test/native-matcher.test.ts runs it with IOCHUNT_NATIVE_SIMD=0 to compare
 * the scalar classification with the AVX2 one).
 */
import { pathToFileURL } from 'node:url';
import { storeOf } from './engines.js';

/** Indicators of every type. */
export const INDICATORS = [
  '10.1.2.3',
  '255.255.255.255',
  '192.168.0.0/16',
  'evil.example',
  'a.bad.com',
  'xé.example',
  '2001:db8::1',
  '1:2:3:4:5:6:7:8',
  '1:2:3:4:5:6:1.2.3.4',
  'http://url.example/path',
  'https://user@host.example:8443/p?q=1',
  'd41d8cd98f00b204e9800998ecf8427e',
  'da39a3ee5e6b4b0d3255bfef95601890afd80709',
  'bob@mail.example',
];

const HASH = 'd41d8cd98f00b204e9800998ecf8427e';

/** [text in the log, canonical name it must hit, or '' when it must hit nothing]. */
export const TOKENS: ReadonlyArray<readonly [string, string]> = [
  ['10.1.2.3', '10.1.2.3'],
  ['255.255.255.255', '255.255.255.255'],
  ['192.168.44.5', '192.168.0.0/16'],
  ['evil.example', 'evil.example'],
  ['EVIL.Example', 'evil.example'],
  ['x.y.evil.example', 'evil.example'],
  ['a.bad.com', 'a.bad.com'],
  ['z.a.bad.com', 'a.bad.com'],
  ['xé.example', 'xn--x-bga.example'],
  ['2001:db8::1', '2001:db8::1'],
  ['2001:DB8:0:0:0:0:0:1', '2001:db8::1'],
  ['1:2:3:4:5:6:7:8', '1:2:3:4:5:6:7:8'],
  ['1:2:3:4:5:6:1.2.3.4', '1:2:3:4:5:6:102:304'],
  ['::ffff:10.1.2.3', '10.1.2.3'],
  ['http://url.example/path', 'http://url.example/path'],
  ['https://user@host.example:8443/p?q=1', 'https://user@host.example:8443/p?q=1'],
  [HASH, HASH],
  [HASH.toUpperCase(), HASH],
  ['da39a3ee5e6b4b0d3255bfef95601890afd80709', 'da39a3ee5e6b4b0d3255bfef95601890afd80709'],
  ['bob@mail.example', 'bob@mail.example'],
  // Near-misses: each shares a prefix, suffix or filter key with an indicator.
  ['110.1.2.3', ''],
  ['10.1.2.33', ''],
  ['10.1.2', ''],
  ['1.1', ''],
  ['notevil.example', ''],
  ['evil.examples', ''],
  ['b.bad.com', ''],
  ['bad.com', ''],
  ['xÉ.example', ''], // 0x89 | 0x20 == 0xa9: the filter hash folds it, the exact check must not
  ['2001:db8::11', ''],
  ['1:2:3:4:5:6:7', ''],
  ['12:34:56', ''],
  ['2001:db8:1', ''],
  ['http://url.example/path2', ''],
  ['http://url.example.org/path', ''],
  ['https://user@other.example:8443/p?q=1', ''],
  [`${HASH}0`, ''],
  [`g${HASH}`, ''],
  [HASH.slice(1), ''],
  ['bob@mail.examples', ''],
];

/**
 * What is put around a token; `own` is false where the bytes around it join
 * it into a longer token (non-ASCII bytes are domain bytes), so only the
 * TypeScript engine's answer is expected there.
 */
const LAYOUTS: ReadonlyArray<{ own: boolean; make: (pad: number, token: string) => string }> = [
  { own: true, make: (pad, token) => ' '.repeat(pad) + token },
  { own: true, make: (pad, token) => token + ' '.repeat(pad) },
  { own: true, make: (pad, token) => `${'q'.repeat(pad)} ${token}\n` },
  { own: true, make: (pad, token) => `${'-'.repeat(pad)}"${token}"%` },
  { own: true, make: (pad, token) => `${'\u00e9'.repeat(pad >> 1)}\u00ff ${token} \u0080${'7.'.repeat(pad >> 1)}` },
  { own: false, make: (pad, token) => `${'\u00e9'.repeat(pad >> 1)}\u00ff${token}\u0080${'%4'.repeat(pad >> 1)}` },
  // Runs longer than one 64-bit window: dotted, and hex with colons.
  { own: false, make: (pad, token) => `${'a.'.repeat(pad)}${token}.${'b'.repeat(pad)}` },
  { own: false, make: (pad, token) => `${'0:'.repeat(pad >> 1)}${token}:${'f'.repeat(pad)}` },
];

export const MAX_PAD = 130;

export interface NativeCase {
  readonly token: string;
  readonly text: string;
  /** The indicator name the case must hit, or '' for none; undefined: as the TypeScript engine. */
  readonly expect: string | undefined;
}

export function nativeCases(): NativeCase[] {
  const out: NativeCase[] = [];
  for (const [token, expect] of TOKENS)
    for (let pad = 0; pad <= MAX_PAD; pad++)
      for (const { own, make } of LAYOUTS) out.push({ token, text: make(pad, token), expect: own ? expect : undefined });
  return out;
}

/** The store the cases are scanned with. */
export const casesStore = () => storeOf(INDICATORS);

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const { makeEngine } = await import('./engines.js');
  const store = casesStore();
  const engine = makeEngine('native', store);
  const hits = nativeCases().map((c) => Array.from(engine.scan(Buffer.from(c.text, 'utf8'))));
  process.stdout.write(JSON.stringify(hits));
}
