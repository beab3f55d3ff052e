/**
 * A small world for sweep tests: a log folder, a feed, a state file, and
 * numbered log lines whose hits are known. Every written line is
 * `L<n> <token>` where the token is an indicator (a hit) or a decoy; the
 * model remembers which line numbers must hit, so that the hits of any number
 * of sweeps can be checked against it: each hit line exactly once.
 */
import { appendFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runSweep, type SweepOptions } from '../../src/commands/sweep.js';
import { recordingReporter } from '../../src/report.js';
import { tmpDir } from './tmp.js';

export const HIT_TOKENS = ['10.1.2.3', 'evil.example', 'sub.evil.example', 'http://bad.example/gate.php'];
export const DECOYS = ['110.1.2.3', '10.1.2.34', 'notevil.example', 'evil.example.org'];

export interface SweepRun {
  code: number;
  /** Line numbers of the hits this run produced, in output order. */
  lines: number[];
  docs: Array<Record<string, any>>;
  messages: Array<{ level: string; message: string }>;
}

export class SweepWorld {
  readonly t = tmpDir('iochunt-sweep-');
  readonly logs: string;
  readonly feed: string;
  readonly state: string;
  readonly out: string;
  private n = 0;
  /** Line numbers written that must hit (live indicators). */
  readonly expected = new Set<number>();
  private outRead = 0;

  constructor(feedLines: readonly string[] = ['10.1.2.3', 'evil.example', 'http://bad.example/gate.php']) {
    this.logs = this.t.path('logs');
    mkdirSync(this.logs, { recursive: true });
    this.feed = this.t.write('feed.txt', `${feedLines.join('\n')}\n`);
    this.state = this.t.path('state', 'sweep.json');
    this.out = this.t.path('hits.jsonl');
  }

  path(...names: string[]): string {
    return join(this.logs, ...names);
  }

  /** Text of `count` new lines; every `every`-th is a hit. Returns it without writing. */
  lines(count: number, every = 3): string {
    let text = '';
    for (let i = 0; i < count; i++) {
      const n = ++this.n;
      const hit = n % every === 0;
      const token = hit ? (HIT_TOKENS[Math.floor(n / every) % HIT_TOKENS.length] as string) : (DECOYS[n % DECOYS.length] as string);
      if (hit) this.expected.add(n);
      text += `L${n} host=${token} pad ${'x'.repeat(n % 40)}\n`;
    }
    return text;
  }

  append(name: string, count: number, every = 3): void {
    appendFileSync(this.path(name), this.lines(count, every));
  }

  options(extra: Partial<SweepOptions> = {}): SweepOptions {
    return {
      iocs: [this.feed],
      output: this.out,
      maxLineBytes: 16 * 1024 * 1024,
      domainMatch: 'subdomain',
      strict: false,
      engine: 'auto',
      threads: 1,
      summary: true,
      timezone: 'UTC',
      statePath: this.state,
      waitMs: 0,
      resetState: false,
      forgetAfterMs: 7 * 86_400_000,
      retroLookbackMs: 30 * 86_400_000,
      retroOnly: false,
      ...extra,
    };
  }

  /** Runs one sweep in process over the log folder (or `paths`). */
  async sweep(extra: Partial<SweepOptions> = {}, paths: string[] = [this.logs]): Promise<SweepRun> {
    const reporter = recordingReporter();
    const code = await runSweep(paths, this.options(extra), reporter);
    const docs = this.newDocs();
    return { code, docs, lines: docs.filter((d) => /^L\d+ /.test(String(d.event?.original))).map(lineNumber), messages: reporter.messages };
  }

  /** Documents appended to the output since the last call. */
  newDocs(): Array<Record<string, any>> {
    if (!existsSync(this.out)) return [];
    const text = readFileSync(this.out, 'utf8').slice(this.outRead);
    this.outRead += text.length;
    return text
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => JSON.parse(l) as Record<string, any>);
  }

  /** Every document ever written to the output. */
  allDocs(): Array<Record<string, any>> {
    if (!existsSync(this.out)) return [];
    return readFileSync(this.out, 'utf8')
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => JSON.parse(l) as Record<string, any>);
  }

  setFeed(lines: readonly string[]): void {
    writeFileSync(this.feed, `${lines.join('\n')}\n`);
  }

  remove(): void {
    rmSync(this.t.dir, { recursive: true, force: true });
  }
}

/** The line number of a hit document (`L<n> …`). */
export function lineNumber(doc: Record<string, any>): number {
  const m = /^L(\d+) /.exec(String(doc.event?.original ?? ''));
  if (!m) throw new Error(`not a world line: ${JSON.stringify(doc.event?.original)}`);
  return Number(m[1]);
}

/** Sorted copy. */
export function sorted(xs: Iterable<number>): number[] {
  return [...xs].sort((a, b) => a - b);
}
