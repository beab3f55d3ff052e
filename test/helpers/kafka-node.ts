/**
 * A real Apache Kafka broker for the integration tests and benchmarks: Kafka
 * 4.x in KRaft mode (one process is broker and controller, no ZooKeeper),
 * resolved from Maven Central by Maven (`org.apache.kafka:kafka_2.13` with
 * its runtime dependencies and the log4j2 binding Kafka 4 logs through) into
 * a lib folder of a cache outside the repository, formatted with a random
 * cluster id, and started on 127.0.0.1 on free ports with a small heap.
 *
 * The broker of `npm run kafka:start` is described by a state file
 * ({@link SHARED_STATE}); the tests use it when it runs and start their own
 * otherwise (see kafka-test.ts).
 */
import { alive, stopProcess } from './procs.js';
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, openSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync, closeSync } from 'node:fs';
import { connect } from 'node:net';
import { homedir, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { freePort, javaHome } from './es-node.js';

/** The Kafka version the tests run against (4.x brokers run on Java 17). */
export const KAFKA_VERSION = process.env.IOCHUNT_TEST_KAFKA_VERSION ?? '4.1.0';
const LOG4J_VERSION = '2.24.3';
const SLF4J_VERSION = '2.0.17';

/** Where the resolved jars live (outside the repository and TMPDIR: a cache kept between runs). */
export const KAFKA_CACHE = process.env.IOCHUNT_TEST_KAFKA_CACHE ?? join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'iochunt-test', 'kafka');
/** Where broker directories live. */
export const KAFKA_ROOT = process.env.IOCHUNT_TEST_KAFKA_DIR ?? join(tmpdir(), 'iochunt-kafka');
/** The state file of the broker started by `npm run kafka:start`. */
export const SHARED_STATE = join(KAFKA_ROOT, 'shared.json');

/** A started broker, as written to the state file. */
export interface KafkaNode {
  readonly name: string;
  /** `127.0.0.1:PORT`: the bootstrap address. */
  readonly bootstrap: string;
  readonly port: number;
  readonly controllerPort: number;
  /**
   * A SASL_PLAINTEXT listener (`127.0.0.1:saslPort`) with the user
   * {@link SASL_USER} for PLAIN, SCRAM-SHA-256 and SCRAM-SHA-512, password
   * `saslPassword`; absent on brokers started before it existed.
   */
  readonly saslPort?: number;
  readonly saslPassword?: string;
  /**
   * A TLS listener (`127.0.0.1:tlsPort`) with a self-signed certificate for
   * 127.0.0.1 (PEM at `tlsCa`); absent when openssl is missing or on brokers
   * started before it existed.
   */
  readonly tlsPort?: number;
  readonly tlsCa?: string;
  /** The broker's directory (config, data, log). */
  readonly dir: string;
  readonly pid: number;
}

/** True when Java 17+ and Maven (or an already resolved lib folder) are there. */
export function canRunKafka(): boolean {
  try {
    javaHome();
  } catch {
    return false;
  }
  if (existsSync(join(libDir(), `kafka_2.13-${KAFKA_VERSION}.jar`))) return true;
  return spawnSync('mvn', ['-v'], { encoding: 'utf8' }).status === 0;
}

function libDir(): string {
  return join(KAFKA_CACHE, KAFKA_VERSION, 'lib');
}

/** Resolves the broker's jars with Maven into the cache (once); returns the lib folder. */
export function ensureKafkaLib(): string {
  const lib = libDir();
  if (existsSync(join(lib, `kafka_2.13-${KAFKA_VERSION}.jar`))) return lib;
  const base = dirname(lib);
  mkdirSync(base, { recursive: true });
  const dep = (g: string, a: string, v: string): string => `<dependency><groupId>${g}</groupId><artifactId>${a}</artifactId><version>${v}</version></dependency>`;
  writeFileSync(
    join(base, 'pom.xml'),
    `<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>iochunt.test</groupId><artifactId>kafka-broker</artifactId><version>${KAFKA_VERSION}</version>
  <dependencies>
    ${dep('org.apache.kafka', 'kafka_2.13', KAFKA_VERSION)}
    ${dep('org.slf4j', 'slf4j-api', SLF4J_VERSION)}
    ${dep('org.apache.logging.log4j', 'log4j-slf4j2-impl', LOG4J_VERSION)}
    ${dep('org.apache.logging.log4j', 'log4j-core', LOG4J_VERSION)}
  </dependencies>
</project>
`,
  );
  const staging = join(base, `.lib-${process.pid}`);
  rmSync(staging, { recursive: true, force: true });
  const r = spawnSync('mvn', ['-q', '-B', '-f', join(base, 'pom.xml'), 'dependency:copy-dependencies', `-DoutputDirectory=${staging}`, '-DincludeScope=runtime'], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (r.status !== 0) throw new Error(`mvn could not resolve Kafka ${KAFKA_VERSION}:\n${r.stdout}\n${r.stderr}`);
  // Two log bindings would make SLF4J pick one at random: only log4j2's stays.
  for (const f of readdirSync(staging)) if (/^slf4j-api-1\./.test(f) || /^slf4j-reload4j|^slf4j-log4j12/.test(f)) rmSync(join(staging, f));
  try {
    renameSync(staging, lib);
  } catch {
    rmSync(staging, { recursive: true, force: true }); // a concurrent resolve won the race
  }
  return lib;
}

function java(): string {
  return join(javaHome(), 'bin', 'java');
}

/** Waits until the broker answers a metadata request on its port (a plain TCP accept is not enough). */
async function waitForPort(port: number, timeoutMs: number, pid: number, logFile: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!alive(pid)) throw new Error(`the Kafka broker exited during start-up:\n${tailOf(logFile)}`);
    const ok = await new Promise<boolean>((resolve) => {
      const s = connect(port, '127.0.0.1', () => {
        s.destroy();
        resolve(true);
      });
      s.on('error', () => resolve(false));
    });
    if (ok) {
      // The listener is up; the broker registers with its controller right after.
      const { Admin } = await import('@platformatic/kafka');
      const admin = new Admin({ clientId: 'iochunt-test-probe', bootstrapBrokers: [`127.0.0.1:${port}`], retries: 0, timeout: 2000 });
      try {
        await admin.listTopics();
        return;
      } catch {
        // not yet
      } finally {
        await admin.close().catch(() => undefined);
      }
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`the Kafka broker did not answer on 127.0.0.1:${port} within ${timeoutMs} ms:\n${tailOf(logFile)}`);
}

function tailOf(file: string): string {
  try {
    return readFileSync(file, 'utf8').slice(-4000);
  } catch {
    return '(no log)';
  }
}

/** The SASL user of the test broker. */
export const SASL_USER = 'iochunt';

export interface KafkaStartOptions {
  /** Directory name under {@link KAFKA_ROOT}/nodes; an existing one is reused (data kept: a restart). */
  readonly name: string;
  /** Ports of an earlier start (a restart keeps its address). */
  readonly port?: number;
  readonly controllerPort?: number;
  readonly saslPort?: number;
  readonly saslPassword?: string;
  readonly tlsPort?: number;
  /** Extra `server.properties` settings. */
  readonly settings?: Readonly<Record<string, string | number | boolean>>;
  readonly heap?: string;
  readonly timeoutMs?: number;
}

/** Formats (first start only) and starts a broker; resolves once it answers. */
export async function startKafka(options: KafkaStartOptions): Promise<KafkaNode> {
  const lib = ensureKafkaLib();
  const dir = join(KAFKA_ROOT, 'nodes', options.name);
  const port = options.port ?? (await freePort());
  const controllerPort = options.controllerPort ?? (await freePort());
  const saslPort = options.saslPort ?? (await freePort());
  const saslPassword = options.saslPassword ?? randomBytes(12).toString('hex');
  mkdirSync(join(dir, 'data'), { recursive: true });
  // A self-signed certificate for the TLS listener (made once per broker directory).
  const tlsCa = join(dir, 'tls-cert.pem');
  const tlsKeystore = join(dir, 'tls-keystore.pem');
  if (!existsSync(tlsKeystore)) {
    const key = join(dir, 'tls-key.pem');
    const r = spawnSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', tlsCa, '-days', '30', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'], { encoding: 'utf8' });
    if (r.status === 0) writeFileSync(tlsKeystore, readFileSync(key, 'utf8') + readFileSync(tlsCa, 'utf8'), { mode: 0o600 });
  }
  const tls = existsSync(tlsKeystore);
  const tlsPort = tls ? (options.tlsPort ?? (await freePort())) : undefined;
  const settings: Record<string, string | number | boolean> = {
    'process.roles': 'broker,controller',
    'node.id': 1,
    'controller.quorum.voters': `1@127.0.0.1:${controllerPort}`,
    listeners: `PLAINTEXT://127.0.0.1:${port},CONTROLLER://127.0.0.1:${controllerPort},SASL_PLAINTEXT://127.0.0.1:${saslPort}` + (tls ? `,SSL://127.0.0.1:${tlsPort}` : ''),
    'advertised.listeners': `PLAINTEXT://127.0.0.1:${port},SASL_PLAINTEXT://127.0.0.1:${saslPort}` + (tls ? `,SSL://127.0.0.1:${tlsPort}` : ''),
    'controller.listener.names': 'CONTROLLER',
    'listener.security.protocol.map': 'PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT,SASL_PLAINTEXT:SASL_PLAINTEXT,SSL:SSL',
    ...(tls ? { 'listener.name.ssl.ssl.keystore.type': 'PEM', 'listener.name.ssl.ssl.keystore.location': tlsKeystore } : {}),
    // PLAIN users from the JAAS line; SCRAM credentials written into the store at format time.
    'sasl.enabled.mechanisms': 'PLAIN,SCRAM-SHA-256,SCRAM-SHA-512',
    'listener.name.sasl_plaintext.plain.sasl.jaas.config': `org.apache.kafka.common.security.plain.PlainLoginModule required user_${SASL_USER}="${saslPassword}";`,
    'listener.name.sasl_plaintext.scram-sha-256.sasl.jaas.config': 'org.apache.kafka.common.security.scram.ScramLoginModule required;',
    'listener.name.sasl_plaintext.scram-sha-512.sasl.jaas.config': 'org.apache.kafka.common.security.scram.ScramLoginModule required;',
    'inter.broker.listener.name': 'PLAINTEXT',
    'log.dirs': join(dir, 'data'),
    'num.partitions': 1,
    'offsets.topic.replication.factor': 1,
    'offsets.topic.num.partitions': 3,
    'transaction.state.log.replication.factor': 1,
    'transaction.state.log.min.isr': 1,
    'group.initial.rebalance.delay.ms': 0,
    // Records of a few MB (the poisoned-record tests) are accepted.
    'message.max.bytes': 16 * 1024 * 1024,
    'auto.create.topics.enable': false,
    ...options.settings,
  };
  const props = join(dir, 'server.properties');
  writeFileSync(props, Object.entries(settings).map(([k, v]) => `${k}=${String(v)}`).join('\n') + '\n');
  writeFileSync(
    join(dir, 'log4j2.properties'),
    'rootLogger.level=WARN\nrootLogger.appenderRef.f.ref=F\nappender.f.type=File\nappender.f.name=F\nappender.f.fileName=' +
      join(dir, 'server.log') +
      '\nappender.f.layout.type=PatternLayout\nappender.f.layout.pattern=[%d] %p %m (%c)%n\nlogger.kafka.name=kafka.server.KafkaServer\nlogger.kafka.level=INFO\n',
  );
  const cp = `${lib}/*`;
  if (!existsSync(join(dir, 'data', 'meta.properties'))) {
    const id = randomBytes(16).toString('base64url').slice(0, 22);
    const scram = ['SCRAM-SHA-256', 'SCRAM-SHA-512'].flatMap((m) => ['--add-scram', `${m}=[name=${SASL_USER},password=${saslPassword}]`]);
    const f = spawnSync(java(), ['-Xmx256m', '-cp', cp, `-Dlog4j2.configurationFile=${join(dir, 'log4j2.properties')}`, 'kafka.tools.StorageTool', 'format', '-t', id, '-c', props, ...scram], { encoding: 'utf8' });
    if (f.status !== 0) throw new Error(`kafka-storage format failed:\n${f.stdout}\n${f.stderr}`);
  }
  const logFile = join(dir, 'stdout.log');
  const out = openSync(logFile, 'a');
  const child = spawn(
    java(),
    [`-Xmx${options.heap ?? '512m'}`, `-Xms${options.heap ?? '512m'}`, '-XX:+UseG1GC', '-Djava.awt.headless=true', `-Dlog4j2.configurationFile=${join(dir, 'log4j2.properties')}`, '-cp', cp, 'kafka.Kafka', props],
    { detached: true, stdio: ['ignore', out, out] },
  );
  closeSync(out);
  child.unref();
  const node: KafkaNode = { name: options.name, bootstrap: `127.0.0.1:${port}`, port, controllerPort, saslPort, saslPassword, ...(tls ? { tlsPort, tlsCa } : {}), dir, pid: child.pid as number };
  try {
    await waitForPort(port, options.timeoutMs ?? 90_000, node.pid, logFile);
  } catch (err) {
    await stopKafka(node, 'SIGKILL');
    throw err;
  }
  return node;
}

/** Stops a broker (SIGTERM: a clean shutdown; SIGKILL: a crash) and waits until its process is gone. */
export async function stopKafka(node: Pick<KafkaNode, 'pid'>, signal: 'SIGTERM' | 'SIGKILL' = 'SIGTERM', timeoutMs = 30_000): Promise<void> {
  await stopProcess(node.pid, 'Kafka', signal, timeoutMs, 300);
}

/** Removes a stopped broker's directory (and the root when nothing else is left in it). */
export function removeKafka(node: Pick<KafkaNode, 'dir'>): void {
  rmSync(node.dir, { recursive: true, force: true });
  for (const d of [join(KAFKA_ROOT, 'nodes'), KAFKA_ROOT]) {
    try {
      if (readdirSync(d).length === 0) rmSync(d, { recursive: true, force: true });
    } catch {
      // already gone
    }
  }
}

/** The broker of `npm run kafka:start`, when its state file names a live process. */
export function readSharedKafka(): KafkaNode | undefined {
  if (!existsSync(SHARED_STATE)) return undefined;
  try {
    const node = JSON.parse(readFileSync(SHARED_STATE, 'utf8')) as KafkaNode;
    return alive(node.pid) ? node : undefined;
  } catch {
    return undefined;
  }
}

/** Writes the state file of the shared broker. */
export function writeSharedKafka(node: KafkaNode): void {
  mkdirSync(dirname(SHARED_STATE), { recursive: true });
  writeFileSync(SHARED_STATE, JSON.stringify(node, null, 2) + '\n', { mode: 0o600 });
}
