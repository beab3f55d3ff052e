/**
 * Signals of a long-running command (`tail` over files or over Kafka):
 * SIGTERM/SIGINT stop reading and let the run deliver and commit what it read
 * within `--shutdown-timeout` (a second signal, or the timeout, exits 2 at
 * once: the last commit stands and what came after it is read again);
 * SIGHUP reloads the indicator feeds.
 */
import type { Reporter } from '../report.js';

/** What the messages say and what a stop or a reload does. */
export interface ShutdownOptions {
  readonly reporter: Reporter;
  readonly timeoutMs: number;
  /** After the signal name: what the run does now, e.g. `no more input is read; delivering … and saving the state`. */
  readonly stopping: string;
  /** Where the last commit stands, e.g. `the state keeps the last commit`. */
  readonly keeps: string;
  /** What happens to what was read after that commit (in parentheses after a timeout). */
  readonly rereadAfter: string;
  /** Called once on the first SIGTERM/SIGINT: stop reading (abort, wake the loop, hurry the outputs). */
  readonly stop: () => void;
  /** Called on SIGHUP. */
  readonly reload: () => void;
}

/** Installs the handlers; returns their removal. */
export function handleSignals(o: ShutdownOptions): () => void {
  let received: NodeJS.Signals | undefined;
  const onSignal = (sig: NodeJS.Signals): void => {
    if (received !== undefined) {
      o.reporter.error(`interrupted again (${sig}): stopped at once; ${o.keeps}`);
      process.exit(2);
    }
    received = sig;
    o.reporter.info(`${sig}: ${o.stopping} (at most ${o.timeoutMs / 1000} s)`);
    const timer = setTimeout(() => {
      o.reporter.error(`shutdown took longer than --shutdown-timeout ${o.timeoutMs / 1000} s: exiting; ${o.keeps} (${o.rereadAfter})`);
      process.exit(2);
    }, o.timeoutMs);
    timer.unref();
    o.stop();
  };
  const onHup = (): void => {
    o.reporter.info('SIGHUP: reloading the indicator feeds');
    o.reload();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  process.on('SIGHUP', onHup);
  return () => {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    process.off('SIGHUP', onHup);
  };
}
