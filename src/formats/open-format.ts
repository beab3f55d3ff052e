/**
 * Chooses the log format of an input (`--format`, else detection from its
 * first lines) and opens its parser.
 */
import { detectFormat, headLines } from './detect.js';
import { InputParser } from './input-parser.js';
import { recordsLayout, type RecordsLayout } from './records-layout.js';
import { RecordsRefiner } from './records-refiner.js';
import { formatByName } from './registry.js';
import type { LogFormat, ParseContext } from './types.js';

/** `--format` value that turns parsing off. */
export const NO_FORMAT = 'none';

/** Options shared by `scan` and `parse`. */
export interface FormatOptions {
  /** A format name to use for every input instead of detecting it, or `none`. */
  readonly format?: string;
  /** Zone for timestamps without an offset (default UTC). */
  readonly timezone: string;
  /** VPC flow field order for inputs without a header (`--vpcflow-fields`). */
  readonly vpcflowFields?: readonly string[];
}

/** An input's start, as the search pipeline peeks it. */
export interface HeadOfInput {
  readonly path: string;
  readonly head: Uint8Array;
  readonly complete: boolean;
  readonly mtimeMs?: number;
}

/** The format for an input: forced by `options.format`, else detected; undefined when none applies. */
export function chooseFormat(lines: readonly string[], options: FormatOptions): LogFormat | undefined {
  if (options.format === NO_FORMAT) return undefined;
  if (options.format) return formatByName(options.format);
  return detectFormat(lines);
}

/** Format of the records of a `{"Records":[…]}` input. */
const RECORDS_FORMAT = 'aws-cloudtrail';

function contextOf(input: HeadOfInput, options: FormatOptions): ParseContext {
  return {
    path: input.path,
    timezone: options.timezone,
    referenceMs: input.mtimeMs ?? Date.now(),
    ...(options.vpcflowFields ? { vpcflowFields: options.vpcflowFields } : {}),
  };
}

/** Opens the line parser for one input, or undefined when no format applies. */
export function openFormat(input: HeadOfInput, options: FormatOptions): InputParser | undefined {
  const lines = headLines(input.head, input.complete);
  const format = chooseFormat(lines, options);
  if (!format) return undefined;
  return new InputParser(format, format.open(lines, contextOf(input, options)));
}

/** A `{"Records":[…]}` input: how its records open, and the parser of one record's text. */
export interface RecordsInput {
  readonly layout: RecordsLayout;
  readonly parser: InputParser;
}

/**
 * The records view of an input that is one CloudTrail `{"Records":[…]}`
 * document (detected, or with `--format aws-cloudtrail`), else undefined:
 * such an input is read record by record, not line by line.
 */
export function openRecords(input: HeadOfInput, options: FormatOptions): RecordsInput | undefined {
  if (options.format !== undefined && options.format !== RECORDS_FORMAT) return undefined;
  const layout = recordsLayout(input.head);
  const format = layout ? formatByName(RECORDS_FORMAT) : undefined;
  if (!layout || !format) return undefined;
  return { layout, parser: new InputParser(format, format.open([], contextOf(input, options))) };
}

/** What refines an input's hits during `scan`: its records, else its lines, else nothing. */
export function openScanRefiner(input: HeadOfInput, options: FormatOptions): InputParser | RecordsRefiner | undefined {
  const records = openRecords(input, options);
  if (records) return new RecordsRefiner(records.layout, records.parser);
  return openFormat(input, options);
}
