/**
 * The command-line program: commands, options, help, and the mapping of
 * errors to grep-style exit codes (usage and run errors exit 2).
 */
import { existsSync } from 'node:fs';
import { Argument, Command, CommanderError, Option } from 'commander';
// Only what building the commands needs is imported here; each command loads
// its code when it runs (start-up cost is the modules a run loads).
import { COMPLETION_SHELLS, completionScript, type CompletionShell } from './completion.js';
import { DEFAULT_INDICATOR_INDEX, splitFeedNames } from './output/ecs-values.js';
import { DEFAULT_MAX_LINE_BYTES, defaultThreads } from './commands/scan-defaults.js';
import type { ScanOptions } from './commands/scan.js';
import type { DomainMatch } from './engine/compile.js';
import { ENGINE_CHOICES, type EngineChoice } from './engine/choice.js';
import { IochuntError, UsageError } from './errors.js';
import { feedFormatNames } from './indicators/loaders/index.js';
import { defaultCacheDir } from './cache/cache-dir.js';
import { parseByteSize, parseChoice, parseDuration, parseTimeZone, parseWholeNumber } from './options.js';
import type { IocsOptions } from './commands/iocs.js';
import { NO_FORMAT } from './formats/open-format.js';
import { FORMATS, formatNames } from './formats/registry.js';
import { parseVpcflowFields } from './formats/vpcflow.js';
import { escapeControls, stderrReporter, type Reporter } from './report.js';
import { version, versionLine } from './version.js';
import { finishStdout, guardStderr, guardStdout, writeStdout } from './output/stdout.js';
import { DEFAULT_DEAD_LETTER, DEFAULT_ES_INDEX, DEFAULT_LIMITS, parseIndexName, validateEsOptions, type RawEsOptions } from './output/es/es-config.js';
import { defaultStatePath, defaultTailStatePath } from './commands/state-paths.js';
import type { WalkOptions } from './input/expand-paths.js';
import { PathGlobs } from './input/path-globs.js';
import type { ScanReport } from './output/input-report.js';
import { addFeedsCommands } from './commands/feeds-cli.js';
import { jsonReporter } from './report.js';
import type { InputConfig } from './config/tail-config.js';
import type { Config } from './config/schema.js';
import { validateKafkaOptions, type RawKafkaOptions } from './kafka/kafka-options.js';

const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

interface RawScanOptions extends RawEsOptions {
  esDeadLetter?: string;
  iocs?: string[];
  iocsFormat?: string;
  output?: string;
  maxLineBytes: string;
  domainMatch: string;
  strict?: boolean;
  engine: string;
  threads?: string;
  summary: boolean;
  quiet?: boolean;
  cache: boolean;
  cacheDir?: string;
  format?: string;
  timezone: string;
  vpcflowFields?: string;
  mispAll?: boolean;
  ignoreValidity?: boolean;
  maxAge?: string;
  allow?: string[];
  info: boolean;
  filesWithMatches?: boolean;
  count?: boolean;
  maxCount?: string;
  glob?: string[];
  hidden?: boolean;
  maxDepth?: string;
  text?: boolean;
  progress: boolean;
}

interface RawParseOptions {
  format?: string;
  timezone: string;
  vpcflowFields?: string;
  summary: boolean;
  quiet?: boolean;
  info: boolean;
  glob?: string[];
  hidden?: boolean;
  maxDepth?: string;
}

function validateVpcflowFields(value: string | undefined): { vpcflowFields?: string[] } {
  return value === undefined ? {} : { vpcflowFields: parseVpcflowFields('--vpcflow-fields', value) };
}

function validateFormat(value: string | undefined): { format?: string } {
  return value === undefined ? {} : { format: parseChoice('--format', value, [...formatNames(), NO_FORMAT]) };
}

function validateScanOptions(raw: RawScanOptions): ScanOptions {
  const formats = feedFormatNames();
  return {
    ...feedArguments(raw.iocs ?? []),
    ...(raw.iocsFormat ? { iocsFormat: parseChoice('--iocs-format', raw.iocsFormat, formats) } : {}),
    ...(raw.output ? { output: raw.output } : {}),
    maxLineBytes: parseByteSize('--max-line-bytes', raw.maxLineBytes, 1024, 1024 ** 3),
    domainMatch: parseChoice<DomainMatch>('--domain-match', raw.domainMatch, ['subdomain', 'exact']),
    strict: raw.strict === true,
    engine: parseChoice<EngineChoice>('--engine', raw.engine, ENGINE_CHOICES),
    threads: raw.threads === undefined ? defaultThreads() : parseWholeNumber('--threads', raw.threads, 1, 256),
    summary: raw.summary && !raw.quiet && raw.info,
    ...(raw.cache ? { cacheDir: raw.cacheDir ?? defaultCacheDir() } : {}),
    ...validateFormat(raw.format),
    timezone: parseTimeZone('--timezone', raw.timezone),
    ...validateVpcflowFields(raw.vpcflowFields),
    ...(raw.mispAll ? { mispAll: true } : {}),
    ...(raw.ignoreValidity ? { ignoreValidity: true } : {}),
    ...(raw.allow ? { allow: raw.allow } : {}),
    ...(raw.maxAge !== undefined ? { maxAgeDays: parseWholeNumber('--max-age', raw.maxAge, 1, 36500) } : {}),
    ...esScanOptions(raw),
    ...grepScanOptions(raw),
  };
}

/** `--glob`, `--hidden`, `--max-depth` of `scan` and `parse`. */
function validateWalk(raw: { glob?: string[]; hidden?: boolean; maxDepth?: string }): WalkOptions {
  const globs = raw.glob ?? [];
  new PathGlobs(globs); // validates the patterns
  return {
    ...(globs.length > 0 ? { globs } : {}),
    ...(raw.hidden ? { hidden: true } : {}),
    ...(raw.maxDepth !== undefined ? { maxDepth: parseWholeNumber('--max-depth', raw.maxDepth, 0, 1_000_000) } : {}),
  };
}

/** Directory-walk options, shared by `scan` and `parse`. */
function addWalkOptions(cmd: Command): Command {
  return cmd
    .option('-g, --glob <GLOB>', 'walks and globs read only files matching GLOB; !GLOB excludes files and folders; last match wins, as rg; repeatable', collect)
    .option('--hidden', 'walks and globs also read hidden files and folders (name starting with ".")')
    .option('--max-depth <N>', 'walk at most N levels below a directory named on the command line (1: its own files)');
}

/** The grep and ripgrep habits of `scan`: -q, -l, -c, -m, --glob, --hidden, --max-depth, -a, progress. */
function grepScanOptions(raw: RawScanOptions): Pick<ScanOptions, 'report' | 'maxCount' | 'walk' | 'text' | 'progress'> {
  // As grep: -q wins over -l, and -l over -c.
  const report: ScanReport = raw.quiet ? 'quiet' : raw.filesWithMatches ? 'files' : raw.count ? 'count' : 'hits';
  const flag = report === 'quiet' ? '-q/--quiet' : report === 'files' ? '-l/--files-with-matches' : '-c/--count';
  if (report !== 'hits' && raw.es !== undefined) throw new UsageError(`${flag} prints no hit documents and cannot be used with --es`);
  if (report === 'quiet' && raw.output !== undefined) throw new UsageError('-q/--quiet prints nothing and cannot be used with --output');
  return {
    report,
    ...(raw.maxCount !== undefined ? { maxCount: parseWholeNumber('--max-count', raw.maxCount, 0, Number.MAX_SAFE_INTEGER) } : {}),
    walk: validateWalk(raw),
    ...(raw.text ? { text: true } : {}),
    progress: raw.progress && raw.info && !raw.quiet,
  };
}

/** `--iocs NAME=FILE`: the paths, and the readable names of the feeds that were given one. */
function feedArguments(values: readonly string[]): Pick<ScanOptions, 'iocs' | 'feedNames'> {
  const { paths, names } = splitFeedNames(values, existsSync);
  return { iocs: paths, ...(names.size > 0 ? { feedNames: names } : {}) };
}

function esScanOptions(raw: RawScanOptions): Pick<ScanOptions, 'es' | 'esDeadLetter'> {
  const { esDeadLetter, ...rest } = raw;
  const es = validateEsOptions(pickEs(rest));
  if (!es) {
    if (esDeadLetter !== undefined) throw new UsageError('--es-dead-letter needs --es URL');
    return {};
  }
  return { es, ...(esDeadLetter !== undefined ? { esDeadLetter } : {}) };
}

const ES_KEYS = [
  'es',
  'esIndex',
  'esAuthFile',
  'esCa',
  'esInsecure',
  'esPipeline',
  'esWait',
  'esBatchSize',
  'esBatchDocs',
  'esFlushInterval',
  'esConcurrency',
  'esRetryFor',
  'esRequestTimeout',
] as const;

function pickEs(raw: RawEsOptions): RawEsOptions {
  const out: Record<string, unknown> = {};
  for (const k of ES_KEYS) if (raw[k] !== undefined) out[k] = raw[k];
  return out as RawEsOptions;
}

/** The connection options shared by `scan --es` and `es setup`. */
function addEsConnectionOptions(cmd: Command): Command {
  return cmd
    .option('--es <URL>', 'Elasticsearch node URL (http or https, no credentials); repeatable for several nodes', collect)
    .option('--es-index <NAME>', `index or data stream for the hits (default ${DEFAULT_ES_INDEX})`)
    .option(
      '--es-auth-file <FILE>',
      'file of KEY=VALUE lines with IOCHUNT_ES_API_KEY, IOCHUNT_ES_USERNAME and IOCHUNT_ES_PASSWORD, or IOCHUNT_ES_BEARER_TOKEN (default: those environment variables)',
    )
    .option('--es-ca <FILE>', 'PEM CA certificate(s) that sign the cluster certificate')
    .option('--es-insecure', 'do not verify the TLS certificate of the cluster (testing only)')
    .option('--es-wait <SECONDS>', 'wait up to SECONDS for an unreachable cluster at start instead of exiting 2');
}

function iocsOptions(raw: { iocsFormat?: string; mispAll?: boolean }): IocsOptions {
  return {
    ...(raw.iocsFormat ? { iocsFormat: parseChoice('--iocs-format', raw.iocsFormat, feedFormatNames()) } : {}),
    ...(raw.mispAll ? { mispAll: true } : {}),
  };
}

/**
 * Argument errors found by commander, as every other error: `iochunt: error:`
 * and control characters escaped (an option value may hold anything). The
 * hint to run --help stays on its own line.
 */
function commanderError(text: string, write: (s: string) => void): void {
  for (const line of text.split('\n')) {
    if (line === '') continue;
    if (line.startsWith('(run with --help')) write(`${line}\n`);
    else write(`iochunt: error: ${escapeControls(line.replace(/^error: /, ''))}\n`);
  }
}

/** Builds the program; `exit` receives the exit code of the command that ran. */
export function buildProgram(exit: (code: number) => void, reporterFor: (quiet: boolean) => Reporter = (q) => stderrReporter({ quiet: q })): Command {
  const program = new Command('iochunt');
  // Before commander's own listener: --version also names the engine a scan would use, and why.
  program.on('option:version', () => {
    process.stdout.write(`${versionLine()}\n`);
    throw new CommanderError(0, 'commander.version', version());
  });
  program
    .description('Hunt indicators of compromise in logs: exact, fast, ECS-shaped JSON hits.')
    .version(version(), '-V, --version')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s), outputError: commanderError });

  const scan = program
    .command('scan')
    .summary('scan logs for indicators; one JSON document per matching line on stdout')
    .description(
      'Scan log files, directories (walked recursively in name order), globs, or stdin (no PATH or "-") ' +
        'for the indicators in the --iocs feeds. Compression is detected by content. Hits go to stdout (or --output) ' +
        'as JSON Lines (or, as grep, nothing with -q, paths with -l, counts with -c); messages go to stderr. ' +
        'Walks skip hidden files and folders (--hidden) and binary files (-a). Exit status: 0 hits found, 1 none, 2 error.',
    )
    .argument('[PATH...]', 'log files, directories or globs; "-" or nothing for stdin')
    .option('-i, --iocs <FILE>', 'indicator feed (plain, CSV, STIX, MISP, OTX, Zeek intel, SCC ETD; see "iocs formats"); NAME=FILE names the feed in hits (threat.enrichments.feed.name); repeatable', collect)
    .option('-f, --file <FILE>', 'same as --iocs (the pattern-file flag of grep and rg); repeatable')
    .addOption(new Option('--iocs-format <NAME>', `force the feed format instead of detecting it (${feedFormatNames().join(', ')})`))
    .option('--misp-all', 'MISP feeds: also use attributes whose to_ids is false')
    .option('--ignore-validity', 'also match indicators outside their validity window (STIX valid_from/valid_until, OTX expiration) and inactive ones')
    .option('--max-age <DAYS>', 'drop indicators whose newest feed time (modified, last seen, valid from, created) is older than DAYS days')
    .option('--allow <FILE>', 'allowlist (any feed format, MISP warninglists too): covered values never hit; repeatable', collect)
    .option('-o, --output <FILE>', 'write hits to FILE instead of stdout ("-": stdout); an input that is the output file is refused')
    .option('--max-line-bytes <SIZE>', 'scan longer lines in pieces of this size, with a warning', String(DEFAULT_MAX_LINE_BYTES))
    .option('--domain-match <MODE>', 'subdomain: a domain also matches its subdomains; exact: only itself', 'subdomain')
    .option('--strict', 'exit 2 when any feed entry is invalid, instead of skipping it')
    .option('--engine <NAME>', 'matching engine: auto, native or js', 'auto')
    .option('--threads <N>', `blocks scanned in parallel (default: number of cores, ${defaultThreads()})`)
    .option('--cache-dir <DIR>', 'where compiled indicators are cached (default: $IOCHUNT_CACHE_DIR, else $XDG_CACHE_HOME/iochunt or ~/.cache/iochunt)')
    .option('--no-cache', 'neither read nor write the compiled-indicator cache')
    .option('--no-summary', 'do not print the load and end-of-run summaries')
    .option('--format <NAME>', `log format of every input instead of detecting it per input (${formatNames().join(', ')}; ${NO_FORMAT}: do not parse)`)
    .option('--timezone <ZONE>', 'time zone of log times written without one (RFC 3164 syslog, BIND), e.g. Europe/Paris', 'UTC')
    .option('--vpcflow-fields <LIST>', 'VPC / Transit Gateway flow log field order of files without a header, e.g. version,account-id,interface-id,srcaddr,...')
    .option('-q, --quiet', 'as grep -q: print no hits, stop at the first hit line, exit 0 if one was found (even after an error), 1 if none, 2 on error')
    .option('--no-info', 'print only warnings and errors on stderr (no summaries, no progress line)')
    .option('-l, --files-with-matches', 'print the path of each input with a hit line (once, in input order) instead of the hits')
    .option('-c, --count', 'print the number of hit lines of each input (path:count; only the count for a single file or stdin) instead of the hits')
    .option('-m, --max-count <N>', 'stop reading an input after N hit lines')
    .option('-a, --text', 'also scan files found by walking whose start looks binary (NUL bytes: wtmp, journal files); named files are always scanned')
    .option('--no-progress', 'no progress line on stderr (drawn only when stderr is a terminal)');
  addWalkOptions(scan);
  // -f is --iocs under grep's name: both fill one list, in the order given.
  scan.on('option:file', (value: string) => {
    scan.setOptionValueWithSource('iocs', collect(value, scan.getOptionValue('iocs') as string[] | undefined), 'cli');
  });
  addEsConnectionOptions(scan)
    .option('--es-pipeline <ID>', 'ingest pipeline the hits go through')
    .option('--es-dead-letter <FILE>', `hits Elasticsearch refused, with the reason, appended as JSON lines (default ./${DEFAULT_DEAD_LETTER}, created only when needed)`)
    .option('--es-batch-size <SIZE>', `send a bulk request when its body reaches SIZE (default ${DEFAULT_LIMITS.batchBytes / 1024 / 1024}M)`)
    .option('--es-batch-docs <N>', `send a bulk request when it holds N hits (default ${DEFAULT_LIMITS.batchDocs})`)
    .option('--es-flush-interval <SECONDS>', `send a bulk request when its first hit has waited SECONDS (default ${DEFAULT_LIMITS.flushMs / 1000})`)
    .option('--es-concurrency <N>', `bulk requests in flight at once; scanning pauses while all are busy (default ${DEFAULT_LIMITS.concurrency})`)
    .option('--es-retry-for <SECONDS>', `keep retrying a hit on 429, 5xx or connection errors this long, then dead-letter it (default ${DEFAULT_LIMITS.retryForMs / 1000})`)
    .option('--es-request-timeout <SECONDS>', `timeout of one bulk request (default ${DEFAULT_LIMITS.requestTimeoutMs / 1000})`)
    .action(async (paths: string[], raw: RawScanOptions) => {
      const options = validateScanOptions(raw);
      const { runScan } = await import('./commands/scan.js');
      exit(await runScan(paths, options, reporterFor(raw.quiet === true || !raw.info)));
    });

  // `sweep` takes every option of `scan` (feeds, formats, filters, outputs), plus the registry's.
  const sweep = program
    .command('sweep')
    .summary('scan only what is new since the last sweep; follow rotation; retro-hunt new indicators')
    .description(
      'Scan the files under PATHs (directories, files, globs) like scan, but remember in a state file how far each ' +
        'file was read and delivered: each run reads only new bytes, follows rotation (rename, compression, copytruncate) ' +
        'and truncation, and first rescans what was already swept for indicators added to the feeds since (retro-hunt, ' +
        'hits marked iochunt.match.kind "retro"). --output FILE is appended to. Exit status: 0 hits found, 1 none, 2 error.',
    )
    .argument('<PATH...>', 'log files, directories or globs');
  // Not the grep output modes: a sweep delivers every hit and commits whole files.
  const notForSweep = new Set(['quiet', 'filesWithMatches', 'count', 'maxCount']);
  for (const opt of scan.options) if (!notForSweep.has(opt.attributeName())) sweep.addOption(opt);
  sweep.on('option:file', (value: string) => {
    sweep.setOptionValueWithSource('iocs', collect(value, sweep.getOptionValue('iocs') as string[] | undefined), 'cli');
  });
  sweep
    .option('--state <FILE>', `state file (default ${defaultStatePath()}; $XDG_STATE_HOME is honoured)`)
    .option('--wait <SECONDS>', 'wait up to SECONDS for another sweep holding the state, instead of exiting 2')
    .option('--reset-state', 'ignore and replace the state: every file is read again from its start')
    .option('--forget-after <DURATION>', 'forget files not seen for DURATION (e.g. 7d, 12h)', '7d')
    .option('--retro-lookback <DURATION>', 'retro-hunt only files modified within DURATION; 0 turns the retro-hunt off', '30d')
    .option('--retro-only', 'run only the retro-hunt step (no new bytes are read)')
    .option('--summary-json <FILE>', 'also write the run summary as JSON to FILE (for monitoring)')
    .action(async (paths: string[], raw: RawScanOptions & { state?: string; wait?: string; resetState?: boolean; forgetAfter: string; retroLookback: string; retroOnly?: boolean; summaryJson?: string }) => {
      const options = {
        ...validateScanOptions(raw),
        statePath: raw.state ?? defaultStatePath(),
        waitMs: raw.wait === undefined ? 0 : parseDuration('--wait', raw.wait, 0, 7 * 86_400_000),
        resetState: raw.resetState === true,
        forgetAfterMs: parseDuration('--forget-after', raw.forgetAfter, 1000, 3650 * 86_400_000),
        retroLookbackMs: parseDuration('--retro-lookback', raw.retroLookback, 0, 3650 * 86_400_000),
        retroOnly: raw.retroOnly === true,
        ...(raw.summaryJson ? { summaryJson: raw.summaryJson } : {}),
      };
      const { runSweep } = await import('./commands/sweep.js');
      exit(await runSweep(paths, options, reporterFor(!raw.info)));
    });

  // `tail` takes every option of `scan` too, plus the registry's and the follower's.
  const tail = program
    .command('tail')
    .summary('follow files as they are written: rotation, live indicator reload, metrics; for weeks')
    .description(
      'Follow the files under PATHs (directories, files, globs; new files are picked up) and deliver the hits of every ' +
        'line written, like a sweep that never stops: the same state file, rotation and commit rules, so tail resumes where ' +
        'it or a sweep stopped. Feeds are reloaded on SIGHUP or when a feed file changes, and swapped in between two reads; ' +
        'files read before are then retro-hunted for the added indicators. SIGTERM/SIGINT: deliver, commit, exit 0. ' +
        '"-" alone reads stdin as scan does.',
    )
    .argument('[PATH...]', 'log files, directories or globs (or the inputs of --config)');
  for (const opt of scan.options) if (!notForSweep.has(opt.attributeName())) tail.addOption(opt);
  tail.on('option:file', (value: string) => {
    tail.setOptionValueWithSource('iocs', collect(value, tail.getOptionValue('iocs') as string[] | undefined), 'cli');
  });
  tail
    .option('--state <FILE>', `state file (default ${defaultTailStatePath()}); a sweep's state file makes tail resume where the sweep stopped`)
    .option('--wait <SECONDS>', 'wait up to SECONDS for another run holding the state, instead of exiting 2')
    .option('--from <WHERE>', 'files with no state found at start (Kafka partitions with no offset in the group): beginning|earliest (read them whole) or end|latest (only what is written from now on)', 'beginning')
    .option('--scan-interval <DURATION>', 'look for new files and changes at least this often (the polling fallback for network filesystems)', '1s')
    .option('--no-watch', 'do not use file events (inotify); poll every --scan-interval only')
    .option('--close-renamed-after <DURATION>', 'a file renamed away (rotated) is read until idle for DURATION; its last line is then read even without a newline', '30s')
    .option('--forget-after <DURATION>', 'forget files not seen for DURATION (e.g. 7d, 12h)', '7d')
    .option('--retro-lookback <DURATION>', 'after a reload, retro-hunt files modified within DURATION for the added indicators; 0 turns it off', '1h')
    .option('--shutdown-timeout <DURATION>', 'on SIGTERM, deliver and commit within DURATION, else exit 2 (the state keeps the last commit)', '30s')
    .option('--metrics-listen <ADDR>', 'serve Prometheus /metrics, /healthz and /readyz on HOST:PORT (or :PORT); off by default')
    .option('--log-format <FORMAT>', "the tool's own messages on stderr: text or json (one object per line)", 'text')
    .option('--config <FILE>', 'YAML configuration (inputs, feeds, outputs, state, metrics, log, tail, scan, kafka); options given here override it')
    .option('--kafka-brokers <HOST:PORT,...>', 'read Kafka topics instead of files, as one worker of a consumer group: bootstrap brokers', collect)
    .option('--kafka-topic <TOPIC>', 'a topic to read, one log line (or JSON event) per record value (repeatable)', collect)
    .option('--kafka-group <NAME>', 'consumer group: Kafka shares the partitions among its members and stores the offsets (committed after delivery)')
    .option('--kafka-topic-format <TOPIC=FORMAT>', "a topic's log format instead of detecting it on its first records (repeatable)", collect)
    .option('--kafka-hits-topic <TOPIC>', 'also produce hits to this topic (JSON, keyed by source, acks=all, idempotent producer)')
    .option('--kafka-client-id <ID>', 'client id prefix (default iochunt)')
    .option('--kafka-tls', 'connect to the brokers with TLS')
    .option('--kafka-ca <FILE>', 'PEM CA certificate(s) of the brokers (implies --kafka-tls)')
    .option('--kafka-cert <FILE>', 'PEM client certificate for mutual TLS (with --kafka-key)')
    .option('--kafka-key <FILE>', 'PEM client key for mutual TLS')
    .option('--kafka-insecure', 'do not verify the brokers\' TLS certificates (testing only)')
    .option('--kafka-sasl <MECHANISM>', 'SASL: PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512; user and password from IOCHUNT_KAFKA_USERNAME/IOCHUNT_KAFKA_PASSWORD or --kafka-auth-file')
    .option('--kafka-auth-file <FILE>', 'KEY=VALUE file with IOCHUNT_KAFKA_USERNAME and IOCHUNT_KAFKA_PASSWORD')
    .option('--kafka-session-timeout <DURATION>', 'group session timeout: a worker silent this long loses its partitions (default 30s)')
    .option('--kafka-batch-bytes <SIZE>', 'records are joined into blocks of about this size before scanning (default 1M)')
    .option('--kafka-linger <DURATION>', 'a block is scanned once its first record waited this long (default 100ms)')
    .option('--kafka-commit-interval <DURATION>', 'delivered offsets are committed at most this often (default 1s)')
    .action(
      async (
        paths: string[],
        raw: RawScanOptions & {
          config?: string;
          state?: string;
          wait?: string;
          from: string;
          scanInterval: string;
          watch: boolean;
          closeRenamedAfter: string;
          forgetAfter: string;
          retroLookback: string;
          shutdownTimeout: string;
          metricsListen?: string;
          logFormat: string;
        } & RawKafkaOptions,
      ) => {
        let inputs: readonly InputConfig[] = [];
        let sources: Config | undefined;
        if (raw.config !== undefined) {
          // The file's values, unless the command line gave the option.
          const { loadTailConfig } = await import('./config/tail-config.js');
          const config = loadTailConfig(raw.config);
          const target = raw as unknown as Record<string, unknown>;
          for (const [key, value] of Object.entries(config.options)) if (tail.getOptionValueSource(key) !== 'cli') target[key] = value;
          inputs = config.inputs;
          sources = config.sources;
        }
        // `--from`: beginning/earliest and end/latest name the same two places for files and Kafka partitions.
        const fromKafka = raw.from === 'beginning' ? 'earliest' : raw.from === 'end' ? 'latest' : raw.from;
        const kafka = validateKafkaOptions({ ...raw, kafkaFrom: fromKafka }, process.env, { duration: parseDuration, size: parseByteSize });
        if (kafka === undefined && paths.length === 0 && inputs.length === 0) throw new UsageError('tail needs PATHs to follow, inputs in --config FILE, or Kafka topics (--kafka-brokers, --kafka-topic, --kafka-group)');
        if (!kafka) raw.from = raw.from === 'earliest' ? 'beginning' : raw.from === 'latest' ? 'end' : raw.from;
        const logFormat = parseChoice('--log-format', raw.logFormat, ['text', 'json'] as const);
        const reporter = logFormat === 'json' ? jsonReporter({ quiet: !raw.info }) : reporterFor(!raw.info);
        try {
          const { parseListen } = await import('./metrics/tail-metrics.js');
          const options = {
            ...validateScanOptions(raw),
            statePath: raw.state ?? defaultTailStatePath(),
            waitMs: raw.wait === undefined ? 0 : parseDuration('--wait', raw.wait, 0, 7 * 86_400_000),
            from: kafka ? 'beginning' : parseChoice('--from', raw.from, ['beginning', 'end'] as const),
            scanIntervalMs: parseDuration('--scan-interval', raw.scanInterval, 50, 3_600_000),
            watch: raw.watch,
            closeRenamedAfterMs: parseDuration('--close-renamed-after', raw.closeRenamedAfter, 0, 30 * 86_400_000),
            forgetAfterMs: parseDuration('--forget-after', raw.forgetAfter, 1000, 3650 * 86_400_000),
            retroLookbackMs: parseDuration('--retro-lookback', raw.retroLookback, 0, 3650 * 86_400_000),
            shutdownTimeoutMs: parseDuration('--shutdown-timeout', raw.shutdownTimeout, 1000, 3_600_000),
            ...(raw.metricsListen !== undefined ? { metricsListen: parseListen('--metrics-listen', raw.metricsListen) } : {}),
          };
          const { runTail } = await import('./commands/tail.js');
          exit(await runTail(paths, { ...options, ...(inputs.length > 0 ? { inputs } : {}), ...(sources ? { sources } : {}), ...(kafka ? { kafka } : {}) }, reporter));
        } catch (err) {
          if (logFormat !== 'json' || !(err instanceof IochuntError)) throw err;
          reporter.error(err.message);
          exit(2);
        }
      },
    );

  const parse = program
    .command('parse')
    .summary('print the parsed ECS document of every log line (no matching)')
    .description(
      'Parse every line of the inputs in their log format (detected per input, or --format) and print one ' +
        'JSON document per line. Lines that do not parse are printed with event.kind "pipeline_error". ' +
        'Exit status: 0 every line parsed, 1 some line did not, 2 error.',
    )
    .argument('[PATH...]', 'log files, directories or globs; "-" or nothing for stdin')
    .option('--format <NAME>', `log format instead of detecting it (${formatNames().join(', ')})`)
    .option('--timezone <ZONE>', 'time zone of log times written without one', 'UTC')
    .option('--vpcflow-fields <LIST>', 'VPC / Transit Gateway flow log field order of files without a header, e.g. version,account-id,interface-id,srcaddr,...')
    .option('--no-summary', 'do not print the per-input summary')
    .option('-q, --quiet', 'print only warnings and errors on stderr')
    .option('--no-info', 'same as -q here (the name scan uses, where -q is grep\'s)');
  addWalkOptions(parse).action(async (paths: string[], raw: RawParseOptions) => {
    const options = {
      ...validateFormat(raw.format),
      timezone: parseTimeZone('--timezone', raw.timezone),
      ...validateVpcflowFields(raw.vpcflowFields),
      summary: raw.summary && !raw.quiet && raw.info,
      walk: validateWalk(raw),
    };
    const { runParse } = await import('./commands/parse.js');
    exit(await runParse(paths, options, reporterFor(raw.quiet === true || !raw.info)));
  });

  program
    .command('formats')
    .summary('list the log formats')
    .description('List the log formats that --format accepts, in detection order, with their event.dataset.')
    .action(() => {
      for (const f of FORMATS) writeStdout(`${f.name.padEnd(18)} ${f.dataset.padEnd(28)} ${f.description}\n`);
      exit(0);
    });

  const es = program.command('es').summary('Elasticsearch output: set up the cluster, push indicators').description('Prepare an Elasticsearch cluster for `scan --es`.');
  addEsConnectionOptions(
    es
      .command('setup')
      .summary('install the index templates of hits and indicators (on the stack\'s ecs@mappings and logs@settings where it has them)')
      .description(
        'Install (or replace) the composable index template for --es-index: a data stream template, or a plain index ' +
          'template when the cluster has no data streams. Needs the manage_index_templates privilege. Exit 0 done, 2 error.',
      ),
  )
    .option('--print', 'print the templates instead of installing them (no cluster needed)')
    .option('--retention <DAYS>', 'delete hits and indicator documents older than DAYS days (data stream lifecycle); default: keep them')
    .option('-q, --quiet', 'print only warnings and errors on stderr')
    .action(async (raw: RawEsOptions & { print?: boolean; quiet?: boolean; retention?: string }) => {
      const { print, quiet, retention: rawRetention, ...rest } = raw;
      const retention = rawRetention === undefined ? undefined : parseWholeNumber('--retention', rawRetention, 1, 36500);
      // Loaded here, not at start-up: only `es` commands and `scan --es` need the Elasticsearch client.
      const { runEsSetup } = await import('./commands/es-output.js');
      const reporter = reporterFor(quiet === true);
      if (print) {
        const index = rest.esIndex === undefined ? DEFAULT_ES_INDEX : parseIndexName('--es-index', rest.esIndex);
        exit(await runEsSetup({ index } as never, reporter, true, retention));
        return;
      }
      const config = validateEsOptions(pickEs(rest));
      if (!config) throw new UsageError('es setup needs --es URL (or --print)');
      exit(await runEsSetup(config, reporter, false, retention));
    });

  const indicators = es.command('indicators').summary('the indicator data stream').description('Manage the indicator documents in Elasticsearch.');
  const push = addEsConnectionOptions(
    indicators
      .command('push')
      .summary('write the feeds\' indicators as ECS threat-intel documents; remove those no longer listed')
      .description(
        'Load the --iocs feeds and make the indicator data stream (default ' + DEFAULT_INDICATOR_INDEX + ') hold exactly their ' +
          'indicators, one ECS document (event.kind enrichment, threat.indicator.*, threat.feed.name) per indicator and feed. ' +
          'Ids come from the indicator and what its feed says, so pushing unchanged feeds writes nothing, and hits name the ' +
          'same ids in threat.enrichments.matched.id. Exit 0 done, 2 error.',
      ),
  );
  // The hits' target is not this command's: --indicator-index names its own.
  push.options.find((o) => o.long === '--es-index')?.hideHelp();
  push
    .option('-i, --iocs <FILE>', 'indicator feed; NAME=FILE names the feed; repeatable', collect)
    .option('--iocs-format <NAME>', 'force the feed format instead of detecting it')
    .option('--misp-all', 'MISP feeds: also use attributes whose to_ids is false')
    .option('--indicator-index <NAME>', `data stream (or index) of the indicator documents (default ${DEFAULT_INDICATOR_INDEX})`)
    .option('-q, --quiet', 'print only warnings and errors on stderr')
    .action(async (raw: RawEsOptions & { iocs?: string[]; iocsFormat?: string; mispAll?: boolean; indicatorIndex?: string; quiet?: boolean }) => {
      const { iocs: rawIocs, iocsFormat, mispAll, indicatorIndex, quiet, ...rest } = raw;
      if (!rawIocs || rawIocs.length === 0) throw new UsageError('es indicators push needs at least one --iocs FILE');
      if (rest.esIndex !== undefined) throw new UsageError('es indicators push writes to --indicator-index NAME, not --es-index (the hits\' target)');
      const config = validateEsOptions(pickEs(rest));
      if (!config) throw new UsageError('es indicators push needs --es URL');
      const { iocs, feedNames } = feedArguments(rawIocs);
      const { runIndicatorsPush } = await import('./commands/es-output.js');
      exit(
        await runIndicatorsPush(
          config,
          {
            iocs,
            ...(feedNames ? { feedNames } : {}),
            ...(iocsFormat ? { iocsFormat: parseChoice('--iocs-format', iocsFormat, feedFormatNames()) } : {}),
            ...(mispAll ? { mispAll: true } : {}),
            target: indicatorIndex === undefined ? DEFAULT_INDICATOR_INDEX : parseIndexName('--indicator-index', indicatorIndex),
          },
          reporterFor(quiet === true),
        ),
      );
    });

  const iocs = program.command('iocs').summary('inspect indicator feeds').description('Inspect indicator feeds without scanning logs.');
  iocs
    .command('formats')
    .summary('list the indicator feed formats')
    .description('List the feed formats that --iocs-format accepts, in detection order.')
    .action(async () => {
      const { runIocsFormats } = await import('./commands/iocs.js');
      exit(runIocsFormats());
    });
  iocs
    .command('stats')
    .summary('count indicators per type and feed, and skipped entries with their reasons')
    .argument('<FILE...>', 'indicator feeds')
    .option('--iocs-format <NAME>', 'force the feed format instead of detecting it')
    .option('--misp-all', 'MISP feeds: also use attributes whose to_ids is false')
    .action(async (files: string[], raw: { iocsFormat?: string; mispAll?: boolean }) => {
      const { runIocsStats } = await import('./commands/iocs.js');
      exit(await runIocsStats(files, iocsOptions(raw)));
    });
  iocs
    .command('check')
    .summary('which indicators scan finds in VALUE (exact, CIDR, parent domain), from which feed; exit 0 found, 1 not')
    .argument('<VALUE...>', 'IP, domain, URL, hash, e-mail address, or a whole log line; each is scanned as a line')
    .option('-i, --iocs <FILE>', 'indicator feed; repeatable', collect)
    .option('--iocs-format <NAME>', 'force the feed format instead of detecting it')
    .option('--misp-all', 'MISP feeds: also use attributes whose to_ids is false')
    .option('--allow <FILE>', 'allowlist: also say whether VALUE is allowlisted; repeatable', collect)
    .option('--domain-match <MODE>', 'as for scan: subdomain (default) or exact', 'subdomain')
    .action(async (value: string[], raw: { iocs?: string[]; iocsFormat?: string; mispAll?: boolean; allow?: string[]; domainMatch: string }) => {
      const domainMatch = parseChoice<DomainMatch>('--domain-match', raw.domainMatch, ['subdomain', 'exact']);
      const { runIocsCheck } = await import('./commands/iocs.js');
      exit(await runIocsCheck(value, raw.iocs ?? [], { ...iocsOptions(raw), ...(raw.allow ? { allow: raw.allow } : {}), domainMatch }, reporterFor(false)));
    });

  addFeedsCommands(program, exit, reporterFor);

  program
    .command('completion')
    .summary('print the shell completion script of iochunt (bash, zsh or fish)')
    .description(
      'Print a completion script, generated from the commands and options of this iochunt. ' +
        'bash: source <(iochunt completion bash); zsh: iochunt completion zsh > ~/.zfunc/_iochunt (a folder of $fpath); ' +
        'fish: iochunt completion fish > ~/.config/fish/completions/iochunt.fish.',
    )
    .addArgument(new Argument('<SHELL>', 'bash, zsh or fish').choices(COMPLETION_SHELLS))
    .action((shell: CompletionShell) => {
      process.stdout.write(completionScript(program, shell));
      exit(0);
    });

  return program;
}

/** Runs the CLI with `argv` (as process.argv); resolves to the exit code. */
export async function main(argv: readonly string[]): Promise<number> {
  let code = 0;
  const reporter = stderrReporter();
  const program = buildProgram((c) => {
    code = c;
  });
  // A closed stdout (`| head -1`) never crashes a command; a failed write is an error.
  guardStdout();
  guardStderr();
  try {
    await program.parseAsync(argv as string[]);
    await finishStdout();
    return code;
  } catch (err) {
    if (err instanceof CommanderError) {
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help') {
        try {
          await finishStdout();
        } catch (e) {
          reporter.error((e as Error).message);
          return 2;
        }
        return 0;
      }
      return 2;
    }
    if (err instanceof IochuntError) {
      reporter.error(err.message);
      return 2;
    }
    reporter.error(`internal error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    return 2;
  }
}
