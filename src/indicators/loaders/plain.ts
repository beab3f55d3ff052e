/**
 * Plain indicator lists: one indicator per line, as most public lists are
 * written. `#` starts a comment (whole line, or after white space); blank
 * lines, CRLF and a BOM are fine. Only the first field of a line counts, so
 * `IP<TAB>count` (IPsum), `HASH;comment` (LOKI) and `- value` bullets load;
 * a line that is a comma-separated list of indicators gives all of them.
 * Lines with more than one field whose other fields are not plain numbers
 * are counted and named in one warning, since such a list may have another
 * layout (a hosts file, a CSV without a header).
 */
import { normalizeIndicator } from '../normalize.js';
import type { RawEntry } from '../types.js';
import type { BadRecord, FeedNotice, FeedReader } from './feed-reader.js';
import { textLineBatches } from './text-lines.js';

const TRAILING_COMMENT = /\s#.*$/;
const BULLET = /^[-*\u2022]\s+/;
/**
 * A line that {@link plainValues} reads as itself, with no extra field: no
 * white space at all (so no trimming, no trailing comment, no bullet, one
 * field), not a comment, and no `,` `;` `|` (no list, no `value;comment`).
 */
const SIMPLE_LINE = /^[^\s#,;|][^\s,;|]*$/;

/** The text of a plain-list line without comment and bullet, or undefined for a blank or comment line. */
function lineBody(text: string): string | undefined {
  let s = text.trim();
  if (s === '' || s.startsWith('#')) return undefined;
  s = s.replace(TRAILING_COMMENT, '').replace(BULLET, '').trim();
  return s === '' ? undefined : s;
}

/**
 * Picks the value out of one line of a plain list, or returns undefined for a
 * blank or comment line.
 */
export function plainValue(text: string): string | undefined {
  const s = lineBody(text);
  if (s === undefined) return undefined;
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

/**
 * The values of one plain-list line: all of them when the line is a list of
 * indicators separated by commas (`a.example, 10.1.2.3,b.example`), each
 * part valid and the whole line not one indicator; otherwise the single
 * {@link plainValue}.
 */
export function plainValues(text: string): string[] {
  const s = lineBody(text);
  if (s === undefined) return [];
  if (s.includes(',') && !normalizeIndicator(s).ok) {
    const parts = s.split(/\s*,\s*/).filter((p) => p !== '');
    if (parts.length > 1 && parts.every((p) => normalizeIndicator(p).ok)) return parts;
  }
  const v = plainValue(text);
  return v === undefined ? [] : [v];
}

/** True when the line has fields after the first that are not plain numbers (IPsum's counts are). */
function hasExtraFields(text: string): boolean {
  const s = lineBody(text);
  if (s === undefined) return false;
  const fields = s.split(/\s+/);
  return fields.length > 1 && fields.slice(1).some((f) => !/^[+-]?\d+(\.\d+)?%?$/.test(f));
}

export const plainReader: FeedReader = {
  name: 'plain',
  description: 'one indicator per line; # comments, blank lines, first field only (IP<TAB>count, HASH;comment), comma-separated lists',
  sniff: () => true,
  async *read(chunks): AsyncGenerator<RawEntry | BadRecord | FeedNotice | RawEntry[]> {
    let extra = 0;
    let firstExtra = 0;
    for await (const lines of textLineBatches(chunks)) {
      const entries: RawEntry[] = [];
      for (const { text, line } of lines) {
        // Most lines are one value and nothing else: that value, as the general path reads it.
        if (SIMPLE_LINE.test(text)) {
          entries.push({ value: text, line });
          continue;
        }
        const values = plainValues(text);
        if (values.length === 1 && hasExtraFields(text)) {
          extra++;
          if (firstExtra === 0) firstExtra = line;
        }
        for (const value of values) entries.push({ value, line });
      }
      if (entries.length > 0) yield entries;
    }
    if (extra > 0) {
      yield {
        notice: `${extra} line${extra === 1 ? ' has' : 's have'} more than one field (first at line ${firstExtra}); only the first field of each was read as an indicator; if the list has another layout, name it with --iocs-format (see iochunt iocs formats)`,
      };
    }
  },
};
