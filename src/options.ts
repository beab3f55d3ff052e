/**
 * Validation of command-line values, in TypeScript, before anything reaches
 * an engine. Messages say what was expected, for which option, and what was
 * received.
 */
import { UsageError } from './errors.js';

const SIZE = /^(\d+)\s*(b|k|kb|kib|m|mb|mib|g|gb|gib)?$/i;
const MULTIPLIER: Readonly<Record<string, number>> = {
  b: 1,
  k: 1024,
  kb: 1024,
  kib: 1024,
  m: 1024 ** 2,
  mb: 1024 ** 2,
  mib: 1024 ** 2,
  g: 1024 ** 3,
  gb: 1024 ** 3,
  gib: 1024 ** 3,
};

/** Parses a byte size such as `16M`, `512KiB` or `1048576`, within [min, max]. */
export function parseByteSize(option: string, value: string, min: number, max: number): number {
  const m = SIZE.exec(value.trim());
  const n = m ? Number(m[1]) * (MULTIPLIER[(m[2] ?? 'b').toLowerCase()] ?? 1) : Number.NaN;
  if (!Number.isSafeInteger(n) || n < min || n > max) {
    throw new UsageError(
      `Expected a size from ${min} to ${max} bytes (suffixes K, M, G) for ${option} but received ${JSON.stringify(value)}`,
    );
  }
  return n;
}

/** Parses a whole number within [min, max]. */
export function parseWholeNumber(option: string, value: string, min: number, max: number): number {
  const n = /^\d+$/.test(value.trim()) ? Number(value) : Number.NaN;
  if (!Number.isSafeInteger(n) || n < min || n > max) {
    throw new UsageError(`Expected a whole number from ${min} to ${max} for ${option} but received ${JSON.stringify(value)}`);
  }
  return n;
}

/** Checks that `value` is one of `allowed`, suggesting the closest one otherwise. */
export function parseChoice<T extends string>(option: string, value: string, allowed: readonly T[]): T {
  if ((allowed as readonly string[]).includes(value)) return value as T;
  const lower = value.toLowerCase();
  const hint = allowed.find((a) => a.toLowerCase() === lower || a.startsWith(lower));
  throw new UsageError(
    `Expected one of ${allowed.join(', ')} for ${option} but received ${JSON.stringify(value)}` +
      (hint ? ` (did you mean ${hint}?)` : ''),
  );
}

/** Checks an IANA time-zone name (`UTC`, `Europe/Paris`) that the runtime knows. */
export function parseTimeZone(option: string, value: string): string {
  // The default needs no check: asking Intl loads the time zone data (~15 ms of start-up).
  if (value === 'UTC') return value;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: value });
    return value;
  } catch {
    throw new UsageError(`Expected an IANA time zone such as UTC or Europe/Paris for ${option} but received ${JSON.stringify(value)}`);
  }
}

const DURATION = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h|d|w)?$/i;
const DURATION_MS: Readonly<Record<string, number>> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/**
 * Parses a duration such as `30d`, `12h`, `90m`, `45s`, `500ms` (a bare
 * number is seconds) into milliseconds, within [minMs, maxMs].
 */
export function parseDuration(option: string, value: string, minMs: number, maxMs: number): number {
  const m = DURATION.exec(value.trim());
  const ms = m ? Math.round(Number(m[1]) * (DURATION_MS[(m[2] ?? 's').toLowerCase()] ?? 1000)) : Number.NaN;
  if (!Number.isFinite(ms) || ms < minMs || ms > maxMs) {
    throw new UsageError(
      `Expected a duration (a number with ms, s, m, h, d or w; a bare number is seconds) from ${minMs / 1000} s to ${maxMs / 86_400_000} days for ${option} but received ${JSON.stringify(value)}`,
    );
  }
  return ms;
}
