/**
 * Chooses the log format of an input (`--format`, else detection from its
 * first lines) and opens its parser.
 */
import { detectFormat, headLines } from './detect.js';
import { InputParser } from './input-parser.js';
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

/** Opens the parser for one input, or undefined when no format applies. */
export function openFormat(input: HeadOfInput, options: FormatOptions): InputParser | undefined {
  const lines = headLines(input.head, input.complete);
  const format = chooseFormat(lines, options);
  if (!format) return undefined;
  const context: ParseContext = {
    path: input.path,
    timezone: options.timezone,
    referenceMs: input.mtimeMs ?? Date.now(),
  };
  return new InputParser(format, format.open(lines, context));
}
