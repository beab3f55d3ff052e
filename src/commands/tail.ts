/**
 * `iochunt tail`: follow files for weeks and deliver every hit within
 * seconds. It is `sweep` that does not stop at the end of the files: the
 * same cycle (plan against the registry, retro-hunt, read new bytes, commit
 * after delivery) runs again on every file event (inotify) or scan interval
 * (polling), over one registry and state file whose lock is held for the
 * whole run. Indicator sets are reloaded beside the running one on SIGHUP or
 * a change of a feed file and swapped in between two cycles; a failed load
 * keeps the running set.
 */
import { stat } from 'node:fs/promises';
import { readdir } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { Server } from 'node:http';
import { describeError, UsageError } from '../errors.js';
import { loadAllowlist } from '../filters/allowlist.js';
import { IndicatorSetSnapshots, setKeys } from '../indicators/indicator-set.js';
import { openAppendedOutput } from '../output/appended-output.js';
import type { Config } from '../config/schema.js';
import { dueSources, pullSource } from '../sources/puller.js';
import type { OutputIdentity } from '../output/output-file.js';
import type { HitSink } from '../output/sink.js';
import { TeeSink } from '../output/tee-sink.js';
import { Registry, type PlannedFile, type SeenFile } from '../registry/registry.js';
import { lockState, readState, type FileEntry } from '../registry/state-file.js';
import type { Reporter } from '../report.js';
import { SetReloader, type ActiveSet } from '../follow/active-set.js';
import { handleSignals } from '../follow/shutdown.js';
import { FollowPipeline } from '../follow/cycle.js';
import { ChangeWatcher, watchRoot } from '../follow/watch.js';
import { metricsUrl, serveMetrics, TailMetrics, type ListenAddress } from '../metrics/tail-metrics.js';
import type { EsOutput } from './es-output.js';
import type { HitDocument } from '../output/hit-document.js';
import type { InputConfig } from '../config/tail-config.js';
import picomatch from 'picomatch';
import { runScan, type ScanOptions } from './scan.js';
import type { KafkaOptions } from '../kafka/kafka-options.js';
import { findFiles, pruneSets } from './sweep.js';

export { defaultTailStatePath } from './state-paths.js';

/** Options of `tail`: those of `scan`, the registry's, and the follower's. */
export interface TailOptions extends ScanOptions {
  readonly statePath: string;
  readonly waitMs: number;
  readonly forgetAfterMs: number;
  /** Retro-hunt files modified within this long after a reload; 0 turns it off. */
  readonly retroLookbackMs: number;
  /** Look for new files and changes at least this often (the polling fallback). */
  readonly scanIntervalMs: number;
  /** Files with no state found at start: read from their beginning or only what is written from now on. */
  readonly from: 'beginning' | 'end';
  /** A file renamed away is read until it has been idle this long. */
  readonly closeRenamedAfterMs: number;
  /** SIGTERM: deliver and commit within this long, else exit anyway (the state keeps the last commit). */
  readonly shutdownTimeoutMs: number;
  /** Serve /metrics, /healthz, /readyz here. */
  readonly metricsListen?: ListenAddress;
  /** Watch file events (inotify); false polls every scan interval only. */
  readonly watch: boolean;
  /** Inputs of a configuration file: paths with their own excludes, format, fields and tags (besides the PATH arguments). */
  readonly inputs?: readonly InputConfig[];
  /** Live feed sources (`feeds:` mappings of --config): pulled when due, their feed files are among `iocs`. */
  readonly sources?: Config;
  /** Kafka topics as the input (`--kafka-*`): this run is one worker of a consumer group instead of following files. */
  readonly kafka?: KafkaOptions;
}

/** An input with its exclude matcher. */
interface Input {
  readonly config: InputConfig | undefined;
  readonly paths: readonly string[];
  readonly excluded: (path: string) => boolean;
}

function inputOfConfig(config: InputConfig | undefined, paths: readonly string[]): Input {
  const byName = config && config.exclude.some((p) => !p.includes('/')) ? picomatch(config.exclude.filter((p) => !p.includes('/')), { dot: true }) : undefined;
  const byPath = config && config.exclude.some((p) => p.includes('/')) ? picomatch(config.exclude.filter((p) => p.includes('/')), { dot: true }) : undefined;
  return { config, paths, excluded: (path) => (byName?.(basename(path)) ?? false) || (byPath?.(resolve(path)) ?? false) };
}

/** Debounce of feed-change events: an editor or a downloader writes in several steps. */
const FEED_SETTLE_MS = 300;
/** Cycles run at most this often while files are written continuously. */
const MIN_CYCLE_GAP_MS = 100;
/** The state file is rewritten at least this often (files seen), even with no new position. */
const STATE_REFRESH_MS = 60_000;
/** Forgotten files and unused set snapshots are pruned this often. */
const PRUNE_EVERY_MS = 10 * 60_000;
/** An unknown file beside a followed one is read only once unmodified for this long (a compressor may be writing it). */
const SETTLE_MS = 1500;
/** A followed file not found beside its old path is looked for this long (a compressor may be writing its copy). */
const LOST_GRACE_MS = 10_000;
/** A sink that has not confirmed delivery for this long makes /readyz fail. */
const SINK_STUCK_MS = 30_000;

/** Runs `tail` until SIGTERM/SIGINT; returns the exit code (0 after a clean shutdown, 2 on a fatal error). */
export async function runTail(paths: readonly string[], options: TailOptions, reporter: Reporter): Promise<number> {
  if (options.iocs.length === 0) throw new UsageError('tail needs at least one --iocs FILE');
  if (options.kafka) {
    if (paths.length > 0 || (options.inputs ?? []).length > 0) throw new UsageError('tail reads either Kafka topics (--kafka-*) or files (PATHs, inputs of --config), not both in one run');
    if (options.iocs.includes('-')) throw new UsageError('tail reads its feeds again when they change: name feed files, not --iocs -');
    const { runKafkaTail } = await import('../kafka/kafka-tail.js');
    return runKafkaTail({ ...options, kafka: options.kafka }, reporter);
  }
  if (paths.length === 1 && paths[0] === '-') return runScan(['-'], options, reporter);
  if ((paths.length === 0 && (options.inputs ?? []).length === 0) || paths.includes('-')) throw new UsageError('tail follows files: name at least one PATH (directory, file or glob), or "-" alone for stdin');
  if (options.iocs.includes('-')) throw new UsageError('tail reads its feeds again when they change: name feed files, not --iocs -');
  // A run of weeks keeps going when its lock could not be refreshed (a suspended machine): reported, not fatal.
  const release = await lockState(options.statePath, options.waitMs, (err) =>
    reporter.warn(`the lock ${options.statePath}.lock could not be refreshed (${err.message}); another run may take the state over`),
  );
  try {
    const state = readState(options.statePath);
    const es: EsOutput | undefined = options.es ? await (await import('./es-output.js')).openEsOutput(options.es, options.esDeadLetter, reporter) : undefined;
    try {
      return await new Tail(paths, options, reporter, state, es).run();
    } finally {
      await es?.client.close();
    }
  } finally {
    await release().catch(() => undefined);
  }
}

class Tail {
  private readonly snapshots: IndicatorSetSnapshots;
  private readonly registry: Registry;
  private readonly interrupt = new AbortController();
  private readonly metrics = new TailMetrics();
  /** Files hits are written to: never followed. */
  private outputs: readonly OutputIdentity[] = [];
  private readonly watcher: ChangeWatcher;
  private readonly feedWatcher: ChangeWatcher;
  /** The running indicator set and the one loaded beside it, swapped in before the next cycle. */
  private readonly sets: SetReloader;
  private set: ActiveSet | undefined;
  /** Entries followed: files planned in earlier cycles that may still grow or be renamed away. */
  private readonly following = new Set<FileEntry>();
  /** The followed name (file name under the paths) each entry was first read under: rotated names start with it. */
  private readonly followedName = new Map<FileEntry, string>();
  /** Time of the previous look at the files (undefined on a first start with no state: old archives are not read). */
  private lastLook: number | undefined;
  /** Followed entries not found beside their old path since this time (let go after {@link LOST_GRACE_MS}). */
  private readonly missingSince = new Map<FileEntry, number>();
  /** Birth times of the files stat'ed in this look. */
  private readonly birthtimes = new Map<string, number>();
  /** Unknown files beside followed ones, modified too recently to be read yet (device:inode). */
  private readonly settling = new Set<string>();
  private syncingSince: number | undefined;
  private server: Server | undefined;
  private readonly countsSeen = { new: 0, rotated: 0, truncated: 0 };
  private readonly inputs: Input[];
  /** The members of the set last replaced, for the retro-hunt's difference (the older ones are read from their snapshots). */
  private readonly knownSets = new Map<string, ReadonlySet<string>>();
  /** The input each file found belongs to (configuration inputs only). */
  private readonly inputOfPath = new Map<string, Input>();

  constructor(
    private readonly paths: readonly string[],
    private readonly options: TailOptions,
    private readonly reporter: Reporter,
    private readonly state: ReturnType<typeof readState>,
    private readonly es: EsOutput | undefined,
  ) {
    this.snapshots = new IndicatorSetSnapshots(`${options.statePath}.sets`);
    this.inputs = [...(paths.length > 0 ? [inputOfConfig(undefined, paths)] : []), ...(options.inputs ?? []).map((c) => inputOfConfig(c, c.paths))];
    this.registry = new Registry(state);
    const onWatchFailure = (dir: string, err: Error): void =>
      reporter.warn(`cannot watch ${dir} for changes (${describeError(err)}); it is polled every ${options.scanIntervalMs / 1000} s instead`);
    this.watcher = new ChangeWatcher(onWatchFailure);
    this.feedWatcher = new ChangeWatcher(onWatchFailure);
    this.sets = new SetReloader(options, this.snapshots, reporter, this.metrics, this.interrupt.signal, () => this.watcher.poke());
    // At start every known file is followed: one renamed away while no tail ran is found beside its old path,
    // and files rotated away unseen since the state was written are read.
    for (const e of state.files) if (!e.detached) this.following.add(e);
    if (state.files.length > 0 && state.updated !== '') this.lastLook = Date.parse(state.updated) || undefined;
  }

  private pulling = false;

  /** Pulls the live sources that are due, one after another; a run already under way is not doubled. */
  private async pullDue(sources: Config): Promise<void> {
    if (this.pulling) return;
    this.pulling = true;
    try {
      for (const source of await dueSources(sources, Date.now())) {
        if (this.interrupt.signal.aborted) break;
        const r = await pullSource(sources, source, { reporter: this.reporter });
        if (!r.ok) this.reporter.error(`feeds: ${r.name}: ${r.error ?? 'failed'}; its last good feed stays in use`);
        else if (r.changed) this.reporter.info(`feeds: ${r.name}: ${r.indicators} indicators (+${r.added} -${r.removed}); reloading`);
      }
    } catch (err) {
      this.reporter.error(`feeds: ${describeError(err)}`);
    } finally {
      this.pulling = false;
    }
  }

  async run(): Promise<number> {
    const { options, reporter } = this;
    const started = performance.now();
    // Live sources: those due (never pulled, or their interval passed) are pulled before the first load,
    // so that their feed files exist; then on their intervals. A replaced feed file reloads the set.
    if (options.sources) await this.pullDue(options.sources);
    this.set = await this.sets.start();
    this.metrics.setIndicators(this.set.counts);
    this.state.sets[this.set.id] ??= { count: this.set.store.size, first: new Date().toISOString() };
    const { jsonl, outputs } = openAppendedOutput(options.output, [...options.iocs, ...(options.allow ?? [])], this.es?.deadLetter.path);
    this.outputs = outputs;
    const sinks = [jsonl, this.es?.sink].filter((s): s is HitSink => s !== undefined);
    const sink = this.decorating(this.metrics.countingSink(sinks.length === 1 ? (sinks[0] as HitSink) : new TeeSink(sinks)));
    if (this.es) this.metrics.watchEs(this.es.sink.stats);
    const allowlist = options.allow && options.allow.length > 0 ? await loadAllowlist(options.allow, reporter) : undefined;
    const pipeline = new FollowPipeline({
      options,
      reporter,
      state: this.state,
      registry: this.registry,
      snapshots: this.snapshots,
      sink,
      ...(allowlist ? { allowlist } : {}),
      signal: this.interrupt.signal,
      formatOf: (path) => this.inputOf(path)?.config?.format,
      knownSets: this.knownSets,
      observer: {
        block: (kind, bytes) => this.metrics.bytesRead.inc({ kind }, bytes),
        pass: (_kind, s) => this.metrics.inputErrors.inc(s.errors),
        committed: (ms) => this.metrics.commitDuration.observe(ms / 1000),
      },
    });

    if (options.metricsListen) {
      this.server = await serveMetrics(this.metrics, { notReady: () => this.notReady() }, options.metricsListen);
      reporter.info(`metrics on ${metricsUrl(this.server)} (/healthz, /readyz)`);
    }
    for (const feed of options.iocs) {
      const name = basename(feed);
      this.feedWatcher.add(dirname(resolve(feed)), (changed) => {
        if (changed === null || changed === name) this.feedChanged();
      });
    }

    const sources = options.sources;
    const pullTimer = sources
      ? setInterval(() => {
          if (!this.interrupt.signal.aborted) void this.pullDue(sources);
        }, 1000)
      : undefined;
    pullTimer?.unref();
    this.interrupt.signal.addEventListener('abort', () => clearInterval(pullTimer), { once: true });
    const removeSignals = handleSignals({
      reporter,
      timeoutMs: options.shutdownTimeoutMs,
      stopping: 'no more input is read; delivering what was read and saving the state',
      keeps: 'the state keeps the last commit',
      rereadAfter: 'what was read after it is read again at the next start',
      stop: () => {
        this.es?.sink.hurry(Math.max(1000, options.shutdownTimeoutMs - 2000));
        this.interrupt.abort();
        this.watcher.poke();
      },
      reload: () => this.sets.reload('SIGHUP'),
    });

    reporter.info(
      `following ${this.inputs.flatMap((i) => i.paths).join(', ')} with ${this.set.store.size} indicators (set ${this.set.id.slice(0, 12)}); ` +
        `new files from the ${options.from === 'end' ? 'end' : 'beginning'}; state ${options.statePath}; loaded in ${((performance.now() - started) / 1000).toFixed(2)} s`,
    );
    let first = true;
    let lastPrune = performance.now();
    let lastCycle = 0;
    try {
      while (!this.interrupt.signal.aborted && !pipeline.stoppedEarly) {
        this.swapIfReady();
        const set = this.set;
        const now = Date.now();
        lastCycle = performance.now();
        const lookedAt = Date.now();
        const files = await this.discover(pipeline);
        const isFirst = first;
        this.syncingSince = performance.now();
        const planned = await pipeline.cycle(set, {
          files,
          now,
          renamedIdleMs: options.closeRenamedAfterMs,
          more: (p) => this.lostFiles(p, files, this.lastLook),
          ...(isFirst && options.from === 'end' ? { startAtEnd: () => true } : {}),
        });
        await pipeline.commit('throttled');
        this.syncingSince = undefined;
        this.lastLook = lookedAt;
        this.afterCycle(planned, now);
        if (first) reporter.info(`first pass done: ${planned.length} file(s), ${(pipeline.live.bytes / 1e6).toFixed(1)} MB read, ${pipeline.live.hitLines} hit line(s); following`);
        first = false;
        if (pipeline.unsaved && pipeline.sinceWrite >= 1000) {
          if (!pipeline.saveState(false)) this.metrics.stateWriteFailures.inc();
        } else if (pipeline.sinceWrite >= STATE_REFRESH_MS) {
          if (!pipeline.saveState(false)) this.metrics.stateWriteFailures.inc();
        }
        if (performance.now() - lastPrune >= PRUNE_EVERY_MS) {
          lastPrune = performance.now();
          this.registry.forget(options.forgetAfterMs, Date.now());
          for (const e of [...this.following]) if (!this.state.files.includes(e)) this.following.delete(e);
          pruneSets(this.state, this.snapshots, set.id);
        }
        if (this.interrupt.signal.aborted) break;
        // Between cycles: wait for a file event, a new set, or the scan interval.
        const gap = MIN_CYCLE_GAP_MS - (performance.now() - lastCycle);
        if (gap > 0) await new Promise((r) => setTimeout(r, gap));
        if (!this.sets.staged) await this.watcher.wait(options.scanIntervalMs, this.interrupt.signal);
        // Feeds are also checked by their size, time and inode (events can be missed); a failed load is retried.
        await this.sets.check();
      }
      await pipeline.finish(false);
    } catch (err) {
      await sink.close().catch(() => undefined);
      throw err;
    } finally {
      removeSignals();
      this.watcher.close();
      this.feedWatcher.close();
      this.server?.close();
      this.sets.close();
    }
    const { live, retro } = pipeline;
    if (options.summary) {
      reporter.info(
        `stopped: ${(live.bytes / 1e6).toFixed(1)} MB read, ${live.hitLines} live hit line(s); retro: ${(retro.bytes / 1e6).toFixed(1)} MB, ${retro.hitLines} hit line(s)` +
          (pipeline.errors > 0 ? `; ${pipeline.errors} input error(s)` : ''),
      );
      if (this.es) reporter.info(this.es.summary());
    }
    if (this.es && this.es.sink.stats.deadLettered > 0) reporter.error(`${this.es.sink.stats.deadLettered} hit(s) were not indexed; they are in ${this.es.deadLetter.path} with the reason`);
    return 0;
  }

  /** The regular files under the followed paths (minus each input's excludes); their folders are watched. */
  private async discover(pipeline: FollowPipeline): Promise<SeenFile[]> {
    const files: SeenFile[] = [];
    const seen = new Set<string>();
    for (const input of this.inputs) {
      const found = await findFiles(
        input.paths,
        (message) => {
          pipeline.errors++;
          this.reporter.error(message);
        },
        { outputs: this.outputs, state: this.state, ...(this.options.text ? { text: true } : {}), ...(this.options.walk ? { walk: this.options.walk } : {}) },
      );
      for (const f of found) {
        if (seen.has(f.path) || input.excluded(f.path)) continue;
        seen.add(f.path);
        files.push(f);
        if (input.config) this.inputOfPath.set(f.path, input);
      }
      if (this.options.watch) for (const p of input.paths) this.watcher.add(await watchRoot(p));
    }
    if (this.options.watch) for (const f of files) this.watcher.add(dirname(f.path));
    return files;
  }

  /** The configuration input of a file: the one it was found under, or the one of the followed file it was rotated from. */
  private inputOf(path: string): Input | undefined {
    const direct = this.inputOfPath.get(path);
    if (direct || this.inputOfPath.size === 0) return direct;
    const dir = dirname(path);
    const name = basename(path);
    for (const [p, input] of this.inputOfPath) if (dirname(p) === dir && name.startsWith(basename(p))) return input;
    return undefined;
  }

  /** Adds each input's fields (as ECS `labels`) and `tags` to its hit documents. */
  private decorating(inner: HitSink): HitSink {
    if (!this.inputs.some((i) => i.config?.fields || i.config?.tags)) return inner;
    const decorate = (d: HitDocument): void => {
      const c = this.inputOf(d.log.file.path)?.config;
      if (!c) return;
      const doc = d as unknown as { labels?: Record<string, string>; tags?: string[] };
      if (c.fields) doc.labels = { ...doc.labels, ...Object.fromEntries(Object.entries(c.fields).map(([k, v]) => [k, String(v)])) };
      if (c.tags) doc.tags = [...new Set([...(doc.tags ?? []), ...c.tags])];
    };
    return {
      get gone() {
        return inner.gone;
      },
      write: async (docs) => {
        for (const d of docs) decorate(d);
        await inner.write(docs);
      },
      flush: () => inner.flush(),
      ...(inner.sync ? { sync: () => (inner.sync as () => Promise<void>)() } : {}),
      close: () => inner.close(),
    };
  }

  /**
   * Files beside the followed ones that the paths do not show, found when a
   * followed file went missing, was truncated, or a followed name holds a
   * new file (a rotation): in the folder of each followed file, names that
   * start with the followed name (`app.log.1`, `app.log.2.gz`,
   * `app.log-20250101`) and
   * - are the same inode as a followed file, or carry its content (a
   *   renamed, compressed or copied rotation: read on from its offset), or
   * - are unknown and were modified since the previous look: a generation
   *   written and rotated away between two looks (or while no tail ran),
   *   read whole.
   * Followed entries found nowhere are let go.
   */
  private async lostFiles(planned: readonly PlannedFile[], found: readonly SeenFile[], since: number | undefined): Promise<SeenFile[]> {
    const plannedEntries = new Set(planned.map((p) => p.entry));
    for (const p of planned) if (!this.followedName.has(p.entry) && p.status !== 'unchanged') this.followedName.set(p.entry, basename(p.file.path));
    const lost = [...this.following].filter((e) => !plannedEntries.has(e) || e.detached === true);
    const rotation = lost.length > 0 || this.settling.size > 0 || planned.some((p) => p.status === 'new' || p.status === 'truncated');
    if (!rotation) return [];
    const taken = new Set(found.map((f) => f.path));
    const known = new Set<string>();
    for (const e of this.state.files) if (!e.detached) known.add(`${e.dev}:${e.ino}`);
    const listings = new Map<string, string[]>();
    const list = async (dir: string): Promise<string[]> => {
      let names = listings.get(dir);
      if (!names) {
        names = (await readdir(dir).catch(() => [] as string[])).sort();
        listings.set(dir, names);
      }
      return names;
    };
    const statOf = async (path: string): Promise<SeenFile | undefined> => {
      try {
        const st = await stat(path);
        this.birthtimes.set(path, st.birthtimeMs);
        return st.isFile() ? { path, dev: st.dev, ino: st.ino, size: st.size, mtimeMs: st.mtimeMs } : undefined;
      } catch {
        return undefined; // vanished meanwhile
      }
    };
    const out: SeenFile[] = [];
    this.birthtimes.clear();
    for (const e of lost) {
      const dir = dirname(e.path);
      const base = this.followedName.get(e) ?? basename(e.path);
      let match: SeenFile | undefined;
      for (const n of await list(dir)) {
        const path = join(dir, n);
        if (!n.startsWith(base) || taken.has(path)) continue;
        const f = await statOf(path);
        if (!f) continue;
        try {
          if (await this.registry.continues(f, e)) {
            match = f;
            break;
          }
        } catch {
          // unreadable: not this one
        }
      }
      if (match) {
        taken.add(match.path);
        out.push(match);
        this.followedName.set(e, base);
        this.missingSince.delete(e);
      } else {
        // Not found (yet): a compressor may still be writing the file that carries it. Let go after a while.
        const since0 = this.missingSince.get(e) ?? Date.now();
        this.missingSince.set(e, since0);
        if (Date.now() - since0 >= LOST_GRACE_MS) {
          this.following.delete(e);
          this.missingSince.delete(e);
        }
      }
    }
    if (since !== undefined) {
      // Generations never seen: unknown files under a followed name, modified since the last look.
      const followedDirs = new Map<string, Set<string>>();
      for (const f of found) {
        const d = dirname(f.path);
        followedDirs.set(d, (followedDirs.get(d) ?? new Set()).add(basename(f.path)));
      }
      const present = new Set<string>();
      for (const [dir, bases] of followedDirs) {
        for (const n of await list(dir)) {
          const path = join(dir, n);
          if (taken.has(path) || ![...bases].some((b) => n.startsWith(b))) continue;
          const f = await statOf(path);
          const key = `${f?.dev}:${f?.ino}`;
          present.add(key);
          // Made or written since the last look: gzip gives its output the mtime of its input, so the
          // birth time counts too where the filesystem has one (a rename keeps both).
          const born = f ? Math.max(f.mtimeMs, this.birthtimes.get(path) ?? 0) : 0;
          if (!f || known.has(key) || (born <= since && !this.settling.has(key))) continue;
          // Still being written (a compressor at work): looked at again once it has settled.
          if (Date.now() - f.mtimeMs < SETTLE_MS) {
            this.settling.add(key);
            continue;
          }
          this.settling.delete(key);
          taken.add(path);
          out.push(f);
        }
      }
      for (const key of [...this.settling]) if (!present.has(key)) this.settling.delete(key);
    }
    return out;
  }

  /** Updates what is followed and the metrics after a cycle. */
  private afterCycle(planned: readonly PlannedFile[], now: number): void {
    let lag = 0;
    for (const p of planned) {
      const e = p.entry;
      if (e.detached) {
        // Its content may live on in a copy being compressed: looked for during the grace period.
        if (!this.missingSince.has(e)) this.following.delete(e);
        continue;
      }
      // Let go of a file read to its end that will not grow: compressed, or renamed away and idle.
      const done = p.compression !== 'none' || (e.rotatedAway === true && now - p.file.mtimeMs >= this.options.closeRenamedAfterMs);
      if (done && e.eof) this.following.delete(e);
      else this.following.add(e);
      if (p.compression === 'none') lag += Math.max(0, p.file.size - e.offset);
    }
    for (const e of [...this.following]) if (e.detached && !this.missingSince.has(e)) this.following.delete(e);
    const c = this.registry.counts;
    for (const k of ['new', 'rotated', 'truncated'] as const) {
      if (c[k] > this.countsSeen[k]) this.metrics.fileEvents.inc({ event: k }, c[k] - this.countsSeen[k]);
      this.countsSeen[k] = c[k];
    }
    this.metrics.filesActive.set(this.following.size);
    this.metrics.lagBytes.set(lag);
    this.metrics.cycles.inc();
  }

  private notReady(): string | undefined {
    if (this.interrupt.signal.aborted) return 'shutting down';
    if (!this.set) return 'indicators not loaded';
    if (this.syncingSince !== undefined && performance.now() - this.syncingSince > SINK_STUCK_MS) return `the outputs have not confirmed delivery for ${Math.round((performance.now() - this.syncingSince) / 1000)} s`;
    return undefined;
  }

  private feedTimer: NodeJS.Timeout | undefined;
  private feedChanged(): void {
    if (this.feedTimer) clearTimeout(this.feedTimer);
    this.feedTimer = setTimeout(() => {
      this.feedTimer = undefined;
      void this.sets.check();
    }, FEED_SETTLE_MS);
    this.feedTimer.unref();
  }

  /** Between two cycles: a set loaded beside the running one takes over. */
  private swapIfReady(): void {
    const swapped = this.sets.swap();
    if (!swapped) return;
    const { set: next, old } = swapped;
    this.set = next;
    this.state.sets[next.id] ??= { count: next.store.size, first: new Date().toISOString() };
    this.metrics.setIndicators(next.counts);
    this.reporter.info(`indicators reloaded: ${next.store.size} (set ${next.id.slice(0, 12)}, was ${old?.id.slice(0, 12) ?? '-'}) in ${(next.loadMs / 1000).toFixed(2)} s; lines read from now on are scanned with it, and files read before are retro-hunted for the added indicators`);
    if (old) {
      this.knownSets.clear();
      this.knownSets.set(old.id, setKeys(old.store));
      old.engine.close();
    }
  }
}
