/**
 * `iochunt sweep`: a scan that remembers. Each run reads, in each file, only
 * the bytes it has not delivered yet, follows rotation (rename, compression,
 * copytruncate) and truncation through the registry, and before that rescans
 * what it already swept for the indicators added since (the retro-hunt).
 * Positions are committed only after the sink confirmed delivery.
 */
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { homedir } from 'node:os';
import { performance } from 'node:perf_hooks';
import { compileIndicators } from '../engine/compile.js';
import { createEngine, tablesFromCompiled } from '../engine/select.js';
import type { MatchEngine } from '../engine/engine.js';
import { describeError, IochuntError, UsageError } from '../errors.js';
import { loadAllowlist } from '../filters/allowlist.js';
import { openScanRefiner } from '../formats/open-format.js';
import { feedSetId, IndicatorSetSnapshots, setDifference } from '../indicators/indicator-set.js';
import { prepareIndicators } from '../indicators/prepare.js';
import type { IndicatorLookup } from '../indicators/store.js';
import { withHitContext } from '../output/hit-document.js';
import { expandPaths } from '../input/expand-paths.js';
import { looksBinary } from '../input/binary.js';
import { openDecompressedRange, openPlainRange, readHead, readPlainAt } from '../input/file-range.js';
import { JsonlSink } from '../output/jsonl-sink.js';
import { openOutputFile, sameFile, stdoutIdentity, type OutputIdentity } from '../output/output-file.js';
import type { HitSink } from '../output/sink.js';
import { TeeSink } from '../output/tee-sink.js';
import { Registry, type PlannedFile, type SeenFile } from '../registry/registry.js';
import { emptyState, lockState, readState, writeState } from '../registry/state-file.js';
import { writeFileAtomic } from '../registry/atomic-file.js';
import type { Reporter } from '../report.js';
import { search, type SearchInput, type SearchStats } from '../search/search.js';
import type { EsOutput } from './es-output.js';
import { scanRefiner } from './scan-refine.js';
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

/** At most this often the state is written during a run. */
const CHECKPOINT_MS = 1000;
/** Bytes of a file's start given to log-format detection when a read starts mid-file. */
const HEAD_BYTES = 64 * 1024;

/** The default state file: `$XDG_STATE_HOME/iochunt/sweep.json`, else `~/.local/state/iochunt/sweep.json`. */
export function defaultStatePath(): string {
  const base = process.env.XDG_STATE_HOME && process.env.XDG_STATE_HOME !== '' ? process.env.XDG_STATE_HOME : join(homedir(), '.local', 'state');
  return join(base, 'iochunt', 'sweep.json');
}

interface Pass {
  bytes: number;
  hitLines: number;
  matches: number;
}

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
  const prepared = await prepareIndicators(
    {
      iocs: options.iocs,
      ...(options.iocsFormat ? { iocsFormat: options.iocsFormat } : {}),
      domainMatch: options.domainMatch,
      strict: options.strict,
      ...(options.mispAll ? { mispAll: true } : {}),
      ...(options.cacheDir ? { cacheDir: options.cacheDir } : {}),
    },
    reporter,
  );
  const { store } = prepared;
  const engine = await createEngine(options.engine, prepared.tables, reporter);
  prepared.persist?.(engine.cacheTables?.() ?? prepared.tables.packed());
  // The set's id from the feeds' bytes (a store from the cache is not parsed for it).
  const setId = await feedSetId(options.iocs, { format: options.iocsFormat ?? '', domainMatch: options.domainMatch, mispAll: options.mispAll === true, strict: options.strict });
  const snapshots = new IndicatorSetSnapshots(`${options.statePath}.sets`);
  const readOptions = { ...(options.iocsFormat ? { format: options.iocsFormat } : {}), ...(options.mispAll ? { mispAll: true } : {}) };
  snapshots.save(setId, options.iocs, readOptions);
  state.sets[setId] ??= { count: store.size, first: new Date().toISOString() };
  if (options.summary) reporter.info(`loaded ${store.size} indicators from ${options.iocs.length} feed(s) (set ${setId.slice(0, 12)}) in ${((performance.now() - started) / 1000).toFixed(2)} s`);

  // The output is appended to; it is never one of the inputs (checked now for
  // named files, and while listing for files found by walking).
  const toFile = options.output !== undefined && options.output !== '-';
  const opened = toFile ? openOutputFile(options.output as string, [...paths, ...options.iocs, ...(options.allow ?? [])], { append: true }) : undefined;
  const toStdout = !opened && (options.output === '-' || !es);
  const outputs: OutputIdentity[] = [];
  if (opened) outputs.push(opened.identity);
  const stdoutFile = toStdout ? stdoutIdentity() : undefined;
  if (stdoutFile) outputs.push(stdoutFile);
  if (es) outputs.push({ path: es.deadLetter.path, label: `the dead-letter file ${es.deadLetter.path}` });
  const jsonl: HitSink | undefined = opened ? JsonlSink.fd(opened.fd, options.output as string) : toStdout ? JsonlSink.stdout() : undefined;
  const sinks = [jsonl, es?.sink].filter((s): s is HitSink => s !== undefined);
  const sink: HitSink = sinks.length === 1 ? (sinks[0] as HitSink) : new TeeSink(sinks);
  const allowlist = options.allow && options.allow.length > 0 ? await loadAllowlist(options.allow, reporter) : undefined;
  const scanTime = new Date();
  const registry = new Registry(state);
  let errors = 0;
  let binarySkipped = 0;

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

  const live: Pass = { bytes: 0, hitLines: 0, matches: 0 };
  const retro: Pass & { added: number; removed: number; files: number } = { bytes: 0, hitLines: 0, matches: 0, added: 0, removed: 0, files: 0 };
  let planned: PlannedFile[] = [];
  let retroSet: string | undefined;
  let lastCommit = performance.now();
  let commitWarned = false;
  const commit = async (): Promise<void> => {
    await (sink.sync ? sink.sync() : sink.flush());
    registry.commit(planned, retroSet);
    writeState(options.statePath, state);
    lastCommit = performance.now();
  };
  const checkpoint = async (): Promise<void> => {
    if (performance.now() - lastCommit < CHECKPOINT_MS) return;
    try {
      await commit();
    } catch (err) {
      if (!(err instanceof IochuntError && err.code === 'E_STATE')) throw err;
      // A full disk under the state folder: reported once, retried at the next checkpoint.
      if (!commitWarned) reporter.warn(`${err.message}; retrying`);
      commitWarned = true;
      lastCommit = performance.now();
    }
  };
  const add = (pass: Pass, s: SearchStats): void => {
    pass.bytes += s.bytes;
    pass.hitLines += s.hitLines;
    pass.matches += s.matches;
    errors += s.errors;
  };
  const formatOptions = {
    timezone: options.timezone ?? 'UTC',
    ...(options.format ? { format: options.format } : {}),
    ...(options.vpcflowFields ? { vpcflowFields: options.vpcflowFields } : {}),
  };
  const runSearch = async (
    inputs: AsyncIterable<SearchInput>,
    withEngine: MatchEngine,
    withStore: IndicatorLookup,
    kind: 'live' | 'retro',
    onBlock: (p: PlannedFile, end: number, block: Buffer) => void,
    onDone: (p: PlannedFile, error: unknown) => void,
  ): Promise<SearchStats> => {
    const filters = scanRefiner(withStore, { ...options, ...(allowlist ? { allowlist } : {}) }, scanTime.getTime());
    return search([], {
      inputs,
      signal: interrupt.signal,
      engine: withEngine,
      store: options.feedNames ? withHitContext(withStore, { feedNames: options.feedNames }) : withStore,
      sink,
      reporter,
      maxLineBytes: options.maxLineBytes,
      concurrency: options.threads,
      timestamp: scanTime.toISOString(),
      documentFields: { iochunt: { match: { kind } } },
      ...(filters.refine ? { refine: filters.refine } : {}),
      inputRefiner: (input) => openScanRefiner(input, formatOptions),
      onBlockDone: async (tag, end, block) => {
        onBlock(tag as PlannedFile, end, block);
        await checkpoint();
      },
      onInputDone: (tag, error) => onDone(tag as PlannedFile, error),
    });
  };

  let stoppedEarly = false;
  try {
    try {
      // 1. Which files, and what each of them is to the registry.
      const files: SeenFile[] = [];
      // Files already swept to their end and unchanged are not opened, not even to sniff them.
      const swept = new Set(state.files.filter((e) => e.eof && !e.detached).map((e) => `${e.dev}:${e.ino}:${e.size}:${e.mtimeMs}`));
      for await (const entry of expandPaths(paths, options.walk ?? {})) {
        if ('error' in entry) {
          errors++;
          reporter.error(entry.error.message);
          continue;
        }
        try {
          const st = entry.stats ?? (await stat(entry.path));
          if (!st.isFile()) continue;
          const output = outputs.find((o) => sameFile(st, o));
          if (output) {
            if ('found' in entry && entry.found) reporter.warn(`${entry.path}: skipped: it is the output (${output.label})`);
            else {
              errors++;
              reporter.error(`${entry.path}: input file is also the output (${output.label}); not read`);
            }
            continue;
          }
          // Binary files found by a walk (wtmp, journals) are skipped as scan skips them, unless --text.
          if ('found' in entry && entry.found && !options.text && !swept.has(`${st.dev}:${st.ino}:${st.size}:${st.mtimeMs}`)) {
            const head = await readHead(entry.path, HEAD_BYTES);
            if (looksBinary(head.bytes, head.complete)) {
              binarySkipped++;
              continue;
            }
          }
          files.push({ path: entry.path, dev: st.dev, ino: st.ino, size: st.size, mtimeMs: st.mtimeMs });
        } catch (err) {
          errors++;
          reporter.error(`${entry.path}: ${describeError(err)}`);
        }
      }
      planned = await registry.plan(files, {
        setId,
        now: scanTime.getTime(),
        onError: (f, err) => {
          errors++;
          reporter.error(err instanceof IochuntError ? err.message : `${f.path}: ${describeError(err)}`);
        },
      });

      // 2. Retro-hunt: what was swept before, for the indicators added since.
      if (options.retroLookbackMs > 0) {
        const groups = new Map<string, PlannedFile[]>();
        for (const p of planned) {
          const e = p.entry;
          if (e.checkedWith === setId) continue;
          if (e.offset === 0) {
            e.checkedWith = setId;
            continue;
          }
          if (scanTime.getTime() - p.file.mtimeMs > options.retroLookbackMs) continue;
          const g = groups.get(e.checkedWith) ?? [];
          g.push(p);
          groups.set(e.checkedWith, g);
        }
        for (const [earlierId, group] of groups) {
          if (interrupt.signal.aborted) break;
          const earlier = await snapshots.load(earlierId);
          if (!earlier) {
            reporter.warn(`the indicator set ${earlierId.slice(0, 12)} that ${group.length} file(s) were swept with is no longer recorded; they are not retro-hunted`);
            for (const p of group) registry.finishRetro(p, setId);
            continue;
          }
          const diff = setDifference(store, earlier);
          retro.removed = Math.max(retro.removed, diff.removed);
          if (diff.added.size === 0) {
            for (const p of group) registry.finishRetro(p, setId);
            continue;
          }
          retro.added = Math.max(retro.added, diff.added.size);
          retro.files += group.length;
          if (options.summary) reporter.info(`retro-hunt: ${diff.added.size} new indicator(s) over ${group.length} file(s) already swept`);
          const retroEngine = await createEngine(options.engine, tablesFromCompiled(compileIndicators(diff.added, { domainMatch: options.domainMatch })), reporter);
          retroSet = setId;
          try {
            const s = await runSearch(
              retroInputs(group, setId),
              retroEngine,
              diff.added,
              'retro',
              (p, end) => registry.advanceRetro(p, end),
              (p, error) => {
                if (error === undefined) registry.finishRetro(p, setId);
              },
            );
            add(retro, s);
            if (s.stoppedEarly) stoppedEarly = true;
          } finally {
            retroEngine.close();
          }
          await commit();
          retroSet = undefined;
          if (stoppedEarly) break;
        }
      }

      // 3. New bytes, with the whole set.
      if (!options.retroOnly && !interrupt.signal.aborted && !stoppedEarly) {
        const s = await runSearch(
          liveInputs(planned),
          engine,
          store,
          'live',
          (p, end, block) => registry.advance(p, end, block),
          (p, error) => registry.finishLive(p, error),
        );
        add(live, s);
        if (s.stoppedEarly) stoppedEarly = true;
      }
    } finally {
      engine.close();
    }
    await commit();
    await sink.close();
  } catch (err) {
    await sink.close().catch(() => undefined);
    throw err;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }

  // 4. Forget what has not been seen for long; keep the sets still referenced.
  registry.forget(options.forgetAfterMs, scanTime.getTime());
  const keep = new Set<string>([setId]);
  for (const e of state.files) {
    keep.add(e.checkedWith);
    if (e.retro) keep.add(e.retro.set);
  }
  for (const id of Object.keys(state.sets)) if (!keep.has(id)) delete state.sets[id];
  snapshots.prune(keep);
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
    binarySkipped,
    interrupted: signalName !== undefined,
    seconds: Number(secs.toFixed(3)),
  };
  if (options.summary) {
    reporter.info(
      `swept ${planned.length} file(s): ${c.new} new, ${c.resumed} resumed, ${c.rotated} rotated, ${c.truncated} truncated, ${c.unchanged} unchanged, ${c.forgotten} forgotten; ` +
        `${(live.bytes / 1e6).toFixed(1)} MB new, ${live.hitLines} live hit line(s); ` +
        `retro: ${(retro.bytes / 1e6).toFixed(1)} MB, ${retro.hitLines} hit line(s)` +
        (retro.removed > 0 ? `, ${retro.removed} indicator(s) removed since (no retraction)` : '') +
        (binarySkipped > 0 ? `; ${binarySkipped} binary file(s) skipped (-a/--text scans them)` : '') +
        `; ${secs.toFixed(2)} s` +
        (errors > 0 ? `; ${errors} input(s) with errors` : ''),
    );
  }
  if (es && options.summary) reporter.info(es.summary());
  if (options.summaryJson) {
    try {
      writeFileAtomic(options.summaryJson, `${JSON.stringify(summary)}\n`, 0o644);
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

/** The already-swept ranges of `group`, for the retro pass. */
async function* retroInputs(group: readonly PlannedFile[], setId: string): AsyncGenerator<SearchInput> {
  for (const p of group) {
    const e = p.entry;
    const from = e.retro && e.retro.set === setId ? Math.min(e.retro.upto, e.offset) : 0;
    const to = e.offset;
    p.retroPending = from;
    const path = p.file.path;
    yield {
      path,
      tag: p,
      startOffset: from,
      ...(from > 0 ? { head: await headOf(p) } : {}),
      open: async () => {
        if (p.compression === 'none') return openPlainRange(path, from, to);
        const opened = await openDecompressedRange(path, from, to);
        if (!opened) throw new IochuntError('E_INPUT', `${path}: shorter than the ${from} bytes already retro-hunted`);
        return opened;
      },
    };
  }
}

/** The new bytes of every planned file, for the live pass. */
async function* liveInputs(planned: readonly PlannedFile[]): AsyncGenerator<SearchInput> {
  for (const p of planned) {
    if (p.status === 'unchanged') continue;
    if (p.end !== undefined && p.start >= p.end) continue;
    const path = p.file.path;
    yield {
      path,
      tag: p,
      startOffset: p.start,
      holdPartialTail: !p.finished,
      ...(p.start > 0 ? { head: await headOf(p) } : {}),
      open: async () => {
        if (p.compression === 'none') return openPlainRange(path, p.start, p.end);
        const opened = await openDecompressedRange(path, p.start);
        if (!opened) throw new IochuntError('E_INPUT', `${path}: shorter than its recorded offset ${p.start}`);
        return opened;
      },
    };
  }
}

/** The file's real first bytes, for format detection of a read that starts mid-file. */
async function headOf(p: PlannedFile): Promise<{ bytes: Buffer; complete: boolean }> {
  try {
    if (p.compression === 'none') {
      const bytes = await readPlainAt(p.file.path, 0, HEAD_BYTES);
      return { bytes, complete: bytes.length < HEAD_BYTES };
    }
    const h = await readHead(p.file.path, HEAD_BYTES);
    return { bytes: h.bytes, complete: h.complete };
  } catch {
    return { bytes: Buffer.alloc(0), complete: false };
  }
}

