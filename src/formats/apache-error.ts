/**
 * Apache httpd error logs: the 2.2 layout
 * (`[Sun Dec 04 04:51:08 2005] [error] [client 1.2.3.4] msg`) and the 2.4
 * one (`[Wed Oct 11 14:32:52.123456 2000] [core:error] [pid 35708:tid 4328636416]
 * [client 72.15.99.187:56120] AH00128: msg`). The time has no zone: it is read
 * in `--timezone`. The 2.4 client always carries a port (`ip:port`, IPv6
 * unbracketed: the last `:port` is the port).
 */
import { EventBuilder } from './event-builder.js';
import { isIpAddress, peerField, toInt } from './net.js';
import { monthIndex, wallClockToUtc } from './time.js';
import type { LineParser, LogFormat, ParseContext, ParsedEvent } from './types.js';

type Range = [number, number];
const HEAD = /^\[(?:[A-Z][a-z]{2}) ([A-Z][a-z]{2}) {1,2}(\d{1,2}) (\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,6}))? (\d{4})\] \[(?:([\w.-]*):)?(\w+)\] /d;
const PID = /\[pid (\d+)(?::tid (\d+))?\] /dy;
const CLIENT = /\[client ([^\]\s]+)\] /dy;
const CODE = /(AH\d{5}): /y;
const REFERER = /, referer: (\S+)$/d;

/** `Dec`, `4`, `04:51:08.123`, `2005` read in `zone` → UTC ISO; undefined when not a time. */
function ctime(m: RegExpExecArray, zone: string): string | undefined {
  const mo = monthIndex(m[1] as string);
  const [d, h, mi, s, y] = [m[2], m[3], m[4], m[5], m[7]].map(Number) as [number, number, number, number, number];
  if (mo === undefined || d < 1 || d > 31 || h > 23 || mi > 59 || s > 60) return undefined;
  const ms = m[6] ? Math.floor(Number(`0.${m[6]}`) * 1000) : 0;
  const utc = wallClockToUtc(zone, y, mo, d, h, mi, s, ms);
  return Number.isFinite(utc) ? new Date(utc).toISOString() : undefined;
}

/**
 * Splits a `[client …]` value into address and port: `ip:port` when a port
 * is expected (2.4) or the value is not an address as a whole, else the
 * whole value (2.2 clients have no port).
 */
export function splitClient(value: string, withPort: boolean): { address: string; port?: number } {
  const colon = value.lastIndexOf(':');
  const head = value.slice(0, colon);
  const port = toInt(value.slice(colon + 1));
  const splittable = colon > 0 && port !== undefined && port < 65536 && (isIpAddress(head) || !head.includes(':'));
  if (splittable && (withPort || !isIpAddress(value))) return { address: head, port };
  return { address: value };
}

/** Parses one error-log line; undefined when it is not one. */
export function parseErrorLine(line: string, context: Pick<ParseContext, 'timezone'>): ParsedEvent | undefined {
  const m = HEAD.exec(line);
  if (!m) return undefined;
  const b = new EventBuilder();
  b.timestamp = ctime(m, context.timezone);
  if (!b.timestamp) return undefined;
  b.set('event.dataset', 'apache.error');
  b.set('apache.error.module', m[8]).set('log.level', (m[9] as string).toLowerCase());
  let pos = m[0].length;
  PID.lastIndex = pos;
  const pid = PID.exec(line);
  if (pid) {
    b.set('process.pid', toInt(pid[1])).set('process.thread.id', toInt(pid[2]));
    pos = PID.lastIndex;
  }
  CLIENT.lastIndex = pos;
  const client = CLIENT.exec(line);
  if (client) {
    const [start] = (client.indices as unknown as Range[])[1] as Range;
    const { address, port } = splitClient(client[1] as string, m[8] !== undefined || pid !== null);
    b.set('source.address', address).setAt(peerField('source', address), address, start, start + address.length);
    if (port !== undefined) b.setAt('source.port', port, start + address.length + 1, start + (client[1] as string).length);
    pos = CLIENT.lastIndex;
  }
  CODE.lastIndex = pos;
  const code = CODE.exec(line);
  if (code) b.set('error.code', code[1]);
  b.setAt('message', line.slice(pos), pos, line.length);
  const referer = REFERER.exec(line.slice(pos));
  if (referer) {
    const [s, e] = (referer.indices as unknown as Range[])[1] as Range;
    b.setAt('http.request.referrer', referer[1], pos + s, pos + e);
  }
  return b.build();
}

/** The `apache-error` format: Apache httpd 2.2 and 2.4 error logs. */
export const apacheErrorFormat: LogFormat = {
  name: 'apache-error',
  dataset: 'apache.error',
  description: 'Apache httpd error log, 2.2 ([level] [client ip]) and 2.4 ([module:level] [pid:tid] [client ip:port]); --timezone for its zone-less time',
  detect: (lines) => {
    const first = lines.slice(0, 10);
    const hits = first.filter((l) => HEAD.test(l)).length;
    return hits > 0 && hits * 2 >= first.length;
  },
  open: (_head: readonly string[], context: ParseContext): LineParser => ({ parse: (line) => parseErrorLine(line, context) }),
};
