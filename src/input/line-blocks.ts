/**
 * Cuts a byte stream into line-aligned blocks for the engines: each block
 * holds whole lines (the partial last line rolls into the next block), except
 * that a line longer than the cap is cut into pieces of at most the cap so
 * that memory stays bounded.
 */
import { IDLE, within } from './within.js';

/** A run of whole lines and where it starts in the (decompressed) stream. */
export interface LineBlock {
  readonly buf: Buffer;
  /** Offset of `buf[0]` in the decompressed stream. */
  readonly offset: number;
  /**
   * Set when the block ends with a piece of an over-long line, cut without a
   * newline: `lineStart` is where that line (or its previous piece) starts and
   * `at` where it was cut, both stream offsets. Tokens straddling the cut are
   * not seen.
   */
  readonly cut?: { readonly lineStart: number; readonly at: number };
  /** Call once the block (and every view of `buf`) is no longer used, so its memory can be reused. */
  readonly release?: () => void;
}

export interface LineBlockOptions {
  /** Blocks are at least this large unless the stream ends (default 1 MiB). */
  readonly minBlockBytes?: number;
  /** Longest line scanned whole; longer lines are scanned in pieces of this size. */
  readonly maxLineBytes: number;
  /**
   * When the source has sent nothing for this long (a pipe that a `tail -F`
   * feeds slowly), the complete lines read so far are yielded as a smaller
   * block instead of waiting for `minBlockBytes`. Off when undefined.
   */
  readonly idleMs?: number;
  /**
   * Stream offset of the first byte of `chunks` (default 0): an input opened
   * with `openInput(path, { start })` passes its `start`, so that block
   * offsets (and `log.offset`) stay offsets in the whole decompressed stream.
   */
  readonly startOffset?: number;
}

const NL = 0x0a;

/**
 * Block buffers are reused: a block's `release()` hands its memory back, so a
 * long scan does not allocate (and page-fault in) a fresh megabyte per block,
 * and V8 does not see external memory grow and run full collections over a
 * large indicator store.
 */
class BufferPool {
  private readonly free: Buffer[] = [];
  constructor(
    readonly size: number,
    private readonly keep: number,
  ) {}
  take(min: number): Buffer {
    if (min <= this.size) return this.free.pop() ?? Buffer.allocUnsafe(this.size);
    return Buffer.allocUnsafe(min);
  }
  give(buf: Buffer): void {
    if (buf.length === this.size && this.free.length < this.keep) this.free.push(buf);
  }
}

const pools = new Map<number, BufferPool>();
function poolFor(size: number): BufferPool {
  let pool = pools.get(size);
  if (!pool) {
    pool = new BufferPool(size, 16);
    pools.set(size, pool);
  }
  return pool;
}

/**
 * Yields line-aligned blocks from `chunks`. Every input byte appears in exactly
 * one block, in order; block boundaries fall just after a newline, at a
 * forced cut of an over-long line, or at the end of the stream. When
 * `chunks` throws, the complete lines already read are yielded first, then
 * the error is rethrown.
 *
 * Chunks are copied as they arrive, so a source may reuse its chunk buffer
 * once the next chunk is requested. A block's `release()`, when called after
 * the block is no longer used, lets later blocks reuse its memory.
 */
export async function* lineBlocks(chunks: AsyncIterable<Buffer>, options: LineBlockOptions): AsyncGenerator<LineBlock> {
  const source = chunks[Symbol.asyncIterator]();
  let reading = false;
  const tracked: AsyncIterable<Buffer> = {
    [Symbol.asyncIterator]: () => ({
      next: async () => {
        reading = true;
        try {
          return await source.next();
        } finally {
          reading = false;
        }
      },
    }),
  };
  try {
    yield* cutBlocks(tracked, options);
  } finally {
    // Done, or stopped early (the output went away, an interrupt): stop the
    // source as well, so that it closes its file or ends its decompressing
    // child process, without waiting on a read that an idle pipe may never answer.
    const stopped = source.return?.(undefined)?.catch(() => undefined);
    if (!reading) await stopped;
  }
}

async function* cutBlocks(chunks: AsyncIterable<Buffer>, options: LineBlockOptions): AsyncGenerator<LineBlock> {
  const minBlock = options.minBlockBytes ?? 1 << 20;
  const maxLine = options.maxLineBytes;
  const pool = poolFor(Math.max(minBlock * 2, minBlock + (1 << 20)));
  let cur = pool.take(0);
  let len = 0;
  /** Offset in `cur` just after the last newline, or 0. */
  let afterLastNl = 0;
  let offset = options.startOffset ?? 0;

  /** Hands out cur[0, n) as a block and starts a new buffer with the rest. */
  const take = (n: number, cut?: LineBlock['cut']): LineBlock => {
    const owner = cur;
    const rest = len - n;
    cur = pool.take(rest);
    owner.copy(cur, 0, n, len);
    len = rest;
    const nl = rest > 0 ? cur.subarray(0, rest).lastIndexOf(NL) : -1;
    afterLastNl = nl + 1;
    const block: LineBlock = {
      buf: owner.subarray(0, n),
      offset,
      ...(cut ? { cut } : {}),
      release: () => pool.give(owner),
    };
    offset += n;
    return block;
  };

  const iterator = chunks[Symbol.asyncIterator]();
  // A read still under way when an idle block was yielded: waited for again.
  let pending: Promise<IteratorResult<Buffer>> | undefined;
  for (;;) {
    let next: IteratorResult<Buffer>;
    try {
      pending ??= iterator.next();
      if (options.idleMs !== undefined && afterLastNl > 0) {
        const r = await within(pending, options.idleMs);
        if (r === IDLE) {
          yield take(afterLastNl);
          continue;
        }
        next = r;
      } else {
        next = await pending;
      }
      pending = undefined;
    } catch (error) {
      pending = undefined;
      // The stream broke (corrupt gzip, read error): the complete lines read
      // so far are still scanned. The unterminated tail is dropped: it may end
      // inside a token, and a cut token can look like another indicator
      // (10.1.2.34 cut to 10.1.2.3).
      if (afterLastNl > 0) yield take(afterLastNl);
      throw error;
    }
    if (next.done) break;
    const chunk = next.value;
    if (chunk.length === 0) continue;
    if (len + chunk.length > cur.length) {
      const bigger = pool.take(Math.max(len + chunk.length, cur.length * 2));
      cur.copy(bigger, 0, 0, len);
      pool.give(cur);
      cur = bigger;
    }
    chunk.copy(cur, len);
    const nl = chunk.lastIndexOf(NL);
    if (nl >= 0) afterLastNl = len + nl + 1;
    len += chunk.length;

    // Over-long unterminated tail: cut pieces of exactly maxLine bytes.
    while (len - afterLastNl >= maxLine) {
      const end = afterLastNl + maxLine;
      const lineStart = offset + afterLastNl;
      yield take(end, { lineStart, at: offset + end });
    }

    if (len >= minBlock && afterLastNl > 0) yield take(afterLastNl);
  }
  if (len > 0) yield take(len);
}
