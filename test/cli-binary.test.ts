/**
 * Binary files found by walking (wtmp, journal files) are skipped and
 * counted, as ripgrep skips them; -a/--text scans them; a file named on the
 * command line is always scanned; a text log with a zero-filled hole (as a
 * crash leaves) is not binary.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { rmSync } from 'node:fs';
import { relative } from 'node:path';
import { gzipSync } from 'node:zlib';
import { HOLE_BYTES, looksBinary } from '../src/input/binary.js';
import { runCli } from './helpers/cli.js';
import { tmpDir } from './helpers/tmp.js';

/** One utmp record as glibc writes it on x86-64 (384 bytes): type, pid, line, id, user, host, ... */
function utmpRecord(user: string, host: string): Buffer {
  const r = Buffer.alloc(384);
  r.writeInt32LE(7, 0); // USER_PROCESS
  r.writeInt32LE(4242, 4);
  r.write('pts/0', 8);
  r.write('ts/0', 40);
  r.write(user, 44);
  r.write(host, 76);
  r.writeInt32LE(1_700_000_000, 340);
  return r;
}

const t = tmpDir();
afterAll(() => rmSync(t.dir, { recursive: true, force: true }));
const feed = t.write('feed.txt', '10.1.2.3\n');
const wtmp = t.write('var/log/wtmp', Buffer.concat([utmpRecord('root', '10.1.2.3'), utmpRecord('alice', '192.0.2.1')]));
const journal = t.write(
  'var/log/journal/system.journal',
  Buffer.concat([Buffer.from('LPKSHHRH'), Buffer.from([0, 0, 0, 0, 2, 0, 0, 0]), Buffer.alloc(200), Buffer.from('_HOSTNAME=x MESSAGE=from 10.1.2.3')]),
);
// A log a crash left with a zero-filled block between its lines: text, scanned.
const holed = t.write('var/log/syslog', Buffer.concat([Buffer.from('before 10.1.2.3\n'), Buffer.alloc(4096), Buffer.from('after 10.1.2.3\n')]));
const zipped = t.write('var/log/auth.log.2.gz', gzipSync('zipped 10.1.2.3\n'));
const zippedWtmp = t.write('var/log/wtmp.1.gz', gzipSync(utmpRecord('root', '10.1.2.3')));
const dir = t.path('var/log');

function paths(stdout: string): string[] {
  return stdout
    .split('\n')
    .filter(Boolean)
    .map((p) => relative(t.dir, p));
}

describe('binary detection', () => {
  it('sees the short NUL runs of binary records, not text, UTF-8 or a block-sized hole', () => {
    expect(looksBinary(utmpRecord('root', 'h'), true)).toBe(true);
    expect(looksBinary(Buffer.from('LPKSHHRH\x00\x00\x00\x00\x02'), false)).toBe(true);
    expect(looksBinary(Buffer.from('plain text 10.1.2.3\nnaïve café ✓\n'), true)).toBe(false);
    expect(looksBinary(Buffer.concat([Buffer.from('a\n'), Buffer.alloc(HOLE_BYTES), Buffer.from('b\n')]), true)).toBe(false);
    expect(looksBinary(Buffer.concat([Buffer.from('a\n'), Buffer.alloc(HOLE_BYTES - 1), Buffer.from('b\n')]), true)).toBe(true);
    // A short run at the end of an incomplete head may be the start of a hole.
    expect(looksBinary(Buffer.concat([Buffer.from('a\n'), Buffer.alloc(10)]), false)).toBe(false);
    expect(looksBinary(Buffer.concat([Buffer.from('a\n'), Buffer.alloc(10)]), true)).toBe(true);
  });
});

describe('binary files in walks', () => {
  it('are skipped and counted in the summary; text, holed and gzip logs are scanned', async () => {
    const r = await runCli(['scan', '-l', '-f', feed, dir]);
    expect(r.code).toBe(0);
    expect(paths(r.stdout)).toEqual(['var/log/auth.log.2.gz', 'var/log/syslog']);
    expect(r.stderr).toMatch(/3 binary file\(s\) skipped \(-a\/--text scans them\)/);
    expect(r.stderr).toMatch(/scanned 2 input\(s\)/);
  });

  it('every line of a holed log is found', async () => {
    const r = await runCli(['scan', '--no-info', '-f', feed, dir]);
    const found = r.docs.filter((d) => d.log.file.path === holed).map((d) => d.event.original as string);
    expect(found).toHaveLength(2);
    expect(found[0]).toBe('before 10.1.2.3');
    // The hole has no newline: it is the start of the next line.
    expect(found[1]).toBe(`${'\u0000'.repeat(4096)}after 10.1.2.3`);
  });

  it('are scanned with -a/--text', async () => {
    for (const flag of ['-a', '--text']) {
      const r = await runCli(['scan', '-l', flag, '-f', feed, dir]);
      expect(paths(r.stdout)).toEqual(['var/log/auth.log.2.gz', 'var/log/journal/system.journal', 'var/log/syslog', 'var/log/wtmp', 'var/log/wtmp.1.gz']);
      expect(r.stderr).not.toMatch(/binary/);
    }
  });

  it('are skipped when a glob finds them too', async () => {
    const r = await runCli(['scan', '--no-info', '-l', '-f', feed, t.path('var/log/wtmp*')]);
    expect(r).toMatchObject({ code: 1, stdout: '' });
  });

  it('are not listed by -c', async () => {
    const r = await runCli(['scan', '--no-info', '-c', '-f', feed, t.path('var/log/journal'), holed]);
    expect(r.stdout).toBe(`${holed}:2\n`);
  });
});

describe('a binary file named on the command line', () => {
  it('is always scanned, compressed or not', async () => {
    const r = await runCli(['scan', '--no-info', '-f', feed, wtmp, journal, zippedWtmp]);
    expect(r.code).toBe(0);
    expect(r.docs.map((d) => d.log.file.path)).toEqual([wtmp, journal, zippedWtmp]);
    expect(r.stderr).not.toMatch(/binary/);
    expect(zipped).toBeDefined();
  });
});
