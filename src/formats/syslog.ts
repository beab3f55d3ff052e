/**
 * Syslog: RFC 3164 (with or without `<PRI>`, year from the file's
 * modification time, zone from `--timezone`), rsyslog RFC 3339 file lines,
 * RFC 5424 (structured data, BOM, octet-counted and NUL-terminated framing).
 * The message is handed on by program: sshd/PAM, `named` (BIND), dnsmasq.
 * The `bind` and `dnsmasq` formats are this parser with their own detection
 * (and bare BIND log lines without a syslog header).
 */
import { isBareBindLine, isBindQuery, parseBindMessage } from './dns-bind.js';
import { isDnsmasqProgram, parseDnsmasqMessage } from './dnsmasq.js';
import { EventBuilder } from './event-builder.js';
import { peerField, toInt } from './net.js';
import { parseAuthMessage } from './sshd.js';
import { continuationEvent, mayStartRecord } from './syslog-continuation.js';
import { fromBsdTime, fromIsoTime, monthIndex } from './time.js';
import type { LineParser, LogFormat, ParseContext, ParsedEvent } from './types.js';

type Range = [number, number];
const BSD = /^(?:\d+ )?(?:<(\d{1,3})>)?([A-Z][a-z]{2}) {1,2}(\d{1,2}) (\d{2}:\d{2}:\d{2}(?:\.\d{1,6})?) /d;
const ISO = /^(?:\d+ )?(?:<(\d{1,3})>)?(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:?\d{2})?) /d;
const RFC5424 = /^(?:\d+ )?<(\d{1,3})>(\d{1,2}) (\S+) (\S+) (\S+) (\S+) (\S+) /d;
const IP_TOKEN = String.raw`(?:\d{1,3}(?:\.\d{1,3}){3}|[0-9a-fA-F]*:[0-9a-fA-F:.]+)`;
const HOST_TAG = new RegExp(String.raw`^(\S+) (?:(${IP_TOKEN}) )?([\w./-]+(?:\([^)]*\))?)(?:\[(\d+)\])?: ?`, 'd');
const TAG_ONLY = /^([\w./-]+(?:\([^)]*\))?)(?:\[(\d+)\])?: /d;
const AUTH_PROGRAMS = /^(sshd|sudo|su|login|passwd|useradd|userdel|groupadd|usermod|chpasswd|systemd-logind|pam|gdm|polkitd|CRON|cron)\b/;

/** The HOSTNAME of a syslog header: `host.ip` (an array, as ECS has it) for an address, else `host.hostname`. */
function hostField(b: EventBuilder, value: string, start: number, end: number): void {
  if (peerField('host', value) === 'host.ip') b.setAt('host.ip', [value], start, end);
  else b.setAt('host.hostname', value, start, end);
}

function priority(b: EventBuilder, pri: string | undefined): void {
  const p = toInt(pri);
  if (p === undefined || p > 191) return;
  b.set('log.syslog.priority', p).set('log.syslog.facility.code', p >> 3).set('log.syslog.severity.code', p & 7);
}

/** Parses RFC 5424 structured data at `pos`; returns the index after it (or -1 when malformed). */
function structuredData(b: EventBuilder, line: string, pos: number): number {
  if (line[pos] === '-') return pos + 1;
  let i = pos;
  while (line[i] === '[') {
    const idEnd = line.slice(i).search(/[ \]]/);
    if (idEnd < 0) return -1;
    const id = line.slice(i + 1, i + idEnd);
    i += idEnd;
    while (line[i] === ' ') {
      const eq = line.indexOf('="', i);
      if (eq < 0) return -1;
      const name = line.slice(i + 1, eq);
      let j = eq + 2;
      let value = '';
      while (j < line.length && line[j] !== '"') {
        if (line[j] === '\\' && j + 1 < line.length) j++;
        value += line[j];
        j++;
      }
      if (j >= line.length) return -1;
      b.setAt(`log.syslog.structured_data.${id}.${name}`, value, eq + 2, j);
      i = j + 1;
    }
    if (line[i] !== ']') return -1;
    i++;
  }
  return i > pos ? i : -1;
}

function message(b: EventBuilder, line: string, at: number, program: string | undefined, context: ParseContext): void {
  let start = at;
  if (line.charCodeAt(start) === 0xfeff) start++;
  const msg = line.slice(start);
  b.setAt('message', msg, start, line.length);
  if (program === undefined) return;
  if (program === 'named') {
    const t = parseBindMessage(b, msg, start, context.timezone);
    if (t) b.timestamp = t;
    b.set('event.dataset', isBindQuery(msg) ? 'bind.query' : 'bind.log');
  } else if (isDnsmasqProgram(program)) {
    parseDnsmasqMessage(b, msg, start);
    b.set('event.dataset', 'dnsmasq.log');
  } else if (AUTH_PROGRAMS.test(program)) {
    parseAuthMessage(b, msg, start);
    b.set('event.dataset', 'system.auth');
  }
}

function program(b: EventBuilder, line: string, at: number, context: ParseContext): void {
  const rest = line.slice(at);
  const h = HOST_TAG.exec(rest);
  const t = h ? undefined : TAG_ONLY.exec(rest);
  if (h) {
    const i = h.indices as unknown as Range[];
    hostField(b, h[1] as string, at + (i[1] as Range)[0], at + (i[1] as Range)[1]);
    if (h[2]) b.setAt('host.ip', [h[2]], at + (i[2] as Range)[0], at + (i[2] as Range)[1]);
    const name = (h[3] as string).replace(/\(.*$/, '');
    b.setAt('process.name', h[3], at + (i[3] as Range)[0], at + (i[3] as Range)[1]);
    b.set('process.pid', toInt(h[4]));
    message(b, line, at + h[0].length, name, context);
  } else if (t) {
    const i = t.indices as unknown as Range[];
    b.setAt('process.name', t[1], at + (i[1] as Range)[0], at + (i[1] as Range)[1]);
    b.set('process.pid', toInt(t[2]));
    message(b, line, at + t[0].length, (t[1] as string).replace(/\(.*$/, ''), context);
  } else {
    message(b, line, at, undefined, context);
  }
}

/** Parses one syslog line (any of the framings above); undefined when it has no syslog header. */
export function parseSyslogLine(line: string, context: ParseContext): ParsedEvent | undefined {
  const b = new EventBuilder();
  b.set('event.dataset', 'system.syslog');
  const r = RFC5424.exec(line);
  if (r) {
    const i = r.indices as unknown as Range[];
    priority(b, r[1]);
    b.set('log.syslog.version', r[2]);
    b.time(r[3] === '-' ? undefined : r[3], r[3] === '-' ? undefined : fromIsoTime(r[3] as string, context.timezone));
    if (r[4] !== '-') hostField(b, r[4] as string, (i[4] as Range)[0], (i[4] as Range)[1]);
    if (r[5] !== '-') b.setAt('process.name', r[5], (i[5] as Range)[0], (i[5] as Range)[1]);
    if (r[6] !== '-') b.set(toInt(r[6]) === undefined ? 'log.syslog.procid' : 'process.pid', toInt(r[6]) ?? r[6]);
    if (r[7] !== '-') b.set('log.syslog.msgid', r[7]);
    const end = structuredData(b, line, r[0].length);
    if (end < 0) return undefined;
    if (line[end] === ' ') message(b, line, end + 1, r[5] === '-' ? undefined : r[5], context);
    return b.build();
  }
  const bsd = BSD.exec(line);
  if (bsd) {
    priority(b, bsd[1]);
    if (monthIndex(bsd[2] as string) === undefined) return undefined;
    b.time(`${bsd[2]} ${bsd[3]} ${bsd[4]}`, fromBsdTime(bsd[2] as string, Number(bsd[3]), bsd[4] as string, context.timezone, context.referenceMs));
    program(b, line, bsd[0].length, context);
    return b.build();
  }
  const iso = ISO.exec(line);
  if (iso) {
    priority(b, iso[1]);
    b.time(iso[2], fromIsoTime(iso[2] as string, context.timezone));
    program(b, line, iso[0].length, context);
    return b.build();
  }
  if (isBareBindLine(line)) {
    b.setAt('message', line, 0, line.length);
    b.timestamp = parseBindMessage(b, line, 0, context.timezone);
    b.set('event.dataset', isBindQuery(line) ? 'bind.query' : 'bind.log');
    return b.build();
  }
  return undefined;
}

const SYSLOG_START = [BSD, ISO, RFC5424];
const isSyslogLine = (l: string): boolean => SYSLOG_START.some((re) => re.test(l));
const programOf = (l: string): string => /(?:^|\s)([\w./-]+)(?:\[\d+\])?: /.exec(l)?.[1] ?? '';

/** Whether most lines pass `test`; continuation lines of multi-line records (leading white space) do not count. */
function majority(lines: readonly string[], test: (l: string) => boolean): boolean {
  const first = lines.filter((l) => !/^\s/.test(l)).slice(0, 20);
  const n = first.filter(test).length;
  return n > 0 && n * 2 >= first.length;
}

const open = (_head: readonly string[], context: ParseContext): LineParser => ({
  parse: (line) => parseSyslogLine(line, context),
  continuation: continuationEvent,
  mayStartRecord,
});

/** BIND query logs: bare (`dd-Mon-yyyy …`) or through syslog (`named[pid]:`). */
export const bindFormat: LogFormat = {
  name: 'bind',
  dataset: 'bind.query',
  description: 'BIND 9 query log (bare or behind a syslog header; @0x…, IPv6 addr#port, Infoblox responses)',
  detect: (lines) => majority(lines, (l) => isBareBindLine(l) || (isSyslogLine(l) && programOf(l) === 'named')),
  open,
};

/** dnsmasq / Pi-hole query logs (syslog framed, with or without a host name). */
export const dnsmasqFormat: LogFormat = {
  name: 'dnsmasq',
  dataset: 'dnsmasq.log',
  description: 'dnsmasq / Pi-hole log-queries lines (query[A], forwarded, reply, cached)',
  detect: (lines) => majority(lines, (l) => isSyslogLine(l) && isDnsmasqProgram(programOf(l))),
  open,
};

/** Syslog files and streams. */
export const syslogFormat: LogFormat = {
  name: 'syslog',
  dataset: 'system.syslog',
  description: 'syslog RFC 3164 / RFC 3339 files / RFC 5424 (incl. sshd and auth lines); --timezone for zone-less times',
  detect: (lines) => majority(lines, isSyslogLine),
  open,
};
