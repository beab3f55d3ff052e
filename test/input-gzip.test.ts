import { describe, expect, it } from 'vitest';
import { gzipSync } from 'node:zlib';
import { DecompressError } from '../src/errors.js';
import { openInput } from '../src/input/open-input.js';
import { tmpDir } from './helpers/tmp.js';

async function readAll(path: string): Promise<{ data: Buffer; compression: string; error?: unknown }> {
  const input = await openInput(path);
  const parts: Buffer[] = [];
  try {
    for await (const c of input.chunks) parts.push(Buffer.from(c)) // chunks may share one buffer: copy;
  } catch (error) {
    return { data: Buffer.concat(parts), compression: input.compression, error };
  }
  return { data: Buffer.concat(parts), compression: input.compression };
}

describe('input decompression', () => {
  const t = tmpDir();
  const text = Array.from({ length: 50_000 }, (_, i) => `line ${i} 10.0.${i % 256}.${i % 200}`).join('\n') + '\n';

  it('detects gzip by magic bytes, whatever the name', async () => {
    const p = t.write('access.log', gzipSync(text));
    const r = await readAll(p);
    expect(r.compression).toBe('gzip');
    expect(r.data.toString()).toBe(text);
  });

  it('does not inflate a plain file named .gz', async () => {
    const p = t.write('plain.gz', text);
    const r = await readAll(p);
    expect(r.compression).toBe('none');
    expect(r.data.toString()).toBe(text);
  });

  it('reads every member of a multi-member gzip', async () => {
    const p = t.write('multi.gz', Buffer.concat([gzipSync('first\n'), gzipSync('second\n'), gzipSync('third')]));
    const r = await readAll(p);
    expect(r.error).toBeUndefined();
    expect(r.data.toString()).toBe('first\nsecond\nthird');
  });

  it('keeps what was inflated before a truncation and names the offset', async () => {
    const gz = gzipSync(text);
    const p = t.write('truncated.gz', gz.subarray(0, Math.floor(gz.length / 2)));
    const r = await readAll(p);
    expect(r.error).toBeInstanceOf(DecompressError);
    const e = r.error as DecompressError;
    expect(e.code).toBe('E_DECOMPRESS');
    expect(e.failure).toBe('truncated');
    expect(e.decompressedOffset).toBe(r.data.length);
    expect(e.compressedOffset).toBeGreaterThan(0);
    expect(e.compressedOffset).toBeLessThanOrEqual(Math.floor(gz.length / 2));
    expect(e.message).toContain(p);
    expect(e.message).toContain('truncated');
    // Everything delivered is a prefix of the real content, and a large one.
    expect(text.startsWith(r.data.toString())).toBe(true);
    expect(r.data.length).toBeGreaterThan(text.length / 4);
  });

  it('reports corrupt data with its offset', async () => {
    const gz = Buffer.from(gzipSync(text));
    for (let i = 2000; i < 2100; i++) gz[i] = 0xff;
    const p = t.write('corrupt.gz', gz);
    const r = await readAll(p);
    expect(r.error).toBeInstanceOf(DecompressError);
    expect((r.error as DecompressError).message).toMatch(/corrupt\.gz: gzip stream broken at compressed byte \d+ \(decompressed offset \d+\)/);
  });

  it('refuses zip archives with a way forward', async () => {
    const p = t.write('x.zip', Buffer.from([0x50, 0x4b, 0x03, 0x04, 0x14, 0, 0, 0, 8, 0]));
    await expect(openInput(p)).rejects.toMatchObject({ code: 'E_COMPRESSION_UNSUPPORTED', message: expect.stringContaining('unzip -p') });
  });

  it('reads an empty file', async () => {
    const p = t.write('empty.log', '');
    const r = await readAll(p);
    expect(r.data.length).toBe(0);
  });

  it('reports a missing file by path', async () => {
    await expect(openInput(t.path('nope.log'))).rejects.toMatchObject({ code: 'E_INPUT', message: `${t.path('nope.log')}: no such file` });
  });
});
