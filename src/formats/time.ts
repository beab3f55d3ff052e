/**
 * Event-time helpers: every result is UTC ISO 8601 with milliseconds
 * (`2016-12-26T14:16:29.000Z`) or undefined when the input is not a time.
 */

const MONTHS: Readonly<Record<string, number>> = {
  jan: 0, feb: 1, mar: 2, apr: 3, may: 4, jun: 5, jul: 6, aug: 7, sep: 8, oct: 9, nov: 10, dec: 11,
};

/** Month index (0-11) of an English abbreviation (`Dec`, any case), or undefined. */
export function monthIndex(name: string): number | undefined {
  return MONTHS[name.slice(0, 3).toLowerCase()];
}

/**
 * True when the fields name a real calendar time: a day that exists in its
 * month (`31/Feb` and `30/Feb` of any year, `29/Feb` of a common year are
 * not), hours 0-23, minutes 0-59, seconds 0-60 (60: a leap second). Months
 * are 0-based, as `Date.UTC` takes them.
 */
export function isRealTime(year: number, month: number, day: number, h = 0, m = 0, s = 0): boolean {
  if (!Number.isInteger(year) || month < 0 || month > 11 || day < 1 || h < 0 || h > 23 || m < 0 || m > 59 || s < 0 || s > 60) return false;
  const d = new Date(Date.UTC(year, month, day));
  return d.getUTCFullYear() === year && d.getUTCMonth() === month && d.getUTCDate() === day;
}

function iso(ms: number): string | undefined {
  return Number.isFinite(ms) ? new Date(ms).toISOString() : undefined;
}

/** Epoch seconds (`1418530010`, `1547188415.857497`) → ISO; undefined when not a number. */
export function fromEpochSeconds(value: string | number): string | undefined {
  const n = typeof value === 'number' ? value : /^\d+(\.\d+)?$/.test(value) ? Number(value) : Number.NaN;
  return iso(Math.round(n * 1000));
}

/**
 * Offset of `zone` from UTC at the UTC instant `utcMs`, in milliseconds
 * (`UTC` → 0). Throws RangeError for an unknown zone.
 */
export function zoneOffsetMs(zone: string, utcMs: number): number {
  if (zone === 'UTC' || zone === 'Etc/UTC') return 0;
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone: zone,
    hourCycle: 'h23',
    year: 'numeric',
    month: 'numeric',
    day: 'numeric',
    hour: 'numeric',
    minute: 'numeric',
    second: 'numeric',
  }).formatToParts(new Date(utcMs));
  const get = (t: string): number => Number(parts.find((p) => p.type === t)?.value ?? 0);
  const asUtc = Date.UTC(get('year'), get('month') - 1, get('day'), get('hour'), get('minute'), get('second'));
  return asUtc - Math.floor(utcMs / 1000) * 1000;
}

/** Whether `zone` is a time zone the runtime knows. */
export function isValidTimeZone(zone: string): boolean {
  try {
    zoneOffsetMs(zone, 0);
    return true;
  } catch {
    return false;
  }
}

/** Wall-clock fields in `zone` → UTC epoch ms (the offset is looked up twice to settle DST edges). */
export function wallClockToUtc(
  zone: string,
  year: number,
  month: number,
  day: number,
  h: number,
  m: number,
  s: number,
  ms = 0,
): number {
  const wall = Date.UTC(year, month, day, h, m, s, ms);
  if (zone === 'UTC') return wall;
  let utc = wall - zoneOffsetMs(zone, wall);
  utc = wall - zoneOffsetMs(zone, utc);
  return utc;
}

/**
 * `+0200`, `+02:00`, `-0530`, `Z` → minutes east of UTC; undefined when not an
 * offset. As in RFC 3339, hours are 00-23 and minutes 00-59 (`+9999` is not an
 * offset).
 */
export function offsetMinutes(text: string): number | undefined {
  if (text === 'Z' || text === 'z') return 0;
  const m = /^([+-])(\d{2}):?(\d{2})$/.exec(text);
  if (!m || Number(m[2]) > 23 || Number(m[3]) > 59) return undefined;
  const v = Number(m[2]) * 60 + Number(m[3]);
  return m[1] === '-' ? -v : v;
}

/**
 * The minute {@link fromApacheTime} read last (`26/Dec/2016:16:16 +0200`) and
 * its time in ISO form up to the seconds (`2016-12-26T14:16:`), or undefined
 * when it is not a real time: lines of a log mostly share their minute with
 * the line before. Zone offsets are whole minutes, so the seconds of the UTC
 * time are those written.
 */
let lastMinute: { key: string; prefix: string | undefined } = { key: '', prefix: undefined };

/** Apache `%t` body `26/Dec/2016:16:16:29 +0200` → ISO. */
export function fromApacheTime(text: string): string | undefined {
  // `dd/Mon/yyyy:hh:mm:ss +zzzz`: seconds 00-59 at 18-19 (60, a leap second, rolls over: read in full).
  const s0 = text.charCodeAt(18);
  const s1 = text.charCodeAt(19);
  if (text.length !== 26 || text.charCodeAt(17) !== 0x3a || text.charCodeAt(20) !== 0x20 || s0 < 0x30 || s0 > 0x35 || s1 < 0x30 || s1 > 0x39) {
    return readApacheTime(text);
  }
  const key = text.slice(0, 17) + text.slice(20);
  if (key !== lastMinute.key) {
    const iso = readApacheTime(`${text.slice(0, 18)}00${text.slice(20)}`);
    // The ISO text of a whole minute ends in `00.000Z`.
    lastMinute = { key, prefix: iso?.slice(0, -7) };
  }
  return lastMinute.prefix === undefined ? undefined : `${lastMinute.prefix}${text.slice(18, 20)}.000Z`;
}

/** {@link fromApacheTime} without its cache (the reference the tests hold it to). @internal */
export function readApacheTime(text: string): string | undefined {
  const m = /^(\d{2})\/([A-Za-z]{3})\/(\d{4}):(\d{2}):(\d{2}):(\d{2}) ([+-]\d{4})$/.exec(text);
  if (!m) return undefined;
  const month = monthIndex(m[2] as string);
  const off = offsetMinutes(m[7] as string);
  if (month === undefined || off === undefined) return undefined;
  if (!isRealTime(Number(m[3]), month, Number(m[1]), Number(m[4]), Number(m[5]), Number(m[6]))) return undefined;
  return iso(Date.UTC(Number(m[3]), month, Number(m[1]), Number(m[4]), Number(m[5]), Number(m[6])) - off * 60_000);
}

/**
 * ISO 8601 / RFC 3339 (`2018-08-14T14:30:02.203151+02:00`, `…+0400`, `…Z`,
 * or no zone, read in `zone`) → ISO in UTC. A space may replace the `T`.
 */
export function fromIsoTime(text: string, zone = 'UTC'): string | undefined {
  const m = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2}):(\d{2})(?:[.,](\d+))?(Z|z|[+-]\d{2}:?\d{2})?$/.exec(text);
  if (!m) return undefined;
  const ms = m[7] ? Math.floor(Number(`0.${m[7]}`) * 1000) : 0;
  const [y, mo, d, h, mi, s] = [m[1], m[2], m[3], m[4], m[5], m[6]].map(Number) as [number, number, number, number, number, number];
  if (!isRealTime(y, mo - 1, d, h, mi, s)) return undefined;
  if (m[8] !== undefined) {
    const off = offsetMinutes(m[8]);
    if (off === undefined) return undefined;
    return iso(Date.UTC(y, mo - 1, d, h, mi, s, ms) - off * 60_000);
  }
  return iso(wallClockToUtc(zone, y, mo - 1, d, h, mi, s, ms));
}

/**
 * RFC 3164 time `Dec  4 04:51:08` (no year, no zone): the year is the one
 * that puts the time at or before `referenceMs` (a file's modification time)
 * — the reference's year, or the year before when that would be later than
 * the reference (plus a day of slack for clock skew).
 */
export function fromBsdTime(month: string, day: number, time: string, zone: string, referenceMs: number): string | undefined {
  const mo = monthIndex(month);
  const t = /^(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,6}))?$/.exec(time);
  if (mo === undefined || !t || day < 1 || day > 31) return undefined;
  const [h, mi, s] = [Number(t[1]), Number(t[2]), Number(t[3])];
  const ms = t[4] ? Math.floor(Number(`0.${t[4]}`) * 1000) : 0;
  const refYear = new Date(referenceMs).getUTCFullYear();
  let year = refYear;
  let utc = wallClockToUtc(zone, year, mo, day, h, mi, s, ms);
  if (utc > referenceMs + 86_400_000) {
    year = refYear - 1;
    utc = wallClockToUtc(zone, year, mo, day, h, mi, s, ms);
  }
  // 29 Feb is real in a leap year only; 30 Feb never.
  if (!isRealTime(year, mo, day, h, mi, s)) return undefined;
  return iso(utc);
}

/** BIND `07-Jun-2026 05:59:41.389` (local time of the server, read in `zone`) → ISO. */
export function fromBindTime(text: string, zone: string): string | undefined {
  const m = /^(\d{2})-([A-Za-z]{3})-(\d{4}) (\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,3}))?$/.exec(text);
  if (!m) return undefined;
  const mo = monthIndex(m[2] as string);
  if (mo === undefined || !isRealTime(Number(m[3]), mo, Number(m[1]), Number(m[4]), Number(m[5]), Number(m[6]))) return undefined;
  return iso(wallClockToUtc(zone, Number(m[3]), mo, Number(m[1]), Number(m[4]), Number(m[5]), Number(m[6]), m[7] ? Number(m[7].padEnd(3, '0')) : 0));
}
