import { describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { setTimeout as sleep } from 'node:timers/promises';
import { DecompressError } from '../src/errors.js';
import { openInput } from '../src/input/open-input.js';
import { readAhead } from '../src/input/read-ahead.js';
import { tmpDir } from './helpers/tmp.js';

/** A source of `count` chunks of `size` bytes (byte i of chunk k is k), that records how far it was read. */
function source(count: number, size: number, failAfter?: number) {
  const seen = { reads: 0, returned: false };
  async function* gen(): AsyncGenerator<Buffer> {
    try {
      for (let k = 0; k < count; k++) {
        if (failAfter !== undefined && k === failAfter) throw new Error(`broken after ${k}`);
        seen.reads++;
        await Promise.resolve();
        yield Buffer.alloc(size, k);
      }
    } finally {
      seen.returned = true;
    }
  }
  return { it: gen(), seen };
}

/** Lets the background reader run until it stops (limit reached or source ended). */
async function settle(): Promise<void> {
  for (let i = 0; i < 20; i++) await sleep(1);
}

describe('readAhead', () => {
  it('yields every chunk of the source, in order', async () => {
    const { it: src } = source(50, 100);
    const got: number[] = [];
    for await (const c of readAhead(src, { maxBytes: 1000 })) {
      expect(c.length).toBe(100);
      got.push(c[0] as number);
    }
    expect(got).toEqual(Array.from({ length: 50 }, (_, i) => i));
  });

  it('reads ahead of a consumer that waits, but no further than maxBytes', async () => {
    const { it: src, seen } = source(100, 100);
    const it = readAhead(src, { maxBytes: 1000 })[Symbol.asyncIterator]();
    await it.next();
    await settle();
    // Taken 1 chunk; 10 chunks (1000 bytes) may wait; the read that crosses the limit completes.
    expect(seen.reads).toBeGreaterThan(2);
    expect(seen.reads).toBeLessThanOrEqual(12);
    await it.return(undefined);
    expect(seen.returned).toBe(true);
  });

  it('starts with initialBytes ahead and doubles up to maxBytes as the consumer takes', async () => {
    const { it: src, seen } = source(1000, 100);
    const it = readAhead(src, { maxBytes: 3200, initialBytes: 200 })[Symbol.asyncIterator]();
    await it.next();
    await settle();
    expect(seen.reads).toBeLessThanOrEqual(4);
    for (let i = 0; i < 60; i++) await it.next();
    await settle();
    // 61 taken; at most 32 chunks (3200 bytes) ahead, plus the one read that crossed the limit.
    expect(seen.reads).toBeGreaterThan(61 + 4);
    expect(seen.reads).toBeLessThanOrEqual(61 + 33);
    await it.return(undefined);
  });

  it('throws the source error only after every chunk read before it', async () => {
    const { it: src } = source(10, 10, 6);
    const got: number[] = [];
    let error: unknown;
    try {
      for await (const c of readAhead(src, { maxBytes: 1 << 20 })) got.push(c[0] as number);
    } catch (e) {
      error = e;
    }
    expect(got).toEqual([0, 1, 2, 3, 4, 5]);
    expect((error as Error).message).toBe('broken after 6');
  });

  it('stops the source before return() resolves when its reads settle (a file)', async () => {
    const { it: src, seen } = source(1000, 10);
    let n = 0;
    for await (const _ of readAhead(src, { maxBytes: 100, readsSettle: true })) if (++n === 3) break;
    expect(seen.returned).toBe(true);
    expect(seen.reads).toBeLessThan(20);
  });

  it('stops the source once the read under way settles otherwise (a pipe)', async () => {
    const { it: src, seen } = source(1000, 10);
    let n = 0;
    for await (const _ of readAhead(src, { maxBytes: 100 })) if (++n === 3) break;
    await settle();
    expect(seen.returned).toBe(true);
    expect(seen.reads).toBeLessThan(20);
  });

  it('does not wait on a source read that never settles when the consumer stops', async () => {
    let returned = false;
    const never: AsyncIterator<Buffer> = {
      next: () => new Promise(() => undefined),
      return: async () => {
        returned = true;
        return { done: true, value: undefined };
      },
    };
    const first: AsyncIterator<Buffer> = {
      next: (() => {
        let k = 0;
        return () => (k++ === 0 ? Promise.resolve({ done: false, value: Buffer.from('x') }) : never.next());
      })(),
      return: never.return!,
    };
    const it = readAhead(first, { maxBytes: 100 })[Symbol.asyncIterator]();
    expect((await it.next()).value?.toString()).toBe('x');
    await settle();
    // The background read is stuck on the source; stopping must not hang.
    await it.return(undefined);
    expect(returned).toBe(true);
  });
});

describe('gzip inputs decoded ahead', () => {
  const t = tmpDir();

  it('a consumer that pauses does not make the whole file decode (decoding ahead is bounded)', async () => {
    // Hard-to-compress text, so that the compressed file is much larger than the limit.
    const text = Array.from({ length: 200_000 }, () => randomBytes(48).toString('hex')).join('\n') + '\n';
    const gz = gzipSync(text);
    const p = t.write('big.gz', gz);
    const input = await openInput(p);
    const it = input.chunks[Symbol.asyncIterator]();
    const first = await it.next();
    expect(first.done).toBe(false);
    let last = -1;
    for (let i = 0; i < 100 && input.bytesRead() !== last; i++) {
      last = input.bytesRead();
      await sleep(30);
    }
    expect(input.bytesRead()).toBeLessThan(gz.length / 2);
    input.close();
  });

  it('reports a truncated member after delivering everything decoded, as before', async () => {
    const text = Array.from({ length: 100_000 }, (_, i) => `line ${i} 10.0.${i % 256}.${i % 200}`).join('\n') + '\n';
    const gz = gzipSync(text);
    const p = t.write('cut.gz', gz.subarray(0, Math.floor(gz.length * 0.6)));
    const input = await openInput(p);
    const parts: Buffer[] = [];
    let error: unknown;
    try {
      for await (const c of input.chunks) parts.push(Buffer.from(c));
    } catch (e) {
      error = e;
    }
    const data = Buffer.concat(parts);
    expect(error).toBeInstanceOf(DecompressError);
    expect((error as DecompressError).failure).toBe('truncated');
    expect((error as DecompressError).decompressedOffset).toBe(data.length);
    expect(data.length).toBeGreaterThan(0);
    expect(text.startsWith(data.toString())).toBe(true);
  });
});
