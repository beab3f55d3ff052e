/**
 * The progress line of `scan`, run under a pseudo-terminal (`script` from
 * util-linux): drawn on stderr when it is a terminal, redrawn in place,
 * erased at the end; never when stderr is not a terminal, with -q,
 * --no-info or --no-progress. Waits are on what the terminal shows, not on time.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { spawn, spawnSync } from 'node:child_process';
import { createWriteStream, readFileSync, rmSync } from 'node:fs';
import { CLI, ROOT, runCli } from './helpers/cli.js';
import { tmpDir } from './helpers/tmp.js';

const ERASE = '\r\x1b[K';
const t = tmpDir();
afterAll(() => rmSync(t.dir, { recursive: true, force: true }));
const feed = t.write('feed.txt', '10.1.2.3\n');
const log = t.write('a.log', 'x 10.1.2.3\n'.repeat(1000));
const cache = t.path('cache');

function quote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/** Runs `iochunt ARGS > out` in a pseudo-terminal; returns what the terminal showed (stderr). */
function underTerminal(args: string[], out: string) {
  const cmd = `${quote(process.execPath)} ${quote(CLI)} ${args.map(quote).join(' ')} > ${quote(out)}`;
  const child = spawn('script', ['-qfec', cmd, '/dev/null'], {
    cwd: ROOT,
    env: { ...process.env, IOCHUNT_CACHE_DIR: cache, COLUMNS: '200', LINES: '50' },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let shown = '';
  const waiters: Array<{ test: (s: string) => boolean; resolve: () => void }> = [];
  child.stdout.on('data', (d: Buffer) => {
    shown += d.toString('utf8');
    for (const w of [...waiters]) {
      if (w.test(shown)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve();
      }
    }
  });
  const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
  return {
    child,
    exited,
    shown: () => shown,
    /** Resolves once the terminal shows something that passes `test`. */
    until: (test: (s: string) => boolean) =>
      new Promise<void>((resolve) => {
        if (test(shown)) resolve();
        else waiters.push({ test, resolve });
      }),
  };
}

/** The progress frames drawn (text after each erase, up to the next control character). */
function frames(shown: string): string[] {
  return shown
    .split(ERASE)
    .slice(1)
    .map((f) => f.split(/[\r\n]/)[0] ?? '')
    .filter((f) => f.includes('hit line(s)'));
}

describe('the progress line', () => {
  it('is redrawn in place while a slow input is read, with bytes, rate, hits and the input, and erased at the end', async () => {
    const fifo = t.path('slow.fifo');
    expect(spawnSync('mkfifo', [fifo]).status).toBe(0);
    const run = underTerminal(['scan', '-f', feed, fifo], t.path('fifo.jsonl'));
    const writer = createWriteStream(fifo);
    try {
      writer.write('first 10.1.2.3\n');
      await run.until((s) => frames(s).some((f) => f.includes('1 hit line(s)')));
      writer.write('second 10.1.2.3\nthird line\n');
      await run.until((s) => frames(s).some((f) => f.includes('2 hit line(s)')));
      writer.end();
      await run.exited;
    } finally {
      writer.destroy();
      run.child.kill();
      await run.exited;
    }
    const shown = run.shown();
    const drawn = frames(shown);
    expect(drawn.length).toBeGreaterThanOrEqual(2);
    for (const f of drawn) expect(f).toMatch(/^iochunt: \d+(\.\d)? k?B, (-|\d+(\.\d)? k?B\/s), \d+ hit line\(s\)/);
    // The name may be shortened from the left to fit the terminal (a long TMPDIR): its end is kept.
    expect(drawn.some((f) => f.endsWith('slow.fifo'))).toBe(true);
    // The last frame is erased before the summary, and nothing is drawn after it.
    const lastFrame = shown.lastIndexOf('hit line(s)');
    const summary = shown.indexOf('iochunt: scanned');
    expect(summary).toBeGreaterThan(lastFrame);
    expect(shown.slice(lastFrame, summary)).toContain(ERASE);
    expect(shown.slice(summary)).not.toContain(ERASE);
    expect(shown.slice(summary)).toMatch(/2 line\(s\) with hits/);
    // Hits went to stdout, untouched by the line.
    expect(readFileSync(t.path('fifo.jsonl'), 'utf8').trim().split('\n')).toHaveLength(2);
  });

  it('shows the total of named files from its first frame', async () => {
    const run = underTerminal(['scan', '-f', feed, log], t.path('file.jsonl'));
    await run.exited;
    const drawn = frames(run.shown());
    expect(drawn.length).toBeGreaterThanOrEqual(1);
    expect(drawn[0]).toMatch(/^iochunt: \d+(\.\d)? k?B \/ 11\.0 kB \(\d+%\), /);
    expect(run.shown()).toMatch(/scanned 1 input/);
  });

  it('is never drawn with -q, --no-info or --no-progress', async () => {
    for (const flag of ['-q', '--no-info', '--no-progress']) {
      const run = underTerminal(['scan', flag, '-f', feed, log], t.path('none.jsonl'));
      await run.exited;
      expect(frames(run.shown())).toEqual([]);
      expect(run.shown()).not.toContain(ERASE);
    }
  });

  it('is never drawn when stderr is not a terminal', async () => {
    const r = await runCli(['scan', '-f', feed, log]);
    expect(r.code).toBe(0);
    expect(r.stderr).not.toContain('\r');
    expect(r.stderr).not.toContain('\x1b');
    expect(r.stderr).toMatch(/scanned 1 input/);
  });
});

describe('the progress line of sweep', () => {
  it('is drawn on a terminal while a sweep reads, with the file, and erased before the summary', async () => {
    const dir = t.path('sweep-logs');
    t.write('sweep-logs/app.log', 'x 10.1.2.3\n'.repeat(2000));
    const run = underTerminal(['sweep', '-f', feed, '--state', t.path('sweep-state.json'), dir], t.path('sweep.jsonl'));
    await run.exited;
    const shown = run.shown();
    // The summary follows an erase too, and says "hit line(s)": it is not a frame.
    const drawn = frames(shown).filter((f) => !f.startsWith('iochunt: swept'));
    expect(drawn.length).toBeGreaterThanOrEqual(1);
    for (const f of drawn) expect(f).toMatch(/^iochunt: \d+(\.\d)? k?B, (-|\d+(\.\d)? k?B\/s), \d+ hit line\(s\)/);
    const summary = shown.indexOf('iochunt: swept 1 file(s)');
    expect(summary).toBeGreaterThan(shown.lastIndexOf('hit line(s),'));
    expect(shown.slice(0, summary)).toContain(ERASE);
    expect(shown.slice(summary)).not.toContain(ERASE);
    expect(readFileSync(t.path('sweep.jsonl'), 'utf8').trim().split('\n')).toHaveLength(2000);
    // Not drawn when stderr is not a terminal.
    const plain = await runCli(['sweep', '-f', feed, '--state', t.path('sweep-state2.json'), dir]);
    expect(plain.stderr).not.toContain(ERASE);
  });
});
