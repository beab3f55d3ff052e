/**
 * Defaults of `scan` options that the command line states in its help,
 * kept apart from the scan itself so that building the program loads nothing
 * of it.
 */
import { availableParallelism } from 'node:os';

/** `--max-line-bytes` default. */
export const DEFAULT_MAX_LINE_BYTES = 16 * 1024 * 1024;

/** Default thread count: the machine's cores. */
export function defaultThreads(): number {
  return Math.max(1, availableParallelism());
}
