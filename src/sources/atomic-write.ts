/**
 * Replacing a file so that a reader sees either the old content or the new
 * one, never a mix and never a partial file, even when the process is
 * killed or the machine loses power: write a temporary file in the same
 * folder, fsync it, rename it over the target, fsync the folder.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, open, rename, rm, type FileHandle } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/** A temporary file beside `target` that {@link commit} renames over it. */
export class AtomicFile {
  private constructor(
    readonly target: string,
    readonly tempPath: string,
    private handle: FileHandle | undefined,
  ) {}

  /** Creates the temporary file (and the target's folder when missing). */
  static async create(target: string, mode = 0o644): Promise<AtomicFile> {
    const dir = dirname(target);
    await mkdir(dir, { recursive: true });
    const temp = join(dir, `.${basename(target)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
    const handle = await open(temp, 'wx', mode);
    return new AtomicFile(target, temp, handle);
  }

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

/** fsyncs a folder so that a rename inside it survives a crash. */
export async function syncDir(dir: string): Promise<void> {
  const h = await open(dir, 'r');
  try {
    await h.sync();
  } catch (err) {
    // Some filesystems refuse fsync on directories (EINVAL/EISDIR); the rename is as durable as they allow.
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'EINVAL' && code !== 'EISDIR' && code !== 'EPERM') throw err;
  } finally {
    await h.close();
  }
}

/** Writes `data` to `target` atomically (temp, fsync, rename, fsync folder). */
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
