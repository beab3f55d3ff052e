/**
 * Where hits are written, and the rule that an output is never also an input
 * (as GNU grep: "input file 'X' is also the output"). The output file is
 * opened without truncation, compared (device and inode) with every input
 * named on the command line, and truncated only when none is the same file:
 * `-o app.log app.log` leaves app.log untouched.
 */
import { closeSync, constants, fstatSync, ftruncateSync, openSync, statSync, type Stats } from 'node:fs';
import { IochuntError } from '../errors.js';

/**
 * A regular file that hits are written to: its device and inode, or its path
 * when it may only be created during the run (the Elasticsearch dead-letter
 * file), stat'ed each time an input is checked.
 */
export type OutputIdentity =
  | { readonly dev: number; readonly ino: number; /** How the output was named (`-o FILE`, `stdout`), for messages. */ readonly label: string }
  | { readonly path: string; readonly label: string };

/** True when `st` is the same file as `out`. */
export function sameFile(st: Pick<Stats, 'dev' | 'ino'>, out: OutputIdentity): boolean {
  if ('path' in out) {
    let o: Stats;
    try {
      o = statSync(out.path);
    } catch {
      return false; // not created yet
    }
    return st.dev === o.dev && st.ino === o.ino;
  }
  return st.dev === out.dev && st.ino === out.ino;
}

/**
 * Stats an input as {@link openInput} will open it (`-` is stdin); undefined
 * when it cannot be stat'ed (opening it reports that).
 */
export function statInput(path: string): Stats | undefined {
  try {
    return path === '-' ? fstatSync(0) : statSync(path);
  } catch {
    return undefined;
  }
}

/** The output among `outputs` that `path` (an input) is, if any. */
export function outputIsInput(path: string, outputs: readonly OutputIdentity[]): OutputIdentity | undefined {
  if (outputs.length === 0) return undefined;
  const st = statInput(path);
  if (!st?.isFile()) return undefined;
  return outputs.find((o) => sameFile(st, o));
}

/** The identity of stdout when it is a regular file (`> file`), else undefined. */
export function stdoutIdentity(): OutputIdentity | undefined {
  try {
    const st = fstatSync(1);
    return st.isFile() ? { dev: st.dev, ino: st.ino, label: 'stdout' } : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Opens `path` for writing hits: created when missing, truncated only after
 * it was checked against `inputs` (the PATH arguments, `-` for stdin, and the
 * feeds; directories and globs are checked while they are walked). Throws an {@link IochuntError}
 * (`E_OUTPUT`) when an input is the output file or it cannot be opened; the
 * file is then left as it was. With `append`, it is never truncated.
 */
export function openOutputFile(path: string, inputs: readonly string[], options: { append?: boolean } = {}): { fd: number; identity: OutputIdentity } {
  let fd: number;
  try {
    fd = openSync(path, constants.O_WRONLY | constants.O_CREAT | (options.append ? constants.O_APPEND : 0), 0o666);
  } catch (err) {
    throw new IochuntError('E_OUTPUT', `cannot open the output ${path}: ${ioReason(err)}`, { cause: err });
  }
  try {
    const st = fstatSync(fd);
    const identity: OutputIdentity = { dev: st.dev, ino: st.ino, label: path };
    if (st.isFile()) {
      for (const input of inputs) {
        if (outputIsInput(input, [identity])) {
          throw new IochuntError('E_OUTPUT', `input file ${JSON.stringify(input)} is also the output (-o ${path}); it was left as it was and nothing was scanned`);
        }
      }
      // `sweep` appends to its output run after run; `scan` starts it anew.
      if (!options.append) ftruncateSync(fd, 0);
    }
    return { fd, identity };
  } catch (err) {
    closeSync(fd);
    if (err instanceof IochuntError) throw err;
    throw new IochuntError('E_OUTPUT', `cannot open the output ${path}: ${ioReason(err)}`, { cause: err });
  }
}

/**
 * A system error as a short reason that names its code:
 * `ENOSPC: no space left on device` (Node appends the system call, dropped here).
 */
export function ioReason(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const e = err as NodeJS.ErrnoException;
  const m = e.message.replace(/, \w+(?: '[^']*')?$/, '');
  return e.code && !m.includes(e.code) ? `${e.code}: ${m}` : m;
}
