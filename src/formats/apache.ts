/**
 * Apache httpd / nginx access logs: common, combined, vhost_combined
 * (`%v[:%p]` first), extra trailing quoted fields (nginx
 * `$http_x_forwarded_for`), and ssl_request (`[%t] %h proto cipher "%r" %b`).
 * Quoted fields honour `\"`, `\\` and `\xhh` escapes.
 */
import { EventBuilder } from './event-builder.js';
import { isIpAddress, peerField, toInt } from './net.js';
import { fromApacheTime } from './time.js';
import type { LineParser, LogFormat, ParsedEvent } from './types.js';

const QUOTED = String.raw`"((?:[^"\\]|\\.)*)"`;
// Group offsets follow from the lengths of the groups and of the literal text
// between them: the patterns go without the `d` flag, whose index arrays cost
// more than the match.
const ACCESS = new RegExp(String.raw`^([^\[]*?) \[([^\]]+)\] ${QUOTED} (\d{3}|-) (\d+|-)(.*)$`);
const SSL_REQUEST = new RegExp(String.raw`^\[([^\]]+)\] (\S+) (\S+) (\S+) ${QUOTED} (\d+|-)\s*$`);
const TRAILING_QUOTED = new RegExp(String.raw` ${QUOTED}`, 'y');
const DETECT = /^(?:\S+ )?\S+ \S+ .*?\[\d{2}\/[A-Za-z]{3}\/\d{4}:\d{2}:\d{2}:\d{2} [+-]\d{4}\] "/;
const DETECT_SSL = /^\[\d{2}\/[A-Za-z]{3}\/\d{4}:\d{2}:\d{2}:\d{2} [+-]\d{4}\] \S+ (?:TLS|SSL)v[\d.]+ /;

/** Undoes Apache/nginx log escaping: `\"`, `\\`, `\n`, `\t`, `\xhh` (bytes, read as UTF-8). */
export function unescapeApache(raw: string): string {
  if (!raw.includes('\\')) return raw;
  const bytes: number[] = [];
  const enc = new TextEncoder();
  for (let i = 0; i < raw.length; i++) {
    const c = raw[i] as string;
    if (c === '\\' && i + 1 < raw.length) {
      const n = raw[i + 1];
      if (n === 'x' && /^[0-9a-fA-F]{2}$/.test(raw.slice(i + 2, i + 4))) {
        bytes.push(parseInt(raw.slice(i + 2, i + 4), 16));
        i += 3;
        continue;
      }
      const simple: Record<string, string> = { '"': '"', '\\': '\\', n: '\n', t: '\t', r: '\r' };
      if (n !== undefined && simple[n] !== undefined) {
        bytes.push((simple[n] as string).charCodeAt(0));
        i++;
        continue;
      }
    }
    for (const b of enc.encode(c)) bytes.push(b);
  }
  return new TextDecoder().decode(Uint8Array.from(bytes));
}

function request(b: EventBuilder, raw: string, at: number): void {
  if (raw === '-' || raw === '') return;
  const first = raw.indexOf(' ');
  const last = raw.lastIndexOf(' ');
  if (first > 0 && /^[A-Za-z]+$/.test(raw.slice(0, first))) {
    b.setAt('http.request.method', raw.slice(0, first), at, at + first);
    const hasVersion = last > first && /^HTTP\/\d(\.\d)?$/.test(raw.slice(last + 1));
    const targetEnd = hasVersion ? last : raw.length;
    b.setAt('url.original', unescapeApache(raw.slice(first + 1, targetEnd)), at + first + 1, at + targetEnd);
    if (hasVersion) b.set('http.version', raw.slice(last + 6));
  } else {
    // Not an HTTP request line (TLS on a plain port, scanner noise): keep it whole.
    b.setAt('apache.access.request_line', unescapeApache(raw), at, at + raw.length);
  }
}

function trailing(b: EventBuilder, line: string, from: number): void {
  TRAILING_QUOTED.lastIndex = from;
  let n = 0;
  for (let m = TRAILING_QUOTED.exec(line); m; m = TRAILING_QUOTED.exec(line)) {
    // ` "` then the value.
    const s = m.index + 2;
    const e = s + (m[1] as string).length;
    const value = unescapeApache(m[1] as string);
    // `-` means "none" in these two fields: no value, and nothing to match.
    if (n === 0) {
      if (value !== '-') b.setAt('http.request.referrer', value, s, e);
    } else if (n === 1) {
      if (value !== '-') b.setAt('user_agent.original', value, s, e);
    }
    else if (value !== '-' && value.split(/,\s*/).every(isIpAddress)) {
      const ips = value.split(/,\s*/);
      b.set('network.forwarded_ip', ips[0]);
      b.set('apache.access.forwarded_for', ips);
      b.span('network.forwarded_ip', s, e);
    } else {
      b.push('apache.access.extra_fields', value).span('apache.access.extra_fields', s, e);
    }
    n++;
  }
}

/** Parses one access-log line; undefined when it is not one. */
export function parseAccessLine(line: string): ParsedEvent | undefined {
  const m = ACCESS.exec(line);
  const b = new EventBuilder();
  if (m) {
    const prefix = m[1] as string;
    const tokens = prefix.split(' ');
    let pos = 0;
    const take = (): [string, number] => {
      const t = tokens.shift() as string;
      const at = pos;
      pos += t.length + 1;
      return [t, at];
    };
    if (tokens.length === 4 && tokens[2] === '-') {
      const [vhost, at] = take();
      const colon = vhost.lastIndexOf(':');
      const host = colon > 0 && /^\d+$/.test(vhost.slice(colon + 1)) ? vhost.slice(0, colon) : vhost;
      b.setAt(peerField('destination', host), host, at, at + host.length);
      if (host !== vhost) b.setAt('destination.port', Number(vhost.slice(colon + 1)), at + colon + 1, at + vhost.length);
    }
    if (tokens.length < 3) return undefined;
    const [client, cAt] = take();
    b.set('source.address', client).setAt(peerField('source', client), client, cAt, cAt + client.length);
    take(); // identd
    const userAt = pos;
    const user = tokens.join(' ');
    if (user !== '-') b.setAt('user.name', unescapeApache(user), userAt, userAt + user.length);
    b.time(m[2], fromApacheTime(m[2] as string));
    // `PREFIX [TIME] "REQUEST" STATUS SIZE REST`
    const reqStart = prefix.length + 2 + (m[2] as string).length + 3;
    request(b, m[3] as string, reqStart);
    b.set('http.response.status_code', toInt(m[4]));
    b.set('http.response.body.bytes', toInt(m[5]));
    trailing(b, line, reqStart + (m[3] as string).length + 2 + (m[4] as string).length + 1 + (m[5] as string).length);
    b.set('event.outcome', Number(m[4]) >= 400 ? 'failure' : 'success');
    return b.build();
  }
  const s = SSL_REQUEST.exec(line);
  if (!s) return undefined;
  b.time(s[1], fromApacheTime(s[1] as string));
  const client = s[2] as string;
  // `[TIME] CLIENT PROTOCOL CIPHER "REQUEST" SIZE`
  const cs = 1 + (s[1] as string).length + 2;
  const ce = cs + client.length;
  b.set('source.address', client).setAt(peerField('source', client), client, cs, ce);
  b.set('tls.version_protocol', (s[3] as string).replace(/v.*$/, '').toLowerCase());
  b.set('tls.version', (s[3] as string).replace(/^[A-Za-z]+v/, ''));
  b.set('tls.cipher', s[4]);
  request(b, s[5] as string, ce + 1 + (s[3] as string).length + 1 + (s[4] as string).length + 2);
  b.set('http.response.body.bytes', toInt(s[6]));
  return b.build();
}

/** The `apache` format: access logs of Apache httpd and nginx. */
export const apacheFormat: LogFormat = {
  name: 'apache',
  dataset: 'apache.access',
  description: 'Apache/nginx access log: common, combined, vhost_combined, extra quoted fields, ssl_request',
  detect: (lines) => {
    const first = lines.slice(0, 10);
    const hits = first.filter((l) => DETECT.test(l) || DETECT_SSL.test(l)).length;
    return hits > 0 && hits * 2 >= first.length;
  },
  open: (): LineParser => ({ parse: parseAccessLine }),
};
