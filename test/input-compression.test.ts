import { afterAll, describe, expect, it } from 'vitest';
import { execFileSync, spawnSync } from 'node:child_process';
import { rmSync, truncateSync } from 'node:fs';
import zlib from 'node:zlib';
import { DecompressError } from '../src/errors.js';
import { ByteReader } from '../src/input/byte-reader.js';
import { crc32Js, gunzip } from '../src/input/gunzip.js';
import { lineBlocks } from '../src/input/line-blocks.js';
import { openInput, readHead } from '../src/input/open-input.js';
import { unzstd } from '../src/input/unzstd.js';
import { compress, FORMATS, logText, SUFFIX, zstdSkippableFrame, type Format } from './helpers/compress.js';
import { childCommands } from './helpers/procs.js';
import { tmpDir } from './helpers/tmp.js';

const t = tmpDir();
afterAll(() => rmSync(t.dir, { recursive: true, force: true }));

// About 6 MB: more than one 4 MiB lz4 block, so a cut in the middle leaves a whole block before it.
const text = logText(80_000);
const textB = 'second stream line 1\nsecond stream line 2 10.66.66.66\n';

async function readAll(path: string, options: Parameters<typeof openInput>[1] = {}): Promise<{ data: Buffer; compression: string; error?: unknown }> {
  const input = await openInput(path, options);
  const parts: Buffer[] = [];
  try {
    for await (const c of input.chunks) parts.push(Buffer.from(c));
  } catch (error) {
    return { data: Buffer.concat(parts), compression: input.compression, error };
  }
  return { data: Buffer.concat(parts), compression: input.compression };
}

async function noChild(tool: string): Promise<boolean> {
  for (let i = 0; i < 50; i++) {
    if (!childCommands().includes(tool)) return true;
    await new Promise((r) => setTimeout(r, 20));
  }
  return false;
}

/** What each tool reports for bytes after the last stream that are not another stream. */
const TRAILING_FAILURE: Record<Format, string> = {
  gzip: 'trailing-data',
  zstd: 'trailing-data',
  bzip2: 'trailing-data',
  lz4: 'trailing-data',
  // xz reads what follows a stream as stream padding or another stream: "Compressed data is corrupt".
  xz: 'corrupt',
};

describe.each(FORMATS)('%s input', (format) => {
  const full = compress(format, text);
  const file = t.write(`whole${SUFFIX[format]}`, full);

  it('is recognised by its magic bytes, whatever its name, and read whole', async () => {
    const named = t.write(`${format}-renamed.log`, full);
    const r = await readAll(named);
    expect(r.error).toBeUndefined();
    expect(r.compression).toBe(format);
    expect(r.data.toString()).toBe(text);
  });

  it('reads every stream of a concatenation', async () => {
    const parts = [full, compress(format, textB)];
    // A zstd skippable frame (zstd and lz4 both define them) between the frames and at the start.
    if (format === 'zstd') parts.splice(1, 0, zstdSkippableFrame(Buffer.from('metadata'), 0xa));
    if (format === 'zstd') parts.unshift(zstdSkippableFrame(Buffer.from('x'.repeat(100))));
    const r = await readAll(t.write(`multi${SUFFIX[format]}`, Buffer.concat(parts)));
    expect(r.error).toBeUndefined();
    expect(r.compression).toBe(format);
    expect(r.data.toString()).toBe(text + textB);
  });

  it('keeps what was decompressed before a truncation and names the decompressed offset', async () => {
    const p = t.write(`truncated${SUFFIX[format]}`, full.subarray(0, Math.floor(full.length * 0.8)));
    const r = await readAll(p);
    expect(r.error).toBeInstanceOf(DecompressError);
    const e = r.error as DecompressError;
    expect(e.code).toBe('E_DECOMPRESS');
    expect(e.failure).toBe('truncated');
    expect(e.format).toBe(format);
    expect(e.decompressedOffset).toBe(r.data.length);
    expect(e.message).toContain(`${p}: ${format} stream broken at `);
    expect(e.message).toContain(`decompressed offset ${r.data.length}`);
    expect(e.message).toContain('truncated');
    expect(text.startsWith(r.data.toString())).toBe(true);
    expect(r.data.length).toBeGreaterThan(text.length / 8);
    expect(r.data.length).toBeLessThan(text.length);
  });

  it('reports corrupt data with the decompressed offset where the output stopped', async () => {
    const bad = Buffer.from(full);
    const at = Math.floor(bad.length / 2);
    for (let i = at; i < at + 64; i++) bad[i] = (bad[i] as number) ^ 0x5a;
    const p = t.write(`corrupt${SUFFIX[format]}`, bad);
    const r = await readAll(p);
    expect(r.error).toBeInstanceOf(DecompressError);
    const e = r.error as DecompressError;
    expect(e.failure).toBe('corrupt');
    expect(e.decompressedOffset).toBe(r.data.length);
    expect(e.message).toMatch(new RegExp(`corrupt${SUFFIX[format].replace('.', '\\.')}: ${format} stream broken at .*decompressed offset \\d+\\)?: corrupt data`));
    // What comes before the damage is delivered as it was.
    const sure = Math.min(r.data.length, Math.floor(text.length / 8));
    expect(r.data.subarray(0, sure).toString()).toBe(text.slice(0, sure));
  });

  it('delivers every byte of the last stream before reporting trailing data', async () => {
    const p = t.write(`trailing${SUFFIX[format]}`, Buffer.concat([full, Buffer.from('appended later as plain text\n')]));
    const r = await readAll(p);
    expect(r.data.toString()).toBe(text);
    expect(r.error).toBeInstanceOf(DecompressError);
    const e = r.error as DecompressError;
    expect(e.failure).toBe(TRAILING_FAILURE[format]);
    expect(e.decompressedOffset).toBe(text.length);
  });

  it('reads from a start offset to an end offset of the decompressed stream', async () => {
    const r = await readAll(file, { start: 100_003, end: 2_000_001 });
    expect(r.error).toBeUndefined();
    expect(r.data.toString()).toBe(text.slice(100_003, 2_000_001));
    const input = await openInput(file, { start: 7 });
    expect(input.start).toBe(7);
    const past = await readAll(file, { start: text.length + 10 });
    expect(past.data.length).toBe(0);
  });

  it('resumes at a committed offset with blocks that carry offsets in the whole stream', async () => {
    const resumeAt = text.indexOf('\n', 1_234_567) + 1;
    const input = await openInput(file, { start: resumeAt });
    let expected = resumeAt;
    for await (const block of lineBlocks(input.chunks, { maxLineBytes: 1 << 20, minBlockBytes: 256 * 1024, startOffset: input.start })) {
      expect(block.offset).toBe(expected);
      expect(block.buf.toString()).toBe(text.slice(block.offset, block.offset + block.buf.length));
      expected += block.buf.length;
      block.release?.();
    }
    expect(expected).toBe(text.length);
  });

  it('returns the first bytes of the decompressed content', async () => {
    expect((await readHead(file, 4096)).toString()).toBe(text.slice(0, 4096));
    const short = t.write(`short${SUFFIX[format]}`, compress(format, 'tiny\n'));
    expect((await readHead(short, 4096)).toString()).toBe('tiny\n');
  });
});

describe('gzip edge cases', () => {
  it('ignores zero padding after the last member, as gzip does', async () => {
    const p = t.write('padded.gz', Buffer.concat([compress('gzip', text), Buffer.alloc(4096)]));
    const r = await readAll(p);
    expect(r.error).toBeUndefined();
    expect(r.data.toString()).toBe(text);
  });

  it('delivers of a corrupt member what gzip -dc prints of it', async () => {
    const gz = Buffer.from(compress('gzip', text));
    for (const at of [0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8]) {
      const bad = Buffer.from(gz);
      const i = Math.floor(bad.length * at);
      bad.fill(0xff, i, i + 8);
      bad.fill(0, i + 8, i + 13);
      const p = t.write(`damaged-${at}.gz`, bad);
      const r = await readAll(p);
      expect((r.error as DecompressError).failure).toBe('corrupt');
      const printed = spawnSync('gzip', ['-dc', p], { maxBuffer: 1 << 28 }).stdout;
      expect(r.data.length).toBe(printed.length);
      expect(r.data.equals(printed)).toBe(true);
    }
  });

  it('names the compressed byte where trailing data starts', async () => {
    const gz = compress('gzip', text);
    const p = t.write('garbage.gz', Buffer.concat([gz, Buffer.from([0x13, 0x37, 0, 1, 2, 3])]));
    const e = (await readAll(p)).error as DecompressError;
    expect(e.compressedOffset).toBe(gz.length);
    expect(e.message).toBe(
      `${p}: gzip stream followed by data that is not gzip, at compressed byte ${gz.length} (decompressed offset ${text.length}): ` +
        'trailing garbage after member 1; the data before it was scanned, the trailing data was not',
    );
  });

  it('delivers a member whose CRC is damaged, then reports it', async () => {
    const gz = Buffer.from(compress('gzip', text));
    gz[gz.length - 6] = (gz[gz.length - 6] as number) ^ 0xff; // inside the CRC-32
    const r = await readAll(t.write('badcrc.gz', gz));
    expect(r.data.toString()).toBe(text);
    const e = r.error as DecompressError;
    expect(e.failure).toBe('corrupt');
    expect(e.message).toContain('CRC-32 mismatch in member 1');
    expect(e.compressedOffset).toBe(gz.length - 8);
  });

  it('checks CRC-32 in JavaScript where zlib has no crc32 (older Node) exactly as zlib does', () => {
    const data = Buffer.from(text.slice(0, 100_000));
    const zcrc = (zlib as { crc32?: (d: Uint8Array, v?: number) => number }).crc32;
    expect(crc32Js(Buffer.alloc(0))).toBe(0);
    expect(crc32Js(Buffer.from('123456789'))).toBe(0xcbf43926); // the check value of CRC-32/ISO-HDLC
    if (zcrc) {
      expect(crc32Js(data)).toBe(zcrc(data));
      expect(crc32Js(data.subarray(5000), crc32Js(data.subarray(0, 5000)))).toBe(zcrc(data));
    }
  });

  it('reads header fields (name, comment, extra) that gzip writes', async () => {
    const p = t.write('with name.log', text);
    execFileSync('gzip', ['-k', '-N', p]);
    const r = await readAll(`${p}.gz`);
    expect(r.error).toBeUndefined();
    expect(r.data.toString()).toBe(text);
  });

  it('reads every optional header field (extra, name, comment, header CRC) as gzip does', async () => {
    const plain = compress('gzip', 'in a member with every header field 10.66.66.66\n');
    const fixed = Buffer.from(plain.subarray(0, 10));
    fixed[3] = 0x02 | 0x04 | 0x08 | 0x10; // FHCRC FEXTRA FNAME FCOMMENT
    const head = Buffer.concat([fixed, Buffer.from([6, 0]), Buffer.from('AB\x02\x00xy', 'latin1'), Buffer.from('name.log\0comment\0')]);
    const hcrc = Buffer.alloc(2);
    hcrc.writeUInt16LE(crc32Js(head) & 0xffff);
    const member = Buffer.concat([head, hcrc, plain.subarray(10)]);
    const p = t.write('fields.gz', Buffer.concat([member, member]));
    const expected = execFileSync('gzip', ['-dc', p]).toString();
    expect(expected).toBe('in a member with every header field 10.66.66.66\n'.repeat(2));
    const r = await readAll(p);
    expect(r.error).toBeUndefined();
    expect(r.data.toString()).toBe(expected);
    // Cut inside the header of the second member.
    const cut = await readAll(t.write('fields-cut.gz', Buffer.concat([member, member.subarray(0, 20)])));
    expect(cut.data.toString()).toBe(expected.slice(0, expected.length / 2));
    expect((cut.error as DecompressError).failure).toBe('truncated');
  });
});

describe('stream ends at every position of a read', () => {
  // A decoder that reaches the end of its stream exactly where a read of the
  // source ends must still find the next member or frame, or the trailing data.
  async function decode(kind: 'gzip' | 'zstd', bytes: Buffer, cuts: number[]): Promise<{ data: string; error?: unknown }> {
    async function* pieces(): AsyncGenerator<Buffer> {
      let at = 0;
      for (const c of [...cuts, bytes.length]) {
        if (c > at) yield Buffer.from(bytes.subarray(at, c));
        at = Math.max(at, c);
      }
    }
    const reader = new ByteReader(pieces());
    const out: Buffer[] = [];
    try {
      for await (const b of (kind === 'gzip' ? gunzip : unzstd)('x', reader)) out.push(Buffer.from(b));
    } catch (error) {
      return { data: Buffer.concat(out).toString(), error };
    }
    return { data: Buffer.concat(out).toString() };
  }

  it.each(['gzip', 'zstd'] as const)('%s', async (kind) => {
    const a = compress(kind, 'first member\n');
    const b = compress(kind, 'second member 10.66.66.66\n');
    const two = Buffer.concat([a, b]);
    const garbage = Buffer.concat([a, Buffer.from('appended\n')]);
    for (let cut = a.length - 12; cut <= a.length + 3; cut++) {
      expect(await decode(kind, two, [cut])).toEqual({ data: 'first member\nsecond member 10.66.66.66\n' });
      const g = await decode(kind, garbage, [cut]);
      expect(g.data).toBe('first member\n');
      expect((g.error as DecompressError).failure).toBe('trailing-data');
      expect((g.error as DecompressError).compressedOffset).toBe(a.length);
      const cutShort = await decode(kind, a.subarray(0, a.length - 1), [cut]);
      expect((cutShort.error as DecompressError).failure).toBe('truncated');
    }
    // One byte per read.
    expect((await decode(kind, two, Array.from({ length: two.length }, (_, i) => i))).data).toBe('first member\nsecond member 10.66.66.66\n');
  });
});

describe('decompressing child processes', () => {
  it.each(['xz', 'bzip2', 'lz4'] as const)('%s: the child is ended and reaped when reading stops early or fails', async (format) => {
    const packed = compress(format, text);
    const big = t.write(`big${SUFFIX[format]}`, packed);
    const input = await openInput(big);
    let n = 0;
    for await (const c of input.chunks) {
      n += c.length;
      // While it runs, the decompressor is a child of this process.
      expect(childCommands()).toContain(format);
      break;
    }
    expect(n).toBeGreaterThan(0);
    expect(await noChild(format)).toBe(true);

    const broken = await readAll(t.write(`cut${SUFFIX[format]}`, packed.subarray(0, packed.length >> 1)));
    expect(broken.error).toBeInstanceOf(DecompressError);
    expect(await noChild(format)).toBe(true);
  });
});

describe('a file truncated while it is read', () => {
  it('gets a warning naming the file', async () => {
    const p = t.write('shrinking.log', text);
    const warnings: string[] = [];
    const input = await openInput(p, { onWarning: (m) => warnings.push(m) });
    let n = 0;
    for await (const c of input.chunks) {
      if (n === 0) truncateSync(p, 100);
      n += c.length;
    }
    expect(n).toBeLessThan(text.length);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain(`${p}: file truncated while being read (${text.length} bytes when opened, 100 bytes after ${n} were read)`);
  });

  it('reads a plain file from a start to an end offset without reading past the end', async () => {
    const p = t.write('offsets.log', text);
    const warnings: string[] = [];
    const r = await readAll(p, { start: 1_000_001, end: 3_500_000, onWarning: (m) => warnings.push(m) });
    expect(r.error).toBeUndefined();
    expect(r.data.toString()).toBe(text.slice(1_000_001, 3_500_000));
    // Bytes appended after the snapshot size are left for the next run.
    execFileSync('sh', ['-c', `echo appended >> '${p}'`]);
    expect((await readAll(p, { start: text.length - 5, end: text.length })).data.toString()).toBe(text.slice(-5));
    // A start beyond the end (a file rotated since the offset was committed): nothing, and no warning.
    expect((await readAll(p, { start: text.length * 2, onWarning: (m) => warnings.push(m) })).data.length).toBe(0);
    expect(warnings).toEqual([]);
    await expect(openInput(p, { start: -1 })).rejects.toThrow(/start must be a non-negative integer/);
  });

  it('gets no warning when it only grows', async () => {
    const p = t.write('growing.log', text);
    const warnings: string[] = [];
    const input = await openInput(p, { onWarning: (m) => warnings.push(m) });
    let first = true;
    for await (const _ of input.chunks) {
      if (first) execFileSync('sh', ['-c', `echo appended >> '${p}'`]);
      first = false;
    }
    expect(warnings).toEqual([]);
  });
});

describe('compression detection on a pipe fed slowly', () => {
  it('decides at once when the first bytes cannot start any compressed format', async () => {
    const { compressionUndecided } = await import('../src/input/compression.js');
    expect(compressionUndecided(Buffer.from('a 10.1.2.3\n'))).toBe(false);
    expect(compressionUndecided(Buffer.from('PAM: x\n'))).toBe(false);
    expect(compressionUndecided(Buffer.from([0x1f]))).toBe(true);
    expect(compressionUndecided(Buffer.from('BZh9'))).toBe(true);
    expect(compressionUndecided(Buffer.from('PK'))).toBe(true);
    expect(compressionUndecided(Buffer.alloc(0))).toBe(true);
    expect(compressionUndecided(Buffer.alloc(16, 0x1f))).toBe(false);
  });
});
