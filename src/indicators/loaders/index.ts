/**
 * The registry of feed formats, in detection order: the first reader whose
 * `sniff` accepts the head of a feed reads it. `plain` accepts anything and
 * comes last.
 */
import { csvReader } from './csv.js';
import type { FeedReader } from './feed-reader.js';
import { gcpEtdReader } from './gcp-etd.js';
import {
  guarddutyAlienVaultReader,
  guarddutyFireEyeReader,
  guarddutyOtxCsvReader,
  guarddutyProofPointReader,
  guarddutyTxtReader,
} from './guardduty.js';
import { mispWarninglistReader } from './misp-warninglist.js';
import { mispReader } from './misp.js';
import { otxReader } from './otx.js';
import { hostsReader } from './hosts.js';
import { plainReader } from './plain.js';
import { stixReader } from './stix.js';
import { zeekIntelReader } from './zeek-intel.js';

export type { BadRecord, FeedNotice, FeedReader, ReadOptions } from './feed-reader.js';

export const FEED_READERS: readonly FeedReader[] = [
  stixReader,
  gcpEtdReader,
  mispWarninglistReader,
  mispReader,
  otxReader,
  zeekIntelReader,
  csvReader,
  hostsReader,
  plainReader,
  guarddutyTxtReader,
  guarddutyOtxCsvReader,
  guarddutyAlienVaultReader,
  guarddutyProofPointReader,
  guarddutyFireEyeReader,
];

const JSON_READERS: ReadonlySet<FeedReader> = new Set([stixReader, gcpEtdReader, mispWarninglistReader, mispReader, otxReader]);

/** Names of the feed formats, for option validation. */
export function feedFormatNames(): string[] {
  return FEED_READERS.map((r) => r.name);
}

/** The reader named `name`, or undefined. */
export function feedReaderByName(name: string): FeedReader | undefined {
  return FEED_READERS.find((r) => r.name === name);
}

/** The first reader that recognises `head`. */
export function detectFeedReader(head: string): FeedReader {
  // JSON formats are only asked about JSON, so a text list quoting JSON keys stays text.
  const json = /^\s*[[{]/.test(head);
  for (const r of FEED_READERS) {
    if (JSON_READERS.has(r) !== json) continue;
    if (r.sniff(head)) return r;
  }
  return plainReader;
}
