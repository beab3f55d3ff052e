/**
 * The contract of one source type (OTX, MISP, TAXII, URL list): fetch what
 * changed since the cursor, merge it into the previous feed, and return the
 * whole new feed. Drivers never write files; the puller does, atomically.
 */
import type { SecretRef, SourceConfig } from '../config/index.js';
import { SourceError } from '../errors.js';
import type { Reporter } from '../report.js';
import type { HttpClient, HttpResponse } from './http.js';
import type { SourceState } from './state-store.js';

export type Cursor = Readonly<Record<string, string | number>>;

export interface DriverContext<S extends SourceConfig = SourceConfig> {
  readonly source: S;
  readonly http: HttpClient;
  /** Resolves a credential (env, file or inline), registering it for redaction. */
  readonly secret: (key: string, ref: SecretRef) => string;
  /** State of the last pull; its cursor is absent when this pull starts over. */
  readonly state: SourceState | undefined;
  /** Content of the current feed file, or undefined when this pull starts over. */
  readonly previous: Buffer | undefined;
  readonly now: () => number;
  readonly reporter: Reporter;
}

/** Nothing new: the feed stays as it is; the cursor and validators may still move. */
export interface Unchanged {
  readonly changed: false;
  readonly cursor?: Cursor;
  readonly etag?: string;
  readonly lastModified?: string;
}

/** A new feed (it may still be byte-identical to the old one). */
export interface NewFeed {
  readonly changed: true;
  readonly content: Buffer;
  /** Records (pulses, attributes, STIX objects) in the feed. */
  readonly records: number;
  /** Indicator entries removed because the source said so (deletions, revocations, replaced records). */
  readonly explainedRemovals: number;
  readonly cursor?: Cursor;
  readonly etag?: string;
  readonly lastModified?: string;
}

export type DriverOutcome = Unchanged | NewFeed;

/** One source type. */
export interface SourceDriver<S extends SourceConfig = SourceConfig> {
  /** File extension of the stored feed (`.json`, `.txt`, ...). */
  feedExtension(source: S): string;
  /** The feed format the stored feed is written in (undefined: detected, as for URL lists). */
  feedFormat(source: S): string | undefined;
  pull(ctx: DriverContext<S>): Promise<DriverOutcome>;
}

/** Parses a JSON response, or throws a message saying what came instead (an HTML error page, a cut body). */
export function jsonBody(source: string, res: HttpResponse, what: string): unknown {
  const text = res.body.toString('utf8');
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    const type = res.headers['content-type'] ?? 'no content type';
    const html = /<(!doctype html|html|head|body)\b/i.test(text.slice(0, 2048));
    const start = (html ? text.replace(/<[^>]*>/g, ' ') : text).replace(/\s+/g, ' ').trim().slice(0, 80);
    throw new SourceError(
      source,
      html
        ? `${what}: the server answered HTTP ${res.status} with an HTML page (${type}) instead of JSON: ${JSON.stringify(start)}`
        : `${what}: the response is not complete JSON (${(err as Error).message}; ${res.body.length} bytes, ${type})`,
      { retryable: true },
    );
  }
}

/** A plain object or undefined. */
export function obj(v: unknown): Record<string, unknown> | undefined {
  return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
}

/** Follows a server-given link, refusing one that leaves the configured origin (credentials would go with it). */
export function sameOriginLink(source: string, base: string, link: string): string {
  const target = new URL(link, base);
  if (target.origin !== new URL(base).origin) {
    throw new SourceError(source, `the server sent a next link to another origin (${target.origin}); refusing to send credentials there`);
  }
  return target.href;
}

/** Feed file layout shared by the JSON drivers: one record per line inside the wrapper, for readable diffs and line numbers. */
export function jsonLines(open: string, records: readonly unknown[], close: string): Buffer {
  return Buffer.from(`${open}\n${records.map((r) => JSON.stringify(r)).join(',\n')}${records.length ? '\n' : ''}${close}\n`);
}
