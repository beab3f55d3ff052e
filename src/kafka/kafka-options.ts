/**
 * The Kafka options of `tail` (`--kafka-*` and the `kafka:` section of
 * `--config`): validated here, before any connection, with messages naming
 * the option. Credentials (SASL user and password) never come from the
 * command line: they are read from the environment (`IOCHUNT_KAFKA_USERNAME`,
 * `IOCHUNT_KAFKA_PASSWORD`) or a `KEY=VALUE` file (`--kafka-auth-file`), as
 * the Elasticsearch credentials are, and removed from every message.
 */
import { readFileSync } from 'node:fs';
import { UsageError } from '../errors.js';

/** SASL mechanisms iochunt offers (those the client implements that need only a user and password). */
export const SASL_MECHANISMS = ['PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512'] as const;
export type SaslMechanism = (typeof SASL_MECHANISMS)[number];

/** Environment variables (and auth-file keys) of the SASL credentials. */
export const KAFKA_AUTH_VARIABLES = ['IOCHUNT_KAFKA_USERNAME', 'IOCHUNT_KAFKA_PASSWORD'] as const;

/** TLS towards the brokers. */
export interface KafkaTls {
  /** PEM CA certificate(s) to trust instead of the system's. */
  readonly ca?: string;
  /** PEM client certificate and key (mutual TLS). */
  readonly cert?: string;
  readonly key?: string;
  /** Do not verify the brokers' certificates (testing only). */
  readonly insecure?: boolean;
}

/** Validated Kafka options. */
export interface KafkaOptions {
  /** Bootstrap brokers, `HOST:PORT`. */
  readonly brokers: readonly string[];
  /** Topics read as log input. */
  readonly topics: readonly string[];
  /** Consumer group: partitions are shared among the members; offsets are stored in it. */
  readonly group: string;
  /** Where a partition without a committed offset in the group starts. */
  readonly from: 'earliest' | 'latest';
  /** Log format per topic (else detected on the topic's first records, or `--format`). */
  readonly formats: ReadonlyMap<string, string>;
  /** Topic hit documents are produced to (besides the other outputs). */
  readonly hitsTopic?: string;
  readonly clientId: string;
  readonly tls?: KafkaTls;
  readonly sasl?: { readonly mechanism: SaslMechanism; readonly username: string; readonly password: string };
  /** Session timeout of the group membership (ms). */
  readonly sessionTimeoutMs: number;
  /** Records batched into one block until it holds this many bytes … */
  readonly batchBytes: number;
  /** … or the first record in it waited this long (ms). */
  readonly lingerMs: number;
  /** Delivered offsets are committed at most this often (ms). */
  readonly commitIntervalMs: number;
  /** Secret values, to be removed from messages. */
  readonly secrets: readonly string[];
}

/** What the command line (or the configuration file) gives, before validation. */
export interface RawKafkaOptions {
  kafkaBrokers?: string | string[];
  kafkaTopic?: string | string[];
  kafkaGroup?: string;
  kafkaFrom?: string;
  kafkaTopicFormat?: string | string[];
  kafkaHitsTopic?: string;
  kafkaClientId?: string;
  kafkaTls?: boolean;
  kafkaCa?: string;
  kafkaCert?: string;
  kafkaKey?: string;
  kafkaInsecure?: boolean;
  kafkaSasl?: string;
  kafkaAuthFile?: string;
  kafkaSessionTimeout?: string;
  kafkaBatchBytes?: string;
  kafkaLinger?: string;
  kafkaCommitInterval?: string;
}

const list = (v: string | string[] | undefined): string[] => (v === undefined ? [] : (Array.isArray(v) ? v : [v]).flatMap((s) => s.split(',')).map((s) => s.trim()).filter((s) => s !== ''));

/** Kafka's rule for topic names. */
const TOPIC = /^[A-Za-z0-9._-]{1,249}$/;

function topicName(option: string, value: string): string {
  if (!TOPIC.test(value) || value === '.' || value === '..') {
    throw new UsageError(`Expected a Kafka topic name (letters, digits, . _ -, at most 249) for ${option} but received ${JSON.stringify(value)}`);
  }
  return value;
}

function broker(value: string): string {
  const m = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9._-]+):(\d{1,5})$/.exec(value);
  if (!m || Number(m[2]) < 1 || Number(m[2]) > 65535) throw new UsageError(`Expected HOST:PORT for --kafka-brokers but received ${JSON.stringify(value)}`);
  return value;
}

function readPem(option: string, path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    throw new UsageError(`${option} ${path}: cannot read it (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
  }
}

/** Reads `IOCHUNT_KAFKA_*` from `KEY=VALUE` lines; names the line and key of a problem, never a value. */
function parseKafkaAuthFile(path: string): Partial<Record<(typeof KAFKA_AUTH_VARIABLES)[number], string>> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new UsageError(`--kafka-auth-file ${path}: cannot read it (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  const out: Partial<Record<(typeof KAFKA_AUTH_VARIABLES)[number], string>> = {};
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const eq = line.indexOf('=');
    const key = (eq > 0 ? line.slice(0, eq) : '').replace(/^export\s+/, '').trim();
    if (!(KAFKA_AUTH_VARIABLES as readonly string[]).includes(key)) throw new UsageError(`${path}:${i + 1}: expected KEY=VALUE with KEY one of ${KAFKA_AUTH_VARIABLES.join(', ')}`);
    let value = line.slice(eq + 1).trim();
    if (value.length >= 2 && (value[0] === '"' || value[0] === "'") && value.endsWith(value[0])) value = value.slice(1, -1);
    if (value !== '') out[key as (typeof KAFKA_AUTH_VARIABLES)[number]] = value;
  });
  return out;
}

function duration(option: string, value: string | undefined, fallback: number, min: number, max: number, parse: (o: string, v: string, min: number, max: number) => number): number {
  return value === undefined ? fallback : parse(option, value, min, max);
}

/**
 * Validates the Kafka options; undefined when no Kafka input is asked for.
 * `parseDuration` and `parseByteSize` are the command line's parsers.
 */
export function validateKafkaOptions(
  raw: RawKafkaOptions,
  env: NodeJS.ProcessEnv,
  parsers: { duration: (o: string, v: string, min: number, max: number) => number; size: (o: string, v: string, min: number, max: number) => number },
): KafkaOptions | undefined {
  const brokers = list(raw.kafkaBrokers).map(broker);
  const topics = list(raw.kafkaTopic).map((t) => topicName('--kafka-topic', t));
  const any = brokers.length > 0 || topics.length > 0 || raw.kafkaGroup !== undefined || raw.kafkaHitsTopic !== undefined;
  if (!any) return undefined;
  if (brokers.length === 0) throw new UsageError('the Kafka input needs --kafka-brokers HOST:PORT[,HOST:PORT…]');
  if (topics.length === 0) throw new UsageError('the Kafka input needs at least one --kafka-topic TOPIC');
  if (raw.kafkaGroup === undefined || raw.kafkaGroup.trim() === '') throw new UsageError('the Kafka input needs --kafka-group NAME (the consumer group that shares the partitions and stores the offsets)');
  const from = raw.kafkaFrom ?? 'latest';
  if (from !== 'earliest' && from !== 'latest') throw new UsageError(`Expected earliest or latest for --kafka-from but received ${JSON.stringify(from)}`);
  const formats = new Map<string, string>();
  for (const tf of list(raw.kafkaTopicFormat)) {
    const eq = tf.indexOf('=');
    if (eq <= 0) throw new UsageError(`Expected TOPIC=FORMAT for --kafka-topic-format but received ${JSON.stringify(tf)}`);
    const t = topicName('--kafka-topic-format', tf.slice(0, eq));
    if (!topics.includes(t)) throw new UsageError(`--kafka-topic-format names ${t}, which is not one of --kafka-topic ${topics.join(', ')}`);
    formats.set(t, tf.slice(eq + 1));
  }
  const hitsTopic = raw.kafkaHitsTopic !== undefined ? topicName('--kafka-hits-topic', raw.kafkaHitsTopic) : undefined;
  if (hitsTopic !== undefined && topics.includes(hitsTopic)) throw new UsageError(`--kafka-hits-topic ${hitsTopic} is also an input topic: hits would be scanned again`);
  const secrets: string[] = [];
  let tls: KafkaTls | undefined;
  if (raw.kafkaTls || raw.kafkaCa || raw.kafkaCert || raw.kafkaKey || raw.kafkaInsecure) {
    if ((raw.kafkaCert === undefined) !== (raw.kafkaKey === undefined)) throw new UsageError('--kafka-cert and --kafka-key go together');
    tls = {
      ...(raw.kafkaCa ? { ca: readPem('--kafka-ca', raw.kafkaCa) } : {}),
      ...(raw.kafkaCert ? { cert: readPem('--kafka-cert', raw.kafkaCert) } : {}),
      ...(raw.kafkaKey ? { key: readPem('--kafka-key', raw.kafkaKey) } : {}),
      ...(raw.kafkaInsecure ? { insecure: true } : {}),
    };
    if (tls.key) secrets.push(tls.key);
  }
  let sasl: KafkaOptions['sasl'];
  const source: Partial<Record<(typeof KAFKA_AUTH_VARIABLES)[number], string>> = raw.kafkaAuthFile !== undefined ? parseKafkaAuthFile(raw.kafkaAuthFile) : {};
  if (raw.kafkaAuthFile === undefined) for (const k of KAFKA_AUTH_VARIABLES) if (env[k]) source[k] = env[k];
  const where = raw.kafkaAuthFile ?? 'the environment';
  if (raw.kafkaSasl !== undefined) {
    const mechanism = raw.kafkaSasl.toUpperCase();
    if (!(SASL_MECHANISMS as readonly string[]).includes(mechanism)) throw new UsageError(`Expected one of ${SASL_MECHANISMS.join(', ')} for --kafka-sasl but received ${JSON.stringify(raw.kafkaSasl)}`);
    const username = source.IOCHUNT_KAFKA_USERNAME;
    const password = source.IOCHUNT_KAFKA_PASSWORD;
    if (!username || !password) throw new UsageError(`--kafka-sasl ${mechanism} needs IOCHUNT_KAFKA_USERNAME and IOCHUNT_KAFKA_PASSWORD in ${where}`);
    sasl = { mechanism: mechanism as SaslMechanism, username, password };
    secrets.push(password);
  } else if (raw.kafkaAuthFile !== undefined) {
    throw new UsageError('--kafka-auth-file needs --kafka-sasl MECHANISM');
  }
  return {
    brokers,
    topics,
    group: raw.kafkaGroup.trim(),
    from,
    formats,
    ...(hitsTopic ? { hitsTopic } : {}),
    clientId: raw.kafkaClientId ?? 'iochunt',
    ...(tls ? { tls } : {}),
    ...(sasl ? { sasl } : {}),
    sessionTimeoutMs: duration('--kafka-session-timeout', raw.kafkaSessionTimeout, 30_000, 6000, 300_000, parsers.duration),
    batchBytes: raw.kafkaBatchBytes === undefined ? 1024 * 1024 : parsers.size('--kafka-batch-bytes', raw.kafkaBatchBytes, 1024, 256 * 1024 * 1024),
    lingerMs: duration('--kafka-linger', raw.kafkaLinger, 100, 0, 60_000, parsers.duration),
    commitIntervalMs: duration('--kafka-commit-interval', raw.kafkaCommitInterval, 1000, 0, 3_600_000, parsers.duration),
    secrets,
  };
}

/** Replaces each secret in `text` with `[redacted]`. */
export function redactKafka(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const s of [...secrets].sort((a, b) => b.length - a.length)) if (s.length >= 3) out = out.split(s).join('[redacted]');
  return out;
}
