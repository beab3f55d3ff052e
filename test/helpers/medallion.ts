/**
 * OASIS's TAXII 2.1 reference server, medallion (PyPI), for the TAXII
 * tests: installed once into a virtualenv under ~/.cache/iochunt-test
 * (outside the repository; `.ci/run` does the same), started on a loopback
 * port with the memory back end and a data file the test writes, stopped
 * afterwards. Without python3 the tests are skipped, unless
 * IOCHUNT_REQUIRE_TAXII=1, which makes that an error.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { homedir } from 'node:os';
import { join } from 'node:path';

export const MEDALLION_VERSION = '3.0.0';
export const MEDALLION_VENV = process.env.IOCHUNT_TEST_MEDALLION_VENV ?? join(homedir(), '.cache', 'iochunt-test', 'medallion-venv');
const BIN = join(MEDALLION_VENV, 'bin', 'medallion');

/** Installs medallion when missing; returns a reason when it cannot (no python3, no venv, no network). */
export function ensureMedallion(): string | undefined {
  if (existsSync(BIN)) return undefined;
  if (spawnSync('python3', ['--version']).status !== 0) return 'python3 is missing';
  mkdirSync(join(MEDALLION_VENV, '..'), { recursive: true });
  const venv = spawnSync('python3', ['-m', 'venv', MEDALLION_VENV], { encoding: 'utf8' });
  if (venv.status !== 0) return `python3 -m venv failed (install python3-venv): ${venv.stderr.trim()}`;
  const pip = spawnSync(join(MEDALLION_VENV, 'bin', 'pip'), ['install', '--quiet', `medallion==${MEDALLION_VERSION}`], { encoding: 'utf8' });
  if (pip.status !== 0 || !existsSync(BIN)) return `pip install medallion failed: ${pip.stderr.trim().slice(-400)}`;
  return undefined;
}

/** Whether the TAXII tests can run; throws when they must (IOCHUNT_REQUIRE_TAXII=1) and cannot. */
export function medallionAvailable(): boolean {
  const why = ensureMedallion();
  if (why === undefined) return true;
  if (process.env.IOCHUNT_REQUIRE_TAXII === '1') throw new Error(`IOCHUNT_REQUIRE_TAXII=1 but medallion cannot be installed: ${why}`);
  process.stderr.write(`medallion: TAXII tests skipped: ${why}\n`);
  return false;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      s.close(() => (a && typeof a === 'object' ? resolve(a.port) : reject(new Error('no port'))));
    });
  });
}

export interface Medallion {
  readonly url: string;
  readonly port: number;
  /** What medallion wrote to stderr (its request log) so far. */
  log(): string;
  stop(): Promise<void>;
}

/** Starts medallion on `port` with `data` (the memory back end's JSON) and `users`. */
export async function startMedallion(dir: string, port: number, data: unknown, users: Record<string, string>): Promise<Medallion> {
  const dataFile = join(dir, 'medallion-data.json');
  const configFile = join(dir, 'medallion-config.json');
  writeFileSync(dataFile, JSON.stringify(data));
  writeFileSync(
    configFile,
    JSON.stringify({
      backend: { module: 'medallion.backends.memory_backend', module_class: 'MemoryBackend', filename: dataFile },
      users,
      taxii: { max_page_size: 100 },
    }),
  );
  const child: ChildProcess = spawn(BIN, ['--host', '127.0.0.1', '--port', String(port), '--log-level', 'INFO', configFile], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, PYTHONUNBUFFERED: '1' },
  });
  let log = '';
  child.stdout?.on('data', (d: Buffer) => (log += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (log += d.toString()));
  const url = `http://127.0.0.1:${port}`;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`medallion exited: ${log}`);
    try {
      const res = await fetch(`${url}/taxii2/`, { headers: { accept: 'application/taxii+json;version=2.1' } });
      if (res.status === 401 || res.status === 200) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`medallion did not start: ${log}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return {
    url,
    port,
    log: () => log,
    async stop() {
      if (child.exitCode === null) {
        child.kill('SIGTERM');
        await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
        if (child.exitCode === null) child.kill('SIGKILL');
      }
    },
  };
}
