/**
 * Turns an engine's packed hits for one block into hit lines: only the lines
 * that hit are located and copied, never the others.
 */
import { HIT_STRIDE, type PackedHits } from '../engine/engine.js';
import type { HitLine, LineMatch } from '../output/hit-document.js';

const NL = 0x0a;
const CR = 0x0d;

/**
 * Groups `hits` (sorted by line) of block `buf`, which starts at stream
 * offset `blockOffset`, into one {@link HitLine} per line.
 */
export function hitLines(path: string, buf: Buffer, blockOffset: number, hits: PackedHits): HitLine[] {
  const out: HitLine[] = [];
  let i = 0;
  const n = hits.length;
  while (i < n) {
    const lineStart = hits[i] as number;
    let lineEnd = buf.indexOf(NL, lineStart);
    if (lineEnd < 0) lineEnd = buf.length;
    let contentEnd = lineEnd;
    if (contentEnd > lineStart && buf[contentEnd - 1] === CR) contentEnd--;
    const matches: LineMatch[] = [];
    while (i < n && hits[i] === lineStart) {
      const start = (hits[i + 1] as number) - lineStart;
      const end = (hits[i + 2] as number) - lineStart;
      matches.push({ id: hits[i + 3] as number, start, end });
      i += HIT_STRIDE;
    }
    out.push({
      path,
      offset: blockOffset + lineStart,
      // A view into the block: valid until the block has been handled.
      line: buf.subarray(lineStart, contentEnd),
      matches,
    });
  }
  return out;
}
