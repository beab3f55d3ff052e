/**
 * dnsmasq / Pi-hole (`pihole-FTL`) `log-queries` messages: `query[TYPE] name
 * from client`, `forwarded name to upstream`, `reply|cached|config|<file>
 * name is data`, with the optional `log-queries=extra` serial and client.
 */
import type { EventBuilder } from './event-builder.js';
import { peerField, stripDot } from './net.js';

type Range = [number, number];
const EXTRA = /^(\d+) (\S+)\/(\d+) /d;
const QUERY = /^query\[([A-Za-z0-9]+)\] (\S+) from (\S+)$/d;
const FORWARDED = /^forwarded (\S+) to (\S+)$/d;
const IS = /^(\S+) (\S+) is (.+)$/d;

/** Whether a program name is dnsmasq's. */
export function isDnsmasqProgram(name: string): boolean {
  return name === 'dnsmasq' || name === 'pihole-FTL' || name === 'dnsmasq-dhcp';
}

/** Parses a dnsmasq message starting at `at` in the line. */
export function parseDnsmasqMessage(b: EventBuilder, msg: string, at: number): void {
  let pos = 0;
  const x = EXTRA.exec(msg);
  if (x) {
    const xi = x.indices as unknown as Range[];
    b.set('dnsmasq.serial', Number(x[1]));
    b.setAt(peerField('client', x[2] as string), x[2], at + (xi[2] as Range)[0], at + (xi[2] as Range)[1]);
    pos = x[0].length;
  }
  const rest = msg.slice(pos);
  const off = at + pos;
  const span = (m: RegExpExecArray, g: number): [number, number] => {
    const r = (m.indices as unknown as Range[])[g] as Range;
    return [off + r[0], off + r[1]];
  };
  let m = QUERY.exec(rest);
  if (m) {
    b.set('event.action', 'query').set('dns.type', 'query').set('dns.question.type', m[1]);
    b.setAt('dns.question.name', stripDot(m[2] as string), ...span(m, 2));
    b.setAt(peerField('client', m[3] as string), m[3], ...span(m, 3));
    return;
  }
  m = FORWARDED.exec(rest);
  if (m) {
    b.set('event.action', 'forwarded');
    b.setAt('dns.question.name', stripDot(m[1] as string), ...span(m, 1));
    b.setAt(peerField('server', m[2] as string), m[2], ...span(m, 2));
    return;
  }
  m = IS.exec(rest);
  if (m) {
    const verb = m[1] as string;
    b.set('event.action', verb.startsWith('/') ? 'list' : verb).set('dns.type', 'answer');
    if (verb.startsWith('/')) b.set('file.path', verb);
    if (verb === 'validation' && m[2] === 'result') return;
    b.setAt('dns.question.name', stripDot(m[2] as string), ...span(m, 2));
    const data = m[3] as string;
    if (/^(NXDOMAIN|NODATA(-IPv[46])?|SERVFAIL|REFUSED)$/.test(data)) b.set('dns.response_code', data);
    else if (data !== '<CNAME>') b.push('dns.answers', { data }).span('dns.answers.data', ...span(m, 3));
  }
}
