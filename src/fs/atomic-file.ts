/**
 * Replacing a file so that a reader sees either the old content or the new
 * one, never a mix and never a partial file, even when the process is killed
 * or the machine loses power: write a temporary file in the same folder,
 * fsync it, rename it over the target, fsync the folder.
 *
 * The one owner of that recipe: the sweep/tail state file, indicator-set
 * snapshots, summaries, pulled feeds and source state all write through it.
 * Synchronous and asynchronous forms share the temporary names (so
 * {@link cleanTemporaries} finds what either left behind) and the folder
 * fsync rules.
 */
import { randomBytes } from 'node:crypto';
import { closeSync, fsyncSync, openSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { mkdir, open, readdir, rename, rm, type FileHandle } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/**
 * The temporary file's name for `target`: hidden, in the same folder (a
 * rename is only atomic within one filesystem), carrying the writer's pid so
 * a later run can tell a dead writer's leftovers from a live one's. With
 * `unique` false the name is the same for every write of this process (the
 * synchronous writer: its writes cannot overlap), so a stale one is reused.
 */
export function temporaryPathFor(target: string, unique = true): string {
  const tag = unique ? `${process.pid}.${randomBytes(4).toString('hex')}` : `${process.pid}`;
  return join(dirname(target), `.${basename(target)}.${tag}.tmp`);
}

/** Error codes with which filesystems refuse fsync on a folder; the rename is then as durable as they allow. */
const DIR_FSYNC_REFUSED = new Set(['EINVAL', 'EISDIR', 'EPERM', 'EACCES']);

/** Fsyncs a folder so that a rename or a new entry in it survives a crash; ignored where the filesystem refuses. */
export function syncDirSync(dir: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(dir, 'r');
    fsyncSync(fd);
  } catch (err) {
    if (!DIR_FSYNC_REFUSED.has((err as NodeJS.ErrnoException).code ?? '')) throw err;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** Asynchronous {@link syncDirSync}. */
export async function syncDir(dir: string): Promise<void> {
  let h: FileHandle | undefined;
  try {
    h = await open(dir, 'r');
    await h.sync();
  } catch (err) {
    if (!DIR_FSYNC_REFUSED.has((err as NodeJS.ErrnoException).code ?? '')) throw err;
  } finally {
    await h?.close();
  }
}

/**
 * Replaces `path` with `data` atomically and durably (its folder must
 * exist). On any error the target is untouched, the temporary file is
 * removed, and the error (ENOSPC, EACCES …) is rethrown for the caller to report.
 */
export function writeFileAtomicSync(path: string, data: string | Uint8Array, mode = 0o600): void {
  const dir = dirname(path);
  const tmp = temporaryPathFor(path, false);
  let fd: number | undefined;
  try {
    fd = openSync(tmp, 'w', mode);
    const bytes = typeof data === 'string' ? Buffer.from(data) : data;
    let off = 0;
    while (off < bytes.length) off += writeSync(fd, bytes, off, bytes.length - off);
    fsyncSync(fd);
    closeSync(fd);
    fd = undefined;
    renameSync(tmp, path);
  } catch (err) {
    if (fd !== undefined) closeSync(fd);
    try {
      unlinkSync(tmp);
    } catch {
      // already gone
    }
    throw err;
  }
  syncDirSync(dir);
}

/**
 * A temporary file beside `target` that {@link AtomicFile.commit} renames
 * over it; for content written in pieces (a pulled feed streamed to disk).
 */
export class AtomicFile {
  private constructor(
    readonly target: string,
    readonly tempPath: string,
    private handle: FileHandle | undefined,
  ) {}

  /** Creates the temporary file (and the target's folder when missing). */
  static async create(target: string, mode = 0o644): Promise<AtomicFile> {
    await mkdir(dirname(target), { recursive: true });
    const temp = temporaryPathFor(target);
    const handle = await open(temp, 'wx', mode);
    return new AtomicFile(target, temp, handle);
  }

  /** Appends `data` to the temporary file. */
  async write(data: string | Uint8Array): Promise<void> {
    if (!this.handle) throw new Error(`${this.tempPath}: already closed`);
    await this.handle.writeFile(data);
  }

  /** Flushes and closes the temporary file (it can then be read, e.g. to check it). */
  async close(): Promise<void> {
    if (!this.handle) return;
    const h = this.handle;
    this.handle = undefined;
    try {
      await h.sync();
    } finally {
      await h.close();
    }
  }

  /** Renames the temporary file over the target and makes the rename durable. */
  async commit(): Promise<void> {
    await this.close();
    await rename(this.tempPath, this.target);
    await syncDir(dirname(this.target));
  }

  /** Removes the temporary file; the target is untouched. */
  async discard(): Promise<void> {
    if (this.handle) {
      await this.handle.close().catch(() => undefined);
      this.handle = undefined;
    }
    await rm(this.tempPath, { force: true });
  }
}

/** Asynchronous {@link writeFileAtomicSync}. */
export async function writeFileAtomic(target: string, data: string | Uint8Array, mode = 0o644): Promise<void> {
  const f = await AtomicFile.create(target, mode);
  try {
    await f.write(data);
    await f.commit();
  } catch (err) {
    await f.discard();
    throw err;
  }
}

/**
 * Removes temporary files beside `target` that writers killed mid-write left
 * behind (their process is gone; this process's own are removed too, since
 * it calls this only when it is not writing `target`).
 */
export async function cleanTemporaries(target: string): Promise<void> {
  const dir = dirname(target);
  const prefix = `.${basename(target)}.`;
  const names = await readdir(dir).catch(() => [] as string[]);
  for (const n of names) {
    if (!n.startsWith(prefix) || !n.endsWith('.tmp')) continue;
    const pid = Number(n.slice(prefix.length).split('.')[0]);
    if (!Number.isInteger(pid) || pid <= 0) continue;
    let alive = true;
    try {
      process.kill(pid, 0);
    } catch (err) {
      alive = (err as NodeJS.ErrnoException).code === 'EPERM';
    }
    if (!alive || pid === process.pid) await rm(join(dir, n), { force: true });
  }
}
