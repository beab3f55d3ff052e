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
  /**
   * True when the feed itself says not to use the entry (MISP `to_ids:
   * false`, deleted, STIX `revoked`): counted and explained as skipped, but
   * neither warned about nor an error under `--strict`.
   */
  readonly policy?: true;
}

/**
 * Something the user should know about how the feed was read (a layout that
 * may have been misread): the loader prints it as a warning naming the feed.
 */
export interface FeedNotice {
  readonly notice: string;
}

/** Options that change what a reader yields (they are part of the cache key). */
export interface ReadOptions {
  /** MISP: use attributes whose `to_ids` is false too (`--misp-all`). */
  readonly mispAll?: boolean;
  /** The feed is read for `--allow`: allowlist-only rows (Zeek `meta.whitelist T`) are wanted. */
  readonly allowlist?: boolean;
}

/** One feed format: how to recognise it and how to read its entries. */
export interface FeedReader {
  /** Name used by `--iocs-format` and in messages. */
  readonly name: string;
  /**
   * What an entry's `line` counts, when it is not a line of the file: JSON
   * feeds number their objects (`object`, `attribute`, `indicator`, `entry`).
   * Messages then say `feed.json (object 3)` instead of `feed.json:3`.
   */
  readonly position?: string;
  /** One line for `iochunt iocs formats`. */
  readonly description: string;
  /**
   * True when `head` (the first bytes of the feed, decoded as UTF-8, BOM
   * removed) looks like this format. Readers are asked in a fixed order.
   */
  sniff(head: string): boolean;
  /**
   * Reads the whole feed as raw entries (values still defanged, untyped or
   * typed). A reader may yield a batch of entries at once (an array, in feed
   * order): a million entries yielded one by one cost a promise each.
   */
  read(chunks: AsyncIterable<Buffer>, head: string, options?: ReadOptions): AsyncIterable<RawEntry | BadRecord | FeedNotice | readonly RawEntry[]>;
}
