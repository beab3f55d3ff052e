/**
 * `iochunt sweep`: a scan that remembers. Each run reads, in each file, only
 * the bytes it has not delivered yet, follows rotation (rename, compression,
 * copytruncate) and truncation through the registry, and before that rescans
 * what it already swept for the indicators added since (the retro-hunt).
 * Positions are committed only after the sink confirmed delivery.
 */
import { stat } from 'node:fs/promises';
import { performance } from 'node:perf_hooks';
import { describeError, UsageError } from '../errors.js';
import { loadAllowlist } from '../filters/allowlist.js';
import { IndicatorSetSnapshots } from '../indicators/indicator-set.js';
import { expandPaths, type WalkOptions } from '../input/expand-paths.js';
import { openAppendedOutput } from '../output/appended-output.js';
import { ProgressLine } from '../output/progress.js';
import { looksBinary } from '../input/binary.js';
import { readHead } from '../input/file-range.js';
import { sameFile, type OutputIdentity } from '../output/output-file.js';
import type { HitSink } from '../output/sink.js';
import { TeeSink } from '../output/tee-sink.js';
import { Registry, type PlannedFile, type SeenFile } from '../registry/registry.js';
import { emptyState, lockState, readState, writeState, type RegistryState } from '../registry/state-file.js';
import { writeFileAtomicSync } from '../fs/atomic-file.js';
import type { Reporter } from '../report.js';
import { loadActiveSet } from '../follow/active-set.js';
import { FollowPipeline } from '../follow/cycle.js';
import type { EsOutput } from './es-output.js';
import type { ScanOptions } from './scan.js';

/** Options of `sweep`: those of `scan` plus the registry's. */
export interface SweepOptions extends ScanOptions {
  /** The state file (`--state`). */
  readonly statePath: string;
  /** Wait this long for another run holding the state (`--wait`); 0 refuses at once. */
  readonly waitMs: number;
  /** Start over: ignore (and replace) the state (`--reset-state`). */
  readonly resetState: boolean;
  /** Forget files not seen for this long (`--forget-after`). */
  readonly forgetAfterMs: number;
  /** Retro-hunt files modified within this long (`--retro-lookback`); 0 turns it off. */
  readonly retroLookbackMs: number;
  /** Only the retro-hunt step (`--retro-only`). */
  readonly retroOnly: boolean;
  /** Write the run's summary as JSON here (`--summary-json`). */
  readonly summaryJson?: string;
}

export { defaultStatePath } from './state-paths.js';

/** Runs a sweep; returns the exit code (0 hits, 1 none, 2 error, 130/143 interrupted). */
export async function runSweep(paths: readonly string[], options: SweepOptions, reporter: Reporter): Promise<number> {
  if (options.iocs.length === 0) throw new UsageError('sweep needs at least one --iocs FILE');
  if (paths.length === 0 || paths.includes('-')) throw new UsageError('sweep reads files: name at least one PATH (directory, file or glob); stdin cannot be resumed, use scan');
  if (options.iocs.includes('-')) throw new UsageError('sweep reads its feeds again in later runs (for the retro-hunt): name feed files, not --iocs -');
  const started = performance.now();
  const release = await lockState(options.statePath, options.waitMs);
  try {
    const state = options.resetState ? emptyState() : readState(options.statePath);
    if (options.resetState) reporter.info(`--reset-state: starting over with an empty state in ${options.statePath}`);
    // The Elasticsearch client is loaded only when it is used.
    const es: EsOutput | undefined = options.es ? await (await import('./es-output.js')).openEsOutput(options.es, options.esDeadLetter, reporter) : undefined;
    try {
      return await sweepWith(paths, options, reporter, state, es, started);
    } finally {
      await es?.client.close();
    }
  } finally {
    await release().catch(() => undefined);
  }
}

async function sweepWith(
  paths: readonly string[],
  options: SweepOptions,
  reporter: Reporter,
  state: ReturnType<typeof emptyState>,
  es: EsOutput | undefined,
  started: number,
): Promise<number> {
  const snapshots = new IndicatorSetSnapshots(`${options.statePath}.sets`);
  const set = await loadActiveSet(options, snapshots, reporter);
  const { store } = set;
  const setId = set.id;
  state.sets[setId] ??= { count: store.size, first: new Date().toISOString() };
  if (options.summary) reporter.info(`loaded ${store.size} indicators from ${options.iocs.length} feed(s) (set ${setId.slice(0, 12)}) in ${((performance.now() - started) / 1000).toFixed(2)} s`);

  const { jsonl, outputs } = openAppendedOutput(options.output, [...paths, ...options.iocs, ...(options.allow ?? [])], es?.deadLetter.path);
  const sinks = [jsonl, es?.sink].filter((s): s is HitSink => s !== undefined);
  const sink: HitSink = sinks.length === 1 ? (sinks[0] as HitSink) : new TeeSink(sinks);
  const allowlist = options.allow && options.allow.length > 0 ? await loadAllowlist(options.allow, reporter) : undefined;
  const scanTime = Date.now();
  const registry = new Registry(state);
  const skipped = { binary: 0 };

  // Signals: stop reading, deliver, commit what was delivered, exit 130/143.
  const interrupt = new AbortController();
  let signalName: NodeJS.Signals | undefined;
  const onSignal = (sig: NodeJS.Signals): void => {
    if (signalName !== undefined) {
      reporter.error(`interrupted again (${sig}): stopped at once; the state keeps the last commit`);
      process.exit(sig === 'SIGINT' ? 130 : 143);
    }
    signalName = sig;
    reporter.warn(`interrupted (${sig}): no more input is read; delivering the hits found so far and saving the state`);
    es?.sink.hurry(10_000);
    interrupt.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  // A progress line on a terminal (bytes, rate, hits, the file being read), as scan draws it.
  const progress = options.progress && process.stderr.isTTY ? new ProgressLine(process.stderr, undefined) : undefined;
  if (progress) reporter = progress.wrap(reporter);
  const pipeline = new FollowPipeline({
    options,
    reporter,
    state,
    registry,
    snapshots,
    sink,
    ...(allowlist ? { allowlist } : {}),
    signal: interrupt.signal,
    ...(progress ? { progress: { inputStart: (i) => progress.inputStart(i), inputEnd: (i) => progress.inputEnd(i), hits: (n) => progress.hits(n) } } : {}),
  });
  progress?.start();
  let planned: PlannedFile[] = [];
  try {
    try {
      // Which files, and what each of them is to the registry; then retro-hunt and new bytes.
      const files = await findFiles(
        paths,
        (message) => {
          pipeline.errors++;
          reporter.error(message);
        },
        { ...(options.walk ? { walk: options.walk } : {}), ...(options.text ? { text: true } : {}), outputs, state, skipped, onWarning: (m) => reporter.warn(m) },
      );
      planned = await pipeline.cycle(set, { files, now: scanTime, live: !options.retroOnly });
    } finally {
      set.engine.close();
      progress?.stop();
    }
    await pipeline.finish(true);
  } catch (err) {
    await sink.close().catch(() => undefined);
    throw err;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
  const { live, retro, stoppedEarly } = pipeline;
  let errors = pipeline.errors;

  // Forget what has not been seen for long; keep the sets still referenced.
  registry.forget(options.forgetAfterMs, scanTime);
  pruneSets(state, snapshots, setId);
  writeState(options.statePath, state);

  const secs = (performance.now() - started) / 1000;
  const c = registry.counts;
  const summary = {
    state: options.statePath,
    indicatorSet: setId,
    indicators: store.size,
    files: { seen: planned.length, new: c.new, resumed: c.resumed, rotated: c.rotated, truncated: c.truncated, unchanged: c.unchanged, forgotten: c.forgotten },
    live: { bytes: live.bytes, hitLines: live.hitLines, matches: live.matches },
    retro: { bytes: retro.bytes, hitLines: retro.hitLines, matches: retro.matches, files: retro.files, indicatorsAdded: retro.added, indicatorsRemoved: retro.removed },
    errors,
    binarySkipped: skipped.binary,
    interrupted: signalName !== undefined,
    seconds: Number(secs.toFixed(3)),
  };
  if (options.summary) {
    reporter.info(
      `swept ${planned.length} file(s): ${c.new} new, ${c.resumed} resumed, ${c.rotated} rotated, ${c.truncated} truncated, ${c.unchanged} unchanged, ${c.forgotten} forgotten; ` +
        `${(live.bytes / 1e6).toFixed(1)} MB new, ${live.hitLines} live hit line(s); ` +
        `retro: ${(retro.bytes / 1e6).toFixed(1)} MB, ${retro.hitLines} hit line(s)` +
        (retro.removed > 0 ? `, ${retro.removed} indicator(s) removed since (no retraction)` : '') +
        (skipped.binary > 0 ? `; ${skipped.binary} binary file(s) skipped (-a/--text scans them)` : '') +
        `; ${secs.toFixed(2)} s` +
        (errors > 0 ? `; ${errors} input(s) with errors` : ''),
    );
  }
  if (es && options.summary) reporter.info(es.summary());
  if (options.summaryJson) {
    try {
      writeFileAtomicSync(options.summaryJson, `${JSON.stringify(summary)}\n`, 0o644);
    } catch (err) {
      reporter.error(`cannot write --summary-json ${options.summaryJson}: ${describeError(err)}`);
      errors++;
    }
  }
  if (es && es.sink.stats.deadLettered > 0) reporter.error(`${es.sink.stats.deadLettered} hit(s) were not indexed; they are in ${es.deadLetter.path} with the reason`);
  const hits = live.hitLines + retro.hitLines;
  if (stoppedEarly) return hits > 0 ? 0 : 1;
  if (signalName) return signalName === 'SIGINT' ? 130 : 143;
  if (es && (es.sink.stats.deadLettered > 0 || es.sink.stats.lost > 0)) return 2;
  if (errors > 0) return 2;
  return hits > 0 ? 0 : 1;
}

/** How {@link findFiles} lists files. */
export interface FindOptions {
  /** `--glob`, `--hidden`, `--max-depth`. */
  readonly walk?: WalkOptions;
  /** `-a/--text`: also files found by walking that look binary. */
  readonly text?: boolean;
  /** Files hits are written to: never read (a named one is an error, a found one skipped with a warning). */
  readonly outputs?: readonly OutputIdentity[];
  /** Registry state: files swept to their end and unchanged are not opened to sniff them. */
  readonly state?: RegistryState;
  readonly onWarning?: (message: string) => void;
  /** Counted: binary files skipped. */
  readonly skipped?: { binary: number };
}

/**
 * The regular files under `paths` as stat saw them (walked as `scan` walks
 * them); unreadable ones are reported through `onError`. Binary files found
 * by walking (wtmp, journals) are left out unless `text`, as `scan` leaves
 * them out; an output file is never listed.
 */
export async function findFiles(paths: readonly string[], onError: (message: string) => void, options: FindOptions = {}): Promise<SeenFile[]> {
  const files: SeenFile[] = [];
  const swept = new Set((options.state?.files ?? []).filter((e) => e.eof && !e.detached).map((e) => `${e.dev}:${e.ino}:${e.size}:${e.mtimeMs}`));
  for await (const entry of expandPaths(paths, options.walk ?? {})) {
    if ('error' in entry) {
      onError(entry.error.message);
      continue;
    }
    try {
      const st = entry.stats ?? (await stat(entry.path));
      if (!st.isFile()) continue;
      const found = 'found' in entry && entry.found === true;
      const output = (options.outputs ?? []).find((o) => sameFile(st, o));
      if (output) {
        if (found) options.onWarning?.(`${entry.path}: skipped: it is the output (${output.label})`);
        else onError(`${entry.path}: input file is also the output (${output.label}); not read`);
        continue;
      }
      if (found && !options.text && !swept.has(`${st.dev}:${st.ino}:${st.size}:${st.mtimeMs}`)) {
        const head = await readHead(entry.path, 64 * 1024);
        if (looksBinary(head.bytes, head.complete)) {
          if (options.skipped) options.skipped.binary++;
          continue;
        }
      }
      files.push({ path: entry.path, dev: st.dev, ino: st.ino, size: st.size, mtimeMs: st.mtimeMs });
    } catch (err) {
      onError(`${entry.path}: ${describeError(err)}`);
    }
  }
  return files;
}

/** Drops the set records and snapshots no entry refers to any more (keeps `current`). */
export function pruneSets(state: RegistryState, snapshots: IndicatorSetSnapshots, current: string): void {
  const keep = new Set<string>([current]);
  for (const e of state.files) {
    keep.add(e.checkedWith);
    if (e.retro) keep.add(e.retro.set);
  }
  for (const id of Object.keys(state.sets)) if (!keep.has(id)) delete state.sets[id];
  snapshots.prune(keep);
}
