/**
 * The hit document: one ECS-shaped JSON object per log line that touched at
 * least one indicator. The schema is documented in the README ("Hit
 * document"); field names follow ECS (`threat.enrichments[]`).
 */
import { matchedText } from '../engine/escapes.js';
import type { IndicatorLookup, StoredIndicator } from '../indicators/store.js';

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

export interface Enrichment {
  indicator: Record<string, unknown>;
  matched: { atomic: string; field: string; type: 'indicator_match_rule' };
  feed: { name: string[] };
}

/** The document written for a hit line. */
export interface HitDocument {
  '@timestamp': string;
  event: { kind: 'enrichment'; original: string; severity?: number; [k: string]: unknown };
  log: { file: { path: string; inode?: string }; offset: number; [k: string]: unknown };
  threat: { enrichments: Enrichment[] };
  [k: string]: unknown;
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

function firstOf<K extends 'description' | 'confidence' | 'reference' | 'provider' | 'tlp' | 'severity' | 'recommendation'>(
  stored: StoredIndicator,
  key: K,
): string | undefined {
  for (const s of stored.sources) {
    const v = s[key];
    if (v) return v;
  }
  return undefined;
}

/** The `threat.enrichments[].indicator` object for an indicator. */
export function indicatorObject(stored: StoredIndicator): Record<string, unknown> {
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
      out.url = { full: ind.name };
      break;
    case 'file':
      out.file = { hash: { [ind.algorithm]: ind.name } };
      break;
    case 'email-addr':
      out.email = { address: ind.name };
      break;
  }
  const description = firstOf(stored, 'description');
  const confidence = firstOf(stored, 'confidence');
  const references = [...new Set(stored.sources.map((s) => s.reference).filter((r): r is string => !!r))];
  if (description) out.description = description;
  if (confidence) out.confidence = confidence;
  if (references.length === 1) out.reference = references[0];
  else if (references.length > 1) out.reference = references;
  const provider = firstOf(stored, 'provider');
  const tlp = firstOf(stored, 'tlp');
  const severity = firstOf(stored, 'severity');
  const recommendation = firstOf(stored, 'recommendation');
  if (provider) out.provider = provider;
  if (tlp) out.marking = { tlp: tlp.toUpperCase() };
  const times = (key: 'firstSeen' | 'lastSeen' | 'modifiedAt'): string[] =>
    stored.sources.map((s) => s[key]).filter((t): t is string => !!t).sort();
  const first = times('firstSeen')[0];
  const last = times('lastSeen').at(-1);
  const modified = times('modifiedAt').at(-1);
  if (first) out.first_seen = first;
  if (last) out.last_seen = last;
  if (modified) out.modified_at = modified;
  // Not ECS: the feed's own severity label and advice (SCC ETD), beside event.severity.
  if (severity) out.severity = severity;
  if (recommendation) out.recommendation = recommendation;
  return out;
}

/** The feed tags of an indicator (MISP tags, STIX labels, OTX pulse tags), for the document's `tags`. */
function tagsOf(stored: StoredIndicator): string[] {
  const out: string[] = [];
  for (const s of stored.sources) if (s.tags) out.push(...s.tags.split(', '));
  return out;
}

/**
 * Builds the document for one hit line: every match of the line, one
 * enrichment per (indicator, field) in order of first appearance. When the
 * line was parsed (`hit.event`), its ECS fields are merged in, `event.dataset`
 * names the format, and `@timestamp` is the line's own time (the scan time
 * `timestamp` then moves to `event.created`); otherwise `@timestamp` is
 * `timestamp`. `inode` (of a regular file, as Filebeat's `log.file.inode`)
 * identifies the file across renames by rotation.
 */
export function buildHitDocument(hit: HitLine, store: IndicatorLookup, timestamp: string, inode?: string): HitDocument {
  const enrichments: Enrichment[] = [];
  const seen = new Set<string>();
  let severity: number | undefined;
  const tags = new Set<string>();
  const ordered = [...hit.matches].sort((a, b) => a.start - b.start || a.id - b.id);
  for (const m of ordered) {
    const field = m.field ?? 'message';
    const key = `${m.id}\u0000${field}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const stored = store.get(m.id);
    for (const s of stored.sources) {
      const n = severityNumber(s.severity);
      if (n !== undefined && (severity === undefined || n > severity)) severity = n;
    }
    for (const t of tagsOf(stored)) tags.add(t);
    enrichments.push({
      indicator: indicatorObject(stored),
      // Escaped text reads decoded (`evil%2Eexample` → `evil.example`); a URL found in the raw text stays as written.
      matched: { atomic: matchedText(hit.line.subarray(m.start, m.end)), field, type: 'indicator_match_rule' },
      feed: { name: [...new Set(stored.sources.map((s) => s.feed))] },
    });
  }
  const parsed = hit.event;
  const { event: parsedEvent, log: parsedLog, ...fields } = (parsed?.fields ?? {}) as Record<string, unknown> & {
    event?: Record<string, unknown>;
    log?: Record<string, unknown>;
  };
  const event: HitDocument['event'] = { ...parsedEvent, kind: 'enrichment', original: decoder.decode(hit.line) };
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
  return {
    '@timestamp': parsed?.timestamp ?? timestamp,
    event,
    log: { ...parsedLog, file: inode === undefined ? { path: hit.path } : { path: hit.path, inode }, offset: hit.offset },
    ...fields,
    threat: { enrichments },
  };
}
