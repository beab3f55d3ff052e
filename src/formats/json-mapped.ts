/**
 * Shared machinery of the JSON log families (CloudTrail, GCP, Route 53):
 * parse a JSON line with value spans, copy mapped values to ECS fields, and
 * name each span by its ECS field, or by its JSON path when it has none.
 */
import { EventBuilder } from './event-builder.js';
import { getPath, parseJsonWithSpans } from './json-spans.js';
import type { LineParser, LogFormat, ParsedEvent } from './types.js';

/** A JSON family: which JSON paths become which ECS fields. */
export interface JsonFamily {
  readonly name: string;
  readonly dataset: string;
  readonly description: string;
  /** Whether a parsed JSON object belongs to the family. */
  is(obj: Record<string, unknown>): boolean;
  /** JSON path → ECS field; a function picks the field from the value (an IP or a name). */
  readonly fields: Readonly<Record<string, string | ((value: unknown) => string | undefined)>>;
  /** Extra fields and the event time, from the whole object. */
  extra?(obj: Record<string, unknown>, b: EventBuilder): void;
}

/** Parses `line` as a member of `family`; undefined when it is not one. */
export function parseFamilyLine(family: JsonFamily, line: string): ParsedEvent | undefined {
  const parsed = parseJsonWithSpans(line);
  if (!parsed || parsed.value === null || typeof parsed.value !== 'object' || Array.isArray(parsed.value)) return undefined;
  const obj = parsed.value as Record<string, unknown>;
  if (!family.is(obj)) return undefined;
  const b = new EventBuilder();
  const named = new Map<string, string | undefined>();
  for (const [path, target] of Object.entries(family.fields)) {
    const value = getPath(obj, path);
    if (value === undefined || value === null || value === '') continue;
    const field = typeof target === 'function' ? target(value) : target;
    named.set(path, field);
    if (field) b.set(field, value);
  }
  family.extra?.(obj, b);
  for (const s of parsed.spans) {
    const field = named.get(s.field) ?? s.field;
    b.span(field, s.start, s.end);
  }
  return b.build();
}

/** Whether most of the first lines are JSON objects that `family.is` accepts. */
export function detectFamily(family: JsonFamily, lines: readonly string[]): boolean {
  const first = lines.slice(0, 5).filter((l) => /^\s*\{/.test(l));
  if (first.length === 0) return false;
  let n = 0;
  for (const l of first) {
    const v = parseJsonWithSpans(l)?.value;
    if (v && typeof v === 'object' && !Array.isArray(v) && family.is(v as Record<string, unknown>)) n++;
  }
  return n * 2 > first.length;
}

/** A {@link LogFormat} for a JSON family. */
export function jsonFamilyFormat(family: JsonFamily): LogFormat {
  return {
    name: family.name,
    dataset: family.dataset,
    description: family.description,
    detect: (lines) => detectFamily(family, lines),
    open: (): LineParser => ({ parse: (line) => parseFamilyLine(family, line) }),
  };
}
