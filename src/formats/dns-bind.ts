/**
 * BIND 9 `named` messages: query log lines (with and without `@0x…` and
 * `(qname)`, IPv6 clients `addr#port`, views, Infoblox's query+response
 * variant), `query-errors`, and other client lines. Also bare BIND log files
 * (`07-Jun-2026 05:59:41.389 queries: info: client …`).
 */
import { TIME_INVALID_FIELD, type EventBuilder } from './event-builder.js';
import { peerField, stripDot, toInt } from './net.js';
import { fromBindTime } from './time.js';

type Range = [number, number];
/** Optional category/severity/time prefix before the message proper. */
const PREFIX = /^(?:([a-z][a-z-]*): )?(?:(\d{2}-[A-Za-z]{3}-\d{4} \d{2}:\d{2}:\d{2}(?:\.\d{1,3})?) )?(?:([a-z][a-z-]*): )?(?:(info|notice|warning|error|debug(?: \d+)?|critical): )?/d;
const CLIENT = /^client (?:@0x[0-9a-fA-F]+ )?(\S+)#(\d+)(?: \(([^)]*)\))?:? (?:view ([^:]+): )?(?:(UDP|TCP): )?/d;
const QUERY = /^query: (\S+) ([A-Z]+) ([A-Z0-9]+) ([-+][A-Z0-9()]*)?(?: \(([^)]+)\))?/d;
const RESPONSE = / response: ([A-Z]+) ([-+][A-Z]*)\s*(.*)$/d;
const FAILED = /^query failed \(([A-Z]+)\) for (\S+?)\/([A-Z]+)\/([A-Z0-9]+)/d;
const ANSWER = /(\S+) (\d+) ([A-Z]+) ([A-Z0-9]+) ((?:"(?:[^"\\]|\\.)*"\s*)+|[^;]+);/dg;

/** Whether `msg` looks like a BIND query log message. */
export function isBindQuery(msg: string): boolean {
  return /client (?:@0x[0-9a-fA-F]+ )?\S+#\d+.*query: \S+ (?:IN|CH|HS) [A-Z0-9]+ /.test(msg);
}

/** Parses a `named` message starting at `at` in the line; returns the BIND timestamp when it has one. */
export function parseBindMessage(b: EventBuilder, msg: string, at: number, zone: string): string | undefined {
  const p = PREFIX.exec(msg) as RegExpExecArray;
  const time = p[2] ? fromBindTime(p[2], zone) : undefined;
  if (p[2] && !time) b.set(TIME_INVALID_FIELD, p[2]);
  if (p[1] ?? p[3]) b.set('log.logger', p[1] ?? p[3]);
  if (p[4]) b.set('log.level', p[4]);
  let pos = p[0].length;
  const c = CLIENT.exec(msg.slice(pos));
  if (!c) return time;
  const ci = c.indices as unknown as Range[];
  const off = at + pos;
  b.setAt(peerField('client', c[1] as string), c[1], off + (ci[1] as Range)[0], off + (ci[1] as Range)[1]);
  b.setAt('client.port', toInt(c[2]), off + (ci[2] as Range)[0], off + (ci[2] as Range)[1]);
  if (c[3] !== undefined) b.setAt('dns.question.name', stripDot(c[3]), off + (ci[3] as Range)[0], off + (ci[3] as Range)[1]);
  if (c[4] !== undefined) b.set('bind.view', c[4]);
  if (c[5] !== undefined) b.set('network.transport', c[5].toLowerCase());
  pos += c[0].length;
  const rest = msg.slice(pos);
  const roff = at + pos;
  const q = QUERY.exec(rest);
  const f = q ? undefined : FAILED.exec(rest);
  if (q) {
    const qi = q.indices as unknown as Range[];
    b.setAt('dns.question.name', stripDot(q[1] as string), roff + (qi[1] as Range)[0], roff + (qi[1] as Range)[1]);
    b.set('dns.question.class', q[2]).set('dns.question.type', q[3]).set('dns.type', 'query');
    if (q[4]) b.set('bind.flags', q[4]);
    if (q[5]) b.setAt(peerField('server', q[5]), q[5], roff + (qi[5] as Range)[0], roff + (qi[5] as Range)[1]);
    b.set('event.action', 'dns-query');
    const r = RESPONSE.exec(rest);
    if (r) {
      const ri = r.indices as unknown as Range[];
      b.set('dns.response_code', r[1]).set('dns.type', 'answer');
      const answersAt = roff + (ri[3] as Range)[0];
      for (const a of (r[3] as string).matchAll(ANSWER)) {
        const ai = a.indices as unknown as Range[];
        const data = (a[5] as string).trim();
        b.push('dns.answers', { name: stripDot(a[1] as string), ttl: Number(a[2]), class: a[3], type: a[4], data: stripDot(data) });
        b.span('dns.answers.name', answersAt + (ai[1] as Range)[0], answersAt + (ai[1] as Range)[1]);
        b.span('dns.answers.data', answersAt + (ai[5] as Range)[0], answersAt + (ai[5] as Range)[1]);
      }
    }
  } else if (f) {
    const fi = f.indices as unknown as Range[];
    b.set('dns.response_code', f[1]).set('event.outcome', 'failure');
    b.setAt('dns.question.name', stripDot(f[2] as string), roff + (fi[2] as Range)[0], roff + (fi[2] as Range)[1]);
    b.set('dns.question.class', f[3]).set('dns.question.type', f[4]).set('event.action', 'dns-query-failed');
  }
  return time;
}

/** Whether `line` is a bare BIND log line (no syslog header). */
export function isBareBindLine(line: string): boolean {
  return /^\d{2}-[A-Za-z]{3}-\d{4} \d{2}:\d{2}:\d{2}(?:\.\d{1,3})? /.test(line);
}
