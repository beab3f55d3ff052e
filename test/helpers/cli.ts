/**
 * Runs the built CLI (dist/cli.js) as a user would, in a child process.
 */
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { tmpDir } from './tmp.js';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));

let cacheDir: string | undefined;
/** Runs of the CLI in tests cache compiled indicators here, not in $HOME (made on first use, removed with the test file's temp dirs). */
function testCache(): string {
  cacheDir ??= tmpDir('iochunt-cache-').dir;
  return cacheDir;
}
export const CLI = `${ROOT}dist/cli.js`;

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
  /** stdout parsed as JSON Lines. */
  docs: Array<Record<string, any>>;
}

export function parseJsonl(stdout: string): Array<Record<string, any>> {
  return stdout
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as Record<string, any>);
}

/** Runs `iochunt ARGS` with optional stdin; resolves when it exits. */
export function runCli(args: string[], options: { stdin?: string | Buffer; env?: NodeJS.ProcessEnv; cwd?: string } = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], {
      cwd: options.cwd ?? ROOT,
      env: { ...process.env, IOCHUNT_CACHE_DIR: testCache(), ...options.env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.on('data', (d: Buffer) => err.push(d));
    child.on('error', reject);
    child.on('close', (code) => {
      const stdout = Buffer.concat(out).toString('utf8');
      resolve({
        code,
        stdout,
        stderr: Buffer.concat(err).toString('utf8'),
        get docs() {
          return parseJsonl(stdout);
        },
      });
    });
    child.stdin.on('error', () => undefined);
    if (options.stdin !== undefined) child.stdin.end(options.stdin);
    else child.stdin.end();
  });
}

/** A run of the CLI in the background, for tests that feed it, signal it or watch it while it runs. */
export interface BackgroundCli {
  readonly child: ChildProcessWithoutNullStreams;
  /** Resolves to the exit code. */
  readonly exited: Promise<number | null>;
  stdout(): string;
  stderr(): string;
}

/** Starts `iochunt ARGS` with stdin, stdout and stderr as pipes; stdin stays open until the test ends it. */
export function startCli(args: string[], options: { env?: NodeJS.ProcessEnv } = {}): BackgroundCli {
  const child = spawn(process.execPath, [CLI, ...args], {
    cwd: ROOT,
    env: { ...process.env, IOCHUNT_CACHE_DIR: testCache(), ...options.env },
    stdio: 'pipe',
  });
  running.add(child);
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  // A child that exits without reading all of its stdin: no EPIPE in the test.
  child.stdin.on('error', () => undefined);
  const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
  void exited.then(() => running.delete(child));
  return { child, exited, stdout: () => out, stderr: () => err };
}

const running = new Set<ChildProcessWithoutNullStreams>();
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

/** Kills the background CLI runs a test left running (a failed or timed-out test) and waits until they are gone. */
export async function stopBackgroundClis(): Promise<void> {
  await Promise.all(
    [...running].map(
      (child) =>
        new Promise<void>((resolve) => {
          child.once('close', () => resolve());
          if (child.exitCode !== null || child.signalCode !== null || !child.kill('SIGKILL')) resolve();
        }),
    ),
  );
  running.clear();
}

/** Runs a shell pipeline (bash) from the repository root. */
export function runShell(script: string): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync('bash', ['-c', script], { cwd: ROOT, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}
