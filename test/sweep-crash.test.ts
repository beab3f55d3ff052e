/**
 * SIGKILL of `iochunt sweep` at random moments, then runs until one
 * completes: with JSONL no hit line is lost (a crash may repeat the hits of
 * the last uncommitted second); with --es into the real node the document
 * count equals the hit lines exactly (ids are idempotent).
 */
import { afterAll, describe, expect, it } from 'vitest';
import { readFileSync, rmSync } from 'node:fs';
import { SweepWorld, lineNumber, sorted } from './helpers/sweep-world.js';
import { runCli, startCli } from './helpers/cli.js';
import { allDocs, es, esEnv, esNode } from './helpers/es-test.js';

/** Runs `args` and SIGKILLs it after `ms`; resolves to its exit code (null when killed). */
async function killAfter(args: string[], ms: number, env?: NodeJS.ProcessEnv): Promise<number | null> {
  const run = startCli(args, env ? { env } : {});
  run.child.stdin.end();
  const timer = setTimeout(() => run.child.kill('SIGKILL'), ms);
  const code = await run.exited;
  clearTimeout(timer);
  return code;
}

/**
 * SIGKILLs runs at random points: within the shortest run seen to complete so
 * far (starting from 800 ms), so that a machine or a build that sweeps faster
 * is still interrupted mid-run rather than after the run ended.
 */
class RandomKiller {
  private window = 800;
  killed = 0;
  async run(args: string[], env?: NodeJS.ProcessEnv): Promise<void> {
    const started = Date.now();
    if ((await killAfter(args, Math.floor(this.window * (0.1 + 0.8 * Math.random())), env)) === null) this.killed++;
    else this.window = Math.min(this.window, Date.now() - started);
  }
}

function bigWorld(files: number, linesPerFile: number, every: number): SweepWorld {
  const x = new SweepWorld();
  for (let f = 0; f < files; f++) x.append(`app${f}.log`, linesPerFile, every);
  return x;
}

describe('iochunt sweep killed at random moments', () => {
  it('JSONL: 10 SIGKILLs, then a complete run: no hit line lost', async () => {
    const x = bigWorld(4, 150_000, 20);
    try {
      const args = ['sweep', '--no-cache', '--threads', '1', '-i', x.feed, '--state', x.state, '-o', x.out, '--wait', '30', x.logs];
      const killer = new RandomKiller();
      for (let i = 0; i < 10; i++) {
        // Every round brings new lines, so each run has work to be killed in the middle of.
        for (let f = 0; f < 4; f++) x.append(`app${f}.log`, 20_000, 20);
        await killer.run(args);
      }
      const last = await runCli(args);
      expect(last.code, last.stderr).toBeLessThan(2);
      const lines = readFileSync(x.out, 'utf8').split('\n').filter((l) => l !== '').map((l) => lineNumber(JSON.parse(l)));
      expect(sorted(new Set(lines))).toEqual(sorted(x.expected));
      expect(killer.killed).toBeGreaterThan(0);
      // A final run finds nothing new.
      const again = await runCli(args);
      expect(again.code).toBe(1);
    } finally {
      x.remove();
    }
  }, 180_000);
});

const node = esNode();
describe.skipIf(!node)('iochunt sweep --es killed at random moments (real node)', () => {
  const n = node as NonNullable<typeof node>;
  const index = `logs-iochunt.sweepkill-${process.pid}`;
  afterAll(async () => {
    await es(n, 'DELETE', `/_data_stream/${index}`);
    await es(n, 'DELETE', `/${index}`);
    await es(n, 'DELETE', `/_index_template/iochunt-hits-${index}`);
  });

  it('20 SIGKILLs, then a complete run: exactly one document per hit line', async () => {
    const x = bigWorld(3, 10_000, 10);
    try {
      const env = esEnv(n);
      const setup = await runCli(['es', 'setup', '--es', n.url, '--es-index', index], { env });
      expect(setup.code, setup.stderr).toBe(0);
      const deadLetter = x.t.path('dead.jsonl');
      const args = ['sweep', '--no-cache', '-i', x.feed, '--state', x.state, '--es', n.url, '--es-index', index, '--es-dead-letter', deadLetter, '--wait', '30', x.logs];
      const killer = new RandomKiller();
      for (let i = 0; i < 20; i++) {
        // Every round brings new lines, so each run has hits to deliver when it is killed.
        for (let f = 0; f < 3; f++) x.append(`app${f}.log`, 5_000, 10);
        await killer.run(args, env);
      }
      const last = await runCli(args, { env });
      expect(last.code, last.stderr).toBeLessThan(2);
      const docs = await allDocs(n, index);
      const lines = docs.map((d) => lineNumber(d._source));
      expect(lines.length).toBe(x.expected.size);
      expect(sorted(lines)).toEqual(sorted(x.expected));
      expect(killer.killed).toBeGreaterThan(0);
      rmSync(deadLetter, { force: true });
    } finally {
      x.remove();
    }
  }, 300_000);
});
