/**
 * One cycle of following files, shared by `sweep` (one cycle, then stop) and
 * `tail` (a cycle per file event or scan interval, for weeks): plan the files
 * found against the registry → retro-hunt what was read before for the
 * indicators added since → read the new bytes with the whole set → commit
 * the positions whose hits the sink confirmed delivered.
 *
 * Data flows one way: the registry plans, the search hands each block's hits
 * to the sink and reports the block done, and positions are committed
 * ({@link Registry.commit}) only after {@link HitSink.sync} resolved.
 */
import { performance } from 'node:perf_hooks';
import { compileIndicators } from '../engine/compile.js';
import { createEngine, tablesFromCompiled } from '../engine/select.js';
import type { MatchEngine } from '../engine/engine.js';
import { describeError, IochuntError } from '../errors.js';
import type { Allowlist } from '../filters/allowlist.js';
import { openScanRefiner } from '../formats/open-format.js';
import { setDifference, type IndicatorSetSnapshots } from '../indicators/indicator-set.js';
import type { IndicatorLookup } from '../indicators/store.js';
import { openDecompressedRange, openPlainRange, readHead, readPlainAt } from '../input/file-range.js';
import type { HitSink } from '../output/sink.js';
import type { PlannedFile, Registry, SeenFile } from '../registry/registry.js';
import { writeState, type RegistryState } from '../registry/state-file.js';
import type { Reporter } from '../report.js';
import { search, type SearchInput, type SearchStats, type SearchObserver } from '../search/search.js';
import { scanRefiner } from '../commands/scan-refine.js';
import type { ScanOptions } from '../commands/scan.js';
import type { ActiveSet } from './active-set.js';

/** Bytes of a file's start given to log-format detection when a read starts mid-file. */
const HEAD_BYTES = 64 * 1024;
/** Bytes read back from the end of a file to find its last complete line (`--from end`). */
const END_PROBE_BYTES = 64 * 1024;

/** Totals of one kind of pass (live or retro). */
export interface PassTotals {
  bytes: number;
  hitLines: number;
  matches: number;
}

/** What the pipeline tells an observer (metrics). */
export interface CycleObserver {
  /** A block of `bytes` was scanned and its hits handed to the sink. */
  block?(kind: 'live' | 'retro', bytes: number): void;
  /** A search pass ended with these stats. */
  pass?(kind: 'live' | 'retro', stats: SearchStats): void;
  /** A commit (sink synced, positions recorded) took `ms`. */
  committed?(ms: number): void;
}

/** The parts a {@link FollowPipeline} works with. */
export interface PipelineParts {
  readonly options: ScanOptions & { readonly statePath: string; readonly retroLookbackMs: number };
  readonly reporter: Reporter;
  readonly state: RegistryState;
  readonly registry: Registry;
  readonly snapshots: IndicatorSetSnapshots;
  readonly sink: HitSink;
  readonly allowlist?: Allowlist;
  /** Stops reading (SIGINT, SIGTERM): what was read is still delivered and committed. */
  readonly signal: AbortSignal;
  /** The state file is written at most this often (default 1 s); commits in between are kept in memory. */
  readonly writeEveryMs?: number;
  readonly observer?: CycleObserver;
  /** Told about each input as it is read (the progress line of a terminal). */
  readonly progress?: SearchObserver;
  /** Member keys of earlier sets still in memory (`tail` keeps the set it replaced): no snapshot is parsed for them. */
  readonly knownSets?: ReadonlyMap<string, ReadonlySet<string>>;
  /** The log format of a file's input (`tail --config` inputs), when it has one. */
  readonly formatOf?: (path: string) => string | undefined;
}

/** What one cycle does. */
export interface CycleRequest {
  /** Files found under the followed paths. */
  readonly files: readonly SeenFile[];
  /** Time of the cycle (`@timestamp` of hits without an event time; look-back and idle times). */
  readonly now: number;
  /** Files planned outside the followed paths, found after the first plan (a followed file renamed away). */
  readonly more?: (planned: readonly PlannedFile[]) => Promise<readonly SeenFile[]>;
  /** Skip the retro-hunt, or the live pass. */
  readonly retro?: boolean;
  readonly live?: boolean;
  /** New files for which this is true are marked read up to their end without being scanned (`--from end`). */
  readonly startAtEnd?: (p: PlannedFile) => boolean;
  /** A renamed file idle this long is finished (its last line is read without a newline). */
  readonly renamedIdleMs?: number;
}

/**
 * The cycle of sweep and tail over one registry and one sink. Not
 * re-entrant: one cycle at a time.
 */
export class FollowPipeline {
  readonly live: PassTotals = { bytes: 0, hitLines: 0, matches: 0 };
  readonly retro: PassTotals & { added: number; removed: number; files: number } = { bytes: 0, hitLines: 0, matches: 0, added: 0, removed: 0, files: 0 };
  /** Inputs with errors. */
  errors = 0;
  /** The output went away (a broken pipe): stop. */
  stoppedEarly = false;
  private planned: PlannedFile[] = [];
  private retroSet: string | undefined;
  private lastWrite = 0;
  private lastCommit = 0;
  private dirty = false;
  private stateWarned = false;

  constructor(private readonly parts: PipelineParts) {}

  /** True when committed positions wait to be written to the state file. */
  get unsaved(): boolean {
    return this.dirty;
  }

  /** Milliseconds since the state file was last written (or tried). */
  get sinceWrite(): number {
    return performance.now() - this.lastWrite;
  }

  /**
   * Runs one cycle with `set`; returns what was planned. Errors of single
   * files are reported and counted; output failures are thrown.
   */
  async cycle(set: ActiveSet, req: CycleRequest): Promise<PlannedFile[]> {
    const { registry, reporter, options } = this.parts;
    const onError = (f: SeenFile, err: unknown): void => {
      this.errors++;
      reporter.error(err instanceof IochuntError ? err.message : `${f.path}: ${describeError(err)}`);
    };
    const renamedIdle = req.renamedIdleMs !== undefined ? { renamedIdleMs: req.renamedIdleMs } : {};
    this.planned = await registry.plan(req.files, { setId: set.id, now: req.now, onError, ...renamedIdle });
    if (req.more) {
      const extra = await req.more(this.planned);
      if (extra.length > 0) {
        const claimed = new Set(this.planned.map((p) => p.entry));
        this.planned.push(...(await registry.plan(extra, { setId: set.id, now: req.now, onError, away: new Set(extra.map((f) => f.path)), claimed, ...renamedIdle })));
      }
    }
    await this.shareWithOriginals();
    try {
      if (req.retro !== false && options.retroLookbackMs > 0) await this.retroPass(set, req.now);
      if (req.live !== false && !this.parts.signal.aborted && !this.stoppedEarly) {
        if (req.startAtEnd) await this.skipToEnd(req.startAtEnd);
        await this.livePass(set, req.now);
      }
    } finally {
      this.retroSet = undefined;
    }
    return this.planned;
  }

  /**
   * Confirms delivery with the sink, then records the positions read so far
   * in the registry; writes the state file when `write` is `always`, or at
   * most every `writeEveryMs` for `throttled`. A state file that cannot be
   * written (a full disk) is reported once and retried at the next commit
   * (a caller that must know uses {@link saveState} with `strict`).
   */
  async commit(write: 'always' | 'throttled' | 'never' = 'throttled'): Promise<void> {
    const started = performance.now();
    const { sink, registry } = this.parts;
    await (sink.sync ? sink.sync() : sink.flush());
    if (registry.commit(this.planned, this.retroSet)) this.dirty = true;
    this.lastCommit = performance.now();
    this.parts.observer?.committed?.(performance.now() - started);
    if (write === 'always') this.saveState(false);
    else if (write === 'throttled' && this.dirty && performance.now() - this.lastWrite >= (this.parts.writeEveryMs ?? 1000)) this.saveState(false);
  }

  /**
   * The end of a run: delivery confirmed, positions committed, the state
   * written (a failure thrown with `strict`), the sink closed.
   */
  async finish(strict: boolean): Promise<void> {
    await this.commit('never');
    this.saveState(strict);
    await this.parts.sink.close();
  }

  /** Writes the state file now; with `strict` a failure is thrown, else reported (once) and left for the next try. Returns true when written. */
  saveState(strict: boolean): boolean {
    try {
      writeState(this.parts.options.statePath, this.parts.state);
      this.dirty = false;
      this.lastWrite = performance.now();
      if (this.stateWarned) this.parts.reporter.info(`the state file ${this.parts.options.statePath} is written again`);
      this.stateWarned = false;
      return true;
    } catch (err) {
      if (strict || !(err instanceof IochuntError && err.code === 'E_STATE')) throw err;
      // A full disk under the state folder: reported once, retried later.
      if (!this.stateWarned) this.parts.reporter.warn(`${err.message}; retrying`);
      this.stateWarned = true;
      this.lastWrite = performance.now();
      return false;
    }
  }

  private async checkpoint(): Promise<void> {
    if (performance.now() - this.lastCommit < (this.parts.writeEveryMs ?? 1000)) return;
    await this.commit('throttled');
  }

  private add(pass: PassTotals, s: SearchStats): void {
    pass.bytes += s.bytes;
    pass.hitLines += s.hitLines;
    pass.matches += s.matches;
    this.errors += s.errors;
    if (s.stoppedEarly) this.stoppedEarly = true;
  }

  private async runSearch(
    inputs: AsyncIterable<SearchInput>,
    engine: MatchEngine,
    store: IndicatorLookup,
    kind: 'live' | 'retro',
    now: number,
    onBlock: (p: PlannedFile, end: number, block: Buffer) => void,
    onDone: (p: PlannedFile, error: unknown) => void,
  ): Promise<SearchStats> {
    const { options, allowlist, observer } = this.parts;
    const filters = scanRefiner(store, { ...options, ...(allowlist ? { allowlist } : {}) }, now);
    const formatOptions = {
      timezone: options.timezone ?? 'UTC',
      ...(options.format ? { format: options.format } : {}),
      ...(options.vpcflowFields ? { vpcflowFields: options.vpcflowFields } : {}),
    };
    const stats = await search([], {
      inputs,
      signal: this.parts.signal,
      engine,
      store,
      sink: this.parts.sink,
      reporter: this.parts.reporter,
      maxLineBytes: options.maxLineBytes,
      concurrency: options.threads,
      timestamp: new Date(now).toISOString(),
      documentFields: { iochunt: { match: { kind } } },
      ...(this.parts.progress ? { observer: this.parts.progress } : {}),
      ...(filters.refine ? { refine: filters.refine } : {}),
      inputRefiner: (input) => {
        const format = this.parts.formatOf?.(input.path);
        return openScanRefiner(input, format ? { ...formatOptions, format } : formatOptions);
      },
      onBlockDone: async (tag, end, block) => {
        onBlock(tag as PlannedFile, end, block);
        observer?.block?.(kind, block.length);
        await this.checkpoint();
      },
      onInputDone: (tag, error) => onDone(tag as PlannedFile, error),
    });
    observer?.pass?.(kind, stats);
    return stats;
  }

  /** The retro-hunt: what was read before, for the indicators added since (per earlier set). */
  private async retroPass(set: ActiveSet, now: number): Promise<void> {
    const { registry, reporter, options, snapshots } = this.parts;
    const groups = new Map<string, PlannedFile[]>();
    for (const p of this.planned) {
      const e = p.entry;
      if (e.checkedWith === set.id) continue;
      if (e.offset === 0) {
        e.checkedWith = set.id;
        continue;
      }
      if (now - p.file.mtimeMs > options.retroLookbackMs) continue;
      const g = groups.get(e.checkedWith) ?? [];
      g.push(p);
      groups.set(e.checkedWith, g);
    }
    for (const [earlierId, group] of groups) {
      if (this.parts.signal.aborted) break;
      const earlier = this.parts.knownSets?.get(earlierId) ?? (await snapshots.load(earlierId));
      if (!earlier) {
        reporter.warn(`the indicator set ${earlierId.slice(0, 12)} that ${group.length} file(s) were read with is no longer recorded; they are not retro-hunted`);
        for (const p of group) registry.finishRetro(p, set.id);
        continue;
      }
      const diff = setDifference(set.store, earlier);
      this.retro.removed = Math.max(this.retro.removed, diff.removed);
      if (diff.added.size === 0) {
        for (const p of group) registry.finishRetro(p, set.id);
        continue;
      }
      this.retro.added = Math.max(this.retro.added, diff.added.size);
      this.retro.files += group.length;
      if (options.summary) reporter.info(`retro-hunt: ${diff.added.size} new indicator(s) over ${group.length} file(s) already read`);
      const retroEngine = await createEngine(options.engine, tablesFromCompiled(compileIndicators(diff.added, { domainMatch: options.domainMatch })), reporter);
      this.retroSet = set.id;
      try {
        const s = await this.runSearch(
          retroInputs(group, set.id),
          retroEngine,
          diff.added,
          'retro',
          now,
          (p, end) => registry.advanceRetro(p, end),
          (p, error) => {
            if (error === undefined) registry.finishRetro(p, set.id);
          },
        );
        this.add(this.retro, s);
      } finally {
        retroEngine.close();
      }
      await this.commit('always');
      this.retroSet = undefined;
      if (this.stoppedEarly) break;
    }
  }

  /** New bytes, with the whole set. */
  private async livePass(set: ActiveSet, now: number): Promise<void> {
    const { registry } = this.parts;
    const s = await this.runSearch(
      liveInputs(this.planned),
      set.engine,
      set.store,
      'live',
      now,
      (p, end, block) => registry.advance(p, end, block),
      (p, error) => registry.finishLive(p, error),
    );
    this.add(this.live, s);
  }

  /**
   * A copy planned beside its original (gzip writing `app.log.2.gz` while
   * `app.log.2` is still there; copytruncate's copy before the truncation):
   * the original is read up to its planned end in this cycle, so the copy
   * starts there (after the last complete line when the original may still
   * hold a partial one) instead of reading the same lines a second time.
   */
  private async shareWithOriginals(): Promise<void> {
    for (const q of this.planned) {
      if (!q.copyOf) continue;
      const p = this.planned.find((o) => o.entry === q.copyOf && o !== q);
      if (!p || p.compression !== 'none' || p.end === undefined || p.end <= q.start) continue;
      try {
        const from = Math.max(0, p.end - END_PROBE_BYTES);
        const probe = await readPlainAt(p.file.path, from, p.end - from, p.file);
        if (probe.length !== p.end - from) continue;
        let cut = p.end;
        if (!p.finished) {
          const nl = probe.lastIndexOf(0x0a);
          cut = nl >= 0 ? from + nl + 1 : q.start;
        }
        if (cut <= q.start) continue;
        (q as { start: number }).start = cut;
        this.parts.registry.skipTo(q, cut, probe.subarray(0, cut - from));
      } catch {
        // The original is gone or replaced: the copy is read from its own offset.
      }
    }
  }

  /** `--from end`: new files are marked read up to their last complete line. */
  private async skipToEnd(startAtEnd: (p: PlannedFile) => boolean): Promise<void> {
    const { registry, reporter } = this.parts;
    for (const p of this.planned) {
      if (p.status !== 'new' || !startAtEnd(p)) continue;
      try {
        if (p.compression === 'none') {
          const size = p.end ?? p.file.size;
          const from = Math.max(0, size - END_PROBE_BYTES);
          const probe = size > 0 ? await readPlainAt(p.file.path, from, size - from) : Buffer.alloc(0);
          const nl = probe.lastIndexOf(0x0a);
          // The last complete line ends the skipped part; a line being written is read when complete.
          const cut = nl >= 0 ? from + nl + 1 : from === 0 ? 0 : size;
          registry.skipTo(p, cut, probe.subarray(0, Math.max(0, cut - from)));
        } else {
          const opened = await openDecompressedRange(p.file.path, 0);
          let len = 0;
          let tail = Buffer.alloc(0);
          if (opened) {
            for await (const chunk of opened.chunks) {
              len += chunk.length;
              tail = Buffer.concat([tail, chunk]).subarray(-256);
            }
          }
          registry.skipTo(p, len, tail);
        }
        registry.finishLive(p, undefined);
        p.skipped = true;
      } catch (err) {
        this.errors++;
        reporter.error(err instanceof IochuntError ? err.message : `${p.file.path}: ${describeError(err)}`);
      }
    }
  }
}

/** The already-read ranges of `group`, for the retro pass. */
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
        if (p.compression === 'none') return openPlainRange(path, from, to, p.file);
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
    if (p.status === 'unchanged' || p.skipped) continue;
    if (p.end !== undefined && p.start >= p.end) continue;
    const path = p.file.path;
    yield {
      path,
      tag: p,
      startOffset: p.start,
      holdPartialTail: !p.finished,
      ...(p.start > 0 ? { head: await headOf(p) } : {}),
      open: async () => {
        if (p.compression === 'none') return openPlainRange(path, p.start, p.end, p.file);
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
