/**
 * MISP JSON: one event (`{"Event": {...}}`), event lists (`{"response":
 * [{"Event": ...}]}` or a bare array), and attribute lists (`{"response":
 * {"Attribute": [...]}}`, `{"Attribute": [...]}`, a bare array of
 * attributes). Events are streamed one at a time (an event is assembled
 * whole: its tags and TLP follow its attributes in MISP exports);
 * attribute lists are streamed one attribute at a time.
 *
 * Only attributes with `to_ids: true` are used unless `--misp-all`; deleted
 * attributes and types iochunt cannot match are skipped and counted. The
 * record number of an entry is the attribute's position in the feed.
 */
import type { DeclaredType, RawEntry, SourceMeta } from '../types.js';
import type { BadRecord, FeedReader, ReadOptions } from './feed-reader.js';
import { asObject, asText, asTime, jsonItems, tlpOf, type JsonPath } from './json-walk.js';

/** MISP attribute types: the declared type of each `|`-separated part (undefined: part not used). */
const TYPES: Readonly<Record<string, readonly (DeclaredType | undefined)[]>> = {
  'ip-src': ['ip'],
  'ip-dst': ['ip'],
  'ip-src|port': ['ip', undefined],
  'ip-dst|port': ['ip', undefined],
  domain: ['domain-name'],
  hostname: ['domain-name'],
  'hostname|port': ['domain-name', undefined],
  'domain|ip': ['domain-name', 'ip'],
  url: ['url'],
  md5: ['md5'],
  sha1: ['sha1'],
  sha256: ['sha256'],
  sha512: ['sha512'],
  'filename|md5': [undefined, 'md5'],
  'filename|sha1': [undefined, 'sha1'],
  'filename|sha256': [undefined, 'sha256'],
  'filename|sha512': [undefined, 'sha512'],
  'email-src': ['email-addr'],
  'email-dst': ['email-addr'],
  email: ['email-addr'],
};

function truthy(v: unknown): boolean {
  return v === true || v === 1 || v === '1' || v === 'true';
}

function tagNames(v: unknown): string[] {
  if (!Array.isArray(v)) return [];
  return v.map((t) => asText(asObject(t)?.name)).filter((s): s is string => s !== undefined);
}

/** Tags as SourceMeta: the first TLP tag and the other tags joined. */
function tagMeta(tags: readonly string[]): { tlp?: string; tags?: string } {
  const tlp = tags.map(tlpOf).find((t) => t !== undefined);
  const rest = tags.filter((t) => tlpOf(t) === undefined);
  return { ...(tlp ? { tlp } : {}), ...(rest.length > 0 ? { tags: rest.join(', ') } : {}) };
}

function clean(meta: Record<string, string | undefined>): SourceMeta {
  for (const k of Object.keys(meta)) if (meta[k] === undefined) delete meta[k];
  return meta as SourceMeta;
}

function eventMeta(e: Record<string, unknown>): SourceMeta {
  return clean({
    description: asText(e.info),
    provider: asText(asObject(e.Orgc)?.name) ?? asText(asObject(e.Org)?.name),
    firstSeen: asTime(e.date),
    modifiedAt: asTime(e.timestamp),
    reference: asText(e.uuid) ? `misp:event:${asText(e.uuid)}` : undefined,
    ...tagMeta(tagNames(e.Tag)),
  });
}

/** The entries of one attribute. */
function* attributeEntries(a: Record<string, unknown>, line: number, event: SourceMeta, options: ReadOptions): Generator<RawEntry | BadRecord> {
  const type = asText(a.type) ?? '';
  const value = asText(a.value) ?? '';
  if (truthy(a.deleted)) {
    yield { bad: true, line, value, reason: 'deleted attribute', policy: true };
    return;
  }
  if (!options.mispAll && !truthy(a.to_ids)) {
    yield { bad: true, line, value, reason: 'to_ids is false (use --misp-all to load it)', policy: true };
    return;
  }
  const parts = TYPES[type];
  if (!parts) {
    yield { bad: true, line, value, reason: `MISP type "${type}" is not an indicator iochunt matches`, policy: true };
    return;
  }
  const values = parts.length > 1 ? value.split('|') : [value];
  if (values.length !== parts.length) {
    yield { bad: true, line, value, reason: `MISP type "${type}" expects ${parts.length} "|"-separated parts` };
    return;
  }
  const tags = tagMeta(tagNames(a.Tag));
  const meta: SourceMeta = {
    ...event,
    ...clean({
      description: asText(a.comment) ?? event.description,
      firstSeen: asTime(a.first_seen) ?? event.firstSeen,
      lastSeen: asTime(a.last_seen),
      modifiedAt: asTime(a.timestamp) ?? event.modifiedAt,
      tlp: tags.tlp ?? event.tlp,
      tags: [event.tags, tags.tags].filter(Boolean).join(', ') || undefined,
    }),
  };
  for (let i = 0; i < parts.length; i++) {
    const declaredType = parts[i];
    if (declaredType) yield { value: values[i] as string, line, declaredType, ...meta };
  }
}

function isAttributePath(p: JsonPath): boolean {
  return (
    (p.length === 2 && p[0] === 'Attribute') ||
    (p.length === 3 && p[0] === 'response' && p[1] === 'Attribute')
  );
}

export const mispReader: FeedReader = {
  name: 'misp',
  position: 'attribute',
  description: 'MISP event JSON, event lists and attribute lists: to_ids only (--misp-all for all), deleted skipped, tags/TLP',
  sniff: (head) =>
    /"(Event|Attribute)"\s*:/.test(head) ||
    (/"to_ids"\s*:/.test(head) && /"category"\s*:/.test(head)) ||
    // An empty restSearch or event-list response (a live MISP source with nothing yet).
    /^\s*\{\s*"response"\s*:\s*\[\s*\]\s*\}\s*$/.test(head),
  async *read(chunks, _head, options = {}): AsyncGenerator<RawEntry | BadRecord> {
    let n = 0;
    const select = (p: JsonPath): boolean =>
      (p.length === 1 && (p[0] === 'Event' || typeof p[0] === 'number')) ||
      (p.length === 2 && p[0] === 'response' && typeof p[1] === 'number') ||
      isAttributePath(p);
    for await (const { value } of jsonItems(chunks, select)) {
      const o = asObject(value);
      if (!o) continue;
      const event = asObject(o.Event) ?? (o.Attribute !== undefined || o.info !== undefined ? o : undefined);
      if (!event) {
        // A lone attribute (attribute lists).
        n++;
        yield* attributeEntries(o, n, {}, options);
        continue;
      }
      const meta = eventMeta(event);
      const attributes: unknown[] = Array.isArray(event.Attribute) ? [...event.Attribute] : [];
      if (Array.isArray(event.Object)) {
        for (const obj of event.Object) {
          const attrs = asObject(obj)?.Attribute;
          if (Array.isArray(attrs)) attributes.push(...attrs);
        }
      }
      for (const a of attributes) {
        n++;
        const attr = asObject(a);
        if (attr) yield* attributeEntries(attr, n, meta, options);
      }
    }
  },
};
