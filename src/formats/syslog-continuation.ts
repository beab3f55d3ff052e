/**
 * Continuation lines of multi-line syslog records: a line without a syslog
 * header that follows a record (an indented stack trace, a wrapped message)
 * is read as part of that record. It takes the record's host, process, pid,
 * syslog header fields, dataset and time; its own text is the `message`.
 */
import { EventBuilder } from './event-builder.js';
import type { ParsedEvent } from './types.js';

const CARRIED = ['host', 'process', 'log'] as const;

/**
 * The event of continuation line `line` of the record parsed as `record`:
 * the record's header fields with the line as `message` (its span covering
 * the whole line, so that hits in it are named `message`).
 */
export function continuationEvent(record: ParsedEvent, line: string): ParsedEvent {
  const b = new EventBuilder();
  for (const key of CARRIED) {
    const v = record.fields[key];
    // Shared, not copied: events are read-only once built.
    if (v !== undefined) b.fields[key] = v;
  }
  const dataset = (record.fields.event as Record<string, unknown> | undefined)?.dataset;
  b.set('event.dataset', dataset);
  b.setAt('message', line, 0, line.length);
  b.timestamp = record.timestamp;
  return b.build();
}

/**
 * Whether a line whose first byte is `byte` can start a syslog record (or a
 * bare BIND line): `<PRI>`, an octet count or ISO/BIND date, a month name,
 * or a UTF-8 BOM. Lets the backward search skip most continuation lines
 * without decoding them.
 */
export function mayStartRecord(byte: number | undefined): boolean {
  if (byte === undefined) return false;
  return byte === 0x3c || (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5a) || byte === 0xef;
}
