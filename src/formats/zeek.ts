/**
 * Zeek logs: TSV with a `#fields` header (any log path: dns, files, http,
 * intel …; headers may recur when files are concatenated), and JSON
 * (`"uid"` plus dotted `"id.orig_h"` keys). Known columns map to ECS; the
 * others are named `zeek.<path>.<column>`. TSV values are typed by the
 * `#types` header as Zeek's JSON writer types them, so that a TSV log and a
 * JSON log of the same traffic give the same document.
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
  mime_type: 'file.mime_type',
  filename: 'file.name',
};
/** Columns read as numbers in a log without a `#types` header. */
const NUMERIC = new Set(['id.orig_p', 'id.resp_p', 'status_code']);

/**
 * A TSV value as Zeek's JSON writer writes the same column, by its `#types`
 * type: bool → boolean, count/int/port/double/interval/time → number (time
 * as epoch seconds, as in Zeek JSON's default), vector/set of these → an
 * array (`(empty)` → `[]`), anything else (string, addr, subnet, enum) → the
 * unescaped string. Undefined when the value is not one of its type (kept as a string by the caller).
 */
export function zeekValue(raw: string, type: string, setSep: string): unknown {
  const container = /^(?:vector|set)\[(.+)\]$/.exec(type);
  if (container) {
    if (raw === '(empty)') return [];
    const inner = container[1] as string;
    return raw.split(setSep).map((v) => (v === '-' ? null : (zeekScalar(v, inner) ?? unescapeZeek(v))));
  }
  return zeekScalar(raw, type);
}

function zeekScalar(raw: string, type: string): unknown {
  switch (type) {
    case 'bool':
      return raw === 'T' ? true : raw === 'F' ? false : undefined;
    case 'count':
    case 'int':
    case 'port': {
      const n = /^-?\d+$/.test(raw) ? Number(raw) : NaN;
      return Number.isSafeInteger(n) ? n : undefined;
    }
    case 'double':
    case 'interval':
    case 'time': {
      const n = /^-?\d+(\.\d+)?(e[+-]?\d+)?$/i.test(raw) ? Number(raw) : NaN;
      return Number.isFinite(n) ? n : undefined;
    }
    default:
      return unescapeZeek(raw);
  }
}

/** Undoes Zeek's `\xNN` escaping. */
function unescapeZeek(value: string): string {
  return value.includes('\\x') ? value.replace(/\\x([0-9a-fA-F]{2})/g, (_m, h: string) => String.fromCharCode(parseInt(h, 16))) : value;
}

function fieldName(path: string, column: string): string {
  return ECS[column] ?? `zeek.${path}.${column}`;
}

function tsvRecord(line: string, columns: readonly string[], types: readonly string[], path: string, setSep: string): ParsedEvent | undefined {
  const values = line.split('\t');
  if (values.length !== columns.length) return undefined;
  const b = new EventBuilder();
  let pos = 0;
  values.forEach((raw, i) => {
    const col = columns[i] as string;
    const start = pos;
    pos += raw.length + 1;
    const type = types.length === columns.length ? (types[i] as string) : undefined;
    const container = type !== undefined && /^(vector|set)\[/.test(type);
    if (raw === '-' || (raw === '(empty)' && !container)) return;
    const field = fieldName(path, col);
    if (col === 'ts') {
      b.timestamp = fromEpochSeconds(raw);
      return;
    }
    if (type !== undefined) {
      const typed = zeekValue(raw, type, setSep);
      const value = typed === undefined ? unescapeZeek(raw) : typed;
      if (col === 'answers' && Array.isArray(value)) b.set('dns.answers', value.map((a) => ({ data: a })));
      else b.set(field, value);
      if (raw !== '(empty)') b.span(field, start, start + raw.length);
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
    let types: string[] = [];
    let path = 'log';
    let setSep = ',';
    return {
      headerPrefix: '#',
      header(line) {
        if (!line.startsWith('#')) return false;
        if (line.startsWith('#fields\t')) {
          columns = line.split('\t').slice(1);
          types = [];
        } else if (line.startsWith('#types\t')) types = line.split('\t').slice(1);
        else if (line.startsWith('#path\t')) path = line.slice(6);
        else if (line.startsWith('#set_separator\t')) setSep = line.slice(15) || ',';
        return true;
      },
      parse: (line) => (line.startsWith('#') ? undefined : tsvRecord(line, columns, types, path, setSep)),
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
  open: (head, context): LineParser => {
    // The log path of a JSON log: from Zeek's file name (dns.log, http.2024….log.json), else from what its first lines hold;
    // kept for the whole input, so that every line of one log has one dataset.
    const named = /(?:^|[/._-])(dns|http|conn|files|ssl|x509|intel|notice|weird|dhcp|smtp|ssh|ftp|rdp|smb_files|dpd|software|tunnel)\.(?:[^/]*\.)?(?:log|json)(?:\.gz)?$/.exec(context.path)?.[1];
    const guess = (line: string): string | undefined => (/"(query|qtype_name)"/.test(line) ? 'dns' : /"(uri|method)"/.test(line) ? 'http' : undefined);
    const fromHead = head.map(guess).find((g) => g !== undefined);
    const path = named ?? fromHead;
    return {
      headerPrefix: '#',
      header: (line) => line.startsWith('#'),
      parse: (line) => parseZeekJson(line, path ?? guess(line) ?? 'log'),
    };
  },
};
