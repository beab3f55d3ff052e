/**
 * Line splitting for feed readers: UTF-8 across chunk boundaries, CRLF, a
 * leading BOM, and a last line without a newline.
 */
import { StringDecoder } from 'node:string_decoder';

export interface TextLine {
  readonly text: string;
  /** 1-based line number. */
  readonly line: number;
}

/** Yields the lines of `chunks` with their numbers; `\r` before `\n` and a leading BOM are removed. */
export async function* textLines(chunks: AsyncIterable<Buffer>): AsyncGenerator<TextLine> {
  for await (const batch of textLineBatches(chunks)) yield* batch;
}

/** {@link textLines}, the lines of each chunk as one array (one promise per chunk, not per line). */
export async function* textLineBatches(chunks: AsyncIterable<Buffer>): AsyncGenerator<TextLine[]> {
  const decoder = new StringDecoder('utf8');
  let pending = '';
  let n = 0;
  const strip = (s: string): string => {
    let t = s.endsWith('\r') ? s.slice(0, -1) : s;
    if (n === 1 && t.charCodeAt(0) === 0xfeff) t = t.slice(1);
    return t;
  };
  for await (const chunk of chunks) {
    pending += decoder.write(chunk);
    const batch: TextLine[] = [];
    let start = 0;
    for (;;) {
      const nl = pending.indexOf('\n', start);
      if (nl < 0) break;
      n++;
      batch.push({ text: strip(pending.slice(start, nl)), line: n });
      start = nl + 1;
    }
    pending = pending.slice(start);
    if (batch.length > 0) yield batch;
  }
  pending += decoder.end();
  if (pending.length > 0) {
    n++;
    yield [{ text: strip(pending), line: n }];
  }
}
