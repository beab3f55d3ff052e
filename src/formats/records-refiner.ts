/**
 * Refines the hits of a CloudTrail `{"Records":[…]}` input during `scan`:
 * each hit is mapped to the record it sat in, and one document is made per
 * record that hit, with the record's parsed fields and each match named by
 * its field path. The engine still scans the raw blocks; per block this
 * costs one backwards Buffer search (and a copy of the bytes after the last
 * record start, for a record that continues into the next block). Only the
 * records that hit are delimited and parsed; the others are never touched.
 */
import type { HitLine, LineMatch } from '../output/hit-document.js';
import type { InputParser } from './input-parser.js';
import { objectEnd, type RecordsLayout } from './records-layout.js';

/** Largest record carried from one block to the next; a longer record's hits stay unparsed `message`s. */
export const MAX_RECORD_BYTES = 16 * 1024 * 1024;

interface StreamMatch {
  readonly id: number;
  /** Stream offsets. */
  readonly start: number;
  readonly end: number;
}

interface PendingRecord {
  /** Stream offset of the record's `{`. */
  readonly start: number;
  readonly path: string;
  /** Stream offset just after its `}`, once known. */
  end: number;
  /** The record's bytes, once its end is known (a copy). */
  bytes?: Buffer;
  readonly matches: StreamMatch[];
  /** Copies of the hit lines, to fall back on when the record cannot be delimited. */
  readonly lines: HitLine[];
}

/**
 * The scan-time refiner of a Records input. Call {@link block} for every
 * block in order, {@link refine} for the block's hit lines, then
 * {@link flush} after each block (and with `final` at the end of the input):
 * it returns the records completed so far, in file order, as hit lines whose
 * `offset` is the stream offset of the record's `{` and whose `line` is the
 * record's text.
 */
export class RecordsRefiner {
  private carry: Buffer | undefined;
  private carryOffset = 0;
  private prev: Buffer | undefined;
  private prevOffset = 0;
  private buf: Buffer = Buffer.alloc(0);
  private offset = 0;
  private view: Buffer | undefined;
  private readonly pending = new Map<number, PendingRecord>();

  constructor(
    private readonly layout: RecordsLayout,
    private readonly parser: InputParser,
  ) {}

  /** Notes the block; keeps the bytes after its last record start for a record that continues. */
  block(buf: Buffer, offset: number): void {
    this.prev = this.carry;
    this.prevOffset = this.carryOffset;
    this.buf = buf;
    this.offset = offset;
    this.view = undefined;
    const at = buf.lastIndexOf(this.layout.start);
    if (at >= 0) {
      // From the start of the pattern, so that the record is still found by it in the next block.
      this.carry = Buffer.from(buf.subarray(at));
      this.carryOffset = offset + at;
    } else if (this.carry && this.carry.length + buf.length <= MAX_RECORD_BYTES) {
      this.carry = Buffer.concat([this.carry, buf]);
    } else {
      this.carry = undefined;
    }
  }

  /** The previous carry and the current block, as one buffer, and the stream offset of its first byte. */
  private current(): { view: Buffer; base: number } {
    if (!this.view) this.view = this.prev ? Buffer.concat([this.prev, this.buf]) : this.buf;
    return { view: this.view, base: this.prev ? this.prevOffset : this.offset };
  }

  /**
   * Files each match of `hit` under the record it sat in. Returns the line
   * unchanged when some match lies outside every record (the wrapper), with
   * those matches only; otherwise undefined (the record comes from {@link flush}).
   */
  refine(hit: HitLine): HitLine | undefined {
    const { view, base } = this.current();
    const outside: LineMatch[] = [];
    for (const m of hit.matches) {
      const pos = hit.offset + m.start - base;
      const at = pos - this.layout.lead >= 0 ? view.lastIndexOf(this.layout.start, pos - this.layout.lead) : -1;
      if (at < 0) {
        outside.push(m);
        continue;
      }
      const start = base + at + this.layout.lead;
      let rec = this.pending.get(start);
      if (!rec) {
        rec = { start, path: hit.path, end: -1, matches: [], lines: [] };
        this.pending.set(start, rec);
        const end = objectEnd(view, start - base);
        if (end >= 0) this.complete(rec, view, base, end + base);
      }
      if (rec.end >= 0 && hit.offset + m.start >= rec.end) {
        outside.push(m); // after the record closed: between records or in the wrapper's tail
        continue;
      }
      rec.matches.push({ id: m.id, start: hit.offset + m.start, end: hit.offset + m.end });
      if (!rec.bytes) rec.lines.push({ ...hit, line: Buffer.from(hit.line), matches: [m] });
    }
    if (outside.length === 0) return undefined;
    return { ...hit, matches: outside };
  }

  private complete(rec: PendingRecord, view: Buffer, base: number, end: number): void {
    rec.end = end;
    rec.bytes = Buffer.from(view.subarray(rec.start - base, end - base));
    rec.lines.length = 0;
  }

  /**
   * The records with hits whose end has been seen, in file order, as parsed
   * hit lines. With `final` (end of input) a record that never closed gives
   * back its hit lines unparsed.
   */
  flush(final: boolean): HitLine[] {
    const out: HitLine[] = [];
    for (const rec of [...this.pending.values()].sort((a, b) => a.start - b.start)) {
      if (!rec.bytes) {
        const { view, base } = this.current();
        if (rec.start >= base) {
          const end = objectEnd(view, rec.start - base);
          if (end >= 0) this.complete(rec, view, base, end + base);
        }
      }
      if (rec.bytes) {
        out.push(this.recordHit(rec, rec.bytes));
        this.pending.delete(rec.start);
      } else if (final || rec.start < (this.prev ? this.prevOffset : this.offset)) {
        // Never closed, or no longer in memory (a record over MAX_RECORD_BYTES): keep its hits as they came.
        out.push(...rec.lines);
        this.pending.delete(rec.start);
      }
    }
    return out;
  }

  private recordHit(rec: PendingRecord, bytes: Buffer): HitLine {
    const matches = rec.matches.map((m) => ({ id: m.id, start: m.start - rec.start, end: m.end - rec.start }));
    const hit: HitLine = { path: rec.path, offset: rec.start, line: bytes, matches };
    return this.parser.refine(hit);
  }
}
