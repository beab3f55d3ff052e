/**
 * The contract every indicator-feed format implements.
 */
import type { RawEntry } from '../types.js';

/** A record the reader could not turn into a value at all (the store never sees it). */
export interface BadRecord {
  readonly bad: true;
  readonly line: number;
  readonly value: string;
  readonly reason: string;
}

/** One feed format: how to recognise it and how to read its entries. */
export interface FeedReader {
  /** Name used by `--iocs-format` and in messages. */
  readonly name: string;
  /** One line for `iochunt iocs formats`. */
  readonly description: string;
  /**
   * True when `head` (the first bytes of the feed, decoded as UTF-8, BOM
   * removed) looks like this format. Readers are asked in a fixed order.
   */
  sniff(head: string): boolean;
  /** Reads the whole feed as raw entries (values still defanged, untyped or typed). */
  read(chunks: AsyncIterable<Buffer>, head: string): AsyncIterable<RawEntry | BadRecord>;
}
