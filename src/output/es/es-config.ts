/**
 * The Elasticsearch connection settings of `scan --es` and `es setup`,
 * validated in TypeScript before a client is made: node URLs, target index,
 * credentials (from the environment or a file, never from the command line),
 * TLS, ingest pipeline, and the delivery limits.
 *
 * Secrets are held in {@link EsConfig.auth} and listed in
 * {@link EsConfig.secrets} so that every message about the cluster can be
 * passed through {@link redact} before it is printed.
 */
import { readFileSync } from 'node:fs';
import { UsageError } from '../../errors.js';
import { parseByteSize, parseWholeNumber } from '../../options.js';

/** The default target: a data stream in the `logs` type, dataset `iochunt.hits`, namespace `default`. */
export const DEFAULT_ES_INDEX = 'logs-iochunt.hits-default';
/** The default dead-letter file, in the working directory. */
export const DEFAULT_DEAD_LETTER = 'iochunt-dead-letter.jsonl';

/** Environment variables that carry credentials (also the keys of an `--es-auth-file`). */
export const AUTH_VARIABLES = ['IOCHUNT_ES_API_KEY', 'IOCHUNT_ES_USERNAME', 'IOCHUNT_ES_PASSWORD', 'IOCHUNT_ES_BEARER_TOKEN'] as const;
type AuthVariable = (typeof AUTH_VARIABLES)[number];

/** How iochunt authenticates; `none` sends no credentials. */
export type EsAuth =
  | { readonly kind: 'none' }
  | { readonly kind: 'apiKey'; readonly apiKey: string }
  | { readonly kind: 'basic'; readonly username: string; readonly password: string }
  | { readonly kind: 'bearer'; readonly token: string };

/** Delivery limits of the bulk sink. */
export interface EsDeliveryLimits {
  /** A batch is sent when its NDJSON body reaches this many bytes. */
  readonly batchBytes: number;
  /** … or this many documents. */
  readonly batchDocs: number;
  /** … or when its first document has waited this long (ms). */
  readonly flushMs: number;
  /** Bulk requests in flight at once; scanning pauses while all are busy. */
  readonly concurrency: number;
  /** A document whose delivery keeps failing with retryable errors is dead-lettered after this long (ms). */
  readonly retryForMs: number;
  /** First backoff (ms); doubled per attempt, with jitter, up to {@link maxBackoffMs}. */
  readonly minBackoffMs: number;
  readonly maxBackoffMs: number;
  /** Timeout of one bulk request (ms). */
  readonly requestTimeoutMs: number;
}

/** Validated connection settings. */
export interface EsConfig {
  readonly nodes: readonly string[];
  readonly index: string;
  readonly auth: EsAuth;
  /** PEM text of the CA bundle (`--es-ca`). */
  readonly ca?: string;
  /** Skip TLS certificate verification (`--es-insecure`). */
  readonly insecure: boolean;
  readonly pipeline?: string;
  /** Wait this long (ms) for an unreachable cluster at start instead of failing. */
  readonly waitMs: number;
  readonly limits: EsDeliveryLimits;
  /** Secret values, for {@link redact}. */
  readonly secrets: readonly string[];
}

/** The command-line values, as strings, before validation. */
export interface RawEsOptions {
  es?: string[];
  esIndex?: string;
  esAuthFile?: string;
  esCa?: string;
  esInsecure?: boolean;
  esPipeline?: string;
  esWait?: string;
  esBatchSize?: string;
  esBatchDocs?: string;
  esFlushInterval?: string;
  esConcurrency?: string;
  esRetryFor?: string;
  esRequestTimeout?: string;
}

export const DEFAULT_LIMITS: EsDeliveryLimits = {
  batchBytes: 5 * 1024 * 1024,
  batchDocs: 2000,
  flushMs: 1000,
  concurrency: 2,
  retryForMs: 300_000,
  minBackoffMs: 200,
  maxBackoffMs: 30_000,
  requestTimeoutMs: 60_000,
};

/** Replaces every secret in `text` with `[redacted]`. */
export function redact(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const s of secrets) {
    if (s.length === 0) continue;
    out = out.split(s).join('[redacted]');
    const encoded = encodeURIComponent(s);
    const strict = encoded.replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
    for (const e of new Set([encoded, strict])) if (e !== s) out = out.split(e).join('[redacted]');
  }
  return out;
}

/** Checks a node URL: http(s), a host, no credentials, no query. Returns it without a trailing slash. */
export function parseNodeUrl(option: string, value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new UsageError(`Expected an http:// or https:// URL for ${option} but received ${JSON.stringify(redactUserinfo(value))}`);
  }
  if (url.username || url.password) {
    throw new UsageError(
      `${option}: credentials in the URL are refused (the command line is visible to every user of the machine); ` +
        `set IOCHUNT_ES_USERNAME and IOCHUNT_ES_PASSWORD, IOCHUNT_ES_API_KEY or IOCHUNT_ES_BEARER_TOKEN in the environment, ` +
        `or name a file with --es-auth-file (URL given: ${redactUserinfo(value)})`,
    );
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new UsageError(`Expected an http:// or https:// URL for ${option} but received ${JSON.stringify(redactUserinfo(value))}`);
  }
  // The query may hold a token: it is not echoed.
  if (url.search || url.hash) throw new UsageError(`${option}: a node URL takes no query or fragment, received ${url.origin}${url.pathname}?…`);
  return url.toString().replace(/\/+$/, '');
}

/**
 * A node URL as it may be shown in a message: everything before the last `@`
 * (credentials, which may hold `@`, `/` or `:`) and any query or fragment
 * (tokens) are hidden, whatever the form (`user:pass@host:9200` without a
 * scheme, `http:user:pass@host`, `https://user:pass@host`). Only a scheme
 * followed by `//` is kept: in `user:pass@host`, `user:` is not a scheme.
 */
function redactUserinfo(value: string): string {
  const scheme = /^[a-z][a-z0-9+.-]*:\/\//i.exec(value)?.[0] ?? '';
  let rest = value.slice(scheme.length);
  const at = rest.lastIndexOf('@');
  if (at >= 0) rest = `[redacted]@${rest.slice(at + 1)}`;
  return scheme + rest.replace(/[?#][\s\S]*$/, '?…');
}

const INDEX_FORBIDDEN = /[\\/*?"<>| ,#:A-Z]/;

/** Checks an index or data stream name against Elasticsearch's rules. */
export function parseIndexName(option: string, value: string): string {
  const bytes = Buffer.byteLength(value);
  const bad =
    value !== value.toLowerCase() || value === '' || value === '.' || value === '..' || /^[-_+]/.test(value) || INDEX_FORBIDDEN.test(value) || bytes > 255;
  if (bad) {
    throw new UsageError(
      `Expected an Elasticsearch index or data stream name for ${option} (lower case, at most 255 bytes, ` +
        `not starting with -, _ or +, none of \\ / * ? " < > | space , # :) but received ${JSON.stringify(value)}`,
    );
  }
  return value;
}

/** Parses `KEY=VALUE` lines (blank lines and `#` comments skipped; values may be quoted). */
export function parseAuthFile(path: string, text: string): Partial<Record<AuthVariable, string>> {
  const out: Partial<Record<AuthVariable, string>> = {};
  const lines = text.split(/\r?\n/);
  lines.forEach((raw, i) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const eq = line.indexOf('=');
    const key = (eq > 0 ? line.slice(0, eq) : line).replace(/^export\s+/, '').trim();
    if (eq <= 0 || !(AUTH_VARIABLES as readonly string[]).includes(key)) {
      // The line may hold a secret: name the line and the key, never the value.
      throw new UsageError(
        `${path}:${i + 1}: expected KEY=VALUE with KEY one of ${AUTH_VARIABLES.join(', ')}` +
          (eq > 0 && /^[A-Za-z_][A-Za-z0-9_]{0,63}$/.test(key) ? ` but found the key ${key}` : ''),
      );
    }
    let value = line.slice(eq + 1).trim();
    if (value.length >= 2 && (value[0] === '"' || value[0] === "'") && value.endsWith(value[0])) value = value.slice(1, -1);
    // An empty value counts as unset, as an empty environment variable does.
    if (value !== '') out[key as AuthVariable] = value;
  });
  return out;
}

/**
 * Works out the credentials: an `--es-auth-file` if given, else the
 * environment. Exactly one kind may be set (API key, user and password, or
 * bearer token); no credentials at all is allowed (an open cluster).
 */
export function resolveAuth(env: NodeJS.ProcessEnv, authFile?: string): EsAuth {
  let source: Partial<Record<AuthVariable, string>>;
  let where: string;
  if (authFile !== undefined) {
    let text: string;
    try {
      text = readFileSync(authFile, 'utf8');
    } catch (err) {
      throw new UsageError(`--es-auth-file ${authFile}: cannot read it (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
    }
    source = parseAuthFile(authFile, text);
    where = authFile;
  } else {
    source = {};
    for (const k of AUTH_VARIABLES) {
      const v = env[k];
      if (v !== undefined && v !== '') source[k] = v;
    }
    where = 'the environment';
  }
  const apiKey = source.IOCHUNT_ES_API_KEY;
  const username = source.IOCHUNT_ES_USERNAME;
  const password = source.IOCHUNT_ES_PASSWORD;
  const token = source.IOCHUNT_ES_BEARER_TOKEN;
  const kinds = [apiKey !== undefined, username !== undefined || password !== undefined, token !== undefined].filter(Boolean).length;
  if (kinds > 1) {
    const set = AUTH_VARIABLES.filter((k) => source[k] !== undefined);
    throw new UsageError(`more than one kind of Elasticsearch credentials in ${where} (${set.join(', ')}); keep one`);
  }
  if (apiKey !== undefined) return { kind: 'apiKey', apiKey };
  if (token !== undefined) return { kind: 'bearer', token };
  if (username !== undefined || password !== undefined) {
    if (!username || password === undefined) {
      throw new UsageError(`IOCHUNT_ES_USERNAME and IOCHUNT_ES_PASSWORD go together (in ${where}); one of them is missing`);
    }
    return { kind: 'basic', username, password };
  }
  return { kind: 'none' };
}

function secretsOf(auth: EsAuth): string[] {
  switch (auth.kind) {
    case 'apiKey': {
      const out = [auth.apiKey];
      // An "id:key" pair is also sent base64-encoded.
      if (auth.apiKey.includes(':')) out.push(Buffer.from(auth.apiKey).toString('base64'), auth.apiKey.split(':').slice(1).join(':'));
      return out;
    }
    case 'basic':
      return [auth.password, Buffer.from(`${auth.username}:${auth.password}`).toString('base64')];
    case 'bearer':
      return [auth.token];
    default:
      return [];
  }
}

function parseSeconds(option: string, value: string, min: number, max: number): number {
  const n = /^\d+(\.\d+)?$/.test(value.trim()) ? Number(value) : Number.NaN;
  if (!Number.isFinite(n) || n < min || n > max) {
    throw new UsageError(`Expected a number of seconds from ${min} to ${max} for ${option} but received ${JSON.stringify(value)}`);
  }
  return Math.round(n * 1000);
}

/** Validates the `--es*` options; undefined when `--es` was not given. */
export function validateEsOptions(raw: RawEsOptions, env: NodeJS.ProcessEnv = process.env): EsConfig | undefined {
  const given = Object.entries(raw).filter(([k, v]) => k !== 'es' && v !== undefined && v !== false);
  if (!raw.es || raw.es.length === 0) {
    if (given.length > 0) {
      const flag = given[0]?.[0].replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
      throw new UsageError(`--${flag} needs --es URL`);
    }
    return undefined;
  }
  const nodes = raw.es.map((u) => parseNodeUrl('--es', u));
  const auth = resolveAuth(env, raw.esAuthFile);
  let ca: string | undefined;
  if (raw.esCa !== undefined) {
    try {
      ca = readFileSync(raw.esCa, 'utf8');
    } catch (err) {
      throw new UsageError(`--es-ca ${raw.esCa}: cannot read it (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
    }
    if (!ca.includes('-----BEGIN CERTIFICATE-----')) throw new UsageError(`--es-ca ${raw.esCa}: expected PEM certificates (-----BEGIN CERTIFICATE-----)`);
  }
  if (raw.esInsecure && raw.esCa !== undefined) throw new UsageError('--es-insecure and --es-ca exclude each other');
  const limits: EsDeliveryLimits = {
    ...DEFAULT_LIMITS,
    ...(raw.esBatchSize !== undefined ? { batchBytes: parseByteSize('--es-batch-size', raw.esBatchSize, 1024, 512 * 1024 * 1024) } : {}),
    ...(raw.esBatchDocs !== undefined ? { batchDocs: parseWholeNumber('--es-batch-docs', raw.esBatchDocs, 1, 1_000_000) } : {}),
    ...(raw.esFlushInterval !== undefined ? { flushMs: parseSeconds('--es-flush-interval', raw.esFlushInterval, 0.01, 3600) } : {}),
    ...(raw.esConcurrency !== undefined ? { concurrency: parseWholeNumber('--es-concurrency', raw.esConcurrency, 1, 64) } : {}),
    ...(raw.esRetryFor !== undefined ? { retryForMs: parseSeconds('--es-retry-for', raw.esRetryFor, 0, 7 * 86400) } : {}),
    ...(raw.esRequestTimeout !== undefined
      ? { requestTimeoutMs: parseSeconds('--es-request-timeout', raw.esRequestTimeout, 1, 3600) }
      : {}),
  };
  return {
    nodes,
    index: raw.esIndex === undefined ? DEFAULT_ES_INDEX : parseIndexName('--es-index', raw.esIndex),
    auth,
    ...(ca !== undefined ? { ca } : {}),
    insecure: raw.esInsecure === true,
    ...(raw.esPipeline !== undefined ? { pipeline: parsePipelineName(raw.esPipeline) } : {}),
    waitMs: raw.esWait === undefined ? 0 : parseSeconds('--es-wait', raw.esWait, 0, 86400),
    limits,
    secrets: secretsOf(auth),
  };
}

function parsePipelineName(value: string): string {
  if (value === '' || /[\s/\\?#*,"]/.test(value)) {
    throw new UsageError(`Expected an ingest pipeline id for --es-pipeline but received ${JSON.stringify(value)}`);
  }
  return value;
}
