/**
 * STIX 2.1 bundles (`{"type": "bundle", "objects": [...]}`, also the
 * objects array alone or one object per line): `indicator` objects with
 * `pattern_type: stix`, streamed one object at a time. Revoked indicators
 * are skipped (counted); patterns iochunt cannot express are reported as
 * invalid entries with the reason. The record number of an entry is the
 * position of its object in the bundle (1-based).
 */
import type { RawEntry, SourceMeta } from '../types.js';
import type { BadRecord, FeedReader } from './feed-reader.js';
import { asObject, asText, asTime, jsonItems, tlpOf } from './json-walk.js';
import { parseStixPattern } from './stix-pattern.js';

/** The TLP marking-definition objects STIX 2.1 defines (TLP 1.0) and the TLP 2.0 ones in common use. */
const TLP_MARKINGS: Readonly<Record<string, string>> = {
  'marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9': 'white',
  'marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da': 'green',
  'marking-definition--f88d31f6-486f-44da-b317-01333bde0b82': 'amber',
  'marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed': 'red',
  'marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487': 'clear',
  'marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb': 'green',
  'marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421': 'amber',
  'marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003': 'amber+strict',
  'marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1': 'red',
};

function firstReference(refs: unknown): string | undefined {
  if (!Array.isArray(refs)) return undefined;
  for (const r of refs) {
    const o = asObject(r);
    const url = asText(o?.url);
    if (url) return url;
  }
  for (const r of refs) {
    const o = asObject(r);
    const id = asText(o?.external_id);
    const src = asText(o?.source_name);
    if (id) return src ? `${src}:${id}` : id;
  }
  return undefined;
}

function stringList(v: unknown): string[] {
  return Array.isArray(v) ? v.map(asText).filter((s): s is string => s !== undefined) : [];
}

/** Metadata of one STIX indicator object. */
function indicatorMeta(o: Record<string, unknown>, markings: Map<string, string>, identities: Map<string, string>): SourceMeta {
  const tags = [...stringList(o.indicator_types), ...stringList(o.labels)];
  const tlp = stringList(o.object_marking_refs)
    .map((id) => TLP_MARKINGS[id] ?? markings.get(id))
    .find((t) => t !== undefined);
  const createdBy = asText(o.created_by_ref);
  const meta: Record<string, string | undefined> = {
    description: asText(o.description) ?? asText(o.name),
    confidence: asText(o.confidence),
    reference: firstReference(o.external_references),
    provider: createdBy ? (identities.get(createdBy) ?? createdBy) : undefined,
    tlp,
    firstSeen: asTime(o.created),
    modifiedAt: asTime(o.modified),
    tags: tags.length > 0 ? [...new Set(tags)].join(', ') : undefined,
    validFrom: asTime(o.valid_from),
    validUntil: asTime(o.valid_until),
  };
  for (const k of Object.keys(meta)) if (meta[k] === undefined) delete meta[k];
  return meta as SourceMeta;
}

/**
 * Why the validity window of indicator `o` cannot be used, or undefined:
 * `valid_from` or `valid_until` present but not a time (a window that cannot
 * be read is not "forever"), or `valid_until` not after `valid_from` (STIX
 * 2.1 requires it to be later; such an indicator would never match).
 */
function validityProblem(o: Record<string, unknown>, meta: SourceMeta): string | undefined {
  for (const key of ['valid_from', 'valid_until'] as const) {
    const v = o[key];
    const parsed = key === 'valid_from' ? meta.validFrom : meta.validUntil;
    if (v !== undefined && v !== null && parsed === undefined) return `${key} is not a valid time: ${JSON.stringify(v)}`;
  }
  if (meta.validFrom && meta.validUntil && Date.parse(meta.validUntil) <= Date.parse(meta.validFrom)) {
    return `valid_until ${meta.validUntil} is not after valid_from ${meta.validFrom}`;
  }
  return undefined;
}

export const stixReader: FeedReader = {
  name: 'stix',
  position: 'object',
  description: 'STIX 2.1 bundle: indicator objects with stix patterns (=, ISSUBSET, OR); valid_from/until, revoked',
  sniff: (head) => /"type"\s*:\s*"(bundle|indicator)"/.test(head) && /"(objects|pattern)"\s*:/.test(head),
  async *read(chunks, head): AsyncGenerator<RawEntry | BadRecord> {
    const rootArray = head.trimStart().startsWith('[');
    const markings = new Map<string, string>();
    const identities = new Map<string, string>();
    let n = 0;
    // A bundle streams its `objects`; a bare array or one object per line (NDJSON) streams the objects themselves.
    const ndjson = !rootArray && !/"type"\s*:\s*"bundle"/.test(head);
    const source = jsonItems(chunks, (p) =>
      rootArray ? p.length === 1 : ndjson ? p.length === 0 : p.length === 2 && p[0] === 'objects',
    );
    for await (const { value } of source) {
      n++;
      const o = asObject(value);
      if (!o) continue;
      const type = asText(o.type);
      if (type === 'marking-definition') {
        const def = asObject(o.definition);
        const t = asText(def?.tlp) ?? tlpOf(asText(o.name) ?? '');
        if (t && typeof o.id === 'string') markings.set(o.id, t.toLowerCase());
        continue;
      }
      if (type === 'identity') {
        const name = asText(o.name);
        if (name && typeof o.id === 'string') identities.set(o.id, name);
        continue;
      }
      if (type !== 'indicator') continue;
      const pattern = asText(o.pattern) ?? '';
      if (o.revoked === true) {
        yield { bad: true, line: n, value: pattern, reason: 'revoked', policy: true };
        continue;
      }
      const patternType = asText(o.pattern_type) ?? 'stix';
      if (patternType !== 'stix') {
        yield { bad: true, line: n, value: pattern, reason: `pattern_type ${patternType} is not supported` };
        continue;
      }
      const parsed = parseStixPattern(pattern);
      if (!parsed.ok) {
        yield { bad: true, line: n, value: pattern, reason: parsed.reason };
        continue;
      }
      const meta = indicatorMeta(o, markings, identities);
      const timeProblem = validityProblem(o, meta);
      if (timeProblem) {
        yield { bad: true, line: n, value: pattern, reason: timeProblem };
        continue;
      }
      for (const v of parsed.values) yield { value: v.value, line: n, declaredType: v.declaredType, ...meta };
    }
  },
};
