/**
 * Node's module compile cache for iochunt's own start-up: the compiled code of
 * every module is kept on disk, so that a later run skips compiling them
 * (about a third of the CPU time of a short run). It lives in the directory of
 * the indicator cache (`node-compile-cache/` under `--cache-dir`, else
 * `$IOCHUNT_CACHE_DIR`, `$XDG_CACHE_HOME/iochunt` or `~/.cache/iochunt`), and
 * `--no-cache` turns it off as it turns off the indicator cache. It never costs
 * a run: any failure leaves modules compiled as without it.
 */
import { accessSync, constants } from 'node:fs';
import module from 'node:module';
import { join } from 'node:path';
import { defaultCacheDir, makeDirectory } from '../cache/cache-dir.js';

/** The name of the compile cache's folder in the cache directory. */
export const COMPILE_CACHE_FOLDER = 'node-compile-cache';

/**
 * The compile cache folder for a command line (`args` without node and the
 * script), or undefined when `--no-cache` is among them. `--cache-dir DIR`
 * (or `--cache-dir=DIR`) moves it with the indicator cache. The command line
 * is not parsed yet: a literal `--no-cache` anywhere turns it off.
 */
export function compileCacheDir(args: readonly string[], env: NodeJS.ProcessEnv = process.env): string | undefined {
  let dir: string | undefined;
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '--') break;
    if (a === '--no-cache') return undefined;
    if (a === '--cache-dir' && i + 1 < args.length) dir = args[++i];
    else if (a.startsWith('--cache-dir=')) dir = a.slice('--cache-dir='.length);
  }
  return join(dir || defaultCacheDir(env), COMPILE_CACHE_FOLDER);
}

/**
 * Turns the compile cache on for the modules loaded from now on. The folder
 * is made here first, and used only when it is a writable directory: Node's
 * own creation of it loops forever on some paths (a folder under /proc).
 * Returns the folder in use, or undefined.
 */
export function enableCompileCache(args: readonly string[], env: NodeJS.ProcessEnv = process.env): string | undefined {
  // Node 22.0 has no compile cache; NODE_DISABLE_COMPILE_CACHE is Node's own switch.
  if (typeof module.enableCompileCache !== 'function' || env.NODE_DISABLE_COMPILE_CACHE) return undefined;
  try {
    const dir = compileCacheDir(args, env);
    if (dir === undefined) return undefined;
    makeDirectory(dir);
    accessSync(dir, constants.W_OK);
    const result = module.enableCompileCache(dir);
    return result.status === module.constants.compileCacheStatus.ENABLED ? dir : undefined;
  } catch {
    return undefined;
  }
}
