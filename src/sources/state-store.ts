/**
 * Per-source state in the state folder: `NAME.state.json` (cursor, HTTP
 * validators, last success, counts, last error), replaced atomically, and
 * `NAME.lock`, which keeps two pulls of one source (a cron job and `tail`)
 * from running at once. A lock left by a process that no longer exists is
 * taken over.
 */
import { mkdir, open, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { describeError, SourceError } from '../errors.js';
import { writeFileAtomic } from '../fs/atomic-file.js';

/** What one source's state file holds. Times are ISO 8601 UTC. */
export interface SourceState {
  readonly version: 1;
  readonly name: string;
  readonly type: string;
  /** Hash of what decides the content (type, URL, options): when it changes, the next pull starts over. */
  readonly identity: string;
  /** Source-specific resume point (OTX modified_since and events since, MISP timestamp, TAXII added_after). */
  readonly cursor?: Readonly<Record<string, string | number>>;
  readonly etag?: string;
  readonly lastModified?: string;
  readonly feed?: string;
  readonly lastAttempt?: string;
  readonly lastSuccess?: string;
  /** Last time a pull changed the feed. */
  readonly lastChange?: string;
  /** Indicators in the feed after the last success. */
  readonly indicators?: number;
  /** Records (pulses, attributes, STIX objects, lines) in the feed after the last success. */
  readonly records?: number;
  /** Added and removed by the last successful pull that changed the feed. */
  readonly lastAdded?: number;
  readonly lastRemoved?: number;
  readonly lastError?: { readonly at: string; readonly message: string };
  readonly consecutiveFailures?: number;
  readonly lastDurationMs?: number;
}

export function statePath(stateDir: string, name: string): string {
  return join(stateDir, `${name}.state.json`);
}

/** Reads the state of `name`, or undefined when there is none yet. A corrupt file is an error (it is never overwritten silently). */
export async function readState(stateDir: string, name: string): Promise<SourceState | undefined> {
  const path = statePath(stateDir, name);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new SourceError(name, `cannot read state ${path}: ${describeError(err)}`);
  }
  try {
    const s = JSON.parse(text) as SourceState;
    if (s.version !== 1 || s.name !== name) throw new Error('not a state file of this source');
    return s;
  } catch (err) {
    throw new SourceError(name, `state ${path} is unreadable (${describeError(err)}); remove it to pull ${name} from the start`);
  }
}

export async function writeState(stateDir: string, state: SourceState): Promise<void> {
  await writeFileAtomic(statePath(stateDir, state.name), `${JSON.stringify(state, null, 2)}\n`, 0o600);
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Locks held by this process (a lock file naming our own pid is ours only if listed here). */
const held = new Set<string>();

/** Takes the lock of `name`; resolves to its release. Throws when another pull of it runs (in this process or another live one). */
export async function lockSource(stateDir: string, name: string): Promise<() => Promise<void>> {
  const path = join(stateDir, `${name}.lock`);
  // Reserved before the first await, so that two pulls in one process cannot both pass.
  if (held.has(path)) throw new SourceError(name, 'a pull of this source is already running in this process', { retryable: true });
  held.add(path);
  const release = async (): Promise<void> => {
    held.delete(path);
    await rm(path, { force: true });
  };
  try {
    await mkdir(stateDir, { recursive: true, mode: 0o700 });
    for (let tries = 0; tries < 3; tries++) {
      try {
        const h = await open(path, 'wx', 0o600);
        await h.writeFile(`${process.pid}\n`);
        await h.close();
        return release;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw new SourceError(name, `cannot create lock ${path}: ${describeError(err)}`);
        const pid = Number((await readFile(path, 'utf8').catch(() => '')).trim());
        if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && alive(pid)) {
          throw new SourceError(name, `another pull of this source is running (process ${pid}, lock ${path})`, { retryable: true });
        }
        await rm(path, { force: true });
      }
    }
    throw new SourceError(name, `cannot take lock ${path}`, { retryable: true });
  } catch (err) {
    held.delete(path);
    throw err;
  }
}
