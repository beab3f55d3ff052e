/**
 * The fast paths of the indicator load read exactly what the general paths
 * read: a plain-list line without white space or separators is its own value;
 * a dotted quad is read as `isIPv4` + ipaddr.js read it; a host name passes the
 * one-pattern check exactly when it passes the label-by-label check.
 */
import { isIPv4 } from 'node:net';
import fc from 'fast-check';
import ipaddr from 'ipaddr.js';
import { describe, expect, it } from 'vitest';
import { domainProblem } from '../src/indicators/domain.js';
import { parseIpIndicator } from '../src/indicators/ip.js';
import { normalizeIndicator } from '../src/indicators/normalize.js';
import { plainValues } from '../src/indicators/loaders/plain.js';
import { specialAddressReason } from '../src/indicators/wide.js';

const SIMPLE_LINE = /^[^\s#,;|][^\s,;|]*$/;

describe('plain list fast path', () => {
  it('a line with no white space, no leading #, no , ; | is read as itself', () => {
    const chars = fc.constantFrom(...'ab.-_*#%:/[]?=&09\u2022\u00e9xX'.split(''), '\u00a0', ' ', ',', ';', '|', '\t');
    fc.assert(
      fc.property(fc.array(chars, { minLength: 1, maxLength: 12 }).map((a) => a.join('')), (line) => {
        if (!SIMPLE_LINE.test(line)) return;
        expect(plainValues(line)).toEqual([line]);
      }),
      { numRuns: 3000 },
    );
  });
  it('lines the fast path leaves alone are read by the general path', () => {
    expect(plainValues('- evil.example')).toEqual(['evil.example']);
    expect(plainValues('evil.example # note')).toEqual(['evil.example']);
    expect(plainValues('#evil.example')).toEqual([]);
    expect(plainValues('evil.example\u00a0')).toEqual(['evil.example']);
  });
});

describe('dotted quad fast path', () => {
  it('reads what isIPv4 accepts, as ipaddr.js reads it, and refuses the rest', () => {
    const part = fc.oneof(fc.integer({ min: 0, max: 300 }).map(String), fc.stringMatching(/^[0-9]{1,3}$/));
    fc.assert(
      fc.property(fc.tuple(part, part, part, part), fc.option(fc.integer({ min: 0, max: 33 })), (parts, prefix) => {
        const addr = parts.join('.');
        const text = prefix === null ? addr : `${addr}/${prefix}`;
        const r = parseIpIndicator(text);
        if (!isIPv4(addr)) {
          expect(r.ok).toBe(false);
          return;
        }
        if (prefix !== null && prefix > 32) {
          expect(r.ok).toBe(false);
          return;
        }
        expect(r.ok).toBe(true);
        if (!r.ok) return;
        const bits = prefix ?? 32;
        const bytes = ipaddr.IPv4.parse(addr).toByteArray().map((b, i) => b & ((0xff << (8 - Math.max(0, Math.min(8, bits - i * 8)))) & 0xff));
        expect([...r.ip.bytes]).toEqual(bytes);
        expect(r.ip.prefix).toBe(bits);
        expect(r.name).toBe(bits === 32 ? bytes.join('.') : `${bytes.join('.')}/${bits}`);
      }),
      { numRuns: 5000 },
    );
  });
});

describe('domain name fast path', () => {
  /** The label-by-label rule, as written before the fast path. */
  const reference = (ascii: string): boolean => {
    if (ascii.length > 253) return false;
    const labels = ascii.split('.');
    if (labels.length < 2) return false;
    if (!labels.every((l) => /^[a-z0-9_-]{1,63}$/.test(l))) return false;
    return !/^[0-9]+$/.test(labels[labels.length - 1] ?? '');
  };
  it('accepts exactly the names the label rule accepts', () => {
    const label = fc.oneof(fc.stringMatching(/^[a-z0-9_-]{0,5}$/), fc.constantFrom('0', '12', 'A', 'é', 'a'.repeat(64), ''));
    fc.assert(
      fc.property(fc.array(label, { minLength: 1, maxLength: 5 }), (labels) => {
        const name = labels.join('.');
        expect(domainProblem(name) === undefined).toBe(reference(name));
      }),
      { numRuns: 5000 },
    );
  });
});

describe('special addresses', () => {
  it('are still refused, and nothing else is', () => {
    for (const v of ['0.0.0.0', '127.0.0.1', '::', '::1']) {
      const r = normalizeIndicator(v);
      expect(r.ok && specialAddressReason(r.indicator)).toMatch(/is not an indicator/);
    }
    const other = normalizeIndicator('127.0.0.2');
    expect(other.ok && specialAddressReason(other.indicator)).toBeUndefined();
    const named = normalizeIndicator('constructor.example');
    expect(named.ok && specialAddressReason(named.indicator)).toBeUndefined();
  });
});
