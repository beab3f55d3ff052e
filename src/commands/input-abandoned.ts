/**
 * Whether a scan in this process stopped reading before the end of its
 * input. A module of its own so that the executable can ask without loading
 * the scan command.
 */
let abandoned = false;

/** Called by a scan that stops reading early (SIGINT, SIGTERM, stdout gone). */
export function markInputAbandoned(): void {
  abandoned = true;
}

/**
 * True once a scan in this process stopped reading before the end of its
 * input (SIGINT, SIGTERM, or the reader of stdout went away): the executable
 * then exits at once, since an input it stopped reading (a pipe, a terminal)
 * would otherwise keep the process alive.
 */
export function inputAbandoned(): boolean {
  return abandoned;
}
