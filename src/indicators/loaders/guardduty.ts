/**
 * AWS GuardDuty threat-list TXT: one IP address or CIDR block per line
 * (`#` comments allowed). Anything else on a line is an invalid entry. Its
 * content is indistinguishable from a plain list of addresses, so it is
 * never detected: name it with `--iocs-format guardduty-txt` to have
 * non-addresses reported.
 */
import type { RawEntry } from '../types.js';
import type { BadRecord, FeedReader } from './feed-reader.js';
import { plainValue } from './plain.js';
import { textLines } from './text-lines.js';

export const guarddutyTxtReader: FeedReader = {
  name: 'guardduty-txt',
  description: 'AWS GuardDuty TXT threat list: one IP or CIDR per line (never detected; name it with --iocs-format)',
  sniff: () => false,
  async *read(chunks): AsyncGenerator<RawEntry | BadRecord> {
    for await (const { text, line } of textLines(chunks)) {
      const value = plainValue(text);
      if (value !== undefined) yield { value, line, declaredType: 'ip' };
    }
  },
};
