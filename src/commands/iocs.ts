/**
 * `iochunt iocs ...`: look at indicator feeds without scanning anything.
 * `formats` lists the feed formats in detection order.
 */
import { FEED_READERS } from '../indicators/loaders/index.js';

/** Prints the feed formats, one per line, in detection order; returns the exit code (0). */
export function runIocsFormats(write: (s: string) => void = (s) => process.stdout.write(s)): number {
  for (const r of FEED_READERS) write(`${r.name.padEnd(18)} ${r.description}\n`);
  return 0;
}
