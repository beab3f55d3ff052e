/**
 * Expands the PATH arguments of `scan` into the inputs to read, in a stable
 * order: arguments in the order given; a directory walked recursively with
 * entries sorted by name (code-unit order) at every level; a glob expanded and
 * sorted. A file reached twice (a directory and a file inside it, a symlink)
 * is read once. Problems are yielded in place, not thrown, so that the other
 * inputs are still scanned.
 */
import type { Dirent } from 'node:fs';
import { readdir, realpath, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { glob } from 'tinyglobby';
import { InputError } from '../errors.js';

export type ExpandedInput = { readonly path: string } | { readonly path: string; readonly error: InputError };

const GLOB_CHARS = /[*?[\]{}]/;

function byName(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function reason(err: unknown): string {
  const code = (err as NodeJS.ErrnoException)?.code;
  if (code === 'ENOENT') return 'no such file or directory';
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied';
  if (code === 'ELOOP') return 'too many levels of symbolic links';
  return err instanceof Error ? err.message : String(err);
}

async function* walk(dir: string, seenDirs: Set<string>): AsyncGenerator<ExpandedInput> {
  let entries: Dirent[];
  try {
    const real = await realpath(dir);
    if (seenDirs.has(real)) return;
    seenDirs.add(real);
    entries = await readdir(dir, { withFileTypes: true });
  } catch (err) {
    yield { path: dir, error: new InputError(dir, reason(err), { cause: err }) };
    return;
  }
  entries.sort((a, b) => byName(a.name, b.name));
  for (const entry of entries) {
    const p = join(dir, entry.name);
    if (entry.isDirectory()) {
      yield* walk(p, seenDirs);
    } else if (entry.isFile()) {
      yield { path: p };
    } else if (entry.isSymbolicLink()) {
      try {
        const st = await stat(p);
        if (st.isDirectory()) yield* walk(p, seenDirs);
        else if (st.isFile()) yield { path: p };
      } catch (err) {
        yield { path: p, error: new InputError(p, reason(err), { cause: err }) };
      }
    }
    // Sockets, FIFOs and devices inside a walked directory are skipped; name them explicitly to read them.
  }
}

/**
 * Yields every input named by `args` (`-` is stdin). An empty `args` means stdin.
 */
export async function* expandPaths(args: readonly string[]): AsyncGenerator<ExpandedInput> {
  if (args.length === 0) {
    yield { path: '-' };
    return;
  }
  const seenFiles = new Set<string>();
  const seenDirs = new Set<string>();
  async function* once(items: AsyncIterable<ExpandedInput>): AsyncGenerator<ExpandedInput> {
    for await (const item of items) {
      if ('error' in item || item.path === '-') {
        yield item;
        continue;
      }
      let key: string;
      try {
        key = await realpath(item.path);
      } catch {
        key = item.path;
      }
      if (seenFiles.has(key)) continue;
      seenFiles.add(key);
      yield item;
    }
  }
  async function* expandOne(arg: string): AsyncGenerator<ExpandedInput> {
    if (arg === '-') {
      yield { path: '-' };
      return;
    }
    let st;
    try {
      st = await stat(arg);
    } catch (err) {
      if ((err as NodeJS.ErrnoException)?.code === 'ENOENT' && GLOB_CHARS.test(arg)) {
        const matches = (await glob(arg, { onlyFiles: true, dot: false, expandDirectories: false })).sort(byName);
        if (matches.length === 0) yield { path: arg, error: new InputError(arg, 'no files match this pattern') };
        for (const m of matches) yield { path: m };
        return;
      }
      yield { path: arg, error: new InputError(arg, reason(err), { cause: err }) };
      return;
    }
    if (st.isDirectory()) yield* walk(arg, seenDirs);
    else yield { path: arg };
  }
  for (const arg of args) yield* once(expandOne(arg));
}
