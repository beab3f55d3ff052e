/**
 * A real Elasticsearch node for the integration tests: the integration-test
 * distribution (`org.elasticsearch.distribution.integ-test-zip:elasticsearch`)
 * fetched from Maven Central with Maven, unpacked once into a cache, started
 * as a single node on 127.0.0.1 with a small heap, and stopped afterwards.
 *
 * The distribution ships no JDK; the node runs on the machine's Java 17
 * (`ES_JAVA_HOME`, else `JAVA_HOME`, else `java` on the PATH). Elasticsearch
 * refuses to run as root, so when the tests run as root the node runs as the
 * `nobody` user, and its directories live under the system temp directory
 * where that user can reach them.
 */
import { alive, stopProcess } from './procs.js';
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chownSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { homedir, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

/** The Elasticsearch version the tests run against (8.x runs on Java 17). */
export const ES_VERSION = process.env.IOCHUNT_TEST_ES_VERSION ?? '8.19.21';
const ARTIFACT = `org.elasticsearch.distribution.integ-test-zip:elasticsearch:${ES_VERSION}:zip`;

/** Where distributions and node directories live (readable by `nobody`). */
export const ES_ROOT = process.env.IOCHUNT_TEST_ES_DIR ?? join(tmpdir(), 'iochunt-es');
/** The state file of the node started by `npm run es:start`. */
export const SHARED_STATE = join(ES_ROOT, 'shared.json');

/** A started node, as written to the state file. */
export interface EsNode {
  readonly name: string;
  readonly url: string;
  readonly port: number;
  /** The node's directory (config, data, logs). */
  readonly dir: string;
  readonly pid: number;
  /** Basic-auth user with the superuser role, when security is on. */
  readonly username?: string;
  readonly password?: string;
}

export interface StartOptions {
  /** Directory name under {@link ES_ROOT}/nodes; an existing one is reused (data kept). */
  readonly name: string;
  /** HTTP port; a free one is picked when absent. */
  readonly port?: number;
  /** Extra `elasticsearch.yml` settings. */
  readonly settings?: Readonly<Record<string, string | number | boolean>>;
  /** Turn security on with a superuser of this name (a random password is made). */
  readonly securityUser?: string;
  /** Reuse the password of an earlier start of the same node. */
  readonly password?: string;
  readonly heap?: string;
  /** How long to wait for the node to answer, in ms (default 180 s). */
  readonly timeoutMs?: number;
}

const isRoot = (): boolean => typeof process.getuid === 'function' && process.getuid() === 0;

function run(cmd: string, args: string[], env?: NodeJS.ProcessEnv): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8', env: env ?? process.env, maxBuffer: 64 * 1024 * 1024 });
  if (r.error) throw new Error(`${cmd}: ${r.error.message}`);
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited with ${r.status}:\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

/** The Java home for the node. */
export function javaHome(): string {
  const fromEnv = process.env.ES_JAVA_HOME ?? process.env.JAVA_HOME;
  if (fromEnv && existsSync(join(fromEnv, 'bin', 'java'))) return fromEnv;
  const r = spawnSync('java', ['-XshowSettings:properties', '-version'], { encoding: 'utf8' });
  const m = /java\.home = (.+)/.exec(r.stderr ?? '');
  if (!m?.[1]) throw new Error('no Java found: install Java 17 (openjdk-17-jdk-headless) or set ES_JAVA_HOME');
  return m[1].trim();
}

/** True when Java and Maven are there to fetch and run a node. */
export function canRunElasticsearch(): boolean {
  try {
    javaHome();
  } catch {
    return false;
  }
  const unpacked = join(ES_ROOT, 'dist', `elasticsearch-${ES_VERSION}`);
  if (existsSync(join(unpacked, 'bin', 'elasticsearch'))) return true;
  return spawnSync('mvn', ['-v'], { encoding: 'utf8' }).status === 0;
}

/** Fetches (Maven, cached in the local repository) and unpacks the distribution; returns its home. */
export function ensureDistribution(): string {
  const distDir = join(ES_ROOT, 'dist');
  const home = join(distDir, `elasticsearch-${ES_VERSION}`);
  if (existsSync(join(home, 'bin', 'elasticsearch'))) return home;
  mkdirSync(distDir, { recursive: true });
  const zip = join(distDir, `elasticsearch-${ES_VERSION}.zip`);
  if (!existsSync(zip)) {
    run('mvn', ['-q', '-B', 'dependency:copy', `-Dartifact=${ARTIFACT}`, `-DoutputDirectory=${distDir}`]);
  }
  const staging = join(distDir, `.unpack-${process.pid}`);
  rmSync(staging, { recursive: true, force: true });
  run('unzip', ['-q', zip, '-d', staging]);
  // rename is atomic: a concurrent unpack loses the race harmlessly.
  try {
    spawnSync('mv', ['-T', join(staging, `elasticsearch-${ES_VERSION}`), home]);
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
  if (!existsSync(join(home, 'bin', 'elasticsearch'))) throw new Error(`unpacking ${zip} gave no bin/elasticsearch`);
  return home;
}

/** A TCP port that was free a moment ago. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

function chownTree(path: string): void {
  if (!isRoot()) return;
  // nobody:nogroup on Debian.
  chownSync(path, 65534, 65534);
  for (const entry of readdirSync(path, { withFileTypes: true })) {
    const p = join(path, entry.name);
    if (entry.isDirectory()) chownTree(p);
    else chownSync(p, 65534, 65534);
  }
}

function nodeEnv(home: string, dir: string, heap: string): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: dir,
    ES_JAVA_HOME: javaHome(),
    ES_PATH_CONF: join(dir, 'config'),
    ES_TMPDIR: join(dir, 'tmp'),
    ES_JAVA_OPTS: `-Xms${heap} -Xmx${heap}`,
    ES_HOME: home,
  };
}

/** Answers when the node's HTTP port serves cluster health (any status but red). */
export async function waitForNode(url: string, auth: string | undefined, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    try {
      const res = await fetch(`${url}/_cluster/health?wait_for_status=yellow&timeout=5s`, {
        headers: auth ? { authorization: auth } : {},
        signal: AbortSignal.timeout(10_000),
      });
      if (res.ok) return;
      last = `HTTP ${res.status}`;
    } catch (err) {
      last = (err as Error).message;
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`Elasticsearch at ${url} did not answer within ${timeoutMs} ms (${last})`);
}

/** `Basic …` authorization for a node with security on. */
export function basicAuth(node: Pick<EsNode, 'username' | 'password'>): string | undefined {
  if (!node.username || !node.password) return undefined;
  return `Basic ${Buffer.from(`${node.username}:${node.password}`).toString('base64')}`;
}

/**
 * Starts a single node and waits until it answers. An existing node directory
 * (same `name`) keeps its data: that is how a test restarts a killed node.
 */
export async function startNode(options: StartOptions): Promise<EsNode> {
  const home = ensureDistribution();
  const dir = join(ES_ROOT, 'nodes', options.name);
  const heap = options.heap ?? '512m';
  const port = options.port ?? (await freePort());
  for (const sub of ['config', 'data', 'logs', 'tmp']) mkdirSync(join(dir, sub), { recursive: true });
  const configDir = join(dir, 'config');
  for (const f of readdirSync(join(home, 'config'))) {
    if (f === 'elasticsearch.yml' || f === 'users' || f === 'users_roles') continue;
    const src = join(home, 'config', f);
    if (f === 'jvm.options.d') continue;
    writeFileSync(join(configDir, f), readFileSync(src));
  }
  mkdirSync(join(configDir, 'jvm.options.d'), { recursive: true });
  const security = options.securityUser !== undefined;
  const settings: Record<string, string | number | boolean> = {
    'cluster.name': `iochunt-${options.name}`,
    'node.name': options.name,
    'discovery.type': 'single-node',
    'network.host': '127.0.0.1',
    'http.port': port,
    'path.data': join(dir, 'data'),
    'path.logs': join(dir, 'logs'),
    'node.portsfile': true,
    'xpack.security.enabled': security,
    'cluster.routing.allocation.disk.threshold_enabled': false,
    'action.destructive_requires_name': false,
    ...options.settings,
  };
  if (security) {
    settings['xpack.security.http.ssl.enabled'] = false;
    settings['xpack.security.transport.ssl.enabled'] = false;
  }
  writeFileSync(
    join(configDir, 'elasticsearch.yml'),
    Object.entries(settings)
      .map(([k, v]) => `${k}: ${typeof v === 'string' ? JSON.stringify(v) : String(v)}`)
      .join('\n') + '\n',
  );
  const env = nodeEnv(home, dir, heap);
  let password: string | undefined;
  if (security) {
    password = options.password ?? randomBytes(12).toString('hex');
    writeFileSync(join(configDir, 'users'), '');
    writeFileSync(join(configDir, 'users_roles'), '');
    chownTree(dir);
    const users = spawnSync(join(home, 'bin', 'elasticsearch-users'), ['useradd', options.securityUser as string, '-p', password, '-r', 'superuser'], {
      env,
      cwd: dir,
      encoding: 'utf8',
      ...(isRoot() ? { uid: 65534, gid: 65534 } : {}),
    });
    if (users.status !== 0) throw new Error(`elasticsearch-users useradd failed: ${users.stdout}${users.stderr}`);
  }
  chownTree(dir);
  const pidFile = join(dir, 'pid');
  rmSync(pidFile, { force: true });
  rmSync(join(dir, 'logs', 'http.ports'), { force: true });
  const launcher = spawn(join(home, 'bin', 'elasticsearch'), ['-d', '-p', pidFile], {
    env,
    cwd: dir,
    stdio: ['ignore', 'pipe', 'pipe'],
    ...(isRoot() ? { uid: 65534, gid: 65534 } : {}),
  });
  let output = '';
  launcher.stdout.on('data', (d: Buffer) => (output = (output + d.toString()).slice(-8000)));
  launcher.stderr.on('data', (d: Buffer) => (output = (output + d.toString()).slice(-8000)));
  const code = await new Promise<number | null>((resolve) => launcher.on('close', resolve));
  if (code !== 0) throw new Error(`Elasticsearch ${options.name} did not start (exit ${code}):\n${output}`);
  const url = `http://127.0.0.1:${port}`;
  const node: EsNode = {
    name: options.name,
    url,
    port,
    dir,
    pid: Number(readFileSync(pidFile, 'utf8').trim()),
    ...(security ? { username: options.securityUser as string, password: password as string } : {}),
  };
  await waitForNode(url, basicAuth(node), options.timeoutMs ?? 180_000);
  return node;
}

/** Stops a node (SIGTERM, or SIGKILL to simulate a crash) and waits until its process is gone. */
export async function stopNode(node: Pick<EsNode, 'pid'>, signal: 'SIGTERM' | 'SIGKILL' = 'SIGTERM', timeoutMs = 60_000): Promise<void> {
  await stopProcess(node.pid, 'Elasticsearch', signal, timeoutMs, 500);
}

/** Removes a stopped node's directory. */
export function removeNode(node: Pick<EsNode, 'dir'>): void {
  rmSync(node.dir, { recursive: true, force: true });
}

/** The node of `npm run es:start`, when its state file names a live process. */
export function readSharedNode(): EsNode | undefined {
  if (!existsSync(SHARED_STATE)) return undefined;
  try {
    const node = JSON.parse(readFileSync(SHARED_STATE, 'utf8')) as EsNode;
    return alive(node.pid) ? node : undefined;
  } catch {
    return undefined;
  }
}

/** Writes the state file of the shared node (mode 600: it holds the test password). */
export function writeSharedNode(node: EsNode): void {
  mkdirSync(dirname(SHARED_STATE), { recursive: true });
  writeFileSync(SHARED_STATE, JSON.stringify(node, null, 2) + '\n', { mode: 0o600 });
}

/** The user's Maven repository, for messages. */
export const M2_REPOSITORY = join(homedir(), '.m2', 'repository');
