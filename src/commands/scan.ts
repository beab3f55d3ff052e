/**
 * `iochunt scan`: load the indicator feeds, compile them, scan the inputs,
 * write hits, summarise on stderr, and return a grep-style exit code
 * (0 hits found, 1 none, 2 error).
 */
import { performance } from 'node:perf_hooks';
import type { DomainMatch } from '../engine/compile.js';
import { createEngine, type EngineChoice } from '../engine/select.js';
import { openScanRefiner } from '../formats/open-format.js';
import { UsageError } from '../errors.js';
import { prepareIndicators, prepareOptionsOf } from '../indicators/prepare.js';
import { withHitContext } from '../output/hit-document.js';
import { JsonlSink } from '../output/jsonl-sink.js';
import type { HitSink } from '../output/sink.js';
import type { Reporter } from '../report.js';
import { search } from '../search/search.js';
import { loadAllowlist } from '../filters/allowlist.js';
import { scanRefiner } from './scan-refine.js';
import { markInputAbandoned } from './input-abandoned.js';
import type { EsConfig } from '../output/es/es-config.js';
// The Elasticsearch client is loaded only by runs with --es (it costs a quarter of a second at start-up).
import type { EsOutput } from './es-output.js';
import { TeeSink } from '../output/tee-sink.js';
import type { WalkOptions } from '../input/expand-paths.js';
import { InputReportSink, type ScanReport } from '../output/input-report.js';
import { progressLine } from '../output/progress.js';
import { openOutputFile, stdoutIdentity, type OutputIdentity } from '../output/output-file.js';

/** Validated options of `scan`. */
export interface ScanOptions {
  readonly iocs: readonly string[];
  /** Readable feed names by path (`--iocs NAME=FILE`), for `threat.enrichments.feed.name`. */
  readonly feedNames?: ReadonlyMap<string, string>;
  readonly iocsFormat?: string;
  readonly output?: string;
  readonly maxLineBytes: number;
  readonly domainMatch: DomainMatch;
  readonly strict: boolean;
  readonly engine: EngineChoice;
  readonly threads: number;
  readonly summary: boolean;
  /** Compiled-indicator cache directory; undefined disables the cache. */
  readonly cacheDir?: string;
  /** Log format of every input (`none`: no parsing); detected per input when absent. */
  readonly format?: string;
  /** Zone of timestamps written without one (RFC 3164 syslog); default UTC. */
  readonly timezone?: string;
  /** VPC flow field order for inputs without a header (`--vpcflow-fields`, validated). */
  readonly vpcflowFields?: readonly string[];
  /** MISP feeds: also use attributes whose `to_ids` is false. */
  readonly mispAll?: boolean;
  /** Match indicators outside their validity window and inactive ones too (`--ignore-validity`). */
  readonly ignoreValidity?: boolean;
  /** Drop indicators whose newest time is older than this many days (`--max-age`). */
  readonly maxAgeDays?: number;
  /** Allowlists (`--allow`): matches they cover are dropped. */
  readonly allow?: readonly string[];
  /** Elasticsearch output (`--es`): hits go there instead of stdout (and to `output` too when given). */
  readonly es?: EsConfig;
  /** Dead-letter file of the Elasticsearch output (`--es-dead-letter`). */
  readonly esDeadLetter?: string;
  /**
   * What stdout (or `output`) carries: hit documents (default), nothing and
   * stop at the first hit (`-q`), paths of inputs with hits (`-l`), hit lines per input (`-c`).
   */
  readonly report?: ScanReport;
  /** Stop reading an input after this many hit lines (`-m`). */
  readonly maxCount?: number;
  /** `--glob`, `--hidden`, `--max-depth`. */
  readonly walk?: WalkOptions;
  /** Also scan binary-looking files found by walking (`-a/--text`). */
  readonly text?: boolean;
  /** Draw a progress line on stderr when it is a terminal. */
  readonly progress?: boolean;
}

export { DEFAULT_MAX_LINE_BYTES, defaultThreads } from './scan-defaults.js';
export { inputAbandoned } from './input-abandoned.js';

/** After a first SIGINT/SIGTERM, retries to Elasticsearch go on at most this long. */
export const INTERRUPT_GRACE_MS = 10_000;

function mb(bytes: number): string {
  return `${(bytes / 1e6).toFixed(1)} MB`;
}

/** Runs a scan; returns the exit code. Throws {@link UsageError} and feed errors (exit 2 by the caller). */
export async function runScan(paths: readonly string[], options: ScanOptions, reporter: Reporter): Promise<number> {
  if (options.iocs.length === 0) throw new UsageError('scan needs at least one --iocs FILE');
  refuseSharedStdin(paths, options);
  const started = performance.now();
  // The cluster first: an unreachable one fails the run before feeds are loaded.
  const es: EsOutput | undefined = options.es ? await (await import('./es-output.js')).openEsOutput(options.es, options.esDeadLetter, reporter) : undefined;
  try {
    return await scanTo(paths, options, reporter, started, es);
  } finally {
    await es?.client.close();
  }
}

/**
 * stdin can be read once: `--iocs -` (or `--allow -`) with logs from stdin
 * (no PATH, or `-`), or `-` given twice, is refused before anything is read.
 */
function refuseSharedStdin(paths: readonly string[], options: ScanOptions): void {
  const users = [
    ...options.iocs.filter((f) => f === '-').map(() => '--iocs -'),
    ...(options.allow ?? []).filter((f) => f === '-').map(() => '--allow -'),
    ...(paths.length === 0 ? ['the logs (no PATH)'] : paths.filter((p) => p === '-').map(() => 'the logs (PATH -)')),
  ];
  if (users.length > 1) {
    throw new UsageError(`stdin can be read only once, but ${users.join(' and ')} would ${users.length === 2 ? 'both' : 'all'} read it; give the feed or the logs as files`);
  }
}

async function scanTo(paths: readonly string[], options: ScanOptions, reporter: Reporter, started: number, es: EsOutput | undefined): Promise<number> {
  const prepared = await prepareIndicators(prepareOptionsOf(options), reporter);
  const { store, counts } = prepared;
  const engine = await createEngine(options.engine, prepared.tables, reporter);
  prepared.persist?.(engine.cacheTables?.() ?? prepared.tables.packed());
  const loadMs = performance.now() - started;
  if (options.summary) {
    const parts = Object.entries(counts)
      .filter(([, n]) => n > 0)
      .map(([t, n]) => `${n} ${t}`);
    reporter.info(
      `loaded ${store.size} indicators (${parts.join(', ')}) from ${options.iocs.length} feed(s) in ${(loadMs / 1000).toFixed(2)} s` +
        (prepared.fromCache ? ' from the cache' : '') +
        (prepared.invalidCount > 0 ? `; ${prepared.invalidCount} invalid entries skipped` : ''),
    );
  }
  // With --es, hits go to Elasticsearch, and also to --output FILE when given.
  const report = options.report ?? 'hits';
  // An output file is truncated only once no input named on the command line
  // is that file; inputs found by walking are compared while they are read.
  const toFile = options.output !== undefined && options.output !== '-';
  // Feeds and allowlists are inputs too: `-o feed.txt` must not wipe the feed.
  const named = [...(paths.length === 0 ? ['-'] : paths), ...options.iocs, ...(options.allow ?? [])];
  const opened = toFile ? openOutputFile(options.output as string, named) : undefined;
  const toStdout = !opened && (options.output === '-' || !es);
  const outputs: OutputIdentity[] = [];
  if (opened) outputs.push(opened.identity);
  const stdoutFile = toStdout ? stdoutIdentity() : undefined;
  if (stdoutFile) outputs.push(stdoutFile);
  // The dead-letter file holds hit lines: scanning it would find them again.
  if (es) outputs.push({ path: es.deadLetter.path, label: `the dead-letter file ${es.deadLetter.path}` });
  // -q, -l, -c: one line per input (or nothing) instead of hit documents.
  const perInput =
    report === 'hits'
      ? undefined
      : report !== 'quiet' && opened
        ? InputReportSink.fd(report, opened.fd, options.output as string, paths.length > 1)
        : InputReportSink.stdout(report, paths.length > 1);
  const jsonl: HitSink | undefined =
    perInput ?? (opened ? JsonlSink.fd(opened.fd, options.output as string) : toStdout ? JsonlSink.stdout() : undefined);
  const sinks = [jsonl, es?.sink].filter((s): s is HitSink => s !== undefined);
  const sink: HitSink = sinks.length === 1 ? (sinks[0] as HitSink) : new TeeSink(sinks);
  const progress =
    options.progress && report !== 'quiet' && process.stderr.isTTY ? await progressLine(process.stderr, paths, options.walk ?? {}) : undefined;
  // Messages printed while the progress line is drawn erase it first.
  if (progress) reporter = progress.wrap(reporter);
  // -l: the first hit line of an input is all it needs.
  const maxCount = report === 'files' ? Math.min(1, options.maxCount ?? 1) : options.maxCount;
  const scanStart = performance.now();
  const scanTime = new Date();
  const allowlist = options.allow && options.allow.length > 0 ? await loadAllowlist(options.allow, reporter) : undefined;
  const filters = scanRefiner(store, { ...options, ...(allowlist ? { allowlist } : {}) }, scanTime.getTime());
  // SIGINT or SIGTERM: stop reading, deliver what was found (retries end after
  // a grace period), exit 128 + signal. A second signal stops at once, with
  // every hit not yet delivered written to the dead-letter file first.
  const esSummary = (): void => {
    if (es && options.summary) reporter.info(es.summary());
  };
  const interrupt = new AbortController();
  let signalName: NodeJS.Signals | undefined;
  const onSignal = (sig: NodeJS.Signals): void => {
    if (signalName !== undefined) {
      const n = es?.sink.abandon(`interrupted twice (${sig}) before delivery`) ?? 0;
      reporter.error(`interrupted again (${sig}): stopped at once` + (n > 0 ? `; ${n} undelivered hit(s) written to ${es?.deadLetter.path}` : ''));
      esSummary();
      process.exit(sig === 'SIGINT' ? 130 : 143);
    }
    signalName = sig;
    markInputAbandoned();
    reporter.warn(
      `interrupted (${sig}): no more input is read; delivering the hits found so far` +
        (es ? ` (retries end within ${INTERRUPT_GRACE_MS / 1000} s)` : '') +
        '; send it again to stop at once',
    );
    es?.sink.hurry(INTERRUPT_GRACE_MS);
    interrupt.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  let stats;
  try {
    try {
      try {
        progress?.start();
        stats = await search(paths, {
          signal: interrupt.signal,
          ...(options.walk ? { walk: options.walk } : {}),
          ...(maxCount !== undefined ? { maxCount } : {}),
          ...(report === 'quiet' ? { stopAfter: 1 } : {}),
          skipBinary: options.text !== true,
          observer: {
            inputStart: (input) => progress?.inputStart(input),
            inputEnd: async (input) => {
              progress?.inputEnd(input);
              await perInput?.inputEnd(input);
            },
            hits: (total) => progress?.hits(total),
          },
          outputs,
          engine,
          store: withHitContext(store, options.feedNames ? { feedNames: options.feedNames } : {}),
          sink,
          reporter,
          maxLineBytes: options.maxLineBytes,
          concurrency: options.threads,
          timestamp: scanTime.toISOString(),
          ...(filters.refine ? { refine: filters.refine } : {}),
          inputRefiner: (input) =>
            openScanRefiner(input, {
              timezone: options.timezone ?? 'UTC',
              ...(options.format ? { format: options.format } : {}),
              ...(options.vpcflowFields ? { vpcflowFields: options.vpcflowFields } : {}),
            }),
        });
      } finally {
        progress?.stop();
        engine.close();
      }
    } catch (err) {
      // Whatever was found before the failure is still delivered (or dead-lettered).
      await sink.close().catch(() => undefined);
      esSummary();
      throw err;
    }
    try {
      await sink.close();
    } catch (err) {
      esSummary();
      throw err;
    }
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
  const secs = (performance.now() - scanStart) / 1000;
  // An input left before its end (-m, -l) may be a pipe that would keep the process alive.
  if (stats.cut > 0) markInputAbandoned();
  if (stats.stoppedEarly) {
    markInputAbandoned();
    return stats.hitLines > 0 ? 0 : 1;
  }
  if (options.summary) {
    reporter.info(
      `scanned ${stats.inputs} input(s), ${mb(stats.bytes)} in ${secs.toFixed(2)} s` +
        ` (${secs > 0 ? mb(stats.bytes / secs) : '-'}/s, ${engine.kind} engine, ${options.threads} thread(s)); ` +
        `${stats.hitLines} line(s) with hits, ${stats.matches} match(es)` +
        filters.summary() +
        (stats.errors > 0 ? `; ${stats.errors} input(s) with errors` : '') +
        (stats.binarySkipped > 0 ? `; ${stats.binarySkipped} binary file(s) skipped (-a/--text scans them)` : '') +
        (stats.interrupted ? '; interrupted before the end of the input' : ''),
    );
  }
  esSummary();
  if (es && es.sink.stats.deadLettered > 0) {
    reporter.error(`${es.sink.stats.deadLettered} hit(s) were not indexed; they are in ${es.deadLetter.path} with the reason`);
  }
  if (es && es.sink.stats.lost > 0) reporter.error(`${es.sink.stats.lost} hit(s) were neither indexed nor written to the dead-letter file`);
  if (signalName) return signalName === 'SIGINT' ? 130 : 143;
  if (es && (es.sink.stats.deadLettered > 0 || es.sink.stats.lost > 0)) return 2;
  if (stats.errors > 0) return 2;
  return stats.hitLines > 0 ? 0 : 1;
}
