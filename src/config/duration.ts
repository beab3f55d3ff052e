/**
 * Durations, sizes and shares written in the configuration file: `30s`,
 * `5m`, `1h`, `2d`, `250ms` or a bare number of seconds; `16M`; `50%` or
 * `0.5`.
 */

const DURATION = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?$/i;
const UNIT_MS: Readonly<Record<string, number>> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** Milliseconds of a duration (`30s`, `5m`, `1h`, `2d`, `250ms`, or a number of seconds), or undefined when malformed. */
export function parseDurationMs(value: string | number): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) && value >= 0 ? Math.round(value * 1000) : undefined;
  const m = DURATION.exec(value.trim());
  if (!m) return undefined;
  const n = Number(m[1]) * (UNIT_MS[(m[2] ?? 's').toLowerCase()] ?? 1000);
  return Number.isFinite(n) ? Math.round(n) : undefined;
}

/** A share between 0 and 1 from `50%` or `0.5`, or undefined when malformed. */
export function parseShare(value: string | number): number | undefined {
  if (typeof value === 'number') return value >= 0 && value <= 1 ? value : undefined;
  const m = /^(\d+(?:\.\d+)?)\s*%$/.exec(value.trim());
  const n = m ? Number(m[1]) / 100 : Number(value);
  return Number.isFinite(n) && n >= 0 && n <= 1 && value.trim() !== '' ? n : undefined;
}

const SIZE = /^(\d+)\s*(b|k|kb|kib|m|mb|mib|g|gb|gib)?$/i;
const SIZE_MULT: Readonly<Record<string, number>> = { b: 1, k: 1024, kb: 1024, kib: 1024, m: 1024 ** 2, mb: 1024 ** 2, mib: 1024 ** 2, g: 1024 ** 3, gb: 1024 ** 3, gib: 1024 ** 3 };

/** Bytes of a size (`16M`, `512KiB`, `1048576`), or undefined when malformed. */
export function parseSize(value: string | number): number | undefined {
  if (typeof value === 'number') return Number.isSafeInteger(value) && value >= 0 ? value : undefined;
  const m = SIZE.exec(value.trim());
  if (!m) return undefined;
  const n = Number(m[1]) * (SIZE_MULT[(m[2] ?? 'b').toLowerCase()] ?? 1);
  return Number.isSafeInteger(n) ? n : undefined;
}

/** `1h 5m` style rendering of milliseconds for messages. */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`;
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${s % 60 ? ` ${s % 60}s` : ''}`;
  return `${Math.floor(s / 3600)}h${Math.floor((s % 3600) / 60) ? ` ${Math.floor((s % 3600) / 60)}m` : ''}`;
}
