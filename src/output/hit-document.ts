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
  /** `event.severity` of the source's severity ({@link severityNumber}). */
  readonly severity: number | undefined;
  /** The source's feed tags. */
  readonly tags: readonly string[];
}

/** What an enrichment takes from one source, computed once per source (the objects are shared by the hits: never mutated). */
const bySource = new WeakMap<IndicatorSource, SourceFields>();

function sourceFields(stored: StoredIndicator, source: IndicatorSource, names: ReadonlyMap<string, string> | undefined): SourceFields {
  const cached = bySource.get(source);
  if (cached && cached.names === names) return cached;
  const name = feedDisplayName(source, names);
  const { indicator, extras } = indicatorFields(stored, source);
  const fields: SourceFields = {
    names,
    name,
    id: indicatorDocId(stored.indicator, source, name),
    indicator,
    extras,
    severity: severityNumber(source.severity),
    tags: tagsOf(source),
  };
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

/** A dotted path split once: its keys and every dotted run of them (`joined[i][n]` = keys i..n-1 joined with dots). */
interface SplitPath {
  readonly keys: readonly string[];
  readonly joined: readonly (readonly string[])[];
}

const splitPaths = new Map<string, SplitPath>();
/** Paths kept split; field paths of JSON logs come from the logs, so the cache is bounded. */
const MAX_SPLIT_PATHS = 4096;

function splitPath(path: string): SplitPath {
  let sp = splitPaths.get(path);
  if (sp) return sp;
  const keys = path.split('.');
  const joined: string[][] = [];
  for (let i = 0; i < keys.length; i++) {
    const row: string[] = [];
    for (let n = i + 1; n <= keys.length; n++) row[n] = keys.slice(i, n).join('.');
    joined.push(row);
  }
  sp = { keys, joined };
  if (splitPaths.size >= MAX_SPLIT_PATHS) splitPaths.clear();
  splitPaths.set(path, sp);
  return sp;
}

function walkPath(cur: unknown, sp: SplitPath, from: number): boolean {
  const keys = sp.keys;
  if (from === keys.length) return cur !== undefined && cur !== null && !(typeof cur === 'object' && !Array.isArray(cur));
  if (Array.isArray(cur)) {
    for (const c of cur) if (walkPath(c, sp, from)) return true;
    return false;
  }
  if (cur === null || typeof cur !== 'object') return false;
  const rec = cur as Record<string, unknown>;
  const row = sp.joined[from] as readonly string[];
  // A dotted key (`id.orig_h` in a flattened object) counts as the path it spells.
  for (let n = keys.length; n > from; n--) {
    const k = row[n] as string;
    if (k in rec && walkPath(rec[k], sp, n)) return true;
  }
  return false;
}

/** Whether the document has a value at dotted `path` (arrays of objects are looked into). */
export function hasField(doc: unknown, path: string): boolean {
  return walkPath(doc, splitPath(path), 0);
}

const HOST_NAME = hostname();

const split = (paths: readonly string[]): string[][] => paths.map((p) => p.split('.'));
const IP_FIELDS = split(['source.ip', 'destination.ip', 'client.ip', 'server.ip', 'host.ip', 'network.forwarded_ip']);
const HOST_FIELDS = split(['source.domain', 'destination.domain', 'client.domain', 'server.domain', 'url.domain', 'host.hostname', 'dns.question.name']);
const ANSWER_DATA = split(['dns.answers.data']);
const USER_FIELDS = split(['user.name']);
const HASH_FIELDS = split(['file.hash.md5', 'file.hash.sha1', 'file.hash.sha256', 'file.hash.sha512']);

/** Adds to `set` every non-empty string at `path` from `cur` on (arrays looked into); with `ips`, only IP addresses. */
function collect(cur: unknown, path: readonly string[], i: number, set: Set<string>, ips: boolean): void {
  // Objects are walked in a loop; an array (rare) recurses into each element.
  for (; i < path.length; i++) {
    if (cur === null || typeof cur !== 'object') return;
    if (Array.isArray(cur)) {
      for (const c of cur) collect(c, path, i, set, ips);
      return;
    }
    cur = (cur as Record<string, unknown>)[path[i] as string];
  }
  if (Array.isArray(cur)) {
    for (const c of cur) collect(c, path, i, set, ips);
    return;
  }
  if (typeof cur === 'string' && cur !== '' && !set.has(cur) && (!ips || isIpAddress(cur))) set.add(cur);
}

/** `related.ip`, `related.hosts`, `related.user`, `related.hash` from the parsed fields and the matched indicators. */
function relatedOf(doc: Record<string, unknown>, enrichments: readonly Enrichment[]): Record<string, string[]> | undefined {
  const ip = new Set<string>();
  const hosts = new Set<string>();
  const user = new Set<string>();
  const hash = new Set<string>();
  for (const f of IP_FIELDS) collect(doc, f, 0, ip, true);
  for (const f of ANSWER_DATA) collect(doc, f, 0, ip, true);
  for (const f of HOST_FIELDS) collect(doc, f, 0, hosts, false);
  for (const f of USER_FIELDS) collect(doc, f, 0, user, false);
  for (const f of HASH_FIELDS) collect(doc, f, 0, hash, false);
  for (const e of enrichments) {
    const ind = e.indicator;
    if (typeof ind.ip === 'string') ip.add(ind.ip);
    if (ind.type === 'domain-name') hosts.add(String(ind.name));
    if (ind.type === 'file') hash.add(String(ind.name));
  }
  if (ip.size === 0 && hosts.size === 0 && user.size === 0 && hash.size === 0) return undefined;
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
  let severity: number | undefined;
  let tags: Set<string> | undefined;
  const original = decoder.decode(hit.line);
  const matches = hit.matches;
  const ordered = matches.length > 1 ? [...matches].sort((a, b) => a.start - b.start || a.id - b.id) : matches;
  const seen = matches.length > 1 ? new Set<string>() : undefined;
  for (const m of ordered) {
    const field = m.field ?? 'message';
    if (seen) {
      const key = `${m.id}\u0000${field}`;
      if (seen.has(key)) continue;
      seen.add(key);
    }
    const stored = store.get(m.id);
    // Escaped text reads decoded (`evil%2Eexample` → `evil.example`), JSON escapes undone (`http:\/\/`).
    const atomic = atomicValue(matchedText(hit.line.subarray(m.start, m.end)));
    for (const source of stored.sources) {
      const sf = sourceFields(stored, source, context?.feedNames);
      const n = sf.severity;
      if (n !== undefined && (severity === undefined || n > severity)) severity = n;
      if (sf.tags.length > 0) {
        tags ??= new Set<string>();
        for (const t of sf.tags) tags.add(t);
      }
      enrichments.push({
        indicator: sf.indicator,
        matched: { atomic, field, id: sf.id, index, type: 'indicator_match_rule' },
        feed: { name: sf.name },
        iochunt: sf.extras,
      });
    }
  }
  const parsed = hit.event;
  const fields = parsed?.fields;
  if (fields && Object.hasOwn(fields, '__proto__')) return referenceHitDocument(hit, store, timestamp, inode);
  const parsedEvent = fields?.event as Record<string, unknown> | undefined;
  const parsedLog = fields?.log as Record<string, unknown> | undefined;
  const parsedIochunt = fields?.iochunt as Record<string, unknown> | undefined;
  const event: HitDocument['event'] = { ...parsedEvent, kind: 'alert', original };
  if (parsed) {
    event.dataset = parsed.dataset;
    // The line's own time becomes @timestamp; the scan time stays as event.created.
    if (parsed.timestamp) event.created = timestamp;
  }
  if (severity !== undefined) event.severity = severity;
  // The document is built key by key in the order of referenceHitDocument's
  // spreads (tests compare the two), never deleted from: a key assigned again
  // (`ecs`, `message`, `related` from the log) keeps its place, as in a spread.
  const doc = {
    '@timestamp': parsed?.timestamp ?? timestamp,
    ecs: { version: ECS_VERSION },
    agent: { type: 'iochunt', name: HOST_NAME, version: version() },
    event,
    log: { ...parsedLog, file: inode === undefined ? { path: hit.path } : { path: hit.path, inode }, offset: hit.offset },
  } as unknown as HitDocument;
  const out = doc as Record<string, unknown>;
  let host: Record<string, unknown> | undefined;
  let ownTags = false;
  if (fields) {
    for (const k in fields) {
      switch (k) {
        case 'event':
        case 'log':
        case 'iochunt':
        case '@timestamp':
        case 'threat':
          continue;
        case 'host':
          host = hostOf(fields.host);
          out.host = host;
          continue;
        case 'tags':
          ownTags = true;
          out.tags = tags ? mergedTags(fields.tags, tags) : fields.tags;
          continue;
        default:
          out[k] = fields[k];
      }
    }
  }
  if (tags && !ownTags) out.tags = [...tags];
  if (!host) {
    host = hostOf(undefined);
    out.host = host;
  }
  out.threat = { enrichments };
  if (!parsed) out.message = original;
  const iochunt = parsed || parsedIochunt ? { ...parsedIochunt, ...(parsed ? { dataset: parsed.dataset } : {}) } : undefined;
  const iochuntDoc = iochunt ? { iochunt } : undefined;
  // Every match names a field the document has: else the line is the message.
  for (const e of enrichments) {
    const f = e.matched.field;
    if (hasField(doc, f) || (iochuntDoc !== undefined && hasField(iochuntDoc, f))) continue;
    if (out.message === undefined) out.message = original;
    e.matched.field = typeof out.message === 'string' && out.message.includes(e.matched.atomic) ? 'message' : 'event.original';
  }
  const related = relatedOf(out, enrichments);
  if (related) out.related = related;
  // iochunt.* last, after the ECS fields.
  if (iochunt) out.iochunt = iochunt;
  return doc;
}

/** The document's `host`: the log's (`host.ip` as a list), else the scanning host. */
function hostOf(parsedHost: unknown): Record<string, unknown> {
  const host = { ...(parsedHost as Record<string, unknown> | undefined) };
  if (typeof host.ip === 'string') host.ip = [host.ip];
  if (typeof host.hostname === 'string' && host.name === undefined) host.name = host.hostname;
  if (host.name === undefined && host.ip === undefined) host.name = HOST_NAME;
  return host;
}

/** The log's own tags, then the feeds' tags, each once. */
function mergedTags(own: unknown, tags: ReadonlySet<string>): unknown[] {
  const list = Array.isArray(own) ? (own as unknown[]) : [];
  return [...new Set([...list, ...tags])];
}

/**
 * The document of {@link buildHitDocument} put together the plain way, with
 * object spreads and deletes: the reference its key order is held to (tests
 * compare the two), and the builder of lines whose parsed fields have an
 * own `__proto__` key (a JSON log can), which an assignment would not copy.
 * @internal
 */
export function referenceHitDocument(hit: HitLine, store: IndicatorLookup, timestamp: string, inode?: string): HitDocument {
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
  if (related) doc.related = related;
  // iochunt.* last, after the ECS fields.
  if (doc.iochunt !== undefined) {
    const own = doc.iochunt;
    delete doc.iochunt;
    doc.iochunt = own;
  }
  return doc;
}

/**
 * The number of enrichments {@link buildHitDocument} makes for `hit`, without
 * building the document: one per (indicator, field) pair and feed that lists
 * the indicator.
 */
export function enrichmentCount(hit: HitLine, store: IndicatorLookup): number {
  const matches = hit.matches;
  if (matches.length === 1) return store.get((matches[0] as LineMatch).id).sources.length;
  const seen = new Set<string>();
  let n = 0;
  for (const m of matches) {
    const key = `${m.id}\u0000${m.field ?? 'message'}`;
    if (seen.has(key)) continue;
    seen.add(key);
    n += store.get(m.id).sources.length;
  }
  return n;
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
