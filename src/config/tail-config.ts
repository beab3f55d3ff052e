/**
 * The YAML configuration file of `tail` (`--config FILE`, `iochunt config
 * check FILE`): inputs, feeds, allowlists, outputs, state, metrics, log
 * format and the follower's settings. Every key is checked for its type and
 * value before anything runs; an error names the file, the line and the key
 * (`tail.yaml:12: tail.scan_interval: Expected a duration …`). Values become
 * the options of the same names on the command line, which override them.
 */
import { readFileSync } from 'node:fs';
import { loadConfig } from './load.js';
import type { Config } from './schema.js';
import { feedPathOf } from '../sources/puller.js';
import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Node, type YAMLMap } from 'yaml';
import { UsageError } from '../errors.js';
import { parseByteSize, parseDuration, parseWholeNumber } from '../options.js';

/** One input: paths or globs, and what is added to their hits. */
export interface InputConfig {
  readonly paths: readonly string[];
  /** Globs of file names (or paths) under `paths` not to follow. */
  readonly exclude: readonly string[];
  /** Log format of the input's files (instead of detecting it). */
  readonly format?: string;
  /** Fields added to every hit document of the input (`labels` style: `fields.env: prod`). */
  readonly fields?: Readonly<Record<string, string | number | boolean>>;
  /** Tags added to `tags` of every hit document of the input. */
  readonly tags?: readonly string[];
}

/** A loaded configuration: inputs, and option values by the command line's option name (camelCase). */
export interface TailConfig {
  readonly path: string;
  readonly inputs: readonly InputConfig[];
  /** Values of command-line options (`iocs`, `scanInterval`, `es`, …) as the command line would give them. */
  readonly options: Readonly<Record<string, string | string[] | boolean>>;
  /** The live sources of `feeds:` (pulled by tail on their intervals), when the file has any. */
  readonly sources?: Config;
}

type Kind = 'string' | 'strings' | 'boolean' | 'duration' | 'seconds' | 'size' | 'count' | 'choice';

interface KeySpec {
  /** The command-line option (camelCase) the key sets. */
  readonly option: string;
  readonly kind: Kind;
  readonly choices?: readonly string[];
  readonly doc: string;
}

const TAIL_KEYS: Readonly<Record<string, KeySpec>> = {
  from: { option: 'from', kind: 'choice', choices: ['beginning', 'end'], doc: 'files with no state found at start: beginning or end' },
  scan_interval: { option: 'scanInterval', kind: 'duration', doc: 'look for new files and changes at least this often' },
  watch: { option: 'watch', kind: 'boolean', doc: 'use file events (inotify); false polls only' },
  close_renamed_after: { option: 'closeRenamedAfter', kind: 'duration', doc: 'read a renamed file until idle this long' },
  retro_lookback: { option: 'retroLookback', kind: 'duration', doc: 'after a reload, retro-hunt files modified within this long' },
  forget_after: { option: 'forgetAfter', kind: 'duration', doc: 'forget files not seen for this long' },
  shutdown_timeout: { option: 'shutdownTimeout', kind: 'duration', doc: 'deliver and commit within this long on SIGTERM' },
};
const SCAN_KEYS: Readonly<Record<string, KeySpec>> = {
  engine: { option: 'engine', kind: 'choice', choices: ['auto', 'native', 'js'], doc: 'matching engine' },
  threads: { option: 'threads', kind: 'count', doc: 'blocks scanned in parallel' },
  max_line_bytes: { option: 'maxLineBytes', kind: 'size', doc: 'scan longer lines in pieces of this size' },
  domain_match: { option: 'domainMatch', kind: 'choice', choices: ['subdomain', 'exact'], doc: 'subdomain or exact' },
  timezone: { option: 'timezone', kind: 'string', doc: 'zone of log times written without one' },
  cache_dir: { option: 'cacheDir', kind: 'string', doc: 'compiled-indicator cache folder' },
  cache: { option: 'cache', kind: 'boolean', doc: 'use the compiled-indicator cache' },
  ignore_validity: { option: 'ignoreValidity', kind: 'boolean', doc: 'match indicators outside their validity window' },
  max_age: { option: 'maxAge', kind: 'count', doc: 'drop indicators older than this many days' },
};
const ES_KEYS: Readonly<Record<string, KeySpec>> = {
  hosts: { option: 'es', kind: 'strings', doc: 'node URLs' },
  index: { option: 'esIndex', kind: 'string', doc: 'index or data stream' },
  auth_file: { option: 'esAuthFile', kind: 'string', doc: 'file of IOCHUNT_ES_* credentials' },
  ca: { option: 'esCa', kind: 'string', doc: 'PEM CA certificate(s)' },
  insecure: { option: 'esInsecure', kind: 'boolean', doc: 'do not verify TLS (testing only)' },
  pipeline: { option: 'esPipeline', kind: 'string', doc: 'ingest pipeline' },
  dead_letter: { option: 'esDeadLetter', kind: 'string', doc: 'file of refused hits' },
  wait: { option: 'esWait', kind: 'seconds', doc: 'wait for an unreachable cluster at start' },
  batch_size: { option: 'esBatchSize', kind: 'size', doc: 'bulk request body size' },
  batch_docs: { option: 'esBatchDocs', kind: 'count', doc: 'hits per bulk request' },
  flush_interval: { option: 'esFlushInterval', kind: 'seconds', doc: 'send a bulk request after this long' },
  concurrency: { option: 'esConcurrency', kind: 'count', doc: 'bulk requests in flight' },
  retry_for: { option: 'esRetryFor', kind: 'seconds', doc: 'retry a hit this long, then dead-letter it' },
  request_timeout: { option: 'esRequestTimeout', kind: 'seconds', doc: 'timeout of one bulk request' },
};
const KAFKA_KEYS: Readonly<Record<string, KeySpec>> = {
  brokers: { option: 'kafkaBrokers', kind: 'strings', doc: 'bootstrap brokers HOST:PORT' },
  group: { option: 'kafkaGroup', kind: 'string', doc: 'consumer group' },
  from: { option: 'from', kind: 'choice', choices: ['earliest', 'latest'], doc: 'partitions with no committed offset in the group start here (--from)' },
  hits_topic: { option: 'kafkaHitsTopic', kind: 'string', doc: 'topic hits are produced to' },
  client_id: { option: 'kafkaClientId', kind: 'string', doc: 'client id prefix' },
  session_timeout: { option: 'kafkaSessionTimeout', kind: 'duration', doc: 'group session timeout' },
  batch_bytes: { option: 'kafkaBatchBytes', kind: 'size', doc: 'bytes of records joined into one block' },
  linger: { option: 'kafkaLinger', kind: 'duration', doc: 'scan a block once its first record waited this long' },
  commit_interval: { option: 'kafkaCommitInterval', kind: 'duration', doc: 'commit delivered offsets at most this often' },
};
const KAFKA_TLS_KEYS: Readonly<Record<string, KeySpec>> = {
  enabled: { option: 'kafkaTls', kind: 'boolean', doc: 'connect with TLS' },
  ca: { option: 'kafkaCa', kind: 'string', doc: 'PEM CA certificate(s)' },
  cert: { option: 'kafkaCert', kind: 'string', doc: 'PEM client certificate' },
  key: { option: 'kafkaKey', kind: 'string', doc: 'PEM client key' },
  insecure: { option: 'kafkaInsecure', kind: 'boolean', doc: 'do not verify TLS (testing only)' },
};
const KAFKA_SASL_KEYS: Readonly<Record<string, KeySpec>> = {
  mechanism: { option: 'kafkaSasl', kind: 'choice', choices: ['PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512'], doc: 'SASL mechanism' },
  auth_file: { option: 'kafkaAuthFile', kind: 'string', doc: 'file of IOCHUNT_KAFKA_* credentials' },
};
// state_dir and feeds_dir belong to the live sources (`feeds pull`), checked by src/config/load.ts.
const TOP_KEYS = ['inputs', 'feeds', 'feed_format', 'allowlists', 'outputs', 'state', 'metrics', 'log', 'tail', 'scan', 'kafka', 'state_dir', 'feeds_dir'] as const;
const INPUT_KEYS = ['paths', 'exclude', 'format', 'fields', 'tags'] as const;

/** Keys of the configuration file, for documentation and for the deploy test: `section.key`. */
export function configKeys(): string[] {
  return [
    ...TOP_KEYS,
    ...INPUT_KEYS.map((k) => `inputs[].${k}`),
    'outputs.file',
    ...Object.keys(ES_KEYS).map((k) => `outputs.elasticsearch.${k}`),
    'metrics.listen',
    'log.format',
    ...Object.keys(TAIL_KEYS).map((k) => `tail.${k}`),
    ...Object.keys(SCAN_KEYS).map((k) => `scan.${k}`),
    ...Object.keys(KAFKA_KEYS).map((k) => `kafka.${k}`),
    'kafka.topics',
    'kafka.topics[].name',
    'kafka.topics[].format',
    ...Object.keys(KAFKA_TLS_KEYS).map((k) => `kafka.tls.${k}`),
    ...Object.keys(KAFKA_SASL_KEYS).map((k) => `kafka.sasl.${k}`),
  ];
}

/** Durations and sizes in a config file may be YAML numbers (seconds, bytes) or strings (`30s`, `16M`). */
function seconds(v: number): string {
  return String(v);
}

/**
 * Reads and validates the configuration at `path`. Throws {@link UsageError}
 * naming the file, line and key of the first problem.
 */
export function loadTailConfig(path: string): TailConfig {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new UsageError(`cannot read the configuration file ${path}: ${(err as Error).message}`);
  }
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  const lineOf = (node: Node | null | undefined): number => (node?.range ? lines.linePos(node.range[0]).line : 1);
  const fail = (node: Node | null | undefined, key: string, message: string): never => {
    throw new UsageError(`${path}:${lineOf(node)}: ${key}: ${message}`);
  };
  if (doc.errors.length > 0) {
    const e = doc.errors[0] as { message: string; linePos?: Array<{ line: number }> };
    throw new UsageError(`${path}:${e.linePos?.[0]?.line ?? 1}: not valid YAML: ${e.message.split('\n')[0]}`);
  }
  const root = doc.contents;
  if (root === null) return { path, inputs: [], options: {} };
  if (!isMap(root)) fail(root, '(top level)', 'expected a mapping of sections (inputs, feeds, outputs, …)');
  const options: Record<string, string | string[] | boolean> = {};
  let liveSources: Config | undefined;
  const inputs: InputConfig[] = [];

  const entries = (map: YAMLMap, where: string, allowed: readonly string[]): Array<{ key: string; node: Node; keyNode: Node }> => {
    const out: Array<{ key: string; node: Node; keyNode: Node }> = [];
    for (const pair of map.items) {
      const keyNode = pair.key as Node;
      const key = isScalar(keyNode) ? String(keyNode.value) : '';
      const full = where === '' ? key : `${where}.${key}`;
      if (!allowed.includes(key)) fail(keyNode, full, `unknown key; expected one of ${allowed.join(', ')}`);
      out.push({ key, node: (pair.value ?? keyNode) as Node, keyNode });
    }
    return out;
  };
  const str = (node: Node, key: string): string => {
    if (!isScalar(node) || (typeof node.value !== 'string' && typeof node.value !== 'number') || String(node.value) === '') fail(node, key, 'expected a non-empty string');
    return String((node as { value: unknown }).value);
  };
  const strs = (node: Node, key: string): string[] => {
    if (isScalar(node)) return [str(node, key)];
    if (!isSeq(node) || node.items.length === 0) return fail(node, key, 'expected a string or a non-empty list of strings');
    return node.items.map((item, i) => str(item as Node, `${key}[${i}]`));
  };
  const bool = (node: Node, key: string): boolean => {
    if (!isScalar(node) || typeof node.value !== 'boolean') fail(node, key, 'expected true or false');
    return (node as { value: boolean }).value;
  };
  const checked = (node: Node, key: string, check: (v: string) => unknown, value: string): string => {
    try {
      check(value);
    } catch (err) {
      fail(node, key, (err as Error).message.replace(/ for --?[\w-]+ /, ' '));
    }
    return value;
  };
  const setKey = (spec: KeySpec, node: Node, key: string): void => {
    switch (spec.kind) {
      case 'string':
        options[spec.option] = str(node, key);
        return;
      case 'strings':
        options[spec.option] = strs(node, key);
        return;
      case 'boolean':
        options[spec.option] = bool(node, key);
        return;
      case 'duration': {
        const v = isScalar(node) && typeof node.value === 'number' ? seconds(node.value) : str(node, key);
        options[spec.option] = checked(node, key, (s) => parseDuration(key, s, 0, 3650 * 86_400_000), v);
        return;
      }
      case 'seconds': {
        // The Elasticsearch options take seconds: a duration (`30s`, `5m`) or a number of seconds.
        const v = isScalar(node) && typeof node.value === 'number' ? seconds(node.value) : str(node, key);
        let ms = 0;
        checked(node, key, (x) => (ms = parseDuration(key, x, 0, 7 * 86_400_000)), v);
        options[spec.option] = String(ms / 1000);
        return;
      }
      case 'size': {
        const v = str(node, key);
        options[spec.option] = checked(node, key, (s) => parseByteSize(key, s, 1, 1024 ** 4), v);
        return;
      }
      case 'count': {
        const v = str(node, key);
        options[spec.option] = checked(node, key, (s) => parseWholeNumber(key, s, 0, 1_000_000), v);
        return;
      }
      case 'choice': {
        const v = str(node, key);
        if (!(spec.choices ?? []).includes(v)) fail(node, key, `expected one of ${(spec.choices ?? []).join(', ')} but found ${JSON.stringify(v)}`);
        options[spec.option] = v;
      }
    }
  };
  const section = (node: Node, key: string, specs: Readonly<Record<string, KeySpec>>): void => {
    if (!isMap(node)) return fail(node, key, `expected a mapping with ${Object.keys(specs).join(', ')}`);
    for (const e of entries(node, key, Object.keys(specs))) setKey(specs[e.key] as KeySpec, e.node, `${key}.${e.key}`);
  };

  for (const { key, node } of entries(root as YAMLMap, '', TOP_KEYS)) {
    switch (key) {
      case 'inputs': {
        if (!isSeq(node) || node.items.length === 0) fail(node, key, 'expected a non-empty list of inputs, each with paths');
        (node as { items: unknown[] }).items.forEach((item, i) => {
          const where = `inputs[${i}]`;
          if (!isMap(item)) return fail(item as Node, where, 'expected a mapping with paths (and exclude, format, fields, tags)');
          let paths: string[] | undefined;
          let exclude: string[] = [];
          let format: string | undefined;
          let fields: Record<string, string | number | boolean> | undefined;
          let tags: string[] | undefined;
          for (const e of entries(item, where, INPUT_KEYS)) {
            const k = `${where}.${e.key}`;
            if (e.key === 'paths') paths = strs(e.node, k);
            else if (e.key === 'exclude') exclude = strs(e.node, k);
            else if (e.key === 'format') format = str(e.node, k);
            else if (e.key === 'tags') tags = strs(e.node, k);
            else if (e.key === 'fields') {
              if (!isMap(e.node)) fail(e.node, k, 'expected a mapping of field names to strings, numbers or booleans');
              fields = {};
              for (const p of (e.node as YAMLMap).items) {
                const name = isScalar(p.key) ? String(p.key.value) : '';
                if (!/^[A-Za-z_][\w.-]*$/.test(name)) fail(p.key as Node, `${k}.${name}`, 'expected a field name (letters, digits, _ . -)');
                const v = p.value as Node;
                if (!isScalar(v) || !['string', 'number', 'boolean'].includes(typeof v.value)) fail(v, `${k}.${name}`, 'expected a string, number or boolean');
                fields[name] = (v as { value: string | number | boolean }).value;
              }
            }
          }
          if (!paths) return fail(item, `${where}.paths`, 'missing: every input needs paths');
          inputs.push({ paths, exclude, ...(format ? { format } : {}), ...(fields ? { fields } : {}), ...(tags ? { tags } : {}) });
        });
        break;
      }
      case 'feeds': {
        // Files are read as they are; a live source (a mapping, see `feeds pull`) is read from the feed file its pulls write.
        if (isSeq(node) && node.items.some((item) => isMap(item))) {
          const files = node.items.filter((item) => !isMap(item)).map((item, i) => str(item as Node, `${key}[${i}]`));
          const sources = loadConfig(path).config;
          liveSources = sources;
          for (const source of sources.feeds) if (source.enabled !== false) files.push(feedPathOf(sources, source));
          options.iocs = files;
        } else options.iocs = strs(node, key);
        break;
      }
      case 'feed_format':
        options.iocsFormat = str(node, key);
        break;
      case 'allowlists':
        options.allow = strs(node, key);
        break;
      case 'state':
        options.state = str(node, key);
        break;
      case 'outputs': {
        if (!isMap(node)) fail(node, key, 'expected a mapping with elasticsearch and/or file');
        for (const e of entries(node as YAMLMap, key, ['elasticsearch', 'file'])) {
          if (e.key === 'file') options.output = str(e.node, 'outputs.file');
          else section(e.node, 'outputs.elasticsearch', ES_KEYS);
        }
        break;
      }
      case 'metrics':
        section(node, key, { listen: { option: 'metricsListen', kind: 'string', doc: 'HOST:PORT' } });
        break;
      case 'log':
        section(node, key, { format: { option: 'logFormat', kind: 'choice', choices: ['text', 'json'], doc: 'text or json' } });
        break;
      case 'tail':
        section(node, key, TAIL_KEYS);
        break;
      case 'scan':
        section(node, key, SCAN_KEYS);
        break;
      case 'kafka': {
        if (!isMap(node)) fail(node, key, 'expected a mapping with brokers, topics, group (and hits_topic, tls, sasl, …)');
        for (const e of entries(node as YAMLMap, key, [...Object.keys(KAFKA_KEYS), 'topics', 'tls', 'sasl'])) {
          const k = `kafka.${e.key}`;
          if (e.key === 'tls') section(e.node, k, KAFKA_TLS_KEYS);
          else if (e.key === 'sasl') section(e.node, k, KAFKA_SASL_KEYS);
          else if (e.key === 'topics') {
            // A topic is a name, or a mapping with name and format.
            const topics: string[] = [];
            const formats: string[] = [];
            const items = isSeq(e.node) ? e.node.items : [e.node];
            if (items.length === 0) fail(e.node, k, 'expected a topic name or a non-empty list of topics');
            items.forEach((item, i) => {
              const where = `${k}[${i}]`;
              if (isMap(item)) {
                let name: string | undefined;
                for (const t of entries(item, where, ['name', 'format'])) {
                  if (t.key === 'name') name = str(t.node, `${where}.name`);
                  else formats.push(`=${str(t.node, `${where}.format`)}`);
                }
                if (!name) return fail(item, `${where}.name`, 'missing: a topic mapping needs name');
                topics.push(name);
                if (formats.length > 0 && formats[formats.length - 1]?.startsWith('=')) formats[formats.length - 1] = `${name}${formats[formats.length - 1]}`;
              } else topics.push(str(item as Node, where));
            });
            options.kafkaTopic = topics;
            if (formats.length > 0) options.kafkaTopicFormat = formats;
          } else setKey(KAFKA_KEYS[e.key] as KeySpec, e.node, k);
        }
        break;
      }
    }
  }
  if (options.esDeadLetter !== undefined && options.es === undefined) fail(root, 'outputs.elasticsearch.dead_letter', 'needs outputs.elasticsearch.hosts');
  return { path, inputs, options, ...(liveSources ? { sources: liveSources } : {}) };
}
