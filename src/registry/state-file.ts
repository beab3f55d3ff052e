/**
 * The registry's state file: what was read of which file, with which
 * indicators. JSON, written atomically ({@link writeFileAtomicSync}); guarded by
 * a lock so that two sweeps (or a sweep and a tail) never share it. A damaged
 * or unknown file is an error naming it, never a silent rescan.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { dirname } from 'node:path';
import lockfile from 'proper-lockfile';
import { IochuntError } from '../errors.js';
import { writeFileAtomicSync } from '../fs/atomic-file.js';

export const STATE_FORMAT = 'iochunt-registry';
export const STATE_VERSION = 1;

/** One file the registry knows (one generation of its content). */
export interface FileEntry {
  /** Stable id of this entry. */
  id: string;
  dev: number;
  ino: number;
  /** The path it was last seen at. */
  path: string;
  /** How it was stored when last seen (`none`, `gzip`, …). */
  compression: string;
  /** SHA-256 (hex) of its first `fpLen` decompressed bytes. */
  fp: string;
  fpLen: number;
  /** On-disk size and modification time when last swept. */
  size: number;
  mtimeMs: number;
  /** Decompressed bytes before this offset were read and their hits delivered. */
  offset: number;
  /** SHA-256 of the `tailLen` bytes just before `offset` (detects a rewrite in place). */
  tail: string;
  tailLen: number;
  /** True when `offset` reached the end of the content as it was when last swept. */
  eof: boolean;
  /** Indicator set that bytes `[0, offset)` were checked against. */
  checkedWith: string;
  /** Retro-hunt progress: bytes `[0, upto)` were rescanned for the indicators `set` added. */
  retro?: { set: string; upto: number };
  firstSeenMs: number;
  lastSeenMs: number;
  /** The file was renamed away from the path it was read at (rotated): idle, it is finished. */
  rotatedAway?: boolean;
  /** The inode no longer holds this content (truncated, rewritten, reused); a copy may still claim it by fingerprint. */
  detached?: boolean;
}

/** An indicator set the history was checked against. */
export interface SetRecord {
  /** Number of indicators. */
  count: number;
  /** When it was first used (ISO 8601). */
  first: string;
}

export interface RegistryState {
  format: typeof STATE_FORMAT;
  version: typeof STATE_VERSION;
  updated: string;
  sets: Record<string, SetRecord>;
  files: FileEntry[];
}

/** An empty state. */
export function emptyState(): RegistryState {
  return { format: STATE_FORMAT, version: STATE_VERSION, updated: new Date().toISOString(), sets: {}, files: [] };
}

function damaged(path: string, why: string): IochuntError {
  return new IochuntError('E_STATE', `state file ${path} is unusable (${why}); fix or remove it, or run with --reset-state to start over (every file is then read again from the start)`);
}

const NUMBER_KEYS = ['dev', 'ino', 'fpLen', 'size', 'mtimeMs', 'offset', 'tailLen', 'firstSeenMs', 'lastSeenMs'] as const;
const STRING_KEYS = ['id', 'path', 'compression', 'fp', 'tail', 'checkedWith'] as const;

function checkEntry(path: string, e: unknown, i: number): FileEntry {
  if (typeof e !== 'object' || e === null) throw damaged(path, `files[${i}] is not an object`);
  const o = e as Record<string, unknown>;
  for (const k of NUMBER_KEYS) {
    if (typeof o[k] !== 'number' || !Number.isFinite(o[k]) || (o[k] as number) < 0) throw damaged(path, `files[${i}].${k} is not a non-negative number`);
  }
  for (const k of STRING_KEYS) if (typeof o[k] !== 'string') throw damaged(path, `files[${i}].${k} is not a string`);
  if (typeof o.eof !== 'boolean') throw damaged(path, `files[${i}].eof is not a boolean`);
  if ((o.tailLen as number) > (o.offset as number)) throw damaged(path, `files[${i}].tailLen exceeds its offset`);
  return o as unknown as FileEntry;
}

/**
 * Reads the state at `path`; a missing file is an empty state. Throws
 * {@link IochuntError} `E_STATE` naming the file when it is not valid JSON,
 * not a registry state, of another version, or has a malformed entry.
 */
export function readState(path: string): RegistryState {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return emptyState();
    throw new IochuntError('E_STATE', `state file ${path} cannot be read: ${(err as Error).message}`, { cause: err });
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw damaged(path, `not valid JSON: ${(err as Error).message}`);
  }
  const o = raw as Partial<RegistryState> | null;
  if (!o || typeof o !== 'object' || o.format !== STATE_FORMAT) throw damaged(path, 'not an iochunt registry state');
  if (o.version !== STATE_VERSION) throw damaged(path, `version ${String(o.version)}; this iochunt reads version ${STATE_VERSION}`);
  if (!Array.isArray(o.files) || typeof o.sets !== 'object' || o.sets === null) throw damaged(path, 'files or sets missing');
  const files = o.files.map((e, i) => checkEntry(path, e, i));
  return { format: STATE_FORMAT, version: STATE_VERSION, updated: String(o.updated ?? ''), sets: o.sets, files };
}

/** Writes the state atomically and durably; errors (ENOSPC …) are thrown as `E_STATE`. */
export function writeState(path: string, state: RegistryState): void {
  state.updated = new Date().toISOString();
  try {
    writeFileAtomicSync(path, `${JSON.stringify(state)}\n`);
  } catch (err) {
    throw new IochuntError('E_STATE', `cannot write the state file ${path}: ${(err as Error).message}`, { cause: err });
  }
}

/**
 * Takes the lock of the state at `path` (a `PATH.lock` folder, refreshed
 * while held; a lock left by a process of this host that no longer runs is
 * taken over at once, any other after 10 s without refresh).
 * `waitMs` > 0 waits that long for another holder; otherwise a held lock is
 * an error naming the file. Resolves to the release function. A lock that
 * could not be refreshed (its folder removed, the machine suspended past the
 * stale time) calls `onCompromised`; without it the process fails (sweep).
 */
export async function lockState(path: string, waitMs: number, onCompromised?: (err: Error) => void): Promise<() => Promise<void>> {
  mkdirSync(dirname(path), { recursive: true });
  const deadline = Date.now() + waitMs;
  const lockDir = `${path}.lock`;
  const ownerFile = `${path}.lock-owner`;
  for (;;) {
    try {
      const release = await lockfile.lock(path, { realpath: false, stale: 10_000, update: 2_000, lockfilePath: lockDir, ...(onCompromised ? { onCompromised } : {}) });
      // Who holds it: a later run on this host takes over at once from a holder that died (kill -9).
      try {
        writeFileSync(ownerFile, JSON.stringify({ pid: process.pid, host: hostname() }));
      } catch {
        // the lock still holds; only the fast take-over is lost
      }
      return async () => {
        rmSync(ownerFile, { force: true });
        await release();
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ELOCKED') {
        throw new IochuntError('E_STATE', `cannot lock the state file ${path}: ${(err as Error).message}`, { cause: err });
      }
      if (holderIsDead(ownerFile)) {
        // Moved aside first (atomic: one taker wins); put back if it turns out to be live.
        const grave = `${lockDir}.dead-${process.pid}`;
        try {
          renameSync(lockDir, grave);
        } catch {
          continue;
        }
        if (holderIsDead(ownerFile)) rmSync(grave, { recursive: true, force: true });
        else {
          try {
            renameSync(grave, lockDir);
          } catch {
            rmSync(grave, { recursive: true, force: true });
          }
        }
        continue;
      }
      if (Date.now() >= deadline) {
        throw new IochuntError(
          'E_STATE_LOCKED',
          `the state file ${path} is in use by another iochunt (lock ${path}.lock)` + (waitMs > 0 ? ` after waiting ${Math.round(waitMs / 1000)} s` : '; use --wait SECONDS to wait for it'),
        );
      }
      await new Promise((r) => setTimeout(r, 250));
    }
  }
}

/** True when the lock's owner file (`PATH.lock-owner`) names a process of this host that no longer runs. */
function holderIsDead(ownerFile: string): boolean {
  let owner: { pid?: unknown; host?: unknown };
  try {
    owner = JSON.parse(readFileSync(ownerFile, 'utf8')) as typeof owner;
  } catch {
    return false; // no owner yet (being taken right now) or another writer: wait for staleness
  }
  if (owner.host !== hostname() || typeof owner.pid !== 'number' || owner.pid === process.pid) return false;
  try {
    process.kill(owner.pid, 0);
    return false;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

/** True when a state file exists at `path`. */
export function stateExists(path: string): boolean {
  return existsSync(path);
}
