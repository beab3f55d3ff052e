/**
 * Finds the record a continuation line belongs to during `scan`, where only
 * hit lines are seen: searches the block buffer backwards from the hit line
 * (`Buffer.lastIndexOf` of newlines) for the nearest line that parses as a
 * record header. The last header found in a block is cached, so hit lines
 * met in order cost one search each over the bytes since the previous one;
 * the last header of each block is carried into the next block for records
 * that straddle a block boundary. A search that finds no header is cached
 * too, so lines between two hits are never searched twice.
 */
import type { ParsedEvent } from './types.js';

const NL = 0x0a;
const CR = 0x0d;

/** How a finder recognises a record header line. */
export interface HeaderTest {
  /** Cheap pre-check on a line's first byte: false means the line cannot be a header. */
  mayStart(byte: number | undefined): boolean;
  /** The parsed header line, or undefined when the bytes are not a header. */
  parse(line: Uint8Array): ParsedEvent | undefined;
}

/** Backward search for record headers in the blocks of one input, fed in order. */
export class RecordFinder {
  private buf: Buffer | undefined;
  private offset = 0;
  /** Last header of the blocks before the current one. */
  private carry: ParsedEvent | undefined;
  /** Last header of the current block (found when the block is fed). */
  private tail: ParsedEvent | undefined;
  /**
   * What the last search in the current block learned: the header nearest
   * before the line starting at byte `scanned` (undefined when the block has
   * none before it), so that the next search stops there.
   */
  private cache: { readonly scanned: number; readonly event: ParsedEvent | undefined } | undefined;

  constructor(private readonly test: HeaderTest) {}

  /** Makes `buf` (at stream offset `offset`) the current block; its last header is found now, before the buffer is reused. */
  block(buf: Buffer, offset: number): void {
    this.carry = this.tail;
    this.buf = buf;
    this.offset = offset;
    this.cache = undefined;
    const last = buf.length > 0 && buf[buf.length - 1] === NL ? buf.length - 1 : buf.length;
    this.tail = (buf.length > 0 ? this.search(last, 0) : undefined) ?? this.carry;
  }

  /**
   * The header record of the line that starts at stream offset
   * `lineOffset` in the current block: the nearest header line before it
   * (in this block or, failing that, an earlier one); undefined when the
   * input has none before the line.
   */
  recordBefore(lineOffset: number): ParsedEvent | undefined {
    const buf = this.buf;
    const start = lineOffset - this.offset;
    if (!buf || start < 0 || start > buf.length) return undefined;
    const cached = this.cache && this.cache.scanned <= start ? this.cache : undefined;
    const found = start > 0 ? this.search(start - 1, cached ? cached.scanned + 1 : 0) : undefined;
    const event = found ?? cached?.event;
    this.cache = { scanned: start, event };
    return event ?? this.carry;
  }

  /**
   * The nearest header among the lines of the current block that start at
   * or after byte `floor`, the last of them ending (content, before its
   * newline) at byte `lineEnd`.
   */
  private search(lineEnd: number, floor: number): ParsedEvent | undefined {
    const buf = this.buf as Buffer;
    let end = lineEnd;
    for (;;) {
      const nl = end > 0 ? buf.lastIndexOf(NL, end - 1) : -1;
      const lineStart = nl + 1;
      if (lineStart < floor) return undefined;
      if (end > lineStart && this.test.mayStart(buf[lineStart])) {
        const contentEnd = buf[end - 1] === CR ? end - 1 : end;
        const event = this.test.parse(buf.subarray(lineStart, contentEnd));
        if (event) return event;
      }
      if (nl < 0) return undefined;
      end = nl;
    }
  }
}
