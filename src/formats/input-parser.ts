/**
 * Applies a log format to one input's hit lines: tracks header lines that
 * recur inside the input, parses each hit line, names each match by the field
 * it sat in, and attaches the parsed event. Only hit lines are decoded and
 * parsed; a block without hits costs at most one `Buffer.indexOf` (for
 * formats whose headers can recur), or one backward search for its last
 * record header (for formats with multi-line records).
 */
import type { HitLine, LineEvent, LineMatch } from '../output/hit-document.js';
import { categorise } from './ecs-event.js';
import { fieldAt } from './event-builder.js';
import { RecordFinder } from './record-finder.js';
import type { LineParser, LogFormat, ParsedEvent } from './types.js';

const decoder = new TextDecoder('utf-8', { fatal: false, ignoreBOM: true });
const NL = 0x0a;
const CR = 0x0d;

/** Decodes a line for a parser: UTF-8 with replacement, a leading BOM and trailing NULs removed. */
export function decodeLine(line: Uint8Array): { text: string; skipped: number } {
  let start = 0;
  if (line[0] === 0xef && line[1] === 0xbb && line[2] === 0xbf) start = 3;
  let end = line.length;
  while (end > start && line[end - 1] === 0) end--;
  return { text: decoder.decode(line.subarray(start, end)), skipped: start };
}

/** Converts byte offset `byte` of `line` into a UTF-16 index of its decoding (after `skipped` bytes). */
function charIndex(line: Uint8Array, text: string, skipped: number, byte: number): number {
  const b = Math.max(0, byte - skipped);
  if (text.length === line.length - skipped) return b; // pure ASCII (or same length): identity
  return decoder.decode(line.subarray(skipped, skipped + b)).length;
}

/** Parses the hit lines of one input in one format. Feed blocks in order, then the block's hit lines. */
export class InputParser {
  private readonly pending: Array<{ offset: number; line: string }> = [];
  /** Scan-time search for the record a continuation hit line belongs to (multi-line formats only). */
  private readonly finder: RecordFinder | undefined;
  /** The last record read by {@link parseNext}. */
  private lastRecord: ParsedEvent | undefined;

  constructor(
    readonly format: LogFormat,
    private readonly parser: LineParser,
  ) {
    const mayStart = parser.mayStartRecord?.bind(parser) ?? (() => true);
    this.finder = parser.continuation ? new RecordFinder({ mayStart, parse: (bytes) => this.parseText(decodeLine(bytes).text) }) : undefined;
  }

  /**
   * Notes the header lines of a block (stream offset `offset`) so that the
   * layout they define applies to the lines after them. Call for every
   * block, in order, before {@link refine} on its hit lines.
   */
  block(buf: Buffer, offset: number): void {
    this.finder?.block(buf, offset);
    const prefix = this.parser.headerPrefix;
    if (!prefix || !this.parser.header) return;
    const head = Buffer.from(prefix);
    const needle = Buffer.from(`\n${prefix}`);
    const next = (from: number): number => {
      const i = buf.indexOf(needle, from);
      return i < 0 ? -1 : i + 1;
    };
    let start = buf.subarray(0, head.length).equals(head) ? 0 : next(0);
    while (start >= 0) {
      let end = buf.indexOf(NL, start);
      if (end < 0) end = buf.length;
      let contentEnd = end;
      if (contentEnd > start && buf[contentEnd - 1] === CR) contentEnd--;
      this.pending.push({ offset: offset + start, line: decodeLine(buf.subarray(start, contentEnd)).text });
      start = end < buf.length ? next(end) : -1;
    }
  }

  /** Applies the headers met before stream offset `offset`. */
  private headersBefore(offset: number): void {
    while (this.pending.length > 0 && (this.pending[0] as { offset: number }).offset <= offset) {
      const h = this.pending.shift() as { offset: number; line: string };
      this.parser.header?.(h.line);
    }
  }

  /**
   * Whether a decoded line is a header or comment line; a header line
   * updates the layout for the lines after it. For reading every line in
   * order (`iochunt parse`); {@link refine} finds headers through {@link block}.
   */
  isHeader(text: string): boolean {
    return this.parser.header?.(text) === true;
  }

  /** Parses one decoded line; undefined when it does not parse. Never throws. */
  parseText(text: string): ParsedEvent | undefined {
    try {
      return this.parser.parse(text);
    } catch {
      return undefined; // a parser bug must never lose a line
    }
  }

  /**
   * Parses the next line of an input read line by line in order (`iochunt
   * parse`): a line that does not parse but continues a multi-line record
   * gets that record's event (see {@link LineParser.continuation}).
   */
  parseNext(text: string): ParsedEvent | undefined {
    const parsed = this.parseText(text);
    if (!this.parser.continuation) return parsed;
    if (parsed) {
      this.lastRecord = parsed;
      return parsed;
    }
    return this.lastRecord ? this.continuationOf(this.lastRecord, text) : undefined;
  }

  private continuationOf(record: ParsedEvent, text: string): ParsedEvent | undefined {
    try {
      return this.parser.continuation?.(record, text);
    } catch {
      return undefined;
    }
  }

  /** Event of a parsed line, with its dataset. */
  eventOf(parsed: ParsedEvent): LineEvent {
    const dataset = ((parsed.fields.event as Record<string, unknown> | undefined)?.dataset as string | undefined) ?? this.format.dataset;
    categorise(dataset, parsed.fields as Record<string, unknown>);
    return { dataset, fields: parsed.fields, ...(parsed.timestamp ? { timestamp: parsed.timestamp } : {}) };
  }

  /**
   * The hit line with its event and every match named by its field; the
   * line unchanged (fields `message`) when it does not parse.
   */
  refine(hit: HitLine): HitLine {
    this.headersBefore(hit.offset);
    const { text, skipped } = decodeLine(hit.line);
    if (this.parser.headerPrefix && text.startsWith(this.parser.headerPrefix)) return hit;
    let parsed = this.parseText(text);
    if (!parsed && this.finder) {
      const record = this.finder.recordBefore(hit.offset);
      if (record) parsed = this.continuationOf(record, text);
    }
    if (!parsed) return hit;
    const matches: LineMatch[] = hit.matches.map((m) => {
      const field = fieldAt(parsed.spans, charIndex(hit.line, text, skipped, m.start), charIndex(hit.line, text, skipped, m.end));
      return field ? { ...m, field } : m;
    });
    return { ...hit, matches, event: this.eventOf(parsed) };
  }
}

/** Opens `format` on an input whose first lines are `head`. */
export function openInputParser(format: LogFormat, head: readonly string[], context: Parameters<LogFormat['open']>[1]): InputParser {
  return new InputParser(format, format.open(head, context));
}
