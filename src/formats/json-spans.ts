/**
 * A JSON parser that also reports where every leaf value sat in the text, by
 * dotted path (`userIdentity.arn`; array elements share their array's path:
 * `answers.Rdata`). Used on hit lines only. Spans are UTF-16 indices into the
 * text and cover the raw token, quotes and escapes included.
 */
import type { FieldSpan } from './types.js';

/** Result of {@link parseJsonWithSpans}. */
export interface JsonWithSpans {
  readonly value: unknown;
  readonly spans: FieldSpan[];
}

class JsonSyntaxError extends Error {}

const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;

/**
 * Parses `text` (one JSON value, surrounding white space allowed). Returns
 * undefined when it is not valid JSON.
 */
export function parseJsonWithSpans(text: string): JsonWithSpans | undefined {
  const spans: FieldSpan[] = [];
  let i = 0;
  const ws = (): void => {
    for (;;) {
      const c = text.charCodeAt(i);
      if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) i++;
      else return;
    }
  };
  const str = (): string => {
    const start = i;
    i++; // opening quote
    let escaped = false;
    for (;;) {
      if (i >= text.length) throw new JsonSyntaxError();
      const c = text.charCodeAt(i++);
      if (c === 0x5c) {
        escaped = true;
        i++;
      } else if (c === 0x22) break;
      else if (c < 0x20) throw new JsonSyntaxError();
    }
    const raw = text.slice(start, i);
    return escaped ? (JSON.parse(raw) as string) : raw.slice(1, -1);
  };
  const value = (path: string): unknown => {
    ws();
    const c = text[i];
    const start = i;
    if (c === '{') {
      i++;
      const obj: Record<string, unknown> = {};
      ws();
      if (text[i] === '}') {
        i++;
        return obj;
      }
      for (;;) {
        ws();
        if (text[i] !== '"') throw new JsonSyntaxError();
        const key = str();
        ws();
        if (text[i++] !== ':') throw new JsonSyntaxError();
        obj[key] = value(path === '' ? key : `${path}.${key}`);
        ws();
        const sep = text[i++];
        if (sep === '}') return obj;
        if (sep !== ',') throw new JsonSyntaxError();
      }
    }
    if (c === '[') {
      i++;
      const arr: unknown[] = [];
      ws();
      if (text[i] === ']') {
        i++;
        return arr;
      }
      for (;;) {
        arr.push(value(path));
        ws();
        const sep = text[i++];
        if (sep === ']') return arr;
        if (sep !== ',') throw new JsonSyntaxError();
      }
    }
    let v: unknown;
    if (c === '"') v = str();
    else if (text.startsWith('true', i)) (v = true), (i += 4);
    else if (text.startsWith('false', i)) (v = false), (i += 5);
    else if (text.startsWith('null', i)) (v = null), (i += 4);
    else {
      NUMBER.lastIndex = i;
      const m = NUMBER.exec(text);
      if (!m) throw new JsonSyntaxError();
      i += m[0].length;
      v = Number(m[0]);
    }
    spans.push({ start, end: i, field: path });
    return v;
  };
  try {
    const v = value('');
    ws();
    if (i !== text.length) return undefined;
    return { value: v, spans };
  } catch (err) {
    if (err instanceof JsonSyntaxError || err instanceof SyntaxError) return undefined;
    throw err;
  }
}

/** Reads `obj.a.b` for path `a.b` (keys containing dots are tried whole first). */
export function getPath(obj: unknown, path: string): unknown {
  if (obj === null || typeof obj !== 'object') return undefined;
  const rec = obj as Record<string, unknown>;
  if (path in rec) return rec[path];
  const dot = path.indexOf('.');
  if (dot < 0) return undefined;
  return getPath(rec[path.slice(0, dot)], path.slice(dot + 1));
}

/** Whether the first non-blank character of `line` opens a JSON object. */
export function looksLikeJsonObject(line: string): boolean {
  return /^\s*\{/.test(line);
}
