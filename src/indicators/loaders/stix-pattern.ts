/**
 * The part of the STIX 2.1 patterning language iochunt can express: one or
 * more comparisons `object:path = 'value'` (or `ISSUBSET 'cidr'`) joined by
 * `OR`, inside one or several `[...]` observation expressions joined by `OR`.
 * Anything else (AND, FOLLOWEDBY, NOT, MATCHES, LIKE, qualifiers such as
 * WITHIN or START/STOP, other object paths) is refused with a reason, so
 * that the loader can count and report it.
 */
import type { DeclaredType } from '../types.js';

/** One value a pattern names, with the type its object path declares. */
export interface PatternValue {
  readonly value: string;
  readonly declaredType: DeclaredType;
}

export type PatternParse = { ok: true; values: PatternValue[] } | { ok: false; reason: string };

const PATHS: Readonly<Record<string, DeclaredType>> = {
  'ipv4-addr:value': 'ipv4-addr',
  'ipv6-addr:value': 'ipv6-addr',
  'domain-name:value': 'domain-name',
  'url:value': 'url',
  'email-addr:value': 'email-addr',
  "file:hashes.'md5'": 'md5',
  'file:hashes.md5': 'md5',
  "file:hashes.'sha-1'": 'sha1',
  'file:hashes.sha1': 'sha1',
  "file:hashes.'sha1'": 'sha1',
  "file:hashes.'sha-256'": 'sha256',
  'file:hashes.sha256': 'sha256',
  "file:hashes.'sha256'": 'sha256',
  "file:hashes.'sha-512'": 'sha512',
  'file:hashes.sha512': 'sha512',
  "file:hashes.'sha512'": 'sha512',
};

type Tok = { kind: 'str'; text: string } | { kind: 'word'; text: string } | { kind: 'punct'; text: string };

function tokenize(pattern: string): Tok[] | string {
  const out: Tok[] = [];
  let i = 0;
  while (i < pattern.length) {
    const c = pattern[i] as string;
    if (/\s/.test(c)) {
      i++;
    } else if (c === "'") {
      let s = '';
      i++;
      for (;;) {
        if (i >= pattern.length) return 'unterminated string';
        const d = pattern[i] as string;
        if (d === '\\' && i + 1 < pattern.length) {
          s += pattern[i + 1];
          i += 2;
        } else if (d === "'") {
          i++;
          break;
        } else {
          s += d;
          i++;
        }
      }
      out.push({ kind: 'str', text: s });
    } else if ('[]()'.includes(c)) {
      out.push({ kind: 'punct', text: c });
      i++;
    } else if ('=!<>'.includes(c)) {
      const m = /^(!=|<=|>=|=|<|>)/.exec(pattern.slice(i));
      const op = m ? (m[1] as string) : c;
      out.push({ kind: 'punct', text: op });
      i += op.length;
    } else {
      // An object path (may contain quoted keys: file:hashes.'SHA-256') or a keyword.
      const m = /^(?:[A-Za-z0-9_:.-]|'[^']*')+/.exec(pattern.slice(i));
      if (!m) return `unexpected character "${c}"`;
      out.push({ kind: 'word', text: m[0] });
      i += m[0].length;
    }
  }
  return out;
}

/** Parses a STIX pattern into the values it names, or says why iochunt cannot use it. */
export function parseStixPattern(pattern: string): PatternParse {
  const toks = tokenize(pattern);
  if (typeof toks === 'string') return { ok: false, reason: `malformed STIX pattern: ${toks}` };
  // Structure first: an AND or a qualifier makes the whole pattern inexpressible, whatever it compares.
  for (const t of toks) {
    const word = t.text.toUpperCase();
    if (t.kind === 'word' && /^(AND|FOLLOWEDBY|WITHIN|START|STOP|REPEATS|NOT)$/.test(word)) {
      return { ok: false, reason: `unsupported STIX pattern: ${word}` };
    }
  }
  const values: PatternValue[] = [];
  let depth = 0;
  let i = 0;
  while (i < toks.length) {
    const t = toks[i] as Tok;
    if (t.kind === 'punct' && (t.text === '[' || t.text === '(')) {
      if (t.text === '[') depth++;
      i++;
      continue;
    }
    if (t.kind === 'punct' && (t.text === ']' || t.text === ')')) {
      if (t.text === ']') depth--;
      i++;
      continue;
    }
    if (t.kind === 'word' && t.text.toUpperCase() === 'OR') {
      i++;
      continue;
    }
    if (t.kind === 'word' && depth > 0 && t.text.includes(':')) {
      const path = t.text.toLowerCase();
      const op = toks[i + 1];
      const value = toks[i + 2];
      const declared = PATHS[path];
      if (!op || !value) return { ok: false, reason: 'malformed STIX pattern: comparison without a value' };
      const opText = op.text.toUpperCase();
      if (opText === 'NOT') return { ok: false, reason: 'unsupported STIX pattern: NOT' };
      if (opText !== '=' && opText !== 'ISSUBSET') return { ok: false, reason: `unsupported STIX pattern: operator ${op.text}` };
      if (value.kind !== 'str') return { ok: false, reason: `unsupported STIX pattern: ${t.text} compared with a non-string` };
      if (!declared) return { ok: false, reason: `unsupported STIX pattern: object path ${t.text}` };
      if (opText === 'ISSUBSET' && declared !== 'ipv4-addr' && declared !== 'ipv6-addr') {
        return { ok: false, reason: `unsupported STIX pattern: ISSUBSET on ${t.text}` };
      }
      values.push({ value: value.text, declaredType: declared });
      i += 3;
      continue;
    }
    const word = t.text.toUpperCase();
    if (t.kind === 'word' && /^(AND|FOLLOWEDBY|WITHIN|START|STOP|REPEATS|MATCHES|LIKE|NOT|IN|ISSUPERSET|EXISTS)$/.test(word)) {
      return { ok: false, reason: `unsupported STIX pattern: ${word}` };
    }
    return { ok: false, reason: `unsupported STIX pattern: unexpected "${t.text}"` };
  }
  if (depth !== 0) return { ok: false, reason: 'malformed STIX pattern: unbalanced brackets' };
  if (values.length === 0) return { ok: false, reason: 'STIX pattern names no value' };
  return { ok: true, values };
}
