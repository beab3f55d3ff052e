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
  /**
   * JSON objects copied whole under a dataset field (Elastic's `flattened`
   * fields, `aws.cloudtrail.flattened.request_parameters`): a match inside is
   * named by that field plus its path in the object.
   */
  readonly objects?: Readonly<Record<string, string>>;
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
  for (const [path, target] of Object.entries(family.objects ?? {})) {
    const value = getPath(obj, path);
    if (value !== null && typeof value === 'object') b.set(target, value);
  }
  family.extra?.(obj, b);
  for (const s of parsed.spans) {
    b.span(spanField(family, named, s.field), s.start, s.end);
  }
  return b.build();
}

/**
 * The field a JSON path's span is named by: its ECS field, else (a path
 * inside an array, `answers.Rdata`) the mapped field of the path, else its
 * place in a copied object, else the JSON path itself (which the hit then
 * names `message`).
 */
function spanField(family: JsonFamily, named: ReadonlyMap<string, string | undefined>, path: string): string {
  const field = named.get(path);
  if (field) return field;
  const target = family.fields[path];
  if (typeof target === 'string') return target;
  for (const [prefix, to] of Object.entries(family.objects ?? {})) {
    if (path.startsWith(`${prefix}.`)) return `${to}.${path.slice(prefix.length + 1)}`;
  }
  return path;
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
