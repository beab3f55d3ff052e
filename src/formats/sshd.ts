/**
 * sshd / PAM authentication messages (the MSG part of a syslog line). User
 * names are attacker-controlled and may contain spaces or the word `from`,
 * so the peer is anchored on the LAST ` from <addr> port <n>`.
 */
import type { EventBuilder } from './event-builder.js';
import { peerField, toInt } from './net.js';

type Range = [number, number];
const FROM_PORT = / from (\S+) port (\d+)/dg;
const FROM_END = / from (\S+?)(?:: .*)?$/d;
const BY_PORT = / by (?:(?:authenticating|invalid) user (.*) )?(\S+) port (\d+)/d;
const RHOST = /rhost=(\S+)/d;
const PAM_USER = /\buser=(\S+)/d;
const BRACKET_IP = /getaddrinfo for (\S+) \[([0-9a-fA-F.:]+)\]/d;
const LOGIN = /^(Accepted|Failed) (\S+) for (invalid user )?/;

function peer(b: EventBuilder, value: string, range: Range, at: number): void {
  b.set('source.address', value).setAt(peerField('source', value), value, at + range[0], at + range[1]);
}

/** Adds the peer, user and outcome of an sshd/PAM message that starts at `at` in the line. */
export function parseAuthMessage(b: EventBuilder, msg: string, at: number): void {
  let last: RegExpExecArray | undefined;
  for (const m of msg.matchAll(FROM_PORT)) last = m as RegExpExecArray;
  const login = LOGIN.exec(msg);
  if (last) {
    const idx = last.indices as unknown as Range[];
    peer(b, last[1] as string, idx[1] as Range, at);
    b.setAt('source.port', toInt(last[2]), at + (idx[2] as Range)[0], at + (idx[2] as Range)[1]);
    if (login) {
      const userStart = login[0].length;
      const userEnd = last.index;
      if (userEnd > userStart) b.setAt('user.name', msg.slice(userStart, userEnd), at + userStart, at + userEnd);
    }
  } else {
    const by = BY_PORT.exec(msg);
    const end = by ? undefined : FROM_END.exec(msg);
    if (by) {
      const idx = by.indices as unknown as Range[];
      if (by[1] !== undefined) b.setAt('user.name', by[1], at + (idx[1] as Range)[0], at + (idx[1] as Range)[1]);
      peer(b, by[2] as string, idx[2] as Range, at);
      b.setAt('source.port', toInt(by[3]), at + (idx[3] as Range)[0], at + (idx[3] as Range)[1]);
    } else if (end && /^[0-9A-Za-z][\w.:-]*$/.test(end[1] as string)) {
      peer(b, end[1] as string, (end.indices as unknown as Range[])[1] as Range, at);
      const inv = /^Invalid user (.*) from /.exec(msg);
      if (inv && msg.lastIndexOf(' from ') === inv[0].length - 6) b.setAt('user.name', inv[1], at + 13, at + 13 + (inv[1] as string).length);
    }
  }
  const rhost = RHOST.exec(msg);
  if (rhost && !b.spans.some((s) => s.field.startsWith('source.'))) peer(b, rhost[1] as string, (rhost.indices as unknown as Range[])[1] as Range, at);
  const pamUser = PAM_USER.exec(msg);
  if (pamUser && rhost) b.setAt('user.name', pamUser[1], at + (pamUser.indices as unknown as Range[])[1]![0], at + (pamUser.indices as unknown as Range[])[1]![1]);
  const rev = BRACKET_IP.exec(msg);
  if (rev) {
    const idx = rev.indices as unknown as Range[];
    b.setAt('source.domain', rev[1], at + (idx[1] as Range)[0], at + (idx[1] as Range)[1]);
    b.setAt('source.ip', rev[2], at + (idx[2] as Range)[0], at + (idx[2] as Range)[1]);
  }
  if (login) {
    b.set('event.action', 'ssh_login').set('event.category', ['authentication']);
    b.set('event.outcome', login[1] === 'Accepted' ? 'success' : 'failure');
    b.set('system.auth.ssh.method', login[2]);
  } else if (/^Invalid user |authentication failure|^error: maximum authentication/.test(msg)) {
    b.set('event.category', ['authentication']).set('event.outcome', 'failure');
  }
}
