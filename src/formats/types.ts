/**
 * The contract between the search pipeline and the log-format parsers. A
 * format recognises its files from their first lines and parses one line at a
 * time into ECS fields, remembering where each field's value sat in the line
 * so that a match can be named by the field it fell in.
 */

/** Where one field's value sits in the parsed line: UTF-16 indices into the line string, end exclusive. */
export interface FieldSpan {
  readonly start: number;
  readonly end: number;
  /** ECS field path (`source.ip`), or the dotted path of a generic JSON field. */
  readonly field: string;
}

/** One parsed line. */
export interface ParsedEvent {
  /** ECS fields as nested objects (`{ source: { ip: '10.0.0.1' } }`). */
  readonly fields: Record<string, unknown>;
  /** Event time from the line, UTC ISO 8601 (`2016-12-26T14:16:29.000Z`); absent when the line has none. */
  readonly timestamp?: string;
  /** Value spans; the innermost span containing a match names its field. */
  readonly spans: readonly FieldSpan[];
}

/** What a format's parser may know besides the line. */
export interface ParseContext {
  /** The input's path (`-` for stdin). */
  readonly path: string;
  /** IANA zone or `UTC` for timestamps written without an offset (RFC 3164 syslog, zone-less ISO 8601). */
  readonly timezone: string;
  /** Reference time for year inference (file modification time, else now), epoch milliseconds. */
  readonly referenceMs: number;
  /** `--vpcflow-fields`: the VPC / Transit Gateway flow field order of lines with no header (validated names). */
  readonly vpcflowFields?: readonly string[];
}

/**
 * Per-input parser: created once per input from its first lines, then fed
 * the input's header lines (as they are met) and asked to parse hit lines.
 */
export interface LineParser {
  /**
   * Parses one line (without its line end). Returns undefined when the line
   * is not an event of this format (a header, a comment, garbage): the caller
   * keeps such a line as an unparsed `message`, never drops it.
   */
  parse(line: string): ParsedEvent | undefined;
  /**
   * True when the line is a header or comment that defines the layout of the
   * lines after it (`#fields` in Zeek, a VPC flow header). Header lines
   * update the parser's layout and produce no event.
   */
  header?(line: string): boolean;
  /**
   * A line prefix that every header line starts with, for finding later
   * headers inside a block without reading every line (`#fields`), or
   * undefined when headers cannot recur.
   */
  readonly headerPrefix?: string;
  /**
   * For formats with multi-line records (syslog): the event of a line that
   * does not parse but continues the record parsed as `record` (the nearest
   * line before it that parses). Absent when lines never continue records.
   */
  continuation?(record: ParsedEvent, line: string): ParsedEvent;
  /**
   * With {@link continuation}: false when a line starting with byte `byte`
   * cannot be a record's first line (lets searches skip it undecoded).
   */
  mayStartRecord?(byte: number | undefined): boolean;
}

/** A log-format family. */
export interface LogFormat {
  /** Name for `--format` and `event.dataset` prefix, e.g. `apache`. */
  readonly name: string;
  /** One line for `iochunt formats`. */
  readonly description: string;
  /** `event.dataset` of its events, unless an event sets its own (`apache.access`). */
  readonly dataset: string;
  /**
   * Whether the first lines of an input (non-blank, BOM and line ends
   * removed, at most about 20) look like this format.
   */
  detect(lines: readonly string[]): boolean;
  /** A parser for one input, given its first lines (for header-defined layouts). */
  open(head: readonly string[], context: ParseContext): LineParser;
}
