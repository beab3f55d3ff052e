/**
 * Hosts-file blocklists (`0.0.0.0 evil.example`, `127.0.0.1 evil.example`,
 * as StevenBlack, someonewhocares, URLhaus hostfile and Pi-hole lists are
 * written): every name after the sink address is a domain indicator; the
 * address itself is not one. The local machine's own entries (`localhost`,
 * `broadcasthost`, `ip6-*`, …) are skipped.
 */
import type { RawEntry } from '../types.js';
import type { BadRecord, FeedReader } from './feed-reader.js';
import { textLines } from './text-lines.js';

/** Addresses hosts-file blocklists send names to, and the local entries at their top. */
const SINK = /^(?:0\.0\.0\.0|127(?:\.\d{1,3}){3}|255\.255\.255\.255|::1?|::|0:0:0:0:0:0:0:[01]|fe80::1%[\w.-]+|ff0\d::\d*)$/i;
const LOCAL_NAMES = new Set([
  'localhost',
  'localhost.localdomain',
  'local',
  'broadcasthost',
  'ip6-localhost',
  'ip6-loopback',
  'ip6-localnet',
  'ip6-mcastprefix',
  'ip6-allnodes',
  'ip6-allrouters',
  'ip6-allhosts',
  '0.0.0.0',
]);
const IPISH = /^[0-9a-f:.%\w-]+$/i;

function fieldsOf(text: string): string[] | undefined {
  const s = text.replace(/#.*$/, '').trim();
  return s === '' ? undefined : s.split(/\s+/);
}

/** True when the first data lines of `head` are hosts-file lines, at least one mapping a name to a sink address. */
export function looksLikeHosts(head: string): boolean {
  let lines = 0;
  let sinkLines = 0;
  for (const raw of head.split(/\r?\n/).slice(0, 400)) {
    const f = fieldsOf(raw);
    if (!f) continue;
    if (f.length < 2 || !IPISH.test(f[0] as string) || !/[.:]/.test(f[0] as string)) return false;
    if (LOCAL_NAMES.has((f[1] as string).toLowerCase())) continue;
    lines++;
    if (SINK.test(f[0] as string)) sinkLines++;
    if (lines >= 50) break;
  }
  return sinkLines > 0 && sinkLines * 2 >= lines;
}

export const hostsReader: FeedReader = {
  name: 'hosts',
  description: 'hosts-file blocklist (0.0.0.0 name, 127.0.0.1 name): the names are the indicators, the address is not',
  sniff: looksLikeHosts,
  async *read(chunks): AsyncGenerator<RawEntry | BadRecord> {
    for await (const { text, line } of textLines(chunks)) {
      const f = fieldsOf(text);
      if (!f) continue;
      const [address, ...names] = f as [string, ...string[]];
      if (names.length === 0) {
        yield { bad: true, line, value: text.trim(), reason: 'hosts-file line without a name' };
        continue;
      }
      for (const name of names) {
        if (LOCAL_NAMES.has(name.toLowerCase())) {
          yield { bad: true, line, value: name, reason: `hosts-file entry for the local machine (${address} ${name})`, policy: true };
          continue;
        }
        yield { value: name, line, declaredType: 'domain-name' };
      }
    }
  },
};
