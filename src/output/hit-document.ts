/**
 * The hit document: one ECS document (`event.kind: alert`) per log line that
 * touched at least one indicator. The schema is documented in the README
 * ("Hit document") and checked against ECS's own field list by
 * test/ecs-conformance.test.ts: every field is ECS, under the log's dataset
 * namespace (`zeek.*`, `aws.cloudtrail.*` …) or under `iochunt.*`.
 */
import { hostname } from 'node:os';
import { isIpAddress } from '../formats/net.js';
import { matchedText } from '../engine/escapes.js';
import type { IndicatorLookup, StoredIndicator } from '../indicators/store.js';
import type { IndicatorSource } from '../indicators/types.js';
import { version } from '../version.js';
import { confidenceOf, DEFAULT_INDICATOR_INDEX, ECS_VERSION, feedDisplayName, indicatorDocId, tlpMarking } from './ecs-values.js';

/** One indicator found in a line. Offsets are relative to the start of the line. */
export interface LineMatch {
  readonly id: number;
  readonly start: number;
  readonly end: number;
  /** The ECS field the indicator sat in; `message` when the line was not parsed. */
  readonly field?: string;
}

/** What a log-format parser made of a hit line (see `src/formats/`). */
export interface LineEvent {
  /** `event.dataset`: the format the line was parsed as (`apache.access`). */
  readonly dataset: string;
  /** ECS fields as nested objects, merged into the document. */
  readonly fields: Record<string, unknown>;
  /** Event time from the line, UTC ISO 8601. */
  readonly timestamp?: string;
}

/** A line with its matches, before it becomes a document. */
export interface HitLine {
  /** Path as given (`-` for stdin). */
  readonly path: string;
  /** Offset of the first byte of the line in the (decompressed) stream. */
  readonly offset: number;
  /** The line without its newline (and without a trailing `\r`). */
  readonly line: Uint8Array;
  readonly matches: readonly LineMatch[];
  /** Present when the line parsed in its input's log format. */
  readonly event?: LineEvent;
}

/** One enrichment: one indicator, as one feed lists it, matched in one field. */
export interface Enrichment {
  indicator: Record<string, unknown>;
  matched: { atomic: string; field: string; id: string; index: string; type: 'indicator_match_rule' };
  feed: { name: string };
  /** What ECS has no field for: the feed's path, its severity, advice and numeric confidence. */
  iochunt: IndicatorExtras;
}

/** The custom (`iochunt.*`) part of an indicator as one feed lists it. */
export interface IndicatorExtras {
  feed: { path: string };
  severity?: string;
  recommendation?: string;
  confidence?: number;
  tlp?: string;
  valid_from?: string;
  valid_until?: string;
}

/** The document written for a hit line. */
export interface HitDocument {
  '@timestamp': string;
  event: { kind: 'alert'; original: string; severity?: number; [k: string]: unknown };
  log: { file: { path: string; inode?: string }; offset: number; [k: string]: unknown };
  threat: { enrichments: Enrichment[] };
  [k: string]: unknown;
}

/** What hits need besides the indicators: readable feed names and the indicator index. */
export interface HitContext {
  /** Feed path → readable name (`--iocs NAME=FILE`). */
  readonly feedNames?: ReadonlyMap<string, string>;
  /** `threat.enrichments.matched.index` (default {@link DEFAULT_INDICATOR_INDEX}). */
  readonly indicatorIndex?: string;
}

/** An indicator lookup that may carry a {@link HitContext} for the documents built from it. */
export interface HitLookup extends IndicatorLookup {
  readonly hitContext?: HitContext;
}

/** `store` with `context` for the hit documents built from it (pass the result as the search's store). */
export function withHitContext(store: IndicatorLookup, context: HitContext): HitLookup {
  return {
    get: (id) => store.get(id),
    get size() {
      return store.size;
    },
    hitContext: context,
  };
}

const decoder = new TextDecoder('utf-8', { fatal: false, ignoreBOM: true });

const SEVERITY_LABELS: Readonly<Record<string, number>> = {
  informational: 1,
  info: 1,
  low: 21,
  medium: 47,
  moderate: 47,
  high: 73,
  critical: 99,
};

/** Maps a feed's severity (a number or a label such as `high`) to ECS `event.severity`. */
export function severityNumber(severity: string | undefined): number | undefined {
  if (severity === undefined) return undefined;
  const t = severity.trim().toLowerCase();
  if (/^\d+(\.\d+)?$/.test(t)) return Math.round(Number(t));
  return SEVERITY_LABELS[t];
}

/**
 * The ECS `threat.indicator` object of an indicator as `source` lists it
 * (used as `threat.enrichments[].indicator` in hits and `threat.indicator` in
 * indicator documents), and what ECS has no field for ({@link IndicatorExtras}).
 */
export function indicatorFields(stored: StoredIndicator, source: IndicatorSource): { indicator: Record<string, unknown>; extras: IndicatorExtras } {
  const ind = stored.indicator;
  const out: Record<string, unknown> = { name: ind.name, type: ind.type };
  switch (ind.type) {
    case 'ipv4-addr':
    case 'ipv6-addr':
      // ECS `ip` holds one address; a CIDR block is named but has no single ip.
      if (ind.ip.prefix === (ind.ip.version === 4 ? 32 : 128)) out.ip = ind.name;
      break;
    case 'domain-name':
      out.url = { domain: ind.name };
      break;
    case 'url':
      out.url = { full: ind.name, original: ind.name };
      break;
    case 'file':
      out.file = { hash: { [ind.algorithm]: ind.name } };
      break;
    case 'email-addr':
      out.email = { address: ind.name };
      break;
  }
  const extras: IndicatorExtras = { feed: { path: source.feed } };
  if (source.description) out.description = source.description;
  const confidence = confidenceOf(source.confidence);
  if (confidence) {
    out.confidence = confidence.label;
    if (confidence.numeric !== undefined) extras.confidence = confidence.numeric;
  }
  if (source.reference) out.reference = source.reference;
  if (source.provider) out.provider = source.provider;
  const tlp = tlpMarking(source.tlp);
  if (tlp) out.marking = { tlp };
  else if (source.tlp) extras.tlp = source.tlp;
  if (source.firstSeen) out.first_seen = source.firstSeen;
  if (source.lastSeen) out.last_seen = source.lastSeen;
  if (source.modifiedAt) out.modified_at = source.modifiedAt;
  if (source.severity) extras.severity = source.severity;
  if (source.recommendation) extras.recommendation = source.recommendation;
  if (source.validFrom) extras.valid_from = source.validFrom;
  if (source.validUntil) extras.valid_until = source.validUntil;
  return { indicator: out, extras };
}

interface SourceFields {
  readonly names: ReadonlyMap<string, string> | undefined;
  readonly name: string;
  readonly id: string;
  readonly indicator: Record<string, unknown>;
  readonly extras: IndicatorExtras;
}

/** What an enrichment takes from one source, computed once per source (the objects are shared by the hits: never mutated). */
const bySource = new WeakMap<IndicatorSource, SourceFields>();

function sourceFields(stored: StoredIndicator, source: IndicatorSource, names: ReadonlyMap<string, string> | undefined): SourceFields {
  const cached = bySource.get(source);
  if (cached && cached.names === names) return cached;
  const name = feedDisplayName(source, names);
  const { indicator, extras } = indicatorFields(stored, source);
  const fields: SourceFields = { names, name, id: indicatorDocId(stored.indicator, source, name), indicator, extras };
  bySource.set(source, fields);
  return fields;
}

/** The `threat.enrichments[].indicator` object of an indicator, from its first source (kept for the library API). */
export function indicatorObject(stored: StoredIndicator): Record<string, unknown> {
  return indicatorFields(stored, stored.sources[0] as IndicatorSource).indicator;
}

/** The feed tags of an indicator source (MISP tags, STIX labels, OTX pulse tags), for the document's `tags`. */
function tagsOf(source: IndicatorSource): string[] {
  return source.tags ? source.tags.split(', ') : [];
}

/** A matched value as ECS reads it: JSON string escapes (`http:\/\/`) undone. */
export function atomicValue(raw: string): string {
  if (!raw.includes('\\') || raw.includes('"')) return raw;
  try {
    const v: unknown = JSON.parse(`"${raw}"`);
    return typeof v === 'string' ? v : raw;
  } catch {
    return raw;
  }
}

/** Whether the document has a value at dotted `path` (arrays of objects are looked into). */
export function hasField(doc: unknown, path: string): boolean {
  const walk = (cur: unknown, keys: readonly string[]): boolean => {
    if (keys.length === 0) return cur !== undefined && cur !== null && !(typeof cur === 'object' && !Array.isArray(cur));
    if (Array.isArray(cur)) return cur.some((c) => walk(c, keys));
    if (cur === null || typeof cur !== 'object') return false;
    const rec = cur as Record<string, unknown>;
    // A dotted key (`id.orig_h` in a flattened object) counts as the path it spells.
    for (let n = keys.length; n >= 1; n--) {
      const k = keys.slice(0, n).join('.');
      if (k in rec && walk(rec[k], keys.slice(n))) return true;
    }
    return false;
  };
  return walk(doc, path.split('.'));
}

const HOST_NAME = hostname();

const split = (paths: readonly string[]): string[][] => paths.map((p) => p.split('.'));
const IP_FIELDS = split(['source.ip', 'destination.ip', 'client.ip', 'server.ip', 'host.ip', 'network.forwarded_ip']);
const HOST_FIELDS = split(['source.domain', 'destination.domain', 'client.domain', 'server.domain', 'url.domain', 'host.hostname', 'dns.question.name']);
const ANSWER_DATA = split(['dns.answers.data']);
const USER_FIELDS = split(['user.name']);
const HASH_FIELDS = split(['file.hash.md5', 'file.hash.sha1', 'file.hash.sha256', 'file.hash.sha512']);

/** Calls `add` with every non-empty string at `path` (arrays looked into), without building arrays. */
function eachString(cur: unknown, path: readonly string[], i: number, add: (v: string) => void): void {
  if (Array.isArray(cur)) {
    for (const c of cur) eachString(c, path, i, add);
    return;
  }
  if (i === path.length) {
    if (typeof cur === 'string' && cur !== '') add(cur);
    return;
  }
  if (cur === null || typeof cur !== 'object') return;
  eachString((cur as Record<string, unknown>)[path[i] as string], path, i + 1, add);
}

/** `related.ip`, `related.hosts`, `related.user`, `related.hash` from the parsed fields and the matched indicators. */
function relatedOf(doc: Record<string, unknown>, enrichments: readonly Enrichment[]): Record<string, string[]> {
  const ip = new Set<string>();
  const hosts = new Set<string>();
  const user = new Set<string>();
  const hash = new Set<string>();
  const addIp = (v: string): void => {
    if (!ip.has(v) && isIpAddress(v)) ip.add(v);
  };
  for (const f of IP_FIELDS) eachString(doc, f, 0, addIp);
  for (const f of ANSWER_DATA) eachString(doc, f, 0, addIp);
  for (const f of HOST_FIELDS) eachString(doc, f, 0, (v) => hosts.add(v));
  for (const f of USER_FIELDS) eachString(doc, f, 0, (v) => user.add(v));
  for (const f of HASH_FIELDS) eachString(doc, f, 0, (v) => hash.add(v));
  for (const e of enrichments) {
    const ind = e.indicator;
    if (typeof ind.ip === 'string') ip.add(ind.ip);
    if (ind.type === 'domain-name') hosts.add(String(ind.name));
    if (ind.type === 'file') hash.add(String(ind.name));
  }
  const out: Record<string, string[]> = {};
  if (ip.size > 0) out.ip = [...ip];
  if (hosts.size > 0) out.hosts = [...hosts];
  if (user.size > 0) out.user = [...user];
  if (hash.size > 0) out.hash = [...hash];
  return out;
}

/**
 * Builds the document for one hit line: every match of the line, one
 * enrichment per (indicator, feed that lists it, field) in order of first
 * appearance. When the line was parsed (`hit.event`), its ECS fields are
 * merged in, `event.dataset` (and `iochunt.dataset`) names the format, and
 * `@timestamp` is the line's own time (the scan time `timestamp` then moves
 * to `event.created`); otherwise `@timestamp` is `timestamp` and the line is
 * the `message`. `inode` (of a regular file, as Filebeat's `log.file.inode`)
 * identifies the file across renames by rotation. `host.name` is the log's
 * host when it names one (`host.hostname`, else nothing when it names only
 * `host.ip`), else the scanning host; `agent.name` is always the scanning host.
 */
export function buildHitDocument(hit: HitLine, store: IndicatorLookup, timestamp: string, inode?: string): HitDocument {
  const context = (store as HitLookup).hitContext;
  const index = context?.indicatorIndex ?? DEFAULT_INDICATOR_INDEX;
  const enrichments: Enrichment[] = [];
  const seen = new Set<string>();
  let severity: number | undefined;
  const tags = new Set<string>();
  const original = decoder.decode(hit.line);
  const ordered = [...hit.matches].sort((a, b) => a.start - b.start || a.id - b.id);
  for (const m of ordered) {
    const field = m.field ?? 'message';
    const key = `${m.id}\u0000${field}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const stored = store.get(m.id);
    // Escaped text reads decoded (`evil%2Eexample` → `evil.example`), JSON escapes undone (`http:\/\/`).
    const atomic = atomicValue(matchedText(hit.line.subarray(m.start, m.end)));
    for (const source of stored.sources) {
      const n = severityNumber(source.severity);
      if (n !== undefined && (severity === undefined || n > severity)) severity = n;
      for (const t of tagsOf(source)) tags.add(t);
      const { name, id, indicator, extras } = sourceFields(stored, source, context?.feedNames);
      enrichments.push({
        indicator,
        matched: { atomic, field, id, index, type: 'indicator_match_rule' },
        feed: { name },
        iochunt: extras,
      });
    }
  }
  const parsed = hit.event;
  const { event: parsedEvent, log: parsedLog, iochunt: parsedIochunt, ...fields } = (parsed?.fields ?? {}) as Record<string, unknown> & {
    event?: Record<string, unknown>;
    log?: Record<string, unknown>;
    iochunt?: Record<string, unknown>;
  };
  const event: HitDocument['event'] = { ...parsedEvent, kind: 'alert', original };
  if (parsed) {
    event.dataset = parsed.dataset;
    // The line's own time becomes @timestamp; the scan time stays as event.created.
    if (parsed.timestamp) event.created = timestamp;
  }
  if (severity !== undefined) event.severity = severity;
  delete fields['@timestamp'];
  delete fields.threat;
  if (tags.size > 0) {
    const own = Array.isArray(fields.tags) ? (fields.tags as unknown[]) : [];
    fields.tags = [...new Set([...own, ...tags])];
  }
  const host = { ...(fields.host as Record<string, unknown> | undefined) };
  if (typeof host.ip === 'string') host.ip = [host.ip];
  if (typeof host.hostname === 'string' && host.name === undefined) host.name = host.hostname;
  if (host.name === undefined && host.ip === undefined) host.name = HOST_NAME;
  const doc: HitDocument = {
    '@timestamp': parsed?.timestamp ?? timestamp,
    ecs: { version: ECS_VERSION },
    agent: { type: 'iochunt', name: HOST_NAME, version: version() },
    event,
    log: { ...parsedLog, file: inode === undefined ? { path: hit.path } : { path: hit.path, inode }, offset: hit.offset },
    ...fields,
    host,
    threat: { enrichments },
  };
  if (!parsed) doc.message = original;
  if (parsed || parsedIochunt) doc.iochunt = { ...parsedIochunt, ...(parsed ? { dataset: parsed.dataset } : {}) };
  // Every match names a field the document has: else the line is the message.
  for (const e of enrichments) {
    if (hasField(doc, e.matched.field)) continue;
    if (doc.message === undefined) doc.message = original;
    e.matched.field = typeof doc.message === 'string' && doc.message.includes(e.matched.atomic) ? 'message' : 'event.original';
  }
  const related = relatedOf(doc, enrichments);
  if (Object.keys(related).length > 0) doc.related = related;
  // iochunt.* last, after the ECS fields.
  if (doc.iochunt !== undefined) {
    const own = doc.iochunt;
    delete doc.iochunt;
    doc.iochunt = own;
  }
  return doc;
}

/** Merges `fields` into `doc` object by object (`{ iochunt: { match: … } }` keeps `iochunt.dataset`); leaves are replaced. */
export function mergeFields(doc: Record<string, unknown>, fields: Readonly<Record<string, unknown>>): void {
  for (const [k, v] of Object.entries(fields)) {
    const cur = doc[k];
    const isObj = (x: unknown): x is Record<string, unknown> => x !== null && typeof x === 'object' && !Array.isArray(x);
    if (isObj(cur) && isObj(v)) {
      const copy = { ...cur };
      mergeFields(copy, v);
      doc[k] = copy;
    } else doc[k] = v;
  }
}
