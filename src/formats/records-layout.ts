/**
 * Recognises a CloudTrail S3 object, one JSON document `{"Records":[…]}`
 * (pretty-printed over many lines or on one line), from its first bytes, and
 * learns how its records open so that record starts can later be found with
 * plain Buffer searches instead of tokenizing the file.
 */

/** How the records of a `{"Records":[…]}` input open. */
export interface RecordsLayout {
  /**
   * Bytes that occur exactly where a record opens: the newline and
   * indentation before the record's `{` in a pretty-printed file (deeper
   * objects are indented further, and JSON strings hold no raw newline),
   * or `{` and the first key (`{"eventVersion"`) in a one-line file.
   */
  readonly start: Buffer;
  /** Index of the record's `{` within {@link start}. */
  readonly lead: number;
}

const WRAPPER = /^\uFEFF?\s*\{\s*"Records"\s*:\s*\[(\s*)\{(\s*"(?:[^"\\]|\\.)*")?/;
const CLOUDTRAIL_KEY = /"(eventVersion|eventSource)"\s*:/;

/**
 * The layout of a CloudTrail `{"Records":[…]}` input from its first bytes
 * (decompressed), or undefined when the input does not start like one: a
 * `Records` array as the first key whose first element is an object with
 * CloudTrail keys (`eventVersion`, `eventSource`) among the first bytes.
 */
export function recordsLayout(head: Uint8Array): RecordsLayout | undefined {
  const text = new TextDecoder('utf-8', { fatal: false, ignoreBOM: true }).decode(head.subarray(0, 64 * 1024));
  const m = WRAPPER.exec(text);
  if (!m || !CLOUDTRAIL_KEY.test(text.slice(m[0].length - (m[2]?.length ?? 0)))) return undefined;
  const gap = m[1] ?? '';
  const nl = gap.lastIndexOf('\n');
  if (nl >= 0) {
    const indent = gap.slice(nl + 1);
    return { start: Buffer.from(`\n${indent}{`), lead: indent.length + 1 };
  }
  if (m[2] === undefined) return undefined;
  return { start: Buffer.from(`{${m[2]}`), lead: 0 };
}

/**
 * The end (exclusive) of the JSON object whose `{` is at `buf[start]`, or -1
 * when `buf` ends before it closes. Walks the bytes once, aware of strings
 * and escapes; used on the records that hit only.
 */
export function objectEnd(buf: Uint8Array, start: number): number {
  let depth = 0;
  let inString = false;
  for (let i = start; i < buf.length; i++) {
    const c = buf[i];
    if (inString) {
      if (c === 0x5c) i++;
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x7b || c === 0x5b) depth++;
    else if (c === 0x7d || c === 0x5d) {
      depth--;
      if (depth === 0) return i + 1;
    }
  }
  return -1;
}
