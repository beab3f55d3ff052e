/**
 * File events for `tail`: folders are watched with `fs.watch` (inotify on
 * Linux) and any event wakes the follower; a wait always ends after the scan
 * interval anyway, which is the polling fallback for filesystems whose events
 * are unreliable (NFS, SMB, FUSE) or a machine out of inotify watches.
 */
import { watch, type FSWatcher } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import { stat } from 'node:fs/promises';

const MAGIC = /[*?[\]{}!]/;

/**
 * The folder to watch for a path argument: a directory itself, the folder of
 * a file, or the longest folder of a glob before its first wildcard.
 */
export async function watchRoot(path: string): Promise<string> {
  const abs = resolve(path);
  if (MAGIC.test(abs)) {
    const parts = abs.split('/');
    const fixed: string[] = [];
    for (const p of parts) {
      if (MAGIC.test(p)) break;
      fixed.push(p);
    }
    return fixed.join('/') || '/';
  }
  try {
    return (await stat(abs)).isDirectory() ? abs : dirname(abs);
  } catch {
    return dirname(abs);
  }
}

/** Wakes a waiter on any event in the watched folders, or after a timeout. */
export class ChangeWatcher {
  private readonly watchers = new Map<string, FSWatcher>();
  private changed = false;
  private waiter: (() => void) | undefined;
  private failed = false;

  /**
   * @param onFailure called once when a folder cannot be watched (the
   *   follower then relies on the scan interval alone for it)
   */
  constructor(
    private readonly onFailure: (dir: string, err: Error) => void,
    private readonly recursive = false,
  ) {}

  /** Watches `dir` (once); returns false when it cannot be watched. */
  add(dir: string, onEvent?: (name: string | null) => void): boolean {
    if (this.watchers.has(dir)) return true;
    try {
      const w = watch(dir, { persistent: false, recursive: this.recursive }, (_event, name) => {
        if (onEvent) onEvent(name === null ? null : basename(String(name)));
        else this.poke();
      });
      w.on('error', (err) => {
        // The folder went away (or the watch broke): polling covers it until it is watched again.
        w.close();
        this.watchers.delete(dir);
        this.poke();
        if (!this.failed) this.onFailure(dir, err);
        this.failed = true;
      });
      this.watchers.set(dir, w);
      return true;
    } catch (err) {
      if (!this.failed && (err as NodeJS.ErrnoException).code !== 'ENOENT') this.onFailure(dir, err as Error);
      this.failed = (err as NodeJS.ErrnoException).code !== 'ENOENT' || this.failed;
      return false;
    }
  }

  /** Marks a change: the current or next {@link wait} ends at once. */
  poke(): void {
    this.changed = true;
    const w = this.waiter;
    this.waiter = undefined;
    w?.();
  }

  /** Resolves at the next change (at once when one happened since the last wait) or after `ms`; true when woken by a change. */
  async wait(ms: number, signal?: AbortSignal): Promise<boolean> {
    if (this.changed || signal?.aborted) {
      this.changed = false;
      return true;
    }
    return new Promise<boolean>((resolvePromise) => {
      const done = (woken: boolean): void => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        this.waiter = undefined;
        this.changed = false;
        resolvePromise(woken);
      };
      const onAbort = (): void => done(true);
      const timer = setTimeout(() => done(false), ms);
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiter = () => done(true);
    });
  }

  /** Stops watching. */
  close(): void {
    for (const w of this.watchers.values()) w.close();
    this.watchers.clear();
    this.poke();
  }
}
