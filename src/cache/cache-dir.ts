/**
 * Where iochunt's caches live. A module of its own, free of heavy imports,
 * because the executable asks it before anything else is loaded (the Node
 * compile cache goes under it too).
 */
import { mkdirSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';

/** Where cache files live: `--cache-dir`, else `$IOCHUNT_CACHE_DIR`, else `$XDG_CACHE_HOME/iochunt`, else `~/.cache/iochunt`. */
export function defaultCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.IOCHUNT_CACHE_DIR) return env.IOCHUNT_CACHE_DIR;
  const base = env.XDG_CACHE_HOME || join(homedir(), '.cache');
  return join(base, 'iochunt');
}

/**
 * `mkdir -p DIR`, one level at a time. Node's `mkdirSync(dir, { recursive:
 * true })` never returns for a path under /proc (mkdir answers ENOENT there
 * for ever), so a cache directory named there would hang the run. Throws the
 * first error that is not "exists already" (and ENOTDIR when a level is a file).
 */
export function makeDirectory(dir: string): void {
  try {
    mkdirSync(dir);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') {
      if (!statSync(dir).isDirectory()) throw Object.assign(new Error(`${dir} is not a directory`), { code: 'ENOTDIR' });
      return;
    }
    const parent = dirname(dir);
    if (code !== 'ENOENT' || parent === dir) throw err;
    makeDirectory(parent);
    // A second ENOENT (a parent that exists but takes no entries, as /proc) is thrown.
    try {
      mkdirSync(dir);
    } catch (again) {
      if ((again as NodeJS.ErrnoException).code !== 'EEXIST') throw again;
    }
  }
}
