/**
 * Apache `%t` times are read a minute at a time (lines of a log mostly share
 * their minute): the cached reading must give exactly what reading each time
 * in full gives, for real and unreal times, leap seconds, zones and malformed text.
 */
import { describe, expect, it } from 'vitest';
import { fromApacheTime, readApacheTime } from '../src/formats/time.js';

describe('fromApacheTime', () => {
  it('reads times of one minute and across minutes, days, zones and years as the full reading does', () => {
    const texts: string[] = [];
    const months = ['Jan', 'Feb', 'Mar', 'dec', 'Foo'];
    const zones = ['+0000', '+0200', '-0530', '+1400', '+9999', '-2359', '+2400'];
    let seed = 7;
    const rnd = (n: number): number => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed % n;
    };
    const two = (n: number): string => String(n).padStart(2, '0');
    for (let i = 0; i < 4000; i++) {
      const day = rnd(8) === 0 ? 28 + rnd(5) : 1 + rnd(28);
      const text = `${two(day)}/${months[rnd(months.length)]}/${['2024', '2023', '1999', '0000', '9999'][rnd(5)]}:${two(rnd(26))}:${two(rnd(61))}:${two(rnd(62))} ${zones[rnd(zones.length)]}`;
      // Runs of the same minute with increasing seconds, as in a log.
      for (let k = 0; k < 1 + rnd(4); k++) texts.push(text.slice(0, 18) + two(rnd(62)) + text.slice(20));
    }
    texts.push('31/Feb/2024:10:00:00 +0000', '29/Feb/2024:23:59:60 +0000', '29/Feb/2023:10:00:00 +0000', '01/Jan/2024:00:00:5x +0000');
    texts.push('01/Jan/2024:00:00:00 +0000 ', '1/Jan/2024:00:00:00 +0000', '', '01/Jan/2024:00:00:00+0000x', '01/Jan/2024:00:00:00 +00000');
    let real = 0;
    for (const t of texts) {
      const expected = readApacheTime(t);
      if (expected !== undefined) real++;
      expect(fromApacheTime(t), t).toBe(expected);
    }
    // Both kinds were read.
    expect(real).toBeGreaterThan(1000);
    expect(real).toBeLessThan(texts.length - 1000);
  });

  it('gives UTC ISO times with the seconds as written, and none for unreal times', () => {
    expect(fromApacheTime('26/Dec/2016:16:16:29 +0200')).toBe('2016-12-26T14:16:29.000Z');
    expect(fromApacheTime('26/Dec/2016:16:16:30 +0200')).toBe('2016-12-26T14:16:30.000Z');
    expect(fromApacheTime('26/Dec/2016:16:16:31 -0530')).toBe('2016-12-26T21:46:31.000Z');
    expect(fromApacheTime('31/Dec/2016:23:59:60 +0000')).toBe('2017-01-01T00:00:00.000Z');
    expect(fromApacheTime('31/Feb/2016:23:59:59 +0000')).toBeUndefined();
    expect(fromApacheTime('30/Dec/2016:23:59:59 +9999')).toBeUndefined();
  });
});
