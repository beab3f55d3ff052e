/**
 * Writes a file so that a reader (or a crash) never sees it half-written:
 * the bytes go to a temporary file beside it, are fsynced, renamed over the
 * target, and the folder is fsynced so the rename itself is durable.
 */
import { closeSync, fsyncSync, openSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

/** Name prefix of the temporary files {@link writeFileAtomic} leaves only when it crashes. */
export const ATOMIC_TMP_SUFFIX = '.iochunt-tmp';

/**
 * Replaces `path` with `data` atomically and durably. On any error the
 * target is untouched (the temporary file is removed) and the error is
 * rethrown (ENOSPC, EACCES …) for the caller to report.
 */
export function writeFileAtomic(path: string, data: string | Uint8Array, mode = 0o600): void {
  const dir = dirname(path);
  const tmp = join(dir, `.${basename(path)}.${process.pid}${ATOMIC_TMP_SUFFIX}`);
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
  fsyncDir(dir);
}

/** Fsyncs a folder (makes a rename or a new entry in it durable); ignored where the platform refuses. */
export function fsyncDir(dir: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(dir, 'r');
    fsyncSync(fd);
  } catch {
    // Some filesystems refuse fsync on a directory; the rename is still atomic.
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}
