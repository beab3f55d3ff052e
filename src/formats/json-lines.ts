/**
 * Generic JSON lines: one JSON object per line, any field can hit. No ECS
 * mapping: the object is kept whole as `iochunt.json` (mapped `flattened`),
 * a match is named by the dotted path of the JSON field it sat in under it
 * (`iochunt.json.indicator`, `iochunt.json.answers.Rdata`), and the event time is taken from the first
 * of `@timestamp`, `timestamp`, `time`, `ts`, `eventTime` that reads as a time.
 */
import { parseJsonWithSpans } from './json-spans.js';
import { fromEpochSeconds, fromIsoTime } from './time.js';
import type { LineParser, LogFormat, ParsedEvent } from './types.js';

const TIME_KEYS = ['@timestamp', 'timestamp', 'time', 'ts', 'eventTime', 'event_time', 'date'];

/** A time value in any of the usual JSON shapes (ISO string, epoch seconds or milliseconds). */
export function jsonTime(value: unknown, zone = 'UTC'): string | undefined {
  if (typeof value === 'number') return value > 1e11 ? fromEpochSeconds(value / 1000) : fromEpochSeconds(value);
  if (typeof value !== 'string') return undefined;
  return fromIsoTime(value, zone) ?? (/^\d+(\.\d+)?$/.test(value) ? jsonTime(Number(value), zone) : undefined);
}

/** Parses a JSON-object line generically; undefined when it is not a JSON object. */
export function parseGenericJson(line: string, zone = 'UTC'): ParsedEvent | undefined {
  const parsed = parseJsonWithSpans(line);
  if (!parsed || parsed.value === null || typeof parsed.value !== 'object' || Array.isArray(parsed.value)) return undefined;
  const obj = parsed.value as Record<string, unknown>;
  let timestamp: string | undefined;
  let invalid: string | undefined;
  for (const k of TIME_KEYS) {
    timestamp = jsonTime(obj[k], zone);
    if (timestamp) break;
    if (invalid === undefined && typeof obj[k] === 'string' && /^\d{4}-\d\d-\d\d[T ]\d\d:\d\d/.test(obj[k])) invalid = obj[k];
  }
  // The object itself is kept as `iochunt.json` (a flattened field), so that a match is named by a field the hit has.
  // A time-shaped value that is not a real time (`2024-02-31T…`, a `+99:99` zone) is named, and the hit keeps the scan time.
  const spans = parsed.spans.map((sp) => ({ ...sp, field: `iochunt.json.${sp.field}` }));
  const iochunt = { json: obj, ...(!timestamp && invalid !== undefined ? { time_invalid: invalid } : {}) };
  return { fields: { iochunt }, spans, ...(timestamp ? { timestamp } : {}) };
}

/** The `json` format: any JSON object per line. Detected last among JSON formats. */
export const jsonLinesFormat: LogFormat = {
  name: 'json',
  dataset: 'json',
  description: 'JSON lines (any object per line); matches are named by the JSON field path',
  detect: (lines) => lines.length > 0 && lines.slice(0, 5).every((l) => /^\s*\{/.test(l)),
  open: (_head, context): LineParser => ({ parse: (line) => parseGenericJson(line, context.timezone) }),
};
