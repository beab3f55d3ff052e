/**
 * Expands the PATH arguments of `scan` into the inputs to read, in a stable
 * order: arguments in the order given; a directory walked recursively with
 * entries sorted by name (code-unit order) at every level; a glob expanded and
 * sorted. A file reached twice (a directory and a file inside it, a symlink,
 * another hard link: same device and inode) is read once. Walks skip hidden
 * files and folders (name starting with `.`) unless {@link WalkOptions.hidden},
 * stop at {@link WalkOptions.maxDepth}, and keep what the `--glob` patterns
 * keep; files named on the command line are always read. Problems are yielded
 * in place, not thrown, so that the other inputs are still scanned.
 */
import { statSync, type Dirent, type Stats } from 'node:fs';
import { readdir, realpath, stat } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { glob } from 'tinyglobby';
import { InputError } from '../errors.js';
import { PathGlobs } from './path-globs.js';

/**
 * An input to read, or a problem in place of one. `found` is set for files
 * found by walking a directory or expanding a glob (not named on the command line).
 */
export type ExpandedInput =
  | {
      readonly path: string;
      readonly found?: boolean;
      /** What stat said of it (following links) when it was listed; absent for stdin and files that could not be stat'ed. */
      readonly stats?: Stats;
    }
  | { readonly path: string; readonly error: InputError };

/** How directories are walked and globs expanded (`scan --glob/--hidden/--max-depth`). */
export interface WalkOptions {
  /** `--glob` patterns, in order (see {@link PathGlobs}). */
  readonly globs?: readonly string[];
  /** Also walk into hidden files and folders, and let globs match them. */
  readonly hidden?: boolean;
  /** Deepest level read below a directory named on the command line (1: its own files only; 0: none). */
  readonly maxDepth?: number;
}

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

interface Walk {
  readonly root: string;
  readonly globs: PathGlobs;
  readonly hidden: boolean;
  readonly maxDepth: number;
  readonly seenDirs: Set<string>;
}

function relativeTo(root: string, p: string): string {
  const rel = relative(root, p);
  return sep === '/' ? rel : rel.split(sep).join('/');
}

async function* walk(dir: string, w: Walk, depth: number): AsyncGenerator<ExpandedInput> {
  if (depth >= w.maxDepth) return;
  let entries: Dirent[];
  try {
    const real = await realpath(dir);
    if (w.seenDirs.has(real)) return;
    w.seenDirs.add(real);
    entries = await readdir(dir, { withFileTypes: true });
  } catch (err) {
    yield { path: dir, error: new InputError(dir, reason(err), { cause: err }) };
    return;
  }
  entries.sort((a, b) => byName(a.name, b.name));
  for (const entry of entries) {
    if (!w.hidden && entry.name.startsWith('.')) continue;
    const p = join(dir, entry.name);
    let isDir = entry.isDirectory();
    let isFile = entry.isFile();
    if (entry.isSymbolicLink()) {
      try {
        const st = await stat(p);
        isDir = st.isDirectory();
        isFile = st.isFile();
      } catch (err) {
        yield { path: p, error: new InputError(p, reason(err), { cause: err }) };
        continue;
      }
    }
    const rel = relativeTo(w.root, p);
    if (isDir) {
      if (w.globs.enterDir(rel)) yield* walk(p, w, depth + 1);
    } else if (isFile) {
      if (w.globs.keepFile(rel)) yield { path: p, found: true };
    }
    // Sockets, FIFOs and devices inside a walked directory are skipped; name them explicitly to read them.
  }
}

/**
 * Yields every input named by `args` (`-` is stdin). An empty `args` means stdin.
 * Throws {@link UsageError} for an invalid `--glob` pattern before yielding anything.
 */
export async function* expandPaths(args: readonly string[], options: WalkOptions = {}): AsyncGenerator<ExpandedInput> {
  if (args.length === 0) {
    yield { path: '-' };
    return;
  }
  const globs = new PathGlobs(options.globs ?? []);
  const hidden = options.hidden === true;
  const maxDepth = options.maxDepth ?? Number.POSITIVE_INFINITY;
  const seenFiles = new Set<string>();
  const seenDirs = new Set<string>();
  async function* once(items: AsyncIterable<ExpandedInput>): AsyncGenerator<ExpandedInput> {
    for await (const item of items) {
      if ('error' in item || item.path === '-') {
        yield item;
        continue;
      }
      // Device and inode: the same file through a symlink or another hard link.
      // A synchronous stat: one after another, a round trip through the thread
      // pool per file costs more than the call (10,000 files: ~0.4 s of waiting).
      let key: string;
      let st: Stats | undefined;
      try {
        st = statSync(item.path);
        key = `${st.dev}:${st.ino}`;
      } catch {
        key = `path:${item.path}`;
      }
      if (seenFiles.has(key)) continue;
      seenFiles.add(key);
      yield st ? { ...item, stats: st } : item;
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
        const matches = (await glob(arg, { onlyFiles: true, dot: hidden, expandDirectories: false })).sort(byName);
        const kept = matches.filter((m) => globs.keepFile(m.split(sep).join('/')));
        if (kept.length === 0) {
          const why = matches.length === 0 ? 'no files match this pattern' : 'no files match this pattern and the --glob patterns';
          yield { path: arg, error: new InputError(arg, why) };
        }
        for (const m of kept) yield { path: m, found: true };
        return;
      }
      yield { path: arg, error: new InputError(arg, reason(err), { cause: err }) };
      return;
    }
    if (st.isDirectory()) yield* walk(arg, { root: arg, globs, hidden, maxDepth, seenDirs }, 0);
    else yield { path: arg };
  }
  for (const arg of args) yield* once(expandOne(arg));
}
