/**
 * Checks documents against ECS's own field list (fixtures/ecs/ecs_flat.yml,
 * ECS 8.17.0, Apache-2.0, see fixtures/ecs/SOURCES.md): every leaf field must
 * be an ECS field (or inside an ECS `flattened`/`object` field), or under a
 * dataset namespace of the integrations (`zeek.*`, `aws.*` …), or under
 * iochunt's custom namespace (`iochunt.*`, and `iochunt.*` inside an
 * enrichment); ECS fields must have their type, their allowed (or expected)
 * values and their array-ness, and `event.category`/`event.type` must be
 * pairs ECS allows.
 */
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { parse } from 'yaml';
import { FIXTURES } from './samples.js';

interface EcsField {
  type: string;
  normalize?: string[];
  allowed_values?: Array<{ name: string; expected_event_types?: string[] }>;
  expected_values?: string[];
}

let cached: Record<string, EcsField> | undefined;

/**
 * Fields outside ECS that Elastic's own software writes and maps with these
 * types, which iochunt writes for the same purpose: Filebeat's `log.offset`
 * and `log.file.inode` (the hit's place in its file), and the Security
 * alerts' `threat.enrichments.feed.name` (Kibana's indicator-match rule
 * writes it; ECS defines only the top-level `threat.feed.name`).
 */
export const ELASTIC_EXTRAS: Readonly<Record<string, EcsField>> = {
  'log.offset': { type: 'long' },
  'log.file.inode': { type: 'keyword' },
  'threat.enrichments.feed.name': { type: 'keyword' },
};

/** The ECS field definitions by flat name (and {@link ELASTIC_EXTRAS}). */
export function ecsFields(): Record<string, EcsField> {
  cached ??= { ...(parse(readFileSync(`${FIXTURES}ecs/ecs_flat.yml`, 'utf8'), { maxAliasCount: -1 }) as Record<string, EcsField>), ...ELASTIC_EXTRAS };
  return cached;
}

/** The dataset namespaces iochunt writes (those of Elastic's integrations for the same logs, and of its own datasets). */
export const DATASET_NAMESPACES = ['zeek', 'aws', 'gcp', 'system', 'apache', 'bind', 'dnsmasq'];

/** Where a leaf field falls. */
export type FieldClass = 'ecs' | 'dataset' | 'custom' | 'unknown';

/** One problem found in a document. */
export interface Problem {
  readonly field: string;
  readonly problem: string;
  readonly value?: unknown;
}

const STRING_TYPES = new Set(['keyword', 'constant_keyword', 'wildcard', 'match_only_text', 'text']);
const INT_TYPES = new Set(['long', 'integer', 'short', 'byte', 'unsigned_long']);
const FLOAT_TYPES = new Set(['float', 'double', 'scaled_float', 'half_float']);

function typeOk(type: string, v: unknown): boolean {
  if (STRING_TYPES.has(type)) return typeof v === 'string';
  if (INT_TYPES.has(type)) return typeof v === 'number' && Number.isInteger(v);
  if (FLOAT_TYPES.has(type)) return typeof v === 'number';
  if (type === 'boolean') return typeof v === 'boolean';
  if (type === 'ip') return typeof v === 'string' && isIP(v.replace(/%.*$/, '')) !== 0;
  if (type === 'date') return typeof v === 'string' && /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/.test(v) && !Number.isNaN(Date.parse(v));
  return true; // object, flattened, nested, geo_point …: checked by shape elsewhere
}

/** The class of a flat field name (no array indices). */
export function classify(field: string): FieldClass {
  const ecs = ecsFields();
  if (ecs[field]) return 'ecs';
  const parts = field.split('.');
  if (parts[0] === 'iochunt' || (field.startsWith('threat.enrichments.iochunt.'))) return 'custom';
  // Inside an ECS flattened field (log.syslog.structured_data.*).
  for (let n = parts.length - 1; n >= 1; n--) if (ecs[parts.slice(0, n).join('.')]?.type === 'flattened') return 'ecs';
  if (DATASET_NAMESPACES.includes(parts[0] as string)) return 'dataset';
  return 'unknown';
}

/**
 * Every problem of `doc`; `seen` collects the flat names of its leaf fields
 * (dataset namespaces and flattened contents folded to `ns.*`).
 */
export function checkDocument(doc: Record<string, unknown>, seen?: Set<string>): Problem[] {
  const ecs = ecsFields();
  const problems: Problem[] = [];
  const walk = (value: unknown, path: string, inArray: boolean): void => {
    const def = ecs[path];
    if (def && (def.type === 'flattened')) {
      seen?.add(path);
      if (value === null || typeof value !== 'object') problems.push({ field: path, problem: 'flattened field is not an object', value });
      return;
    }
    if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
      if (def && def.type !== 'object' && def.type !== 'nested') problems.push({ field: path, problem: `an object where ECS has type ${def.type}` });
      for (const [k, v] of Object.entries(value as Record<string, unknown>)) walk(v, path ? `${path}.${k}` : k, false);
      return;
    }
    if (Array.isArray(value)) {
      if (def && !def.normalize?.includes('array') && def.type !== 'nested') problems.push({ field: path, problem: 'an array where ECS has a single value', value });
      for (const v of value) {
        if (Array.isArray(v)) problems.push({ field: path, problem: 'an array of arrays' });
        else walk(v, path, true);
      }
      return;
    }
    const cls = classify(path);
    if (seen) {
      const parts = path.split('.');
      if (cls === 'dataset') seen.add(`${parts[0]}.*`);
      else if (path.startsWith('iochunt.json.')) seen.add('iochunt.json.*');
      else seen.add(path);
    }
    if (cls === 'unknown') {
      problems.push({ field: path, problem: 'not an ECS field, nor under a dataset namespace or iochunt.*', value });
      return;
    }
    if (!def) return;
    if (value === null) {
      problems.push({ field: path, problem: 'null' });
      return;
    }
    if (def.normalize?.includes('array') && !inArray) problems.push({ field: path, problem: 'a single value where ECS has an array', value });
    if (!typeOk(def.type, value)) problems.push({ field: path, problem: `not of ECS type ${def.type}`, value });
    const allowed = def.allowed_values?.map((a) => a.name) ?? def.expected_values;
    if (allowed && !allowed.includes(value as string)) problems.push({ field: path, problem: `not an allowed value (${allowed.join(', ')})`, value });
  };
  walk(doc, '', false);
  // event.category / event.type pairs.
  const event = (doc.event ?? {}) as Record<string, unknown>;
  const categories = ([] as unknown[]).concat(event.category ?? []) as string[];
  const types = ([] as unknown[]).concat(event.type ?? []) as string[];
  const byName = new Map((ecs['event.category']?.allowed_values ?? []).map((a) => [a.name, a.expected_event_types ?? []]));
  for (const c of categories) {
    const expected = byName.get(c) ?? [];
    if (!types.some((t) => expected.includes(t))) problems.push({ field: 'event.type', problem: `no type ECS expects with category ${c} (${expected.join(', ')})`, value: types });
  }
  if (types.length > 0 && categories.length === 0) problems.push({ field: 'event.type', problem: 'event.type without event.category', value: types });
  return problems;
}
