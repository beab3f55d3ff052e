/**
 * The processes running on this machine, read from /proc (Linux), so that
 * tests can check that no child process is left behind without needing `ps`.
 */
import { readdirSync, readFileSync } from 'node:fs';

export interface Proc {
  readonly pid: number;
  readonly ppid: number;
  /** The command name (at most 15 characters, as the kernel keeps it). */
  readonly comm: string;
  /** argv joined with spaces (argv[0] as the process set it). */
  readonly args: string;
}

/** Every process that can be read now; zombies included (their `args` is empty). */
export function processes(): Proc[] {
  const out: Proc[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      // pid (comm) state ppid ...: comm may hold spaces and parentheses.
      const open = stat.indexOf('(');
      const close = stat.lastIndexOf(')');
      const rest = stat.slice(close + 2).split(' ');
      const args = readFileSync(`/proc/${name}/cmdline`, 'utf8').split('\0').filter(Boolean).join(' ');
      out.push({ pid: Number(name), ppid: Number(rest[1]), comm: stat.slice(open + 1, close), args });
    } catch {
      // the process ended while being read
    }
  }
  return out;
}

/** Command names of the children of `pid` (default: this process). */
export function childCommands(pid = process.pid): string[] {
  return processes()
    .filter((p) => p.ppid === pid)
    .map((p) => p.comm);
}
