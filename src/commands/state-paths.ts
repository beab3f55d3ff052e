/**
 * The default state files of `sweep` and `tail`, apart from the commands so
 * that the command line can name them in its help without loading either.
 */
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';

/** The default state file: `$XDG_STATE_HOME/iochunt/sweep.json`, else `~/.local/state/iochunt/sweep.json`. */
export function defaultStatePath(): string {
  const base = process.env.XDG_STATE_HOME && process.env.XDG_STATE_HOME !== '' ? process.env.XDG_STATE_HOME : join(homedir(), '.local', 'state');
  return join(base, 'iochunt', 'sweep.json');
}

/** The default state file of tail: beside sweep's, `tail.json`. */
export function defaultTailStatePath(): string {
  return join(dirname(defaultStatePath()), 'tail.json');
}
