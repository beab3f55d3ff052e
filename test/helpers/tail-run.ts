/**
 * `iochunt tail` in the background over a {@link SweepWorld}: start it, wait
 * until its output holds what the model expects, signal it, read its
 * metrics.
 */
import { existsSync, readFileSync } from 'node:fs';
import { startCli, type BackgroundCli } from './cli.js';
import { lineNumber, type SweepWorld } from './sweep-world.js';

/** Polls `check` every 100 ms until it returns true; throws with `what` after `ms`. */
export async function waitFor(what: string | (() => string), check: () => boolean | Promise<boolean>, ms = 30_000): Promise<void> {
  const deadline = Date.now() + ms;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${typeof what === 'string' ? what : what()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** The documents of a JSONL output file (the last line may be incomplete while it is written: skipped). */
export function outputDocs(path: string): Array<Record<string, any>> {
  if (!existsSync(path)) return [];
  const docs: Array<Record<string, any>> = [];
  for (const l of readFileSync(path, 'utf8').split('\n')) {
    if (l === '') continue;
    try {
      docs.push(JSON.parse(l) as Record<string, any>);
    } catch {
      // a line being written
    }
  }
  return docs;
}

export interface TailRun extends BackgroundCli {
  /** Line numbers of the hits written so far. */
  lines(): number[];
  /** Waits until every expected line of the world was reported (at least once). */
  caughtUp(ms?: number): Promise<void>;
  /** SIGTERM, then the exit code. */
  stop(): Promise<number | null>;
  /** The metrics URL once it is listening. */
  metricsUrl(): Promise<string>;
}

/** Starts `iochunt tail` over the world's logs with JSONL into its output file; `extra` args go before the paths. */
export function startTail(x: SweepWorld, extra: string[] = [], paths: string[] = [x.logs], env?: NodeJS.ProcessEnv): TailRun {
  const run = startCli(['tail', '--no-cache', '--threads', '1', '-i', x.feed, '--state', x.state, '-o', x.out, '--scan-interval', '250ms', ...extra, ...paths], env ? { env } : {});
  const lines = (): number[] => outputDocs(x.out).map(lineNumber);
  return {
    ...run,
    lines,
    async caughtUp(ms = 30_000) {
      await waitFor(
        () => `the hits of ${x.expected.size} lines (have ${new Set(lines()).size}); stderr: ${run.stderr()}`,
        () => {
          if (run.child.exitCode !== null) throw new Error(`tail exited ${run.child.exitCode}: ${run.stderr()}`);
          const have = new Set(lines());
          for (const n of x.expected) if (!have.has(n)) return false;
          return true;
        },
        ms,
      );
    },
    async stop() {
      run.child.kill('SIGTERM');
      return run.exited;
    },
    async metricsUrl() {
      let url = '';
      await waitFor('the metrics address', () => {
        const m = /metrics on (http:\/\/[^\s]+\/metrics)/.exec(run.stderr());
        if (m) url = m[1] as string;
        return m !== null;
      });
      return url;
    },
  };
}

/** Parses Prometheus text: `name{labels}` → value. */
export function parseMetrics(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const i = line.lastIndexOf(' ');
    out.set(line.slice(0, i), Number(line.slice(i + 1)));
  }
  return out;
}
