/**
 * Waiting on a read with a time limit, without giving the read up: used to
 * notice a pipe that pauses (tail -F) while its pending read stays valid.
 */

/** Returned by {@link within} when the promise has not settled in time. */
export const IDLE = Symbol('idle');

/** `promise`'s value, or {@link IDLE} when it has not settled after `ms` (the promise is left running). */
export async function within<T>(promise: Promise<T>, ms: number): Promise<T | typeof IDLE> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([promise, new Promise<typeof IDLE>((resolve) => (timer = setTimeout(() => resolve(IDLE), ms)))]);
  } finally {
    clearTimeout(timer);
  }
}
