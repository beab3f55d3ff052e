/**
 * `--glob` patterns of `scan`, with ripgrep's semantics: a pattern includes
 * the paths it matches, a pattern starting with `!` excludes them, and when
 * several patterns match a path the last one given wins. When at least one
 * include pattern is given, a file that matches none is left out. A pattern
 * without a slash matches the base name at any depth (`*.log`, `!*.gz`); a
 * pattern with one matches the path relative to the directory being walked
 * (`nginx/*.log`, `**\/archive/**`; a leading `/` only anchors it). A pattern
 * ending in `/` matches directories only. Excluded directories are not
 * entered; include patterns never stop a walk from entering a directory.
 */
import picomatch from 'picomatch';
import { UsageError } from '../errors.js';

interface CompiledGlob {
  readonly exclude: boolean;
  readonly dirOnly: boolean;
  readonly onBaseName: boolean;
  readonly test: (path: string) => boolean;
}

/** Compiled `--glob` patterns; see the module comment for their semantics. */
export class PathGlobs {
  private readonly globs: readonly CompiledGlob[];
  private readonly hasIncludes: boolean;

  /** Compiles `patterns` in order; throws {@link UsageError} for an empty or invalid one. */
  constructor(patterns: readonly string[]) {
    this.globs = patterns.map((p) => compile(p));
    this.hasIncludes = this.globs.some((g) => !g.exclude);
  }

  /** True when no pattern was given (every path is kept). */
  get empty(): boolean {
    return this.globs.length === 0;
  }

  /** Whether a file at `relPath` (slash-separated, relative to the walk's root) is read. */
  keepFile(relPath: string): boolean {
    const last = this.lastMatch(relPath, false);
    return last === undefined ? !this.hasIncludes : !last.exclude;
  }

  /** Whether a directory at `relPath` is entered. */
  enterDir(relPath: string): boolean {
    const last = this.lastMatch(relPath, true);
    return last === undefined || !last.exclude;
  }

  private lastMatch(relPath: string, isDir: boolean): CompiledGlob | undefined {
    const base = relPath.slice(relPath.lastIndexOf('/') + 1);
    for (let i = this.globs.length - 1; i >= 0; i--) {
      const g = this.globs[i] as CompiledGlob;
      if (g.dirOnly && !isDir) continue;
      if (g.test(g.onBaseName ? base : relPath)) return g;
    }
    return undefined;
  }
}

function compile(pattern: string): CompiledGlob {
  const exclude = pattern.startsWith('!');
  let body = exclude ? pattern.slice(1) : pattern;
  const dirOnly = body.endsWith('/');
  if (dirOnly) body = body.replace(/\/+$/, '');
  if (body.startsWith('/')) body = body.replace(/^\/+/, '');
  if (body === '') throw new UsageError(`Expected a glob pattern such as *.log or !*.gz for --glob but received ${JSON.stringify(pattern)}`);
  // A leading slash anchors the pattern to the root: it then matches the whole relative path.
  const onBaseName = !body.includes('/') && !pattern.slice(exclude ? 1 : 0).startsWith('/');
  let test: (path: string) => boolean;
  try {
    test = picomatch(body, { dot: true });
  } catch (err) {
    throw new UsageError(`invalid --glob pattern ${JSON.stringify(pattern)}: ${err instanceof Error ? err.message : String(err)}`);
  }
  return { exclude, dirOnly, onBaseName, test };
}
