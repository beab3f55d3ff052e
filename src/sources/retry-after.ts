/**
 * `Retry-After` (RFC 9110 §10.2.3): delay-seconds or an HTTP-date.
 */

/**
 * Milliseconds to wait for a `Retry-After` value at `nowMs`: a number of
 * seconds, or an HTTP-date (a past date means 0). Undefined when the header
 * is absent; 0 when it is malformed (retry now, with the usual backoff
 * bounds applied by the caller).
 */
export function parseRetryAfter(value: string | undefined, nowMs: number): number | undefined {
  if (value === undefined) return undefined;
  const v = value.trim();
  if (/^\d+$/.test(v)) return Number(v) * 1000;
  // HTTP-date: IMF-fixdate (Sun, 06 Nov 1994 08:49:37 GMT) and the obsolete forms Date.parse also reads.
  if (!/[A-Za-z]{3}/.test(v)) return 0;
  const t = Date.parse(v);
  if (Number.isNaN(t)) return 0;
  return Math.max(0, t - nowMs);
}
