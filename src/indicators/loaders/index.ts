/**
 * The registry of feed formats, in detection order: the first reader whose
 * `sniff` accepts the head of a feed reads it. `plain` accepts anything and
 * comes last.
 */
import { csvReader } from './csv.js';
import type { FeedReader } from './feed-reader.js';
import { plainReader } from './plain.js';

export type { BadRecord, FeedReader } from './feed-reader.js';

export const FEED_READERS: readonly FeedReader[] = [csvReader, plainReader];

/** The reader named `name`, or undefined. */
export function feedReaderByName(name: string): FeedReader | undefined {
  return FEED_READERS.find((r) => r.name === name);
}

/** The first reader that recognises `head`. */
export function detectFeedReader(head: string): FeedReader {
  for (const r of FEED_READERS) if (r.sniff(head)) return r;
  return plainReader;
}
