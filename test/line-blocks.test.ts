import { describe, expect, it } from 'vitest';
import { lineBlocks, type LineBlock } from '../src/input/line-blocks.js';

async function* chunksOf(data: Buffer, size: number): AsyncGenerator<Buffer> {
  for (let i = 0; i < data.length; i += size) yield data.subarray(i, i + size);
}

async function collect(data: Buffer, chunk: number, minBlockBytes: number, maxLineBytes: number): Promise<LineBlock[]> {
  const out: LineBlock[] = [];
  for await (const b of lineBlocks(chunksOf(data, chunk), { minBlockBytes, maxLineBytes })) out.push(b);
  return out;
}

describe('line-aligned blocks', () => {
  const data = Buffer.from(Array.from({ length: 1000 }, (_, i) => `line number ${i}`).join('\n') + '\npartial-last-line');

  it.each([
    [7, 64],
    [1, 1],
    [4096, 100],
    [100_000, 1 << 20],
  ])('keeps every byte once and cuts only after newlines (chunk %i, block %i)', async (chunk, min) => {
    const blocks = await collect(data, chunk, min, 1 << 20);
    expect(Buffer.concat(blocks.map((b) => b.buf)).equals(data)).toBe(true);
    let offset = 0;
    for (const [i, b] of blocks.entries()) {
      expect(b.offset).toBe(offset);
      offset += b.buf.length;
      if (i < blocks.length - 1) expect(b.buf[b.buf.length - 1]).toBe(0x0a);
      expect(b.cut).toBeUndefined();
    }
  });

  it('ends the first block at the last newline within 64 KiB, so the first hits are written early; later blocks are full size', async () => {
    const lines = Array.from({ length: 100_000 }, (_, i) => `10.0.${i % 256}.${i % 200} request ${i}`);
    const big = Buffer.from(lines.join('\n') + '\n'); // ~3 MB
    const blocks: LineBlock[] = [];
    for await (const b of lineBlocks(chunksOf(big, 1 << 20), { maxLineBytes: 1 << 20 })) blocks.push(b);
    expect(Buffer.concat(blocks.map((b) => b.buf)).equals(big)).toBe(true);
    const first = blocks[0]!.buf;
    expect(first.length).toBeLessThanOrEqual(64 << 10);
    expect(first.length).toBeGreaterThan((64 << 10) - 40); // the last newline before 64 KiB, not an earlier one
    expect(first[first.length - 1]).toBe(0x0a);
    expect(big.subarray(first.length, 64 << 10).includes(0x0a)).toBe(false);
    // Only the first block is small.
    for (const b of blocks.slice(1, -1)) expect(b.buf.length).toBeGreaterThanOrEqual(1 << 20);
    // A stream whose blocks are asked to be smaller than 64 KiB is cut as asked.
    const small = await collect(big.subarray(0, 200_000), 50_000, 40_000, 1 << 20);
    for (const b of small.slice(0, -1)) expect(b.buf.length).toBeGreaterThanOrEqual(40_000);
  });

  it('cuts a line longer than the cap into pieces of exactly the cap', async () => {
    const long = Buffer.concat([Buffer.from('a\n'), Buffer.alloc(2500, 0x78), Buffer.from('\nb\n')]);
    const blocks = await collect(long, 300, 64, 1000);
    expect(Buffer.concat(blocks.map((b) => b.buf)).equals(long)).toBe(true);
    const cuts = blocks.filter((b) => b.cut).map((b) => b.cut);
    expect(cuts).toEqual([
      { lineStart: 2, at: 1002 },
      { lineStart: 2, at: 2002 },
    ]);
    // No block holds more than the cap of one unterminated line.
    for (const b of blocks) {
      const lastNl = b.buf.lastIndexOf(0x0a);
      expect(b.buf.length - (lastNl + 1)).toBeLessThanOrEqual(1000);
    }
  });
});

describe('--max-line-bytes cuts depend on the bytes only', () => {
  // Long lines ending inside one chunk, lines of exactly the cap, a cap + 1
  // line, a long last line without a newline.
  const parts = [
    'short\n',
    'x'.repeat(2500) + ' 10.1.2.3 ' + 'y'.repeat(700) + '\n',
    'a'.repeat(1000) + '\n',
    'b'.repeat(1001) + '\n',
    'ok\n'.repeat(300),
    'c'.repeat(999) + '\n' + 'd'.repeat(4321),
  ];
  const data = Buffer.from(parts.join(''));
  const shape = (blocks: LineBlock[]) => blocks.filter((b) => b.cut).map((b) => b.cut);

  it.each([1, 7, 333, 1000, 1001, 4096, 1 << 20])('cuts at the same offsets with chunks of %i bytes', async (chunk) => {
    const blocks = await collect(data, chunk, 64, 1000);
    expect(Buffer.concat(blocks.map((b) => b.buf)).equals(data)).toBe(true);
    expect(shape(blocks)).toEqual([
      { lineStart: 6, at: 1006 },
      { lineStart: 6, at: 2006 },
      { lineStart: 6, at: 3006 },
      { lineStart: 4218, at: 5218 },
      { lineStart: 7120, at: 8120 },
      { lineStart: 7120, at: 9120 },
      { lineStart: 7120, at: 10120 },
      { lineStart: 7120, at: 11120 },
    ]);
    // Every piece ends at a newline or holds exactly the cap of its line.
    for (const b of blocks.filter((x) => x.cut)) expect(b.offset + b.buf.length).toBe(b.cut?.at);
  });

  it('a line of exactly the cap is never cut, whatever the chunks', async () => {
    const exact = Buffer.from('a'.repeat(1000) + '\n' + 'b'.repeat(1000));
    for (const chunk of [1, 999, 1000, 1001, 5000]) expect(shape(await collect(exact, chunk, 64, 1000))).toEqual([]);
  });
});

describe('line-aligned blocks with reused memory', () => {
  it('gives the same bytes when sources reuse their chunk buffer and blocks are released', async () => {
    const data = Buffer.from(Array.from({ length: 50_000 }, (_, i) => `line ${i} ${'x'.repeat(i % 97)}`).join('\n') + '\n');
    // A source that overwrites one buffer for every chunk, as file reads do.
    async function* reusing(): AsyncGenerator<Buffer> {
      const shared = Buffer.alloc(4096);
      for (let i = 0; i < data.length; i += 4096) {
        const n = data.copy(shared, 0, i, i + 4096);
        yield shared.subarray(0, n);
        shared.fill(0x21);
      }
    }
    const copies: Buffer[] = [];
    let blocks = 0;
    for await (const b of lineBlocks(reusing(), { minBlockBytes: 8192, maxLineBytes: 1 << 20 })) {
      copies.push(Buffer.from(b.buf));
      blocks++;
      b.release?.();
    }
    expect(blocks).toBeGreaterThan(50);
    expect(Buffer.concat(copies).equals(data)).toBe(true);
  });
});

describe('line-aligned blocks from a source that pauses (idleMs)', () => {
  /** Yields the pieces with a pause of `pauseMs` before each piece after the first. */
  async function* paused(pieces: string[], pauseMs: number): AsyncGenerator<Buffer> {
    for (const [i, p] of pieces.entries()) {
      if (i > 0) await new Promise((r) => setTimeout(r, pauseMs));
      yield Buffer.from(p);
    }
  }

  it('yields the complete lines read so far when the source pauses, never a partial line', async () => {
    const out: LineBlock[] = [];
    for await (const b of lineBlocks(paused(['line1\nlin', 'e2\nline3', '\n'], 150), { minBlockBytes: 1 << 20, maxLineBytes: 1 << 20, idleMs: 30 })) {
      out.push(b);
    }
    expect(out.map((b) => [b.offset, b.buf.toString()])).toEqual([
      [0, 'line1\n'],
      [6, 'line2\n'],
      [12, 'line3\n'],
    ]);
  });

  it('waits for a full block without idleMs, and when the pauses are shorter than idleMs', async () => {
    const pieces = ['line1\nlin', 'e2\nline3', '\n'];
    for (const idleMs of [undefined, 2000]) {
      const out: LineBlock[] = [];
      for await (const b of lineBlocks(paused(pieces, 30), { minBlockBytes: 1 << 20, maxLineBytes: 1 << 20, ...(idleMs ? { idleMs } : {}) })) out.push(b);
      expect(out.map((b) => b.buf.toString())).toEqual(['line1\nline2\nline3\n']);
    }
  });
});
