/**
 * grep's output habits on `scan`, end to end through the built CLI:
 * -f as --iocs, -q, --no-info, -l, -c, -m, with their exit statuses.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { rmSync } from 'node:fs';
import { CLI, runCli, runShell, startCli } from './helpers/cli.js';
import { tmpDir } from './helpers/tmp.js';

const t = tmpDir();
afterAll(() => rmSync(t.dir, { recursive: true, force: true }));

const feed = t.write('feed.txt', '10.1.2.3\nevil.example\n');
const feed2 = t.write('feed2.txt', '192.0.2.7\n');
// Lines 1, 3 and 5 hit; 110.1.2.3 and notevil.example must not.
const a = t.write('logs/a.log', 'hit 10.1.2.3\nmiss 110.1.2.3\nhit evil.example\nmiss notevil.example\nhit 10.1.2.3 again\n');
const b = t.write('logs/b.log', 'nothing here\n');
const c = t.write('logs/sub/c.log', 'x 192.0.2.7\ny 10.1.2.3\n');
// Many hit lines over several blocks, to see -m hold with blocks scanned ahead on several threads.
const many = t.write('many.log', Array.from({ length: 200_000 }, (_, i) => `line ${i} 10.1.2.3`).join('\n') + '\n');

function lines(stdout: string): string[] {
  return stdout.split('\n').filter((l) => l !== '');
}

describe('-f FILE', () => {
  it('is --iocs under grep and rg name, and mixes with --iocs in the order given', async () => {
    const r = await runCli(['scan', '--no-info', '-f', feed2, '--iocs', feed, c]);
    expect(r.code).toBe(0);
    expect(r.docs.map((d) => d.threat.enrichments[0].iochunt.feed.path)).toEqual([feed2, feed]);
    const alone = await runCli(['scan', '--no-info', '-f', feed, a]);
    expect(alone.docs.map((d) => d.event.original)).toEqual(['hit 10.1.2.3', 'hit evil.example', 'hit 10.1.2.3 again']);
  });

  it('is still required: no feed at all is a usage error', async () => {
    const r = await runCli(['scan', a]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/at least one --iocs/);
  });
});

describe('-q/--quiet as grep', () => {
  it('prints nothing and exits 0 when a line hits, 1 when none does', async () => {
    const hit = await runCli(['scan', '-q', '-f', feed, a, b]);
    expect(hit).toMatchObject({ code: 0, stdout: '', stderr: '' });
    const none = await runCli(['scan', '--quiet', '-f', feed, b]);
    expect(none).toMatchObject({ code: 1, stdout: '', stderr: '' });
  });

  it('stops at the first hit: exits while its stdin is still open', async () => {
    const run = startCli(['scan', '-q', '-f', feed]);
    try {
      run.child.stdin.write('quiet line\nhit 10.1.2.3\n');
      // The pipe stays open: only stopping at the hit ends the run.
      expect(await run.exited).toBe(0);
      expect(run.stdout()).toBe('');
    } finally {
      run.child.kill();
    }
  });

  it('exits 0 on a hit even after an error (as grep -q), 2 on an error without a hit', async () => {
    const missing = t.path('missing.log');
    const r = await runCli(['scan', '-q', '-f', feed, missing, a]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/missing\.log/);
    const e = await runCli(['scan', '-q', '-f', feed, missing, b]);
    expect(e.code).toBe(2);
    expect(e.stderr).toMatch(/iochunt: error: .*missing\.log/);
  });

  it('cannot be combined with --output or --es', async () => {
    const o = await runCli(['scan', '-q', '-f', feed, '-o', t.path('out.jsonl'), a]);
    expect(o.code).toBe(2);
    expect(o.stderr).toMatch(/-q\/--quiet .*--output/);
    const es = await runCli(['scan', '-q', '-f', feed, '--es', 'http://127.0.0.1:9', a]);
    expect(es.code).toBe(2);
    expect(es.stderr).toMatch(/-q\/--quiet .*--es/);
  });
});

describe('--no-info (the former -q)', () => {
  it('drops the summaries but keeps the hits, warnings and errors', async () => {
    const plain = await runCli(['scan', '-f', feed, a]);
    expect(plain.stderr).toMatch(/loaded 2 indicators/);
    const r = await runCli(['scan', '--no-info', '-f', feed, a, t.path('missing.log')]);
    expect(r.code).toBe(2);
    expect(r.docs).toHaveLength(3);
    expect(r.stderr).not.toMatch(/loaded|scanned/);
    expect(r.stderr).toMatch(/iochunt: error: .*missing\.log/);
  });
});

describe('-l/--files-with-matches', () => {
  it('prints each input with a hit once, in input order, and no documents', async () => {
    const r = await runCli(['scan', '--no-info', '-l', '-f', feed, '-f', feed2, c, b, a, t.path('logs')]);
    expect(r.code).toBe(0);
    // c and a are not read twice when the walk reaches them again.
    expect(lines(r.stdout)).toEqual([c, a]);
  });

  it('exits 1 and prints nothing when no input hits', async () => {
    const r = await runCli(['scan', '--no-info', '-l', '-f', feed, b]);
    expect(r).toMatchObject({ code: 1, stdout: '' });
  });

  it('names stdin (standard input) as grep does, and exits at its first hit while stdin stays open', async () => {
    const run = startCli(['scan', '--no-info', '-l', '-f', feed]);
    try {
      run.child.stdin.write('hit 10.1.2.3\n');
      expect(await run.exited).toBe(0);
      expect(run.stdout()).toBe('(standard input)\n');
    } finally {
      run.child.kill();
    }
  });

  it('wins over -c, as in grep', async () => {
    const r = await runCli(['scan', '--no-info', '-l', '-c', '-f', feed, a, b]);
    expect(lines(r.stdout)).toEqual([a]);
  });

  it('ends quietly when the reader goes away', () => {
    const files = Array.from({ length: 40 }, (_, i) => t.write(`pipe/f${String(i).padStart(2, '0')}.log`, 'hit 10.1.2.3\n'));
    const r = runShell(`node ${CLI} scan --no-info -l -f ${feed} ${t.path('pipe')} | head -n 1; echo "status=\${PIPESTATUS[0]}"`);
    expect(r.stdout).toBe(`${files[0]}\nstatus=0\n`);
    expect(r.stderr).not.toMatch(/EPIPE|error/i);
  });

  it('cannot be combined with --es', async () => {
    const r = await runCli(['scan', '-l', '-f', feed, '--es', 'http://127.0.0.1:9', a]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/-l\/--files-with-matches .*--es/);
  });
});

describe('-c/--count', () => {
  it('prints only the count for a single file, as grep does', async () => {
    const r = await runCli(['scan', '--no-info', '-c', '-f', feed, a]);
    expect(r).toMatchObject({ code: 0, stdout: '3\n' });
    const zero = await runCli(['scan', '--no-info', '--count', '-f', feed, b]);
    expect(zero).toMatchObject({ code: 1, stdout: '0\n' });
  });

  it('prints path:count for several inputs and for walked ones, inputs without hits included', async () => {
    const r = await runCli(['scan', '--no-info', '-c', '-f', feed, a, b]);
    expect(lines(r.stdout)).toEqual([`${a}:3`, `${b}:0`]);
    const walked = await runCli(['scan', '--no-info', '-c', '-f', feed, t.path('logs/sub')]);
    expect(lines(walked.stdout)).toEqual([`${c}:1`]);
  });

  it('counts stdin as (standard input) among several inputs', async () => {
    const r = await runCli(['scan', '--no-info', '-c', '-f', feed, '-', b], { stdin: 'a 10.1.2.3\nb evil.example\n' });
    expect(lines(r.stdout)).toEqual(['(standard input):2', `${b}:0`]);
  });

  it('counts lines, not matches, and never counts a line that only looks like an indicator', async () => {
    const log = t.write('count.log', '10.1.2.3 and evil.example on one line\n110.1.2.3\nnotevil.example\n');
    const r = await runCli(['scan', '--no-info', '-c', '-f', feed, log]);
    expect(r.stdout).toBe('1\n');
  });

  it('writes to --output when given', async () => {
    const out = t.path('counts.txt');
    const r = await runCli(['scan', '--no-info', '-c', '-f', feed, '-o', out, a, b]);
    expect(r.stdout).toBe('');
    const { readFileSync } = await import('node:fs');
    expect(readFileSync(out, 'utf8')).toBe(`${a}:3\n${b}:0\n`);
  });
});

describe('-m/--max-count N', () => {
  it('keeps the first N hit lines of each input, in order, with blocks scanned ahead on several threads', async () => {
    const r = await runCli(['scan', '--no-info', '--threads', '3', '-m', '2', '-f', feed, many, a]);
    expect(r.code).toBe(0);
    expect(r.docs.map((d) => d.event.original)).toEqual(['line 0 10.1.2.3', 'line 1 10.1.2.3', 'hit 10.1.2.3', 'hit evil.example']);
  });

  it('caps -c and stops reading an open stdin', async () => {
    const counted = await runCli(['scan', '--no-info', '-c', '-m', '5', '-f', feed, many]);
    expect(counted.stdout).toBe('5\n');
    const run = startCli(['scan', '--no-info', '-m', '1', '-f', feed]);
    try {
      run.child.stdin.write('one 10.1.2.3\ntwo 10.1.2.3\n');
      expect(await run.exited).toBe(0);
      expect(lines(run.stdout())).toHaveLength(1);
    } finally {
      run.child.kill();
    }
  });

  it('goes on with the next input after stdin, unless stdin stays open and silent after its N hits', async () => {
    const ended = await runCli(['scan', '--no-info', '-c', '-m', '1', '-f', feed, '-', a], { stdin: 'one 10.1.2.3\ntwo 10.1.2.3\n' });
    expect(lines(ended.stdout)).toEqual(['(standard input):1', `${a}:1`]);
    const run = startCli(['scan', '--no-info', '-c', '-m', '1', '-f', feed, '-', a]);
    try {
      run.child.stdin.write('one 10.1.2.3\n');
      expect(await run.exited).toBe(0);
      // Given up once it paused: the inputs after it are not read (see README, Stopping early).
      expect(lines(run.stdout())).toEqual(['(standard input):1']);
    } finally {
      run.child.kill();
    }
  });

  it('counts only lines that would be printed: a line an allowlist drops does not count', async () => {
    const allow = t.write('allow.txt', '10.1.2.3\n');
    const r = await runCli(['scan', '--no-info', '-m', '1', '-f', feed, '--allow', allow, a]);
    expect(r.docs.map((d) => d.event.original)).toEqual(['hit evil.example']);
    const counted = await runCli(['scan', '--no-info', '-c', '-f', feed, '--allow', allow, a]);
    expect(counted.stdout).toBe('1\n');
  });

  it('-m 0 reads no hit and exits 1; a bad N is a usage error', async () => {
    const zero = await runCli(['scan', '--no-info', '-m', '0', '-f', feed, a]);
    expect(zero).toMatchObject({ code: 1, stdout: '' });
    const bad = await runCli(['scan', '-m', 'two', '-f', feed, a]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--max-count/);
  });
});
