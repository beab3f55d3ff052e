/**
 * Plain indicator lists: one indicator per line, as most public lists are
 * written. `#` starts a comment (whole line, or after white space); blank
 * lines, CRLF and a BOM are fine. Only the first field of a line counts, so
 * `IP<TAB>count` (IPsum), `HASH;comment` (LOKI) and `- value` bullets load.
 */
import { normalizeIndicator } from '../normalize.js';
import type { RawEntry } from '../types.js';
import type { BadRecord, FeedReader } from './feed-reader.js';
import { textLines } from './text-lines.js';

const TRAILING_COMMENT = /\s#.*$/;
const BULLET = /^[-*\u2022]\s+/;

/**
 * Picks the value out of one line of a plain list, or returns undefined for a
 * blank or comment line.
 */
export function plainValue(text: string): string | undefined {
  let s = text.trim();
  if (s === '' || s.startsWith('#')) return undefined;
  s = s.replace(TRAILING_COMMENT, '').replace(BULLET, '');
  const first = s.split(/\s+/, 1)[0] ?? '';
  if (first === '') return undefined;
  // `value;comment` and `value,score`: keep the part before the separator when
  // the whole field is not an indicator by itself (URLs may contain ; and ,).
  if (/[;,|]/.test(first) && !normalizeIndicator(first).ok) {
    const head = first.split(/[;,|]/, 1)[0] ?? '';
    if (head !== '' && normalizeIndicator(head).ok) return head;
  }
  return first;
}

export const plainReader: FeedReader = {
  name: 'plain',
  description: 'one indicator per line; # comments, blank lines, first field only (IP<TAB>count, HASH;comment)',
  sniff: () => true,
  async *read(chunks): AsyncGenerator<RawEntry | BadRecord> {
    for await (const { text, line } of textLines(chunks)) {
      const value = plainValue(text);
      if (value !== undefined) yield { value, line };
    }
  },
};
