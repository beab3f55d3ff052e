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

/** True while `pid` names a live process (one this user may signal). */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * Sends `signal` to a test server's process and waits until it is gone; past
 * `timeoutMs` it is SIGKILLed, and an error naming `what` is thrown if even
 * that does not end it.
 */
export async function stopProcess(pid: number, what: string, signal: 'SIGTERM' | 'SIGKILL', timeoutMs: number, killGraceMs: number): Promise<void> {
  if (!alive(pid)) return;
  process.kill(pid, signal);
  const deadline = Date.now() + timeoutMs;
  while (alive(pid)) {
    if (Date.now() > deadline) {
      process.kill(pid, 'SIGKILL');
      await new Promise((r) => setTimeout(r, killGraceMs));
      if (!alive(pid)) break;
      throw new Error(`${what} process ${pid} did not stop`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}
