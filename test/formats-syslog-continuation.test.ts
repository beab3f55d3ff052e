/**
 * Continuation lines of multi-line syslog records during `scan`: a hit line
 * without a header is parsed as part of the record before it, found by a
 * backward search in the block (or carried from an earlier block).
 */
import { describe, expect, it } from 'vitest';
import { openFormat } from '../src/formats/open-format.js';
import type { HitLine } from '../src/output/hit-document.js';
import { runCli } from './helpers/cli.js';
import { at } from './helpers/samples.js';
import { tmpDir } from './helpers/tmp.js';

const LOG = [
  'Mar  3 10:00:00 web1 app[10]: first record',
  '\tat evil.example.com line 1',
  '\tat 203.0.113.9 line 2',
  'Mar  3 10:00:05 web2 java[20]: second record',
  '\tcaused by 203.0.113.9',
  '',
].join('\n');

/** The hit line starting at byte `offset` of `buf` (read from stream offset `base`), with one match on `needle`. */
function hitAt(buf: Buffer, base: number, offset: number, needle: string): HitLine {
  let end = buf.indexOf(0x0a, offset);
  if (end < 0) end = buf.length;
  const line = buf.subarray(offset, end);
  const start = line.indexOf(needle);
  return { path: 'x', offset: base + offset, line, matches: [{ id: 0, start, end: start + needle.length }] };
}

function openSyslog() {
  const parser = openFormat({ path: 'x', head: Buffer.from(LOG), complete: true, mtimeMs: Date.UTC(2024, 5, 1) }, { timezone: 'UTC' });
  if (!parser) throw new Error('no format');
  return parser;
}

describe('syslog continuation lines in scan', () => {
  it('gives each continuation hit its record, hits in order and out of order', () => {
    const parser = openSyslog();
    expect(parser.format.name).toBe('syslog');
    const buf = Buffer.from(LOG);
    parser.block(buf, 1000);
    const lineStarts = [0, ...[...LOG.matchAll(/\n/g)].map((m) => (m.index as number) + 1)];
    const a = parser.refine(hitAt(buf, 1000, lineStarts[1] as number, 'evil.example.com'));
    const b = parser.refine(hitAt(buf, 1000, lineStarts[2] as number, '203.0.113.9'));
    const c = parser.refine(hitAt(buf, 1000, lineStarts[4] as number, '203.0.113.9'));
    const back = parser.refine(hitAt(buf, 1000, lineStarts[2] as number, '203.0.113.9'));
    for (const [h, host, pid] of [
      [a, 'web1', 10],
      [b, 'web1', 10],
      [c, 'web2', 20],
      [back, 'web1', 10],
    ] as const) {
      expect(at(h.event?.fields, 'host.hostname')).toBe(host);
      expect(at(h.event?.fields, 'process.pid')).toBe(pid);
      expect(h.event?.dataset).toBe('system.syslog');
      expect(h.matches[0]?.field).toBe('message');
    }
    expect(at(c.event?.fields, 'message')).toBe('\tcaused by 203.0.113.9');
    expect(c.event?.timestamp).toBe('2024-03-03T10:00:05.000Z');
  });

  it('carries the last record of a block into the next block', () => {
    const parser = openSyslog();
    const first = Buffer.from('Mar  3 10:00:00 web1 app[10]: first\n\tcontinued\n');
    const second = Buffer.from('\tat 203.0.113.9\n\tmore 203.0.113.9\n');
    const third = Buffer.from('Mar  3 10:00:09 web3 cron[30]: x\n\tat 203.0.113.9\n');
    parser.block(first, 0);
    parser.block(second, first.length);
    const h = parser.refine(hitAt(second, first.length, 0, '203.0.113.9'));
    expect(at(h.event?.fields, 'host.hostname')).toBe('web1');
    const h2 = parser.refine(hitAt(second, first.length, 16, '203.0.113.9'));
    expect(at(h2.event?.fields, 'message')).toBe('\tmore 203.0.113.9');
    expect(at(h2.event?.fields, 'host.hostname')).toBe('web1');
    parser.block(third, first.length + second.length);
    const k = parser.refine(hitAt(third, first.length + second.length, 33, '203.0.113.9'));
    expect(at(k.event?.fields, 'host.hostname')).toBe('web3');
  });

  it('leaves a header-less first line unparsed', () => {
    const parser = openSyslog();
    const buf = Buffer.from('\tat 203.0.113.9\nMar  3 10:00:00 web1 app[10]: first\n');
    parser.block(buf, 0);
    const h = parser.refine(hitAt(buf, 0, 0, '203.0.113.9'));
    expect(h.event).toBeUndefined();
    expect(h.matches[0]?.field).toBeUndefined();
  });

  it('scan reports continuation hits with the record fields and the line offset', async () => {
    const t = tmpDir();
    const iocs = t.write('iocs.txt', '203.0.113.9\n');
    const log = t.write('multi.log', `\tat 203.0.113.9 orphan\n${LOG}`);
    const r = await runCli(['scan', '--no-info', '--iocs', iocs, log]);
    expect(r.code).toBe(0);
    expect(
      r.docs.map((d) => [d.log.offset, d.event.dataset, at(d, 'host.hostname'), d.threat.enrichments[0].matched.field, d.message]),
    ).toEqual([
      [0, undefined, undefined, 'message', undefined],
      [94, 'system.syslog', 'web1', 'message', '\tat 203.0.113.9 line 2'],
      [162, 'system.syslog', 'web2', 'message', '\tcaused by 203.0.113.9'],
    ]);
  });
});
