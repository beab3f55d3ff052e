/**
 * Streaming JSON for feed readers: the bytes go through stream-json's
 * tokenizer and only the values a reader selects (by path) are assembled
 * into objects, one at a time, so a feed of a million indicators is never
 * held whole in memory. Concatenated and line-delimited JSON work too.
 */
import { Readable } from 'node:stream';
import parser from 'stream-json/parser.js';

/** A path in a JSON document: object keys and array indexes. */
export type JsonPath = readonly (string | number)[];

/** A selected value and where it was. */
export interface JsonItem {
  readonly path: JsonPath;
  readonly value: unknown;
  /** 1-based number of the top-level document (NDJSON line order). */
  readonly doc: number;
}

interface Frame {
  /** The container being assembled, when inside a selected value. */
  readonly into?: Record<string, unknown> | unknown[];
  /** Next key (objects) or index (arrays). */
  key: string | number;
  readonly isArray: boolean;
}

interface Token {
  readonly name: string;
  readonly value?: unknown;
}

/**
 * Yields every value whose path `select` accepts, assembled. Values inside
 * a selected value are not offered to `select` again. Throws the parser's
 * error on malformed JSON (the reader turns it into a feed error).
 */
export async function* jsonItems(chunks: AsyncIterable<Buffer>, select: (path: JsonPath) => boolean): AsyncGenerator<JsonItem> {
  const tokens = Readable.from(chunks).pipe(
    parser.asStream({ packValues: true, streamValues: false, jsonStreaming: true }),
  ) as AsyncIterable<Token>;
  const stack: Frame[] = [];
  // Depth of the stack at which the current selected value started; -1 when none.
  let selectedAt = -1;
  let root: unknown;
  let rootPath: JsonPath = [];
  let doc = 0;
  const path = (): (string | number)[] => stack.map((f) => f.key);

  /** Places a finished value; returns an item when it completes a selected value. */
  const place = (value: unknown): JsonItem | undefined => {
    const parent = stack[stack.length - 1];
    if (selectedAt >= 0 && stack.length > selectedAt) {
      if (parent?.into) {
        if (parent.isArray) (parent.into as unknown[]).push(value);
        else (parent.into as Record<string, unknown>)[parent.key as string] = value;
      }
      return undefined;
    }
    return undefined;
  };
  const advance = (): void => {
    const parent = stack[stack.length - 1];
    if (parent?.isArray) parent.key = (parent.key as number) + 1;
  };

  for await (const t of tokens) {
    switch (t.name) {
      case 'keyValue': {
        const top = stack[stack.length - 1];
        if (top) top.key = t.value as string;
        continue;
      }
      case 'startObject':
      case 'startArray': {
        if (stack.length === 0) doc++;
        const isArray = t.name === 'startArray';
        let into: Frame['into'];
        if (selectedAt >= 0) {
          into = isArray ? [] : {};
          place(into);
        } else if (select(path())) {
          into = isArray ? [] : {};
          selectedAt = stack.length;
          root = into;
          rootPath = path();
        }
        stack.push({ ...(into ? { into } : {}), key: isArray ? 0 : '', isArray });
        continue;
      }
      case 'endObject':
      case 'endArray': {
        stack.pop();
        if (selectedAt >= 0 && stack.length === selectedAt) {
          selectedAt = -1;
          const item: JsonItem = { path: rootPath, value: root, doc };
          root = undefined;
          advance();
          yield item;
        } else advance();
        continue;
      }
      default: {
        if (stack.length === 0) doc++;
        const value = t.name === 'numberValue' ? Number(t.value) : t.value;
        if (selectedAt >= 0) place(value);
        else if (select(path())) {
          const item: JsonItem = { path: path(), value, doc };
          advance();
          yield item;
          continue;
        }
        advance();
      }
    }
  }
}

/** `value` as a plain object, or undefined. */
export function asObject(value: unknown): Record<string, unknown> | undefined {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}

/** `value` as a non-empty trimmed string (numbers are converted), or undefined. */
export function asText(value: unknown): string | undefined {
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  if (typeof value !== 'string') return undefined;
  const t = value.trim();
  return t === '' ? undefined : t;
}

/** A feed time (ISO 8601, `YYYY-MM-DD HH:MM:SS`, or epoch seconds) as UTC ISO 8601, or undefined. */
export function asTime(value: unknown): string | undefined {
  if (typeof value === 'number' && Number.isFinite(value)) return new Date(value * 1000).toISOString();
  const t = asText(value);
  if (!t) return undefined;
  if (/^\d{9,10}(\.\d+)?$/.test(t)) return new Date(Number(t) * 1000).toISOString();
  // No zone: feeds (OTX, MISP) mean UTC.
  const iso = /^\d{4}-\d\d-\d\d[T ]\d\d:\d\d(:\d\d(\.\d+)?)?$/.test(t) ? `${t.replace(' ', 'T')}Z` : t;
  const ms = Date.parse(iso);
  return Number.isNaN(ms) ? undefined : new Date(ms).toISOString();
}

/** The TLP colour named by a tag or marking (`tlp:amber`, `TLP:CLEAR`, `TLP: GREEN`), or undefined. */
export function tlpOf(tag: string): string | undefined {
  const m = /^tlp\s*:\s*(white|clear|green|amber\+strict|amber|red)\b/i.exec(tag.trim());
  return m ? (m[1] as string).toLowerCase() : undefined;
}
