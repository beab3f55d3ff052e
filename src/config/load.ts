/**
 * Reads and validates the configuration file. YAML is parsed with the
 * `yaml` package (which keeps each node's position) and checked against
 * {@link fileSchema} with zod; every problem is reported as
 * `FILE:LINE: key.path: message`, all of them at once.
 */
import { readFileSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { isMap, isNode, isPair, isScalar, LineCounter, parseDocument, type Document } from 'yaml';
import type { z } from 'zod';
import { ConfigError, describeError } from '../errors.js';
import { fileSchema, toSourceConfig, type Config, type SecretRef, type SourceConfig } from './schema.js';

/** A validated configuration plus warnings (inline secrets in a file others can read). */
export interface LoadedConfig {
  readonly config: Config;
  readonly warnings: readonly string[];
}

type PathKey = string | number;

/** `feeds[0].credentials.api_key` */
export function formatKeyPath(path: readonly PathKey[]): string {
  let out = '';
  for (const k of path) out += typeof k === 'number' ? `[${k}]` : out === '' ? k : `.${k}`;
  return out === '' ? '(top level)' : out;
}

/** Line (1-based) of the node at `path`, or of its nearest existing ancestor; `key` asks for the line of that key inside the map at `path`. */
function lineOf(doc: Document, counter: LineCounter, path: readonly PathKey[], key?: string): number {
  if (key !== undefined) {
    const map = doc.getIn(path, true);
    if (isMap(map)) {
      const pair = map.items.find((p) => isPair(p) && isScalar(p.key) && p.key.value === key);
      const range = pair && isNode(pair.key) ? pair.key.range : undefined;
      if (range) return counter.linePos(range[0]).line;
    }
  }
  for (let n = path.length; n >= 0; n--) {
    const node = n === 0 ? doc.contents : doc.getIn(path.slice(0, n), true);
    if (isNode(node) && node.range) return counter.linePos(node.range[0]).line;
  }
  return 1;
}

function issueProblems(file: string, doc: Document, counter: LineCounter, issue: z.core.$ZodIssue): string[] {
  const path = issue.path.filter((k): k is PathKey => typeof k === 'string' || typeof k === 'number');
  if (issue.code === 'unrecognized_keys') {
    return issue.keys.map((k) => `${file}:${lineOf(doc, counter, path, k)}: ${formatKeyPath([...path, k])}: unknown key`);
  }
  let message = issue.message;
  if (path.length > 0 && !doc.hasIn(path)) message = issue.code === 'invalid_type' ? 'missing' : `missing; ${message}`;
  return [`${file}:${lineOf(doc, counter, path)}: ${formatKeyPath(path)}: ${message}`];
}

/** The default state folder: $XDG_STATE_HOME/iochunt, else ~/.local/state/iochunt. */
export function defaultStateDir(): string {
  const xdg = process.env.XDG_STATE_HOME;
  return join(xdg && isAbsolute(xdg) ? xdg : join(homedir(), '.local', 'state'), 'iochunt');
}

/**
 * Parses and validates `text` as the configuration at `file`. Throws
 * {@link ConfigError} listing every problem with its line.
 */
export function parseConfig(file: string, text: string, mode?: number): LoadedConfig {
  const counter = new LineCounter();
  const doc = parseDocument(text, { lineCounter: counter, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    throw new ConfigError(
      file,
      doc.errors.map((e) => `${file}:${e.linePos?.[0]?.line ?? 1}: YAML: ${e.message.split('\n')[0] ?? e.message}`),
    );
  }
  const raw: unknown = doc.toJS() ?? {};
  // `feeds:` also lists plain feed files (strings) for tail: only its mappings are sources. Their
  // positions in the file are kept, so that messages name the right line.
  const feedIndex: number[] = [];
  if (raw && typeof raw === 'object' && Array.isArray((raw as { feeds?: unknown }).feeds)) {
    const all = (raw as { feeds: unknown[] }).feeds;
    (raw as { feeds: unknown[] }).feeds = all.filter((x, i) => (typeof x === 'string' ? false : (feedIndex.push(i), true)));
  }
  const at = (i: number): number => feedIndex[i] ?? i;
  const parsed = fileSchema.safeParse(raw);
  if (!parsed.success) {
    throw new ConfigError(
      file,
      parsed.error.issues.flatMap((issue) => {
        const path = [...issue.path];
        if (path[0] === 'feeds' && typeof path[1] === 'number') path[1] = at(path[1]);
        return issueProblems(file, doc, counter, { ...issue, path } as typeof issue);
      }),
    );
  }
  const data = parsed.data;

  const problems: string[] = [];
  const seen = new Map<string, number>();
  data.feeds?.forEach((s, j) => {
    const i = at(j);
    const first = seen.get(s.name);
    if (first !== undefined) problems.push(`${file}:${lineOf(doc, counter, ['feeds', i, 'name'])}: ${formatKeyPath(['feeds', i, 'name'])}: "${s.name}" is already the name of feeds[${first}]`);
    else seen.set(s.name, i);
  });
  if (problems.length > 0) throw new ConfigError(file, problems);

  const base = dirname(resolve(file));
  const abs = (p: string): string => (isAbsolute(p) ? p : resolve(base, p));
  const feeds: SourceConfig[] = (data.feeds ?? []).map((s) => {
    const c = toSourceConfig(s);
    const http = c.http.caFile ? { ...c.http, caFile: abs(c.http.caFile) } : c.http;
    return { ...c, http, credentials: resolveSecretFiles(c.credentials, abs) } as SourceConfig;
  });

  const warnings: string[] = [];
  const exposed = mode !== undefined && (mode & 0o077) !== 0;
  if (exposed) {
    data.feeds?.forEach((s, j) => {
      const i = at(j);
      for (const [key, value] of Object.entries((s.credentials ?? {}) as Record<string, unknown>)) {
        if (value && typeof value === 'object' && 'inline' in value) {
          const path = ['feeds', i, 'credentials', key];
          warnings.push(
            `${file}:${lineOf(doc, counter, path)}: ${formatKeyPath(path)}: a secret written in a file that group or others can read ` +
              `(mode ${(mode & 0o777).toString(8)}); chmod 600 ${file}, or use {env: VARIABLE} or {file: PATH}`,
          );
        }
      }
    });
  }

  const reserved: Record<string, unknown> = {};
  for (const k of ['inputs', 'outputs', 'metrics', 'allowlists', 'log_format'] as const) if (data[k] !== undefined) reserved[k] = data[k];
  const stateDir = data.state_dir ? abs(data.state_dir) : defaultStateDir();
  return {
    config: { path: resolve(file), stateDir, feedsDir: data.feeds_dir ? abs(data.feeds_dir) : join(stateDir, 'feeds'), feeds, reserved },
    warnings,
  };
}

function resolveSecretFiles<T>(credentials: T, abs: (p: string) => string): T {
  if (!credentials || typeof credentials !== 'object') return credentials;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(credentials)) {
    out[k] = v && typeof v === 'object' && 'file' in v ? ({ file: abs((v as { file: string }).file) } satisfies SecretRef) : v;
  }
  return out as T;
}

/** Reads and validates the configuration file at `file`. */
export function loadConfig(file: string): LoadedConfig {
  let text: string;
  let mode: number;
  try {
    text = readFileSync(file, 'utf8');
    mode = statSync(file).mode;
  } catch (err) {
    throw new ConfigError(file, [`${file}: cannot read the configuration file: ${describeError(err)}`], { cause: err });
  }
  return parseConfig(file, text, mode);
}
