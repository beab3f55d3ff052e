/**
 * Format detection from the first lines of an input.
 */
import { FORMATS } from './registry.js';
import type { LogFormat } from './types.js';

/** Bytes read from the start of an input to detect its format. */
export const DETECT_BYTES = 64 * 1024;
const MAX_LINES = 20;

/**
 * The first lines of `head` (the start of an input): UTF-8 BOM, line ends
 * and NUL framing removed, blank lines skipped, at most 20. When `complete`
 * is false the last, possibly cut, line is left out.
 */
export function headLines(head: Uint8Array, complete: boolean): string[] {
  let text = new TextDecoder('utf-8', { fatal: false, ignoreBOM: false }).decode(head);
  if (!complete) {
    const nl = text.lastIndexOf('\n');
    text = nl >= 0 ? text.slice(0, nl) : text;
  }
  const out: string[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.replace(/\r$/, '').replace(/\0+$/, '');
    if (line.trim() === '') continue;
    out.push(line);
    if (out.length >= MAX_LINES) break;
  }
  return out;
}

/** The first format whose detector accepts `lines`, or undefined when none does (or there are no lines). */
export function detectFormat(lines: readonly string[]): LogFormat | undefined {
  if (lines.length === 0) return undefined;
  return FORMATS.find((f) => f.detect(lines));
}
