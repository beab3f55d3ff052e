/**
 * Builds a {@link ParsedEvent}: sets nested ECS fields from dotted paths and
 * records where each value sat in the line.
 */
import type { FieldSpan, ParsedEvent } from './types.js';

const splitCache = new Map<string, readonly string[]>();
/** Paths kept split: parsers use a few dozen; JSON logs bring their own, so the cache is bounded. */
const MAX_SPLIT = 4096;

/** `path.split('.')`, kept for the paths parsers set on every line. */
function splitKeys(path: string): readonly string[] {
  let keys = splitCache.get(path);
  if (keys === undefined) {
    keys = path.split('.');
    if (splitCache.size >= MAX_SPLIT) splitCache.clear();
    splitCache.set(path, keys);
  }
  return keys;
}

/** Sets `obj.a.b.c = value` for path `a.b.c`, creating objects on the way; an existing leaf is not overwritten by an object. */
export function setPath(obj: Record<string, unknown>, path: string, value: unknown): void {
  const keys = splitKeys(path);
  let cur: Record<string, unknown> = obj;
  for (let i = 0; i < keys.length - 1; i++) {
    const k = keys[i] as string;
    const next = cur[k];
    if (next === null || typeof next !== 'object' || Array.isArray(next)) {
      const created: Record<string, unknown> = {};
      cur[k] = created;
      cur = created;
    } else {
      cur = next as Record<string, unknown>;
    }
  }
  cur[keys[keys.length - 1] as string] = value;
}

/**
 * The field that holds a line's time as written when it is not a real time:
 * such a line's hit keeps the scan time as `@timestamp`.
 */
export const TIME_INVALID_FIELD = 'iochunt.time_invalid';

/** Collects fields, spans and the event time of one line. */
export class EventBuilder {
  readonly fields: Record<string, unknown> = {};
  readonly spans: FieldSpan[] = [];
  timestamp: string | undefined;

  /**
   * Sets the event time to `parsed`, the time read from `text`. When the line
   * has a time (`text`) that is not a real one (`31/Feb/2024`, a `+9999`
   * zone), the event keeps no time of its own (the hit gets the scan time) and
   * the text is kept in {@link TIME_INVALID_FIELD}.
   */
  time(text: string | undefined, parsed: string | undefined): this {
    this.timestamp = parsed;
    if (parsed === undefined && text !== undefined && text !== '') this.set(TIME_INVALID_FIELD, text);
    return this;
  }

  /** Sets `path` to `value` (skipped when undefined or `''`). */
  set(path: string, value: unknown): this {
    if (value === undefined || value === '') return this;
    setPath(this.fields, path, value);
    return this;
  }

  /** Records that characters [start, end) of the line hold `path`'s value. */
  span(path: string, start: number, end: number): this {
    if (end > start) this.spans.push({ start, end, field: path });
    return this;
  }

  /** Sets `path` and records its span in one step. */
  setAt(path: string, value: unknown, start: number, end: number): this {
    this.set(path, value);
    return this.span(path, start, end);
  }

  /** Appends `value` to the array at `path` (creating it). */
  push(path: string, value: unknown): this {
    const keys = splitKeys(path);
    let cur: unknown = this.fields;
    for (const k of keys) cur = (cur as Record<string, unknown> | undefined)?.[k];
    if (Array.isArray(cur)) cur.push(value);
    else setPath(this.fields, path, [value]);
    return this;
  }

  /** Shifts spans recorded by a nested parse of a substring that starts at `offset`. */
  adopt(spans: readonly FieldSpan[], offset: number): this {
    for (const s of spans) this.spans.push({ start: s.start + offset, end: s.end + offset, field: s.field });
    return this;
  }

  build(): ParsedEvent {
    return { fields: this.fields, spans: this.spans, ...(this.timestamp ? { timestamp: this.timestamp } : {}) };
  }
}

/** The innermost span containing [start, end) (UTF-16 indices), or undefined. */
export function fieldAt(spans: readonly FieldSpan[], start: number, end: number): string | undefined {
  let best: FieldSpan | undefined;
  for (const s of spans) {
    if (s.start <= start && end <= s.end && (!best || s.end - s.start < best.end - best.start)) best = s;
  }
  return best?.field;
}
