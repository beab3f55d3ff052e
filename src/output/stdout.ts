/**
 * stdout for every command: a reader that goes away (`| head -1`) ends the
 * output quietly, as with `scan` (the command keeps the exit status of what
 * it did), and a failed write (disk full) becomes one `iochunt: error:` line
 * naming the system error and exit status 2, never a stack trace.
 */
import { IochuntError } from '../errors.js';
import { ioReason } from './output-file.js';

interface StdoutState {
  /** The reader of stdout went away (EPIPE): further output is dropped. */
  closed: boolean;
  /** The first write error other than a broken pipe. */
  failure: Error | undefined;
}

let state: StdoutState | undefined;

/** Watches process.stdout for errors (once per process); returns its state. */
export function guardStdout(): StdoutState {
  if (state) return state;
  const s: StdoutState = { closed: false, failure: undefined };
  state = s;
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') s.closed = true;
    else if (err.code !== 'ERR_STREAM_DESTROYED') s.failure ??= err;
  });
  return s;
}

/** Writes text to stdout; dropped once the reader went away or a write failed. */
export function writeStdout(text: string): void {
  const s = guardStdout();
  if (s.closed || s.failure || process.stdout.destroyed) return;
  process.stdout.write(text);
}

/**
 * Waits until everything written to stdout is written, then throws an
 * {@link IochuntError} (`E_OUTPUT`) when a write failed. A broken pipe is
 * not an error.
 */
export async function finishStdout(): Promise<void> {
  const s = guardStdout();
  if (!s.closed && !s.failure && !process.stdout.destroyed && process.stdout.writableLength > 0) {
    await new Promise<void>((resolve) => {
      process.stdout.write('', () => resolve());
      process.stdout.once('error', () => resolve());
    });
  }
  // A failed synchronous write emits its error on the next tick.
  await new Promise<void>((resolve) => setImmediate(resolve));
  if (s.failure) throw new IochuntError('E_OUTPUT', `cannot write to stdout: ${ioReason(s.failure)}`, { cause: s.failure });
}

let stderrGuarded = false;

/**
 * stderr that goes away (`iochunt scan ... 2>&1 >hits | head -1`) or fails
 * must not stop the run: the hits still go to their output. Its errors are
 * ignored (there is nowhere left to report them).
 */
export function guardStderr(): void {
  if (stderrGuarded) return;
  stderrGuarded = true;
  process.stderr.on('error', () => undefined);
}
