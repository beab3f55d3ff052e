/**
 * The schema of the configuration file (YAML), shared by `feeds pull` and
 * (later) `tail`. Keys are snake_case in the file and camelCase in the
 * validated {@link Config}. Top-level sections: `state_dir`, `feeds_dir`,
 * `feeds` (live sources); `inputs`, `outputs`, `metrics`, `allowlists` and
 * `log_format` are reserved for `tail`, accepted and not checked here.
 * Every object is strict: an unknown key is an error naming it and its line.
 */
import { z } from 'zod';
import { feedFormatNames } from '../indicators/load.js';
import { parseDurationMs, parseShare, parseSize } from './duration.js';

/** Where a secret comes from. Inline values remember their line for warnings. */
export type SecretRef = { readonly env: string } | { readonly file: string } | { readonly inline: string };

/** HTTP behaviour of one source. All times in milliseconds. */
export interface HttpSettings {
  readonly connectTimeoutMs: number;
  /** Limit of one attempt, from sending the request to the end of the body. */
  readonly timeoutMs: number;
  /** Retries after the first attempt (429, 503, other 5xx, 408, resets, timeouts). */
  readonly retries: number;
  /** Longest wait a Retry-After may impose; longer ones are cut to it. */
  readonly maxRetryAfterMs: number;
  /** First backoff delay; doubled per retry, with jitter, up to 5 minutes. */
  readonly backoffMs: number;
  /** Largest response body accepted (after decompression). */
  readonly maxBytes: number;
  /** PEM file of CA certificates trusted for this source (in addition to none: it replaces the default set). */
  readonly caFile?: string;
}

export type SourceType = 'otx' | 'misp' | 'taxii' | 'url';

interface SourceBase {
  readonly name: string;
  readonly url: string;
  readonly intervalMs: number;
  readonly enabled: boolean;
  /** Largest share of the indicator count a pull may remove without deletions explaining it. */
  readonly maxShrink: number;
  readonly http: HttpSettings;
}

export interface OtxSource extends SourceBase {
  readonly type: 'otx';
  readonly credentials: { readonly apiKey: SecretRef };
  readonly options: { readonly limit: number; readonly maxAgeMs?: number; readonly authorName?: string };
}

export interface MispSource extends SourceBase {
  readonly type: 'misp';
  readonly credentials: { readonly apiKey: SecretRef };
  readonly options: {
    readonly limit: number;
    readonly toIds: boolean;
    readonly published?: boolean;
    readonly enforceWarninglist?: boolean;
    readonly tags?: readonly string[];
    readonly types?: readonly string[];
    readonly maxAgeMs?: number;
  };
}

export type TaxiiCredentials = { readonly username: string; readonly password: SecretRef } | { readonly token: SecretRef };

export interface TaxiiSource extends SourceBase {
  readonly type: 'taxii';
  readonly credentials?: TaxiiCredentials;
  readonly options: { readonly collection: string; readonly apiRoot?: string; readonly limit: number; readonly addedAfter?: string };
}

export type UrlCredentials = TaxiiCredentials | { readonly header: string; readonly value: SecretRef };

export interface UrlSource extends SourceBase {
  readonly type: 'url';
  readonly credentials?: UrlCredentials;
  readonly options: { readonly format?: string };
}

export type SourceConfig = OtxSource | MispSource | TaxiiSource | UrlSource;

/** The validated configuration. Paths are absolute (relative ones are resolved against the config file's folder). */
export interface Config {
  readonly path: string;
  readonly stateDir: string;
  readonly feedsDir: string;
  readonly feeds: readonly SourceConfig[];
  /** Sections reserved for `tail`, as written. */
  readonly reserved: Readonly<Record<string, unknown>>;
}

export const DEFAULT_HTTP: HttpSettings = {
  connectTimeoutMs: 10_000,
  timeoutMs: 300_000,
  retries: 5,
  maxRetryAfterMs: 3_600_000,
  backoffMs: 1_000,
  maxBytes: 1024 ** 3,
};

export const DEFAULT_INTERVAL_MS = 3_600_000;
export const DEFAULT_MAX_SHRINK = 0.5;

const custom = <T>(parse: (v: string | number) => T | undefined, what: string) =>
  z.union([z.string(), z.number()], { error: `expected ${what}` }).transform((v, ctx) => {
    const r = parse(v);
    if (r === undefined) {
      ctx.addIssue({ code: 'custom', message: `expected ${what}, got ${JSON.stringify(v)}` });
      return z.NEVER;
    }
    return r;
  });

const duration = custom(parseDurationMs, 'a duration such as 30s, 5m, 1h or 1d');
const share = custom(parseShare, 'a share such as 50% or 0.5');
const size = custom(parseSize, 'a size such as 512M or 1G');
const positiveInt = (max: number) => {
  const error = `expected a whole number from 1 to ${max}`;
  return z.number({ error }).int(error).min(1, error).max(max, error);
};

const secret = z.union(
  [
    z.string().min(1).transform((v): SecretRef => ({ inline: v })),
    z.strictObject({ env: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'expected an environment variable name') }),
    z.strictObject({ file: z.string().min(1) }),
  ],
  { error: 'expected {env: VARIABLE}, {file: PATH} or (in a mode 600 file only) the secret itself' },
);

const http = z
  .strictObject({
    connect_timeout: duration.optional(),
    timeout: duration.optional(),
    retries: z.number({ error: 'expected a whole number from 0 to 100' }).int('expected a whole number from 0 to 100').min(0, 'expected a whole number from 0 to 100').max(100, 'expected a whole number from 0 to 100').optional(),
    max_retry_after: duration.optional(),
    backoff: duration.optional(),
    max_bytes: size.optional(),
    ca_file: z.string().min(1).optional(),
  })
  .optional()
  .transform((h): HttpSettings => ({
    connectTimeoutMs: h?.connect_timeout ?? DEFAULT_HTTP.connectTimeoutMs,
    timeoutMs: h?.timeout ?? DEFAULT_HTTP.timeoutMs,
    retries: h?.retries ?? DEFAULT_HTTP.retries,
    maxRetryAfterMs: h?.max_retry_after ?? DEFAULT_HTTP.maxRetryAfterMs,
    backoffMs: h?.backoff ?? DEFAULT_HTTP.backoffMs,
    maxBytes: h?.max_bytes ?? DEFAULT_HTTP.maxBytes,
    ...(h?.ca_file ? { caFile: h.ca_file } : {}),
  }));

const url = z
  .string({ error: 'expected an http or https URL' })
  .refine((v) => {
    try {
      const u = new URL(v);
      return u.protocol === 'http:' || u.protocol === 'https:';
    } catch {
      return false;
    }
  }, 'expected an http or https URL')
  .refine((v) => {
    try {
      const u = new URL(v);
      return u.username === '' && u.password === '';
    } catch {
      return true;
    }
  }, 'the URL must not hold credentials; put them under credentials:');

const base = {
  name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, 'expected a name of letters, digits, ".", "_" and "-" (it names the feed file)'),
  url,
  interval: duration.optional(),
  enabled: z.boolean().optional(),
  max_shrink: share.optional(),
  http,
};

const basicAuth = z.strictObject({ username: z.string().min(1), password: secret });
const tokenAuth = z.strictObject({ token: secret });
const headerAuth = z.strictObject({ header: z.string().regex(/^[A-Za-z0-9-]+$/, 'expected an HTTP header name'), value: secret });

const otx = z.strictObject({
  ...base,
  type: z.literal('otx'),
  credentials: z.strictObject({ api_key: secret }),
  options: z
    .strictObject({ limit: positiveInt(1000).optional(), max_age: duration.optional(), author_name: z.string().min(1).optional() })
    .optional(),
});

const misp = z.strictObject({
  ...base,
  type: z.literal('misp'),
  credentials: z.strictObject({ api_key: secret }),
  options: z
    .strictObject({
      limit: positiveInt(100_000).optional(),
      to_ids: z.boolean().optional(),
      published: z.boolean().optional(),
      enforce_warninglist: z.boolean().optional(),
      tags: z.array(z.string().min(1)).optional(),
      types: z.array(z.string().min(1)).optional(),
      max_age: duration.optional(),
    })
    .optional(),
});

const taxii = z.strictObject({
  ...base,
  type: z.literal('taxii'),
  credentials: z.union([basicAuth, tokenAuth], { error: 'expected {username, password} or {token}' }).optional(),
  options: z.strictObject({
    collection: z.string().min(1),
    api_root: z.string().min(1).optional(),
    limit: positiveInt(100_000).optional(),
    added_after: z.iso.datetime({ offset: true }).optional(),
  }),
});

const urlList = z.strictObject({
  ...base,
  type: z.literal('url'),
  credentials: z.union([basicAuth, tokenAuth, headerAuth], { error: 'expected {username, password}, {token} or {header, value}' }).optional(),
  options: z
    .strictObject({
      format: z
        .string()
        .refine((f) => feedFormatNames().includes(f), { error: () => `expected one of ${feedFormatNames().join(', ')}` })
        .optional(),
    })
    .optional(),
});

const source = z.discriminatedUnion('type', [otx, misp, taxii, urlList], { error: 'expected type: otx, misp, taxii or url' });

/** The raw schema of the whole file (before paths are resolved). */
export const fileSchema = z.strictObject({
  state_dir: z.string().min(1).optional(),
  feeds_dir: z.string().min(1).optional(),
  // Live sources (mappings); feed files (strings, read by `tail` as --iocs) are taken out before this schema applies.
  feeds: z.array(source).optional(),
  // The sections of `tail`: validated by it (src/config/tail-config.ts).
  feed_format: z.unknown().optional(),
  state: z.unknown().optional(),
  log: z.unknown().optional(),
  tail: z.unknown().optional(),
  scan: z.unknown().optional(),
  inputs: z.unknown().optional(),
  outputs: z.unknown().optional(),
  metrics: z.unknown().optional(),
  allowlists: z.unknown().optional(),
  log_format: z.unknown().optional(),
  kafka: z.unknown().optional(),
});

export type RawConfig = z.output<typeof fileSchema>;
export type RawSource = z.output<typeof source>;

/** Turns one validated raw source into its {@link SourceConfig}. */
export function toSourceConfig(s: RawSource): SourceConfig {
  const common = {
    name: s.name,
    url: s.url,
    intervalMs: s.interval ?? DEFAULT_INTERVAL_MS,
    enabled: s.enabled ?? true,
    maxShrink: s.max_shrink ?? DEFAULT_MAX_SHRINK,
    http: s.http,
  };
  switch (s.type) {
    case 'otx':
      return {
        ...common,
        type: 'otx',
        credentials: { apiKey: s.credentials.api_key },
        options: {
          limit: s.options?.limit ?? 50,
          ...(s.options?.max_age !== undefined ? { maxAgeMs: s.options.max_age } : {}),
          ...(s.options?.author_name ? { authorName: s.options.author_name } : {}),
        },
      };
    case 'misp': {
      const o = s.options;
      return {
        ...common,
        type: 'misp',
        credentials: { apiKey: s.credentials.api_key },
        options: {
          limit: o?.limit ?? 1000,
          toIds: o?.to_ids ?? true,
          ...(o?.published !== undefined ? { published: o.published } : {}),
          ...(o?.enforce_warninglist !== undefined ? { enforceWarninglist: o.enforce_warninglist } : {}),
          ...(o?.tags ? { tags: o.tags } : {}),
          ...(o?.types ? { types: o.types } : {}),
          ...(o?.max_age !== undefined ? { maxAgeMs: o.max_age } : {}),
        },
      };
    }
    case 'taxii':
      return {
        ...common,
        type: 'taxii',
        ...(s.credentials ? { credentials: s.credentials as TaxiiCredentials } : {}),
        options: {
          collection: s.options.collection,
          limit: s.options.limit ?? 100,
          ...(s.options.api_root ? { apiRoot: s.options.api_root } : {}),
          ...(s.options.added_after ? { addedAfter: s.options.added_after } : {}),
        },
      };
    case 'url':
      return {
        ...common,
        type: 'url',
        ...(s.credentials ? { credentials: s.credentials as UrlCredentials } : {}),
        options: { ...(s.options?.format ? { format: s.options.format } : {}) },
      };
  }
}
