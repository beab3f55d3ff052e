/**
 * Regular gzip files are decoded into 1 MiB buffers, and a member that breaks
 * is decoded again from its start in 32 KiB buffers: what is delivered of a
 * damaged input must stay exactly what `gzip -dc` prints of it, and what the
 * 32 KiB path (a pipe, which cannot be read twice) delivers.
 */
import { describe, expect, it } from 'vitest';
import { spawn, spawnSync } from 'node:child_process';
import { gunzipSync, gzipSync } from 'node:zlib';
import { DecompressError } from '../src/errors.js';
import { openInput } from '../src/input/open-input.js';
import { logText } from './helpers/compress.js';
import { tmpDir } from './helpers/tmp.js';

async function readAll(path: string): Promise<{ data: Buffer; error?: unknown }> {
  const input = await openInput(path);
  const parts: Buffer[] = [];
  try {
    for await (const c of input.chunks) parts.push(Buffer.from(c));
  } catch (error) {
    return { data: Buffer.concat(parts), error };
  }
  return { data: Buffer.concat(parts) };
}

/** Reads `file` through a FIFO (not a regular file: the 32 KiB path, no second decoding). */
async function readThroughFifo(dir: string, file: string, name: string): Promise<{ data: Buffer; error?: unknown }> {
  const fifo = `${dir}/${name}.fifo`;
  expect(spawnSync('mkfifo', [fifo]).status).toBe(0);
  const writer = spawn('sh', ['-c', 'cat "$1" > "$2"', 'sh', file, fifo], { stdio: 'ignore' });
  const closed = new Promise((resolve) => writer.on('close', resolve));
  const r = await readAll(fifo);
  // The reading stops at the damage: what the writer still holds is never read.
  writer.kill();
  await closed;
  return r;
}

const gzipPrints = (path: string): Buffer => spawnSync('gzip', ['-dc', path], { maxBuffer: 1 << 28 }).stdout;

describe('gzip: a damaged member is decoded again', () => {
  const t = tmpDir();
  // Several MiB per member, so the 1 MiB buffers matter.
  const first = logText(120_000);
  const second = logText(90_000, 7);

  /** `member` with 4096 bytes of garbage at `at` (a fraction of its length). */
  const damaged = (member: Buffer, at: number): Buffer => {
    const bad = Buffer.from(member);
    let x = 12345;
    for (let k = 0, i = Math.floor(bad.length * at); k < 4096; k++) {
      x = (x * 1103515245 + 12345) >>> 0;
      bad[i + k] = x >>> 24;
    }
    return bad;
  };
  /** True when zlib stops inside the deflate data (not only at the CRC check, after decoding everything). */
  const breaksInside = (gz: Buffer): boolean => {
    try {
      gunzipSync(gz);
      return false;
    } catch (e) {
      return !/incorrect data check/.test((e as Error).message);
    }
  };

  it('delivers of a damaged second member what gzip -dc prints, at several damage points', async () => {
    const m1 = gzipSync(first);
    const m2 = gzipSync(second);
    expect(first.length).toBeGreaterThan(3 << 20);
    const points = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9].filter((at) => breaksInside(damaged(m2, at)));
    // Garbage does not always break deflate data; enough points must.
    expect(points.length).toBeGreaterThanOrEqual(2);
    for (const at of points) {
      const p = t.write(`two-members-${at}.gz`, Buffer.concat([m1, damaged(m2, at)]));
      const r = await readAll(p);
      const e = r.error as DecompressError;
      expect(e).toBeInstanceOf(DecompressError);
      expect(e.failure).toBe('corrupt');
      expect(e.message).not.toContain('CRC');
      const printed = gzipPrints(p);
      expect(r.data.length).toBe(printed.length);
      expect(r.data.equals(printed)).toBe(true);
      expect(e.decompressedOffset).toBe(r.data.length);
      expect(r.data.length).toBeGreaterThan(first.length);
      expect(e.message).toContain(`(decompressed offset ${r.data.length})`);
      // The same as the one-pass 32 KiB decoding of a pipe.
      const piped = await readThroughFifo(t.dir, p, `two-${at}`);
      expect(piped.data.equals(r.data)).toBe(true);
      expect((piped.error as DecompressError).decompressedOffset).toBe(e.decompressedOffset);
    }
  });

  it('delivers of a truncated member what the one-pass decoding delivers, and names the end', async () => {
    const gz = gzipSync(first);
    const p = t.write('cut.gz', gz.subarray(0, Math.floor(gz.length * 0.7)));
    const r = await readAll(p);
    const e = r.error as DecompressError;
    expect(e.failure).toBe('truncated');
    expect(e.decompressedOffset).toBe(r.data.length);
    expect(e.compressedOffset).toBe(Math.floor(gz.length * 0.7));
    expect(first.startsWith(r.data.toString())).toBe(true);
    const piped = await readThroughFifo(t.dir, p, 'cut');
    expect(piped.data.length).toBe(r.data.length);
    expect((piped.error as DecompressError).decompressedOffset).toBe(e.decompressedOffset);
  });

  it('an undamaged file is delivered whole, in large pieces', async () => {
    const p = t.write('whole.gz', Buffer.concat([gzipSync(first), gzipSync(second)]));
    const input = await openInput(p);
    const parts: Buffer[] = [];
    for await (const c of input.chunks) parts.push(Buffer.from(c));
    expect(Buffer.concat(parts).toString()).toBe(first + second);
    expect(Math.max(...parts.map((b) => b.length))).toBeGreaterThan(32 * 1024);
  });
});
