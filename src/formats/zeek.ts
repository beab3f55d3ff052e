/**
 * Zeek logs: TSV with a `#fields` header (any log path: dns, files, http,
 * intel …; headers may recur when files are concatenated), and JSON
 * (`"uid"` plus dotted `"id.orig_h"` keys). Known columns map to ECS; the
 * others are named `zeek.<path>.<column>`.
 */
import { EventBuilder } from './event-builder.js';
import { parseJsonWithSpans } from './json-spans.js';
import { toInt } from './net.js';
import { fromEpochSeconds, fromIsoTime } from './time.js';
import type { LineParser, LogFormat, ParsedEvent } from './types.js';

const ECS: Readonly<Record<string, string>> = {
  'id.orig_h': 'source.ip',
  'id.orig_p': 'source.port',
  'id.resp_h': 'destination.ip',
  'id.resp_p': 'destination.port',
  proto: 'network.transport',
  uid: 'zeek.session_id',
  query: 'dns.question.name',
  qtype_name: 'dns.question.type',
  qclass_name: 'dns.question.class',
  rcode_name: 'dns.response_code',
  answers: 'dns.answers.data',
  md5: 'file.hash.md5',
  sha1: 'file.hash.sha1',
  sha256: 'file.hash.sha256',
  host: 'url.domain',
  uri: 'url.original',
  referrer: 'http.request.referrer',
  user_agent: 'user_agent.original',
  method: 'http.request.method',
  status_code: 'http.response.status_code',
  'seen.indicator': 'threat.indicator.name',
  indicator: 'threat.indicator.name',
  mime_type: 'file.mime_type',
  filename: 'file.name',
  tx_hosts: 'server.ip',
  rx_hosts: 'client.ip',
};
const NUMERIC = new Set(['id.orig_p', 'id.resp_p', 'status_code']);

/** Undoes Zeek's `\xNN` escaping. */
function unescapeZeek(value: string): string {
  return value.includes('\\x') ? value.replace(/\\x([0-9a-fA-F]{2})/g, (_m, h: string) => String.fromCharCode(parseInt(h, 16))) : value;
}

function fieldName(path: string, column: string): string {
  return ECS[column] ?? `zeek.${path}.${column}`;
}

function tsvRecord(line: string, columns: readonly string[], path: string, setSep: string): ParsedEvent | undefined {
  const values = line.split('\t');
  if (values.length !== columns.length) return undefined;
  const b = new EventBuilder();
  let pos = 0;
  values.forEach((raw, i) => {
    const col = columns[i] as string;
    const start = pos;
    pos += raw.length + 1;
    if (raw === '-' || raw === '(empty)') return;
    const field = fieldName(path, col);
    if (col === 'ts') {
      b.timestamp = fromEpochSeconds(raw);
      return;
    }
    if (col === 'answers' || col === 'TTLs' || col === 'tx_hosts' || col === 'rx_hosts' || col === 'sources') {
      b.set(col === 'answers' ? 'dns.answers' : field, col === 'answers' ? raw.split(setSep).map((a) => ({ data: unescapeZeek(a) })) : raw.split(setSep).map(unescapeZeek));
      b.span(field, start, start + raw.length);
      return;
    }
    const value = NUMERIC.has(col) ? (toInt(raw) ?? raw) : unescapeZeek(raw);
    b.setAt(field, value, start, start + raw.length);
  });
  b.set('event.dataset', `zeek.${path}`);
  return b.build();
}

const ZEEK_JSON = /"uid"\s*:\s*"[^"]*"/;

/** Parses a Zeek JSON line (dotted keys); undefined when it is not JSON. */
export function parseZeekJson(line: string, path = 'dns'): ParsedEvent | undefined {
  // Zeek's test baselines canonicalise ts to a bare XXXXXXXXXX.XXXXXX (not JSON):
  // read it as a string of the same length so that offsets stay put.
  const parsed = parseJsonWithSpans(line.replace(/:XXXXXXXXXX\.XXXXXX([,}])/, ':"XXXXXXXXXXXXXXX"$1'));
  if (!parsed || typeof parsed.value !== 'object' || parsed.value === null || Array.isArray(parsed.value)) return undefined;
  const obj = parsed.value as Record<string, unknown>;
  const b = new EventBuilder();
  for (const [k, v] of Object.entries(obj)) {
    if (k === 'ts') continue;
    if (k === 'answers' && Array.isArray(v)) b.set('dns.answers', v.map((a) => ({ data: a })));
    else b.set(fieldName(path, k), v);
  }
  if (typeof obj.ts === 'string') b.time(obj.ts, fromIsoTime(obj.ts));
  else b.timestamp = typeof obj.ts === 'number' ? fromEpochSeconds(obj.ts) : undefined;
  for (const s of parsed.spans) b.span(fieldName(path, s.field), s.start, s.end);
  b.set('event.dataset', `zeek.${path}`);
  return b.build();
}

/** The `zeek` format: Zeek TSV logs. */
export const zeekFormat: LogFormat = {
  name: 'zeek',
  dataset: 'zeek',
  description: 'Zeek TSV logs with a #fields header (dns, files, http, intel, …)',
  detect: (lines) => lines.slice(0, 12).some((l) => l.startsWith('#fields\t') || l === '#separator \\x09'),
  open: (): LineParser => {
    let columns: string[] = [];
    let path = 'log';
    let setSep = ',';
    return {
      headerPrefix: '#',
      header(line) {
        if (!line.startsWith('#')) return false;
        if (line.startsWith('#fields\t')) columns = line.split('\t').slice(1);
        else if (line.startsWith('#path\t')) path = line.slice(6);
        else if (line.startsWith('#set_separator\t')) setSep = line.slice(15) || ',';
        return true;
      },
      parse: (line) => (line.startsWith('#') ? undefined : tsvRecord(line, columns, path, setSep)),
    };
  },
};

/** The `zeek-json` format: Zeek logs written as JSON lines. */
export const zeekJsonFormat: LogFormat = {
  name: 'zeek-json',
  dataset: 'zeek',
  description: 'Zeek logs as JSON lines (dotted keys id.orig_h …); dns.log fields map to ECS',
  detect: (lines) => {
    const first = lines.filter((l) => !l.startsWith('#')).slice(0, 5);
    return first.length > 0 && first.every((l) => /^\s*\{/.test(l)) && first.some((l) => ZEEK_JSON.test(l) && l.includes('"id.orig_h"'));
  },
  open: (): LineParser => ({
    headerPrefix: '#',
    header: (line) => line.startsWith('#'),
    parse: (line) => parseZeekJson(line, /"(query|qtype_name)"/.test(line) ? 'dns' : /"(uri|method)"/.test(line) ? 'http' : 'log'),
  }),
};
