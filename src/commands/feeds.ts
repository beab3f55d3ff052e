/**
 * `iochunt feeds pull`, `iochunt feeds status` and `iochunt config check`:
 * thin commands over src/config and src/sources.
 */
import { access, constants, readFile } from 'node:fs/promises';
import { loadTailConfig } from '../config/tail-config.js';
import { loadConfig, formatDuration, type Config, type SecretRef, type SourceConfig } from '../config/index.js';
import { UsageError } from '../errors.js';
import type { Reporter } from '../report.js';
import { describeSecretRef, feedPathOf, nextDue, pullSources, readState, selectSources, type PullResult, type SourceState } from '../sources/index.js';

export interface FeedsPullOptions {
  readonly config?: string;
  readonly full?: boolean;
  readonly acceptShrink?: boolean;
  readonly json?: boolean;
}

/** The config file: --config, else $IOCHUNT_CONFIG. */
export function configPath(option: string | undefined): string {
  const path = option ?? process.env.IOCHUNT_CONFIG;
  if (!path) throw new UsageError('needs --config FILE (or IOCHUNT_CONFIG): the configuration file that declares the sources');
  return path;
}

function load(path: string, reporter: Reporter): Config {
  const { config, warnings } = loadConfig(path);
  for (const w of warnings) reporter.warn(w);
  return config;
}

function summary(r: PullResult): string {
  const took = formatDuration(r.durationMs);
  if (!r.ok) return `${r.error ?? r.name}; ${r.indicators > 0 ? `the previous feed stays (${r.indicators} indicators)` : 'no feed yet'}`;
  if (!r.changed) return `${r.name}: unchanged, ${r.indicators} indicators (${took})`;
  return `${r.name}: ${r.indicators} indicators (+${r.added} -${r.removed}), ${r.feedPath} replaced (${took})`;
}

/** Pulls the sources once; exit 0 when all succeeded, 2 when any failed. */
export async function runFeedsPull(names: readonly string[], options: FeedsPullOptions, reporter: Reporter): Promise<number> {
  const config = load(configPath(options.config), reporter);
  const sources = selectSources(config, names);
  if (sources.length === 0) {
    reporter.warn(`${config.path}: no enabled source to pull`);
    return 0;
  }
  const results = await pullSources(config, sources.map((s) => s.name), {
    reporter,
    ...(options.full ? { full: true } : {}),
    ...(options.acceptShrink ? { acceptShrink: true } : {}),
  });
  for (const r of results) (r.ok ? reporter.info : reporter.error)(summary(r));
  const failed = results.filter((r) => !r.ok).length;
  if (options.json) process.stdout.write(`${JSON.stringify({ ok: failed === 0, sources: results })}\n`);
  reporter.info(`${results.length - failed} of ${results.length} source${results.length === 1 ? '' : 's'} pulled${failed ? `, ${failed} failed` : ''}`);
  return failed > 0 ? 2 : 0;
}

/** A URL for display: query values hidden (they may hold tokens). */
function displayUrl(url: string): string {
  try {
    const u = new URL(url);
    for (const k of [...u.searchParams.keys()]) u.searchParams.set(k, '***');
    return u.href.replace(/%2A%2A%2A/g, '***');
  } catch {
    return url;
  }
}

/** The config file's spelling of a credentials key (`apiKey` → `api_key`). */
function fileKey(k: string): string {
  return k.replace(/[A-Z]/g, (m) => `_${m.toLowerCase()}`);
}

function credentialsOf(source: SourceConfig): Record<string, string> {
  const out: Record<string, string> = {};
  const c = (source.credentials ?? {}) as Record<string, unknown>;
  for (const [k, v] of Object.entries(c)) out[fileKey(k)] = typeof v === 'string' ? v : describeSecretRef(v as SecretRef);
  return out;
}

interface StatusRow {
  readonly name: string;
  readonly type: string;
  readonly url: string;
  readonly enabled: boolean;
  readonly interval: string;
  readonly feed: string;
  readonly credentials: Record<string, string>;
  readonly nextDue?: string;
  readonly state?: SourceState;
}

/** Prints each source's state; exit 0 when every source's last pull succeeded, 1 when one failed or never ran, 2 on error. */
export async function runFeedsStatus(options: { config?: string; json?: boolean }, reporter: Reporter): Promise<number> {
  const config = load(configPath(options.config), reporter);
  const rows: StatusRow[] = [];
  for (const s of config.feeds) {
    let state: SourceState | undefined;
    try {
      state = await readState(config.stateDir, s.name);
    } catch (err) {
      reporter.error((err as Error).message);
    }
    const due = state ? nextDue(s, state) : undefined;
    rows.push({
      name: s.name,
      type: s.type,
      url: displayUrl(s.url),
      enabled: s.enabled,
      interval: formatDuration(s.intervalMs),
      feed: feedPathOf(config, s),
      credentials: credentialsOf(s),
      ...(due ? { nextDue: new Date(due).toISOString() } : {}),
      ...(state ? { state } : {}),
    });
  }
  const healthy = (r: StatusRow): boolean => !r.enabled || (r.state?.lastSuccess !== undefined && r.state.lastError === undefined);
  if (options.json) {
    process.stdout.write(`${JSON.stringify({ config: config.path, state_dir: config.stateDir, feeds_dir: config.feedsDir, sources: rows }, null, 2)}\n`);
  } else {
    for (const r of rows) {
      const s = r.state;
      const lines = [
        `${r.name} (${r.type}${r.enabled ? '' : ', disabled'}) ${r.url} every ${r.interval}`,
        `  feed:         ${r.feed}${s?.indicators !== undefined ? ` (${s.indicators} indicators, ${s.records ?? 0} records)` : ' (none yet)'}`,
        `  last success: ${s?.lastSuccess ?? 'never'}${s?.lastChange ? `; last change ${s.lastChange} (+${s.lastAdded ?? 0} -${s.lastRemoved ?? 0})` : ''}`,
        `  last attempt: ${s?.lastAttempt ?? 'never'}${r.nextDue ? `; next due ${r.nextDue}` : ''}`,
        ...(s?.cursor ? [`  cursor:       ${Object.entries(s.cursor).map(([k, v]) => `${k}=${v}`).join(' ')}`] : []),
        ...(s?.etag || s?.lastModified ? [`  validators:   ${[s.etag ? `ETag ${s.etag}` : '', s.lastModified ? `Last-Modified ${s.lastModified}` : ''].filter(Boolean).join(', ')}`] : []),
        ...(Object.keys(r.credentials).length ? [`  credentials:  ${Object.entries(r.credentials).map(([k, v]) => `${k} from ${v}`).join(', ')}`] : []),
        ...(s?.lastError ? [`  last error:   ${s.lastError.at} (${s.consecutiveFailures ?? 1} in a row): ${s.lastError.message}`] : []),
      ];
      process.stdout.write(`${lines.join('\n')}\n`);
    }
    if (rows.length === 0) process.stdout.write(`no sources in ${config.path}\n`);
  }
  return rows.every(healthy) ? 0 : 1;
}

/** Validates a config file; warns about credentials that cannot be found now. Exit 0 valid, 2 not. */
export async function runConfigCheck(path: string, reporter: Reporter): Promise<number> {
  // Both readers of the file: tail's sections (inputs, outputs, metrics, …) and the live sources.
  // The one the file is mostly about speaks first, so that its messages are the ones shown.
  const text = await readFile(path, 'utf8').catch(() => undefined);
  const sourcesFirst = text === undefined || /^feeds:\s*\n(?:\s*#.*\n|\s*\n)*\s*-\s+\w+\s*:/m.test(text);
  let tail: ReturnType<typeof loadTailConfig> | undefined;
  if (!sourcesFirst) tail = loadTailConfig(path);
  const config = load(path, reporter);
  tail ??= loadTailConfig(path);
  for (const s of config.feeds) {
    for (const [k, v] of Object.entries((s.credentials ?? {}) as Record<string, unknown>)) {
      const key = fileKey(k);
      const ref = v as SecretRef;
      if (typeof v !== 'object' || v === null) continue;
      if ('env' in ref && !process.env[ref.env]) reporter.warn(`${s.name}: credentials.${key}: environment variable ${ref.env} is not set here`);
      if ('file' in ref) await access(ref.file, constants.R_OK).catch(() => reporter.warn(`${s.name}: credentials.${key}: ${ref.file} is not readable here`));
    }
  }
  reporter.info(`${config.path}: valid; ${tail.inputs.length > 0 ? `${tail.inputs.length} input(s), ` : ''}${config.feeds.length} source${config.feeds.length === 1 ? '' : 's'}${config.feeds.length ? ` (${config.feeds.map((f) => f.name).join(', ')})` : ''}; state in ${config.stateDir}, feeds in ${config.feedsDir}`);
  return 0;
}
