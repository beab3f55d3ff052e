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
   * newline: `lineStart` is where that line starts (the same for every piece
   * of one line) and `at` where it was cut, both stream offsets. Tokens
   * straddling the cut are not seen. Where cuts fall depends on the bytes
   * only, never on how they were read.
   */
  readonly cut?: { readonly lineStart: number; readonly at: number };
  /** Call once the block (and every view of `buf`) is no longer used, so its memory can be reused. */
  readonly release?: () => void;
}

export interface LineBlockOptions {
  /** Blocks are at least this large unless the stream ends (default 1 MiB). */
  readonly minBlockBytes?: number;
  /**
   * The first block of a stream ends at the last newline within this many
   * bytes (default 64 KiB, never more than `minBlockBytes`), so the first
   * hits of an input are found and written without waiting for a whole
   * block to be scanned and parsed; later blocks are `minBlockBytes`.
   */
  readonly firstBlockBytes?: number;
  /** Longest line content scanned whole (newline excluded); longer lines are scanned in pieces of this size. */
  readonly maxLineBytes: number;
  /**
   * When the source has sent nothing for this long (a pipe that a `tail -F`
   * feeds slowly), the complete lines read so far are yielded as a smaller
   * block instead of waiting for `minBlockBytes`. Off when undefined.
   */
  readonly idleMs?: number;
  /** Stream offset of the first byte of `chunks` (default 0): block offsets count from it. */
  readonly startOffset?: number;
  /**
   * Leave an unterminated last line out (a line still being written at the
   * end of a live file): the last block then ends at the last newline, and
   * the bytes after it are neither yielded nor counted. Over-long lines are
   * still cut into pieces as they fill.
   */
  readonly holdPartialTail?: boolean;
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
  /**
   * Buffers larger than `size`, grown for a long line: kept for the next long
   * line instead of being left to the garbage collector, which lets external
   * memory pile up (a newline-free stream grew RSS with its length).
   */
  private readonly big: Buffer[] = [];
  constructor(
    readonly size: number,
    private readonly keep: number,
  ) {}
  take(min: number): Buffer {
    if (min <= this.size) return this.free.pop() ?? Buffer.allocUnsafe(this.size);
    let best = -1;
    for (let i = 0; i < this.big.length; i++) {
      const len = (this.big[i] as Buffer).length;
      if (len >= min && (best < 0 || len < (this.big[best] as Buffer).length)) best = i;
    }
    if (best >= 0) return this.big.splice(best, 1)[0] as Buffer;
    return Buffer.allocUnsafe(min);
  }
  give(buf: Buffer): void {
    if (buf.length === this.size) {
      if (this.free.length < this.keep) this.free.push(buf);
      return;
    }
    if (buf.length < this.size) return;
    if (this.big.length < BIG_KEEP) {
      this.big.push(buf);
      return;
    }
    // Full: keep the larger buffers, they serve any long line.
    let smallest = 0;
    for (let i = 1; i < this.big.length; i++) if ((this.big[i] as Buffer).length < (this.big[smallest] as Buffer).length) smallest = i;
    if ((this.big[smallest] as Buffer).length < buf.length) this.big[smallest] = buf;
  }
}

/** Large buffers kept per pool; the blocks in flight hold the others. */
const BIG_KEEP = 4;

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
  let firstBlock = Math.min(minBlock, options.firstBlockBytes ?? 64 << 10);
  const maxLine = options.maxLineBytes;
  const pool = poolFor(Math.max(minBlock * 2, minBlock + (1 << 20)));
  let cur = pool.take(0);
  let len = 0;
  /** Offset in `cur` just after the last newline, or 0. */
  let afterLastNl = 0;
  let offset = options.startOffset ?? 0;
  // The line-length check, in `cur` coordinates: `lineAt` is the start of the
  // first line (or piece) not yet known to fit in maxLine; `clearTo` is how far
  // past it no newline was found. Stream offset where that line began (for
  // warnings: one line, however many pieces).
  let lineAt = 0;
  let clearTo = 0;
  let lineOrigin = offset;

  /** Hands out cur[0, n) as a block and starts a new buffer with the rest. */
  const take = (n: number, cut?: LineBlock['cut']): LineBlock => {
    const owner = cur;
    const rest = len - n;
    cur = pool.take(rest);
    owner.copy(cur, 0, n, len);
    len = rest;
    const nl = rest > 0 ? cur.subarray(0, rest).lastIndexOf(NL) : -1;
    afterLastNl = nl + 1;
    lineAt = Math.max(0, lineAt - n);
    clearTo = Math.max(lineAt, clearTo - n);
    const block: LineBlock = {
      buf: owner.subarray(0, n),
      offset,
      ...(cut ? { cut } : {}),
      release: () => pool.give(owner),
    };
    offset += n;
    return block;
  };

  /**
   * The next forced cut, or undefined: a line whose content is longer than
   * maxLine (maxLine + 1 bytes without a newline) is cut after maxLine bytes,
   * whatever the chunks the bytes came in. Lines that fit are skipped a
   * window at a time, not one by one.
   */
  const nextCut = (): number | undefined => {
    for (;;) {
      const limit = lineAt + maxLine;
      const end = Math.min(len, limit + 1);
      const from = Math.max(lineAt, clearTo);
      const nl = from < end ? cur.subarray(from, end).lastIndexOf(NL) : -1;
      if (nl >= 0) {
        lineAt = clearTo = from + nl + 1;
        lineOrigin = offset + lineAt;
        continue;
      }
      clearTo = end;
      return limit < len ? limit : undefined;
    }
  };

  const iterator = chunks[Symbol.asyncIterator]();
  try {
    yield* cutBlocks();
  } finally {
    // The buffer being filled goes back to the pool: many small inputs must
    // not cost a fresh block buffer (and a garbage collection) each.
    pool.give(cur);
  }

  async function* cutBlocks(): AsyncGenerator<LineBlock> {
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
        // Grown by doubling, but never past what the longest line needs.
        const bigger = pool.take(Math.max(len + chunk.length, Math.min(cur.length * 2, pool.size + maxLine + 1)));
        cur.copy(bigger, 0, 0, len);
        pool.give(cur);
        cur = bigger;
      }
      chunk.copy(cur, len);
      const nl = chunk.lastIndexOf(NL);
      if (nl >= 0) afterLastNl = len + nl + 1;
      len += chunk.length;

      // Over-long lines: cut pieces of exactly maxLine bytes.
      for (let at = nextCut(); at !== undefined; at = nextCut()) {
        yield take(at, { lineStart: lineOrigin, at: offset + at });
      }

      if (firstBlock < minBlock && len >= firstBlock && afterLastNl > 0) {
        const nl = cur.subarray(0, firstBlock).lastIndexOf(NL);
        firstBlock = minBlock; // once per stream
        if (nl >= 0) yield take(nl + 1);
      }
      if (len >= minBlock && afterLastNl > 0) yield take(afterLastNl);
    }
    if (options.holdPartialTail) {
      if (afterLastNl > 0) yield take(afterLastNl);
    } else if (len > 0) yield take(len);
  }
}
