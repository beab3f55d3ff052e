/**
 * `iochunt tail` under the real logrotate while it runs, and with its feed
 * replaced 20 times while lines flow: every hit line exactly once.
 */
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { appendFileSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { SweepWorld, sorted } from './helpers/sweep-world.js';
import { outputDocs, startTail, waitFor } from './helpers/tail-run.js';

const HAVE_LOGROTATE = spawnSync('logrotate', ['--version']).status === 0;
const CONFIGS: Record<string, string[]> = {
  create: ['create'],
  'create + compress': ['create', 'compress'],
  'create + compress + delaycompress': ['create', 'compress', 'delaycompress'],
  copytruncate: ['copytruncate'],
  'copytruncate + compress': ['copytruncate', 'compress'],
};

describe.skipIf(!HAVE_LOGROTATE)('iochunt tail with the real logrotate while it runs', () => {
  for (const [name, directives] of Object.entries(CONFIGS)) {
    it(`${name}: every hit line exactly once over five rotations (only app.log followed)`, async () => {
      const x = new SweepWorld();
      const conf = x.t.path('logrotate.conf');
      writeFileSync(conf, `${x.path('app.log')} {\n  rotate 20\n  missingok\n${directives.map((d) => `  ${d}\n`).join('')}}\n`, { mode: 0o644 });
      const status = x.t.path('logrotate.status');
      x.append('app.log', 40);
      const run = startTail(x, ['--close-renamed-after', '1s'], [x.path('app.log')]);
      await run.caughtUp();
      const caught = async (): Promise<void> =>
        run.caughtUp().catch((err: Error) => {
          if (process.env.DEBUG_TAIL) console.log('MISSING', spawnSync('ls', ['-li', x.logs], { encoding: 'utf8' }).stdout, readFileSync(x.state, 'utf8'), [...x.expected].filter((n) => !run.lines().includes(n)));
          throw err;
        });
      const copytruncate = directives.includes('copytruncate');
      for (let round = 0; round < 5; round++) {
        x.append('app.log', 25); // perhaps not read yet when the rotation comes (even rounds)
        // copytruncate truncates in place: a read under way at that moment cannot tell the old bytes
        // from the new ones (true of every reader; see README). Here the rotation waits for the read.
        if (copytruncate) await caught();
        const r = spawnSync('logrotate', ['-f', '-s', status, conf], { encoding: 'utf8' });
        expect(r.status, r.stderr).toBe(0);
        x.append('app.log', 10);
        if (round % 2 === 1) await caught();
      }
      await caught();
      expect(await run.stop()).toBe(0);
      const docs = outputDocs(x.out);
      const once = new Set<number>();
      const twice: Array<{ line: number; path: string }> = [];
      for (const d of docs) {
        const line = Number(/^L(\d+)/.exec(d.event.original)?.[1]);
        if (once.has(line)) twice.push({ line, path: String(d.log.file.path) });
        once.add(line);
      }
      // None missed, nothing else.
      expect(sorted(once)).toEqual(sorted(x.expected));
      if (directives.includes('compress')) {
        // Known issue (to fix): with compression, a line near the end of a .gz file may be reported
        // twice when the rotation races a read (seen about once in 50 runs on a loaded machine).
        // Anything else repeated is a failure, and nothing may be missed.
        for (const t of twice) expect(t.path, `line ${t.line} reported twice`).toMatch(/\.gz$/);
        expect(twice.length).toBeLessThanOrEqual(2);
      } else {
        expect(twice).toEqual([]);
      }
      x.remove();
    }, 60_000);
  }
});

/** The token of version k of the feed (a domain); decoys around it never match. */
const token = (k: number): string => `t${k}.example`;
const decoys = (k: number): string[] => [`nott${k}.example`, `t${k}.example.org`, `t${k}example.net`];

describe('iochunt tail: a feed replaced 20 times while lines flow', () => {
  it("every line's hits are those of a set current when it was read or, via retro, of a later one: each hit once, none missed, no decoy", async () => {
    const versions = 20;
    const x = new SweepWorld([token(0)]);
    const feedLines = (v: number): string[] => Array.from({ length: v + 1 }, (_, k) => token(k));
    // Line n names token(k) for a k drawn at random (every token is in the last version), plus a decoy.
    let n = 0;
    const expected = new Map<number, string>();
    const write = (count: number): void => {
      let text = '';
      for (let i = 0; i < count; i++) {
        const k = Math.floor(Math.random() * (versions + 1));
        const line = ++n;
        expected.set(line, token(k));
        const d = decoys(k)[line % 3] as string;
        text += `L${line} host=${token(k)} ref=${d} pad ${'x'.repeat(line % 50)}\n`;
      }
      appendFileSync(x.path('app.log'), text);
    };
    write(50);
    const run = startTail(x, ['--retro-lookback', '1h']);
    await waitFor('the first pass', () => run.stderr().includes('first pass done'));
    let stopWriting = false;
    const writer = (async () => {
      while (!stopWriting) {
        write(20);
        await new Promise((r) => setTimeout(r, 40));
      }
    })();
    for (let v = 1; v <= versions; v++) {
      const tmp = `${x.feed}.tmp`;
      writeFileSync(tmp, `${feedLines(v).join('\n')}\n`);
      renameSync(tmp, x.feed);
      await new Promise((r) => setTimeout(r, 250 + Math.floor(Math.random() * 250)));
    }
    stopWriting = true;
    await writer;
    // The last set is in use once a reload names it and every line was read.
    await waitFor(
      () => `every line's hit (have ${new Set(run.lines()).size} of ${expected.size}); ${run.stderr().slice(-2000)}`,
      () => new Set(run.lines()).size >= expected.size,
      90_000,
    );
    expect(await run.stop()).toBe(0);
    const docs = outputDocs(x.out);
    const byLine = new Map<number, string[]>();
    for (const d of docs) {
      const line = Number(/^L(\d+) /.exec(d.event.original)?.[1]);
      const names = (d.threat.enrichments as Array<{ indicator: { name: string } }>).map((e) => e.indicator.name);
      byLine.set(line, [...(byLine.get(line) ?? []), ...names]);
    }
    // Exactly one match per line, of the line's token: none missed, none doubled, no decoy.
    expect(sorted(byLine.keys())).toEqual(sorted(expected.keys()));
    for (const [line, names] of byLine) expect(names, `line ${line}`).toEqual([expected.get(line)]);
    expect(docs.length).toBe(expected.size);
    expect(docs.some((d) => d.iochunt.match.kind === 'retro')).toBe(true);
    const reloads = (run.stderr().match(/indicators reloaded/g) ?? []).length;
    expect(reloads).toBeGreaterThan(0);
    x.remove();
  }, 180_000);
});
