/**
 * Domain-name indicators: case folding, trailing dot, wildcard prefix, and
 * internationalised names (the Unicode and the punycode spelling are one
 * indicator with two lookup keys).
 */
import { domainToASCII, domainToUnicode } from 'node:url';

export type DomainParse = { ok: true; name: string; keys: string[] } | { ok: false; reason: string };

const LABEL = /^[a-z0-9_-]{1,63}$/;
const ALL_DIGITS = /^[0-9]+$/;
/** Two labels or more, each as {@link LABEL}: what the label loop below accepts. */
const VALID_NAME = /^[a-z0-9_-]{1,63}(?:\.[a-z0-9_-]{1,63})+$/;
const NUMERIC_TLD = /\.[0-9]+$/;
// eslint-disable-next-line no-control-regex
const NON_ASCII = /[^\x00-\x7f]/;

/** Checks an ASCII, lower-case host name; returns the reason it is not a domain, or undefined. */
export function domainProblem(ascii: string): string | undefined {
  if (ascii.length > 253) return 'domain longer than 253 characters';
  // Most names pass: one pattern over the whole name, without splitting it.
  if (VALID_NAME.test(ascii) && !NUMERIC_TLD.test(ascii)) return undefined;
  const labels = ascii.split('.');
  if (labels.length < 2) return 'a domain needs at least two labels';
  for (const label of labels) {
    if (label.length === 0) return 'empty label';
    if (!LABEL.test(label)) return `invalid label "${label}"`;
  }
  const tld = labels[labels.length - 1] ?? '';
  if (ALL_DIGITS.test(tld)) return 'top-level label is numeric';
  return undefined;
}

/**
 * Parses a domain indicator: `evil.example`, `CDN.Evil.Example.`, `*.evil.example`,
 * `bücher.example` or `xn--bcher-kva.example`. The canonical name is lower-case
 * ASCII (punycode); the keys also hold the Unicode spelling for IDNs.
 */
export function parseDomainIndicator(text: string): DomainParse {
  let s = text.trim();
  if (s.startsWith('*.')) s = s.slice(2);
  while (s.startsWith('.')) s = s.slice(1);
  if (s.endsWith('.')) s = s.slice(0, -1);
  if (s.length === 0) return { ok: false, reason: 'empty domain' };

  let ascii: string;
  if (NON_ASCII.test(s)) {
    ascii = domainToASCII(s.normalize('NFC'));
    if (ascii === '') return { ok: false, reason: 'invalid internationalised domain name' };
  } else {
    ascii = s.toLowerCase();
  }
  const problem = domainProblem(ascii);
  if (problem) return { ok: false, reason: problem };

  const keys = [ascii];
  if (ascii.includes('xn--')) {
    const unicode = domainToUnicode(ascii);
    if (unicode !== '' && unicode !== ascii) keys.push(unicode);
  }
  return { ok: true, name: ascii, keys };
}
