/**
 * Cuts a byte stream into line-aligned blocks for the engines: each block
 * holds whole lines (the partial last line rolls into the next block), except
 * that a line longer than the cap is cut into pieces of at most the cap so
 * that memory stays bounded.
 */

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
}

export interface LineBlockOptions {
  /** Blocks are at least this large unless the stream ends (default 1 MiB). */
  readonly minBlockBytes?: number;
  /** Longest line scanned whole; longer lines are scanned in pieces of this size. */
  readonly maxLineBytes: number;
}

const NL = 0x0a;

/**
 * Yields line-aligned blocks from `chunks`. Every input byte appears in exactly
 * one block, in order; block boundaries fall just after a newline, at a
 * forced cut of an over-long line, or at the end of the stream. When
 * `chunks` throws, the complete lines already read are yielded first, then
 * the error is rethrown.
 */
export async function* lineBlocks(chunks: AsyncIterable<Buffer>, options: LineBlockOptions): AsyncGenerator<LineBlock> {
  const minBlock = options.minBlockBytes ?? 1 << 20;
  const maxLine = options.maxLineBytes;
  let parts: Buffer[] = [];
  let partsLen = 0;
  /** Offset (within the pending parts) just after the last newline seen, or 0. */
  let afterLastNl = 0;
  let offset = 0;

  const take = (n: number): Buffer => {
    const all = parts.length === 1 ? (parts[0] as Buffer) : Buffer.concat(parts, partsLen);
    const out = all.subarray(0, n);
    const rest = all.subarray(n);
    parts = rest.length > 0 ? [rest] : [];
    partsLen = rest.length;
    afterLastNl = Math.max(0, afterLastNl - n);
    return out;
  };

  const iterator = chunks[Symbol.asyncIterator]();
  for (;;) {
    let next: IteratorResult<Buffer>;
    try {
      next = await iterator.next();
    } catch (error) {
      // The stream broke (corrupt gzip, read error): the complete lines read
      // so far are still scanned. The unterminated tail is dropped: it may end
      // inside a token, and a cut token can look like another indicator
      // (10.1.2.34 cut to 10.1.2.3).
      if (afterLastNl > 0) {
        const buf = take(afterLastNl);
        yield { buf, offset };
      }
      throw error;
    }
    if (next.done) break;
    const chunk = next.value;
    if (chunk.length === 0) continue;
    const nl = chunk.lastIndexOf(NL);
    if (nl >= 0) afterLastNl = partsLen + nl + 1;
    parts.push(chunk);
    partsLen += chunk.length;

    // Over-long unterminated tail: cut pieces of exactly maxLine bytes.
    while (partsLen - afterLastNl >= maxLine) {
      const end = afterLastNl + maxLine;
      const lineStart = offset + afterLastNl;
      const buf = take(end);
      const block: LineBlock = { buf, offset, cut: { lineStart, at: offset + end } };
      offset += buf.length;
      // The remainder may contain newlines that were before the last one; recompute.
      afterLastNl = 0;
      for (let i = parts.length - 1, base = partsLen; i >= 0; i--) {
        const p = parts[i] as Buffer;
        base -= p.length;
        const k = p.lastIndexOf(NL);
        if (k >= 0) {
          afterLastNl = base + k + 1;
          break;
        }
      }
      yield block;
    }

    if (partsLen >= minBlock && afterLastNl > 0) {
      const buf = take(afterLastNl);
      yield { buf, offset };
      offset += buf.length;
    }
  }
  if (partsLen > 0) {
    const buf = take(partsLen);
    yield { buf, offset };
  }
}
