/**
 * --max-line-bytes: where a long line is cut depends on its bytes only, so
 * the same bytes read from a file (large reads) and from a pipe fed in small,
 * odd-sized pieces give the same hits and the same warnings; one warning per
 * long line, however many pieces.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { rmSync } from 'node:fs';
import { runCli, startCli, type CliResult } from './helpers/cli.js';
import { tmpDir } from './helpers/tmp.js';

const t = tmpDir();
afterAll(() => rmSync(t.dir, { recursive: true, force: true }));
const feed = t.write('feed.txt', '10.1.2.3\nevil.example\n');
const data = Buffer.from(
  [
    'first 10.1.2.3',
    // Straddles the cut at 1024 bytes from the line start: missed however read.
    'x'.repeat(1020) + ' 10.1.2.3 ' + 'y'.repeat(500) + ' evil.example ' + 'z'.repeat(3000),
    'a'.repeat(1019) + ' evil.example', // exactly 1032 bytes: cut at 1024
    'b'.repeat(1010) + ' 10.1.2.3', // 1019 bytes: never cut
    'last evil.example',
  ].join('\n') + '\n',
);
const args = ['scan', '--no-cache', '--threads', '1', '--max-line-bytes', '1K', '-i', feed];

const found = (r: CliResult) => r.docs.map((d) => [d.log.offset, d.threat.enrichments.map((e: any) => e.indicator.name)]);
const warnings = (r: CliResult) => r.stderr.split('\n').filter((l) => l.includes('warning:')).map((l) => l.replace(/^.*line at/, 'line at'));

async function throughPipe(chunk: number): Promise<CliResult> {
  const cli = startCli(args);
  for (let i = 0; i < data.length; i += chunk) {
    cli.child.stdin.write(data.subarray(i, i + chunk));
    await new Promise((r) => setTimeout(r, 5));
  }
  cli.child.stdin.end();
  const code = await cli.exited;
  const stdout = cli.stdout();
  return { code, stdout, stderr: cli.stderr(), docs: stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l)) };
}

describe('--max-line-bytes cuts depend on the bytes only', () => {
  it('a file and a pipe fed in odd-sized pieces give identical hits and warnings', async () => {
    const file = await runCli([...args, t.write('long.log', data)]);
    expect(file.code).toBe(0);
    const expected = [
      [0, ['10.1.2.3']],
      [15 + 1024, ['evil.example']],
      [15 + 4545 + 1033, ["10.1.2.3"]], // the 1019-byte line, whole
      [15 + 4545 + 1033 + 1020, ["evil.example"]],
    ];
    // The long line ending just before the cut point hits in neither; the line
    // of 1032 bytes is cut before its indicator ends.
    expect(found(file)).toEqual(expected);
    expect(warnings(file)).toEqual([
      'line at offset 15 is longer than --max-line-bytes 1024; scanned in pieces of 1024 bytes (an indicator straddling a cut is missed)',
      'line at offset 4560 is longer than --max-line-bytes 1024; scanned in pieces of 1024 bytes (an indicator straddling a cut is missed)',
    ]);
    for (const chunk of [333, 1001]) {
      const piped = await throughPipe(chunk);
      expect(piped.code).toBe(0);
      expect(found(piped)).toEqual(expected);
      expect(warnings(piped)).toEqual(warnings(file));
    }
  });
});
