/**
 * Turns a raw feed value (possibly defanged, possibly typed by the feed) into
 * one canonical {@link NormalizedIndicator}, or a reason why it is not one.
 */
import { parseDomainIndicator } from './domain.js';
import { looksLikeIp, parseIpIndicator } from './ip.js';
import { refang } from './refang.js';
import type { DeclaredType, HashAlgorithm, NormalizedIndicator } from './types.js';
import { parseUrlIndicator } from './url.js';

export type NormalizeResult = { ok: true; indicator: NormalizedIndicator } | { ok: false; reason: string };

const HEX = /^[0-9a-f]+$/i;
const HASH_BY_LENGTH: Readonly<Record<number, HashAlgorithm>> = { 32: 'md5', 40: 'sha1', 64: 'sha256', 128: 'sha512' };
const HASH_LENGTH: Readonly<Record<HashAlgorithm, number>> = { md5: 32, sha1: 40, sha256: 64, sha512: 128 };
/** Characters of an e-mail local part that the engines recognise (see the matching rules). */
const EMAIL_LOCAL = /^[A-Za-z0-9_%+-][A-Za-z0-9._%+-]*$/;

function fail(reason: string): NormalizeResult {
  return { ok: false, reason };
}

function ip(text: string, want?: 4 | 6, cidrOnly = false): NormalizeResult {
  const r = parseIpIndicator(text);
  if (!r.ok) return fail(r.reason);
  if (want && r.ip.version !== want) return fail(`declared IPv${want} but the value is IPv${r.ip.version}`);
  if (cidrOnly && r.ip.prefix === (r.ip.version === 4 ? 32 : 128) && !text.includes('/')) {
    return fail('declared CIDR but the value has no prefix length');
  }
  return { ok: true, indicator: { type: r.ip.version === 4 ? 'ipv4-addr' : 'ipv6-addr', name: r.name, ip: r.ip } };
}

function hash(text: string, algorithm?: HashAlgorithm): NormalizeResult {
  if (!HEX.test(text)) return fail('hash is not hexadecimal');
  const byLength = HASH_BY_LENGTH[text.length];
  if (!byLength) return fail(`hash length ${text.length} is not MD5, SHA-1, SHA-256 or SHA-512`);
  if (algorithm && HASH_LENGTH[algorithm] !== text.length) {
    return fail(`declared ${algorithm} but the value has ${text.length} hex digits`);
  }
  return { ok: true, indicator: { type: 'file', name: text.toLowerCase(), algorithm: byLength } };
}

function domain(text: string): NormalizeResult {
  const r = parseDomainIndicator(text);
  if (!r.ok) return fail(r.reason);
  return { ok: true, indicator: { type: 'domain-name', name: r.name, keys: r.keys } };
}

function url(text: string): NormalizeResult {
  const r = parseUrlIndicator(text);
  if (!r.ok) return fail(r.reason);
  return { ok: true, indicator: { type: 'url', name: r.name, url: r.url } };
}

function email(text: string): NormalizeResult {
  let s = text.trim();
  if (s.toLowerCase().startsWith('mailto:')) s = s.slice(7);
  if (s.startsWith('<') && s.endsWith('>')) s = s.slice(1, -1);
  const at = s.lastIndexOf('@');
  if (at <= 0) return fail('e-mail address without a local part');
  const local = s.slice(0, at);
  if (!EMAIL_LOCAL.test(local)) return fail(`invalid e-mail local part "${local}"`);
  const d = parseDomainIndicator(s.slice(at + 1));
  if (!d.ok) return fail(`invalid e-mail domain: ${d.reason}`);
  const lowerLocal = local.toLowerCase();
  const keys = d.keys.map((k) => `${lowerLocal}@${k}`);
  return { ok: true, indicator: { type: 'email-addr', name: keys[0] ?? '', keys } };
}

function infer(s: string): NormalizeResult {
  if (s.includes('://')) return url(s);
  if (looksLikeIp(s)) {
    const r = ip(s);
    if (r.ok || !/[a-f]/i.test(s)) return r;
  }
  if (HEX.test(s) && HASH_BY_LENGTH[s.length]) return hash(s);
  if (s.includes('@')) return email(s);
  if (s.includes('/')) return url(s);
  return domain(s);
}

/**
 * Normalises one feed value. Defanged spellings are refanged first. With no
 * `declared` type the type is inferred: URL (has `://`), IP or CIDR, hash (32,
 * 40, 64 or 128 hex digits), e-mail (has `@`), scheme-less URL (has `/`),
 * otherwise domain. A declared type must agree with the value.
 */
export function normalizeIndicator(raw: string, declared?: DeclaredType): NormalizeResult {
  const s = refang(raw.trim());
  if (s === '') return fail('empty value');
  if (/\s/.test(s)) return fail('value contains white space');
  switch (declared) {
    case undefined:
      return infer(s);
    case 'ipv4-addr':
      return ip(s, 4);
    case 'ipv6-addr':
      return ip(s, 6);
    case 'ip':
      return ip(s);
    case 'cidr':
      return ip(s, undefined, true);
    case 'domain-name':
      return domain(s);
    case 'domain-or-ip':
      return looksLikeIp(s) && parseIpIndicator(s).ok ? ip(s) : domain(s);
    case 'url':
      return url(s);
    case 'email-addr':
      return email(s);
    case 'file':
    case 'hash':
      return hash(s);
    case 'md5':
    case 'sha1':
    case 'sha256':
    case 'sha512':
      return hash(s, declared);
  }
}
