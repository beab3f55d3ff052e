/**
 * Pulling live sources into the feed folder: the library behind
 * `iochunt feeds pull`, and what `tail` calls on each source's interval.
 *
 * One pull of one source: take its lock, read its state, fetch and merge
 * (the source's driver), check the new feed with iochunt's own feed readers
 * (it must load; a shrink beyond `max_shrink` not explained by deletions is
 * refused), replace the feed file atomically, then the state file. The feed
 * is written before the cursor: a crash between the two re-fetches from the
 * old cursor into the new feed, and merging is idempotent, so the result is
 * the same as an uninterrupted pull. A failure leaves feed and cursor as
 * they were and records the error in the state.
 */
import { createHash } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Config, SecretRef, SourceConfig } from '../config/index.js';
import { describeError, FeedError, IochuntError, SourceError } from '../errors.js';
import { loadFeeds } from '../indicators/load.js';
import type { Reporter } from '../report.js';
import { AtomicFile, cleanTemporaries, writeFileAtomic } from '../fs/atomic-file.js';
export { cleanTemporaries };
import type { DriverContext, DriverOutcome, NewFeed, SourceDriver } from './driver.js';
import { HttpClient } from './http.js';
import { mispDriver } from './misp.js';
import { otxDriver } from './otx.js';
import { Redactor, resolveSecret } from './secrets.js';
import { lockSource, readState, statePath, writeState, type SourceState } from './state-store.js';
import { taxiiDriver } from './taxii.js';
import { urlDriver } from './url-list.js';

const DRIVERS: Readonly<Record<SourceConfig['type'], SourceDriver<never>>> = {
  otx: otxDriver,
  misp: mispDriver,
  taxii: taxiiDriver,
  url: urlDriver,
};

function driverOf(source: SourceConfig): SourceDriver<SourceConfig> {
  return DRIVERS[source.type] as unknown as SourceDriver<SourceConfig>;
}

export interface PullOptions {
  /** Ignore cursors and validators: fetch everything again (the shrink guard still applies). */
  readonly full?: boolean;
  /** Accept a feed that shrinks beyond the source's `max_shrink`. */
  readonly acceptShrink?: boolean;
  readonly reporter: Reporter;
  readonly env?: NodeJS.ProcessEnv;
  readonly now?: () => number;
  /** Test seam: waits between HTTP attempts. */
  readonly sleep?: (ms: number) => Promise<void>;
}

/** What one pull did. */
export interface PullResult {
  readonly name: string;
  readonly type: SourceConfig['type'];
  readonly ok: boolean;
  /** The feed file was replaced (its content differs from before). */
  readonly changed: boolean;
  /** Path of the source's feed file (present once a pull has succeeded). */
  readonly feedPath: string;
  /** Indicators in the feed now (after a failure: in the feed that stayed). */
  readonly indicators: number;
  readonly previousIndicators: number;
  /** Indicators the new feed has that the old one had not, and the reverse (when changed). */
  readonly added: number;
  readonly removed: number;
  readonly durationMs: number;
  /** The error, secrets redacted (when not ok). */
  readonly error?: string;
}

/** Path of the feed file of `source`. */
export function feedPathOf(config: Config, source: SourceConfig): string {
  return join(config.feedsDir, `${source.name}${driverOf(source).feedExtension(source as never)}`);
}

/** What decides a source's content (type, URL, options but the page size): when it changes, the next pull starts over. */
function identityOf(source: SourceConfig): string {
  const { limit: _pageSize, ...options } = source.options as Record<string, unknown>;
  return createHash('sha256').update(JSON.stringify([source.type, source.url, options])).digest('hex').slice(0, 16);
}

/** When `source` is next due after `state` (ms since the epoch): now when it never succeeded. */
export function nextDue(source: SourceConfig, state: SourceState | undefined): number {
  const last = state?.lastAttempt ? Date.parse(state.lastAttempt) : Number.NaN;
  return Number.isNaN(last) ? 0 : last + source.intervalMs;
}

/** The key list of a source's feed (`type<TAB>name` per line): what `added`/`removed` are counted against. */
function keysPath(stateDir: string, name: string): string {
  return join(stateDir, `${name}.keys`);
}

async function readKeys(path: string): Promise<Set<string> | undefined> {
  try {
    const text = await readFile(path, 'utf8');
    return new Set(text.split('\n').filter((l) => l !== ''));
  } catch {
    return undefined;
  }
}

async function writeKeys(path: string, keys: ReadonlySet<string>): Promise<void> {
  await writeFileAtomic(path, [...keys].sort().map((k) => `${k}\n`).join(''), 0o600);
}

interface Counted {
  readonly indicators: number;
  readonly keys: Set<string>;
  readonly invalid: number;
  readonly entries: number;
  readonly firstInvalid?: string;
}

async function countFeed(path: string, format: string | undefined): Promise<Counted> {
  const r = await loadFeeds([path], { ...(format ? { format } : {}), mispAll: false });
  const keys = new Set<string>();
  for (const i of r.store.all()) keys.add(`${i.indicator.type}\t${i.indicator.name}`);
  const f = r.feeds[0];
  const first = r.invalid[0];
  return {
    indicators: keys.size,
    keys,
    invalid: f?.invalid ?? 0,
    entries: f?.entries ?? 0,
    ...(first ? { firstInvalid: `line ${first.line}: ${first.reason}` } : {}),
  };
}

/**
 * Pulls one source once. Never throws for a source failure: the result
 * says `ok: false` with the (redacted) error, and the state records it.
 */
export async function pullSource(config: Config, source: SourceConfig, options: PullOptions): Promise<PullResult> {
  const now = options.now ?? Date.now;
  const started = now();
  const redactor = new Redactor();
  const feedPath = feedPathOf(config, source);
  const reporter: Reporter = {
    error: (m) => options.reporter.error(redactor.redact(m)),
    warn: (m) => options.reporter.warn(redactor.redact(m)),
    info: (m) => options.reporter.info(redactor.redact(m)),
  };
  let state: SourceState | undefined;
  let stateRead = false;
  let release: (() => Promise<void>) | undefined;
  let http: HttpClient | undefined;
  let temp: AtomicFile | undefined;
  const base = { name: source.name, type: source.type, feedPath };
  try {
    release = await lockSource(config.stateDir, source.name);
    state = await readState(config.stateDir, source.name);
    stateRead = true;
    await cleanTemporaries(feedPath);
    await cleanTemporaries(statePath(config.stateDir, source.name));
    await cleanTemporaries(keysPath(config.stateDir, source.name));
    const identity = identityOf(source);
    let previous: Buffer | undefined;
    try {
      previous = await readFile(feedPath);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw new SourceError(source.name, `cannot read the current feed ${feedPath}: ${describeError(err)}`);
    }
    let startOver = options.full === true || !state || state.identity !== identity;
    if (!startOver && previous === undefined && state?.cursor) {
      reporter.warn(`${source.name}: ${feedPath} is missing; pulling everything again`);
      startOver = true;
    }
    if (state?.lastSuccess && state.identity !== identity && !options.full) reporter.info(`${source.name}: type, URL or options changed since the last pull; pulling everything again`);

    http = new HttpClient({ source: source.name, settings: source.http, redactor, reporter, ...(options.sleep ? { sleep: options.sleep } : {}), now });
    const ctx: DriverContext = {
      source,
      http,
      secret: (key: string, ref: SecretRef) => resolveSecret(source.name, key, ref, redactor, options.env),
      state: startOver ? undefined : state,
      previous: startOver ? undefined : previous,
      now,
      reporter,
    };
    let outcome: DriverOutcome;
    try {
      outcome = await driverOf(source).pull(ctx);
    } catch (err) {
      if (err instanceof SyntaxError) throw new SourceError(source.name, `the current feed ${feedPath} is not readable JSON (${err.message}); run feeds pull --full ${source.name}`);
      throw err;
    }

    const previousIndicators = state?.indicators ?? 0;
    const common = {
      version: 1 as const,
      name: source.name,
      type: source.type,
      identity,
      lastAttempt: new Date(started).toISOString(),
      lastSuccess: new Date(now()).toISOString(),
      consecutiveFailures: 0,
      lastDurationMs: now() - started,
    };
    // Re-read records (cursors are inclusive) often rebuild the very same feed: nothing to check or replace.
    if (!outcome.changed || (previous !== undefined && !startOver && previous.equals(outcome.content))) {
      const next: SourceState = {
        ...state,
        ...common,
        ...(outcome.cursor ? { cursor: outcome.cursor } : {}),
        ...(outcome.etag ? { etag: outcome.etag } : {}),
        ...(outcome.lastModified ? { lastModified: outcome.lastModified } : {}),
        ...(outcome.changed ? { records: outcome.records } : {}),
        feed: feedPath,
      };
      delete (next as { lastError?: unknown }).lastError;
      await writeState(config.stateDir, next);
      return { ...base, ok: true, changed: false, indicators: previousIndicators, previousIndicators, added: 0, removed: 0, durationMs: now() - started };
    }

    // Write beside the feed, check it with iochunt's readers, then replace.
    temp = await AtomicFile.create(feedPath);
    await temp.write(outcome.content);
    await temp.close();
    const format = driverOf(source).feedFormat(source);
    let counted: Counted;
    try {
      counted = await countFeed(temp.tempPath, format);
    } catch (err) {
      const why = err instanceof FeedError ? err.message.replace(`${temp.tempPath}: `, '') : describeError(err);
      throw new SourceError(source.name, `the fetched feed does not load: ${why}`);
    }
    if (counted.indicators === 0 && counted.invalid > 0) {
      throw new SourceError(source.name, `the fetched feed has no usable indicator (${counted.invalid} invalid entries; first at ${counted.firstInvalid ?? '?'}); keeping the previous feed`);
    }
    checkShrink(source, outcome, previousIndicators, counted.indicators, options, state !== undefined && previous !== undefined);

    const same = previous !== undefined && previous.equals(outcome.content);
    let added = 0;
    let removed = 0;
    if (!same) {
      // The indicators of the feed being replaced: from the key list written with it (cheap), else by loading it.
      let oldKeys = new Set<string>();
      if (previous !== undefined) {
        oldKeys =
          (await readKeys(keysPath(config.stateDir, source.name))) ??
          (await countFeed(feedPath, format).catch(() => undefined))?.keys ??
          new Set();
      }
      for (const k of counted.keys) if (!oldKeys.has(k)) added++;
      for (const k of oldKeys) if (!counted.keys.has(k)) removed++;
      await temp.commit();
      await writeKeys(keysPath(config.stateDir, source.name), counted.keys);
    } else await temp.discard();
    temp = undefined;

    const next: SourceState = {
      ...common,
      ...(outcome.cursor ? { cursor: outcome.cursor } : {}),
      ...(outcome.etag ? { etag: outcome.etag } : {}),
      ...(outcome.lastModified ? { lastModified: outcome.lastModified } : {}),
      feed: feedPath,
      indicators: counted.indicators,
      records: outcome.records,
      ...(same ? (state?.lastChange ? { lastChange: state.lastChange } : {}) : { lastChange: common.lastSuccess }),
      lastAdded: same ? (state?.lastAdded ?? 0) : added,
      lastRemoved: same ? (state?.lastRemoved ?? 0) : removed,
    };
    await writeState(config.stateDir, next);
    return { ...base, ok: true, changed: !same, indicators: counted.indicators, previousIndicators, added, removed, durationMs: now() - started };
  } catch (err) {
    const message = redactor.redact(err instanceof IochuntError ? err.message : `${source.name}: ${describeError(err)}`);
    if (temp) await temp.discard().catch(() => undefined);
    if (release && stateRead) {
      // Record the failure; the feed and cursor stay as they were (an unreadable state file is left for the user).
      const failed: SourceState = {
        ...(state ?? { version: 1, name: source.name, type: source.type, identity: identityOf(source) }),
        lastAttempt: new Date(started).toISOString(),
        lastError: { at: new Date(now()).toISOString(), message },
        consecutiveFailures: (state?.consecutiveFailures ?? 0) + 1,
        lastDurationMs: now() - started,
      };
      await writeState(config.stateDir, failed).catch((e: unknown) => reporter.warn(`${source.name}: cannot record the failure in the state folder: ${describeError(e)}`));
    }
    const exists = await stat(feedPath).then(() => true, () => false);
    const indicators = exists ? (state?.indicators ?? 0) : 0;
    return { ...base, ok: false, changed: false, indicators, previousIndicators: indicators, added: 0, removed: 0, durationMs: now() - started, error: message };
  } finally {
    await http?.close();
    await release?.();
  }
}

function checkShrink(source: SourceConfig, outcome: NewFeed, before: number, after: number, options: PullOptions, hadFeed: boolean): void {
  if (!hadFeed || before === 0 || after >= before || options.acceptShrink) return;
  const unexplained = before - after - outcome.explainedRemovals;
  if (unexplained > source.maxShrink * before) {
    throw new SourceError(
      source.name,
      `refusing a feed that shrinks from ${before} to ${after} indicators without deletions explaining it ` +
        `(more than max_shrink ${Math.round(source.maxShrink * 100)}%); the previous feed stays. ` +
        `If the source really dropped them, pull again with --accept-shrink`,
    );
  }
}

/** The enabled sources due at `nowMs` (never pulled, or their interval since the last attempt has passed), for `tail`'s schedule. */
export async function dueSources(config: Config, nowMs: number): Promise<SourceConfig[]> {
  const due: SourceConfig[] = [];
  for (const s of config.feeds) {
    if (!s.enabled) continue;
    const state = await readState(config.stateDir, s.name).catch(() => undefined);
    if (nextDue(s, state) <= nowMs) due.push(s);
  }
  return due;
}

/** Pulls `names` (all enabled sources when empty) one after the other. Unknown names throw before anything is pulled. */
export async function pullSources(config: Config, names: readonly string[], options: PullOptions): Promise<PullResult[]> {
  const sources = selectSources(config, names);
  const results: PullResult[] = [];
  for (const s of sources) results.push(await pullSource(config, s, options));
  return results;
}

/** The sources named (all enabled ones when `names` is empty); throws on an unknown name. */
export function selectSources(config: Config, names: readonly string[]): SourceConfig[] {
  if (names.length === 0) return config.feeds.filter((s) => s.enabled);
  return names.map((n) => {
    const s = config.feeds.find((f) => f.name === n);
    if (!s) throw new SourceError(n, `no such source in ${config.path} (sources: ${config.feeds.map((f) => f.name).join(', ') || 'none'})`);
    return s;
  });
}

