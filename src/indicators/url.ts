/**
 * URL normalisation, shared by URL indicators (at load) and by the TypeScript
 * engine (on URLs found in log lines). The native engine implements the same
 * rules in `native/src/url.cc`; the differential tests hold them together.
 *
 * Normal form: `scheme://[userinfo@]host[:port]path[?query]` with the scheme
 * and host lower-cased (ASCII only), one trailing dot of the host removed, the
 * scheme's default port dropped, an empty path written as `/`, and the
 * fragment removed. The path and query are kept byte for byte.
 */
import { parseDomainIndicator } from './domain.js';
import { parseIpIndicator } from './ip.js';
import type { UrlValue } from './types.js';

const DEFAULT_PORTS: Readonly<Record<string, string>> = {
  http: '80',
  https: '443',
  ws: '80',
  wss: '443',
  ftp: '21',
};

/** Bytes that end a URL in a log line (besides end of line). Exported for the engine. */
export function isUrlStop(code: number): boolean {
  return (
    code <= 0x20 ||
    code === 0x7f ||
    code === 0x22 /* " */ ||
    code === 0x27 /* ' */ ||
    code === 0x3c /* < */ ||
    code === 0x3e /* > */ ||
    code === 0x5c /* \ */ ||
    code === 0x5e /* ^ */ ||
    code === 0x60 /* ` */ ||
    code === 0x7b /* { */ ||
    code === 0x7c /* | */ ||
    code === 0x7d /* } */
  );
}

function asciiLower(s: string): string {
  let out = '';
  let changed = false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0x41 && c <= 0x5a) {
      out += String.fromCharCode(c + 32);
      changed = true;
    } else {
      out += s[i];
    }
  }
  return changed ? out : s;
}

/** The parts of a normalised URL. */
export interface UrlParts {
  readonly scheme: string;
  readonly userinfo: string;
  readonly host: string;
  readonly port: string;
  /** Path and query, fragment removed, never empty (at least `/`). */
  readonly pathQuery: string;
}

/**
 * Splits and normalises `scheme://…`. Returns undefined when there is no
 * scheme separator or no host. Works on any string: the engine passes
 * byte strings (latin1), loaders pass ordinary strings.
 */
export function splitUrl(url: string): UrlParts | undefined {
  const sep = url.indexOf('://');
  if (sep <= 0) return undefined;
  const scheme = asciiLower(url.slice(0, sep));
  const rest = url.slice(sep + 3);
  let authEnd = rest.length;
  for (let i = 0; i < rest.length; i++) {
    const c = rest.charCodeAt(i);
    if (c === 0x2f || c === 0x3f || c === 0x23) {
      authEnd = i;
      break;
    }
  }
  const authority = rest.slice(0, authEnd);
  const at = authority.lastIndexOf('@');
  const userinfo = at >= 0 ? authority.slice(0, at + 1) : '';
  const hostPort = authority.slice(at + 1);

  let host: string;
  let port = '';
  if (hostPort.startsWith('[')) {
    const close = hostPort.indexOf(']');
    if (close < 0) {
      host = hostPort;
    } else {
      host = hostPort.slice(0, close + 1);
      const after = hostPort.slice(close + 1);
      if (after.startsWith(':') && /^\d*$/.test(after.slice(1))) port = after.slice(1);
      else if (after !== '') host = hostPort;
    }
  } else {
    const colon = hostPort.lastIndexOf(':');
    if (colon >= 0 && /^\d*$/.test(hostPort.slice(colon + 1))) {
      host = hostPort.slice(0, colon);
      port = hostPort.slice(colon + 1);
    } else {
      host = hostPort;
    }
  }
  host = asciiLower(host);
  if (host.endsWith('.')) host = host.slice(0, -1);
  if (host === '') return undefined;
  if (port === DEFAULT_PORTS[scheme]) port = '';

  let pathQuery = rest.slice(authEnd);
  const hash = pathQuery.indexOf('#');
  if (hash >= 0) pathQuery = pathQuery.slice(0, hash);
  if (pathQuery === '' || pathQuery.charCodeAt(0) === 0x3f) pathQuery = `/${pathQuery}`;
  return { scheme, userinfo, host, port, pathQuery };
}

/** `[userinfo@]host[:port]` + path/query, the scheme-less match key. */
export function schemelessKey(p: UrlParts, host = p.host): string {
  return `${p.userinfo}${host}${p.port === '' ? '' : `:${p.port}`}${p.pathQuery}`;
}

/** The full match key `scheme://…`. */
export function fullKey(p: UrlParts, host = p.host): string {
  return `${p.scheme}://${schemelessKey(p, host)}`;
}

export type UrlParse = { ok: true; name: string; url: UrlValue } | { ok: false; reason: string };

const SCHEME = /^[a-z][a-z0-9+.-]*$/;

/**
 * Parses a URL indicator (already refanged). `http://Evil.Example:80/x#f`
 * becomes `http://evil.example/x`. A value without a scheme
 * (`evil.example/gate.php`, as Zeek intel stores URLs) is a scheme-less URL
 * indicator that matches the same host and path under any scheme.
 */
export function parseUrlIndicator(text: string): UrlParse {
  const s = text.trim();
  const schemeless = !s.includes('://');
  const parts = splitUrl(schemeless ? `x://${s}` : s);
  if (!parts) return { ok: false, reason: 'URL without a host' };
  if (!schemeless && !SCHEME.test(parts.scheme)) return { ok: false, reason: `invalid URL scheme "${parts.scheme}"` };
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80 && isUrlStop(c)) {
      return { ok: false, reason: `URL contains ${JSON.stringify(s[i])}, which ends a URL in a log line` };
    }
  }

  const hostKeys: string[] = [];
  let bare = parts.host;
  if (bare.startsWith('[') && bare.endsWith(']')) bare = bare.slice(1, -1);
  if (parseIpIndicator(bare).ok) {
    hostKeys.push(parts.host);
  } else {
    const d = parseDomainIndicator(parts.host);
    if (!d.ok && !/^[a-z0-9_-]+$/.test(parts.host)) return { ok: false, reason: `invalid URL host: ${d.reason}` };
    if (d.ok) hostKeys.push(...d.keys);
    else hostKeys.push(parts.host); // single-label host, e.g. an intranet name
  }
  const primary = hostKeys[0] ?? parts.host;
  const key = schemeless ? (h: string) => schemelessKey(parts, h) : (h: string) => fullKey(parts, h);
  return {
    ok: true,
    name: key(primary),
    url: { schemeless, keys: hostKeys.map(key), host: primary },
  };
}
