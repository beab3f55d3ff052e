/**
 * grep's per-input output of `scan`: `--files-with-matches` prints the path
 * of each input with a hit, `--count` the number of hit lines of each input
 * (`path:count`, or only the count when a single file or stdin is scanned).
 * Stdin is named `(standard input)`, as grep names it. Hit documents are not
 * printed; the lines go to stdout or `--output`, and a closed pipe
 * (`| head -1`) ends the run quietly, as with hit documents.
 */
import { createWriteStream } from 'node:fs';
import type { Writable } from 'node:stream';
import { IochuntError } from '../errors.js';
import type { InputProgress } from '../search/search.js';
import type { HitDocument } from './hit-document.js';
import type { HitSink } from './sink.js';

/** What `scan` prints on stdout. */
export type ScanReport = 'hits' | 'quiet' | 'files' | 'count';

/** grep's name of stdin in its per-file output. */
export const STDIN_LABEL = '(standard input)';

/**
 * A sink that drops hit documents and writes one line per input instead
 * (`files` or `count`), or nothing at all (`quiet`).
 */
export class InputReportSink implements HitSink {
  private broken = false;
  private failure: Error | undefined;
  private waiters: Array<() => void> = [];

  /**
   * @param out where lines go (undefined for `quiet`)
   * @param namesAlways `count` only: print `path:count` even for a single input named on the command line
   */
  constructor(
    private readonly mode: Exclude<ScanReport, 'hits'>,
    private readonly out: Writable | undefined,
    private readonly ownsStream: boolean,
    private readonly label: string,
    private readonly namesAlways: boolean,
  ) {
    out?.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'EPIPE' || err.code === 'ERR_STREAM_DESTROYED') this.broken = true;
      else this.failure = err;
      this.wake();
    });
    out?.on('drain', () => this.wake());
  }

  /** Lines on stdout (`quiet`: nothing anywhere). */
  static stdout(mode: Exclude<ScanReport, 'hits'>, namesAlways: boolean): InputReportSink {
    return new InputReportSink(mode, mode === 'quiet' ? undefined : process.stdout, false, 'stdout', namesAlways);
  }

  /** Lines in a new (truncated) file. */
  /** A sink on a file already opened for writing (see `openOutputFile`, which never truncates an input); closes `fd` at the end. */
  static fd(mode: 'files' | 'count', fd: number, label: string, namesAlways: boolean): InputReportSink {
    return new InputReportSink(mode, createWriteStream('', { fd, autoClose: true }), true, label, namesAlways);
  }

  get gone(): boolean {
    return this.broken;
  }

  /** Hit lines are counted per input by the search: their documents are never read. */
  readonly wantsDocuments = false;

  async write(_docs: readonly HitDocument[]): Promise<void> {
    this.check();
  }

  /** The line of one input, once its hits are all counted (in input order). */
  async inputEnd(input: InputProgress): Promise<void> {
    if (input.binary || this.mode === 'quiet') return;
    const name = input.path === '-' ? STDIN_LABEL : input.path;
    let line: string | undefined;
    if (this.mode === 'files') {
      if (input.hitLines > 0) line = name;
    } else {
      line = this.namesAlways || input.found ? `${name}:${input.hitLines}` : String(input.hitLines);
    }
    if (line !== undefined) await this.line(line);
  }

  private async line(text: string): Promise<void> {
    this.check();
    if (this.broken || !this.out) return;
    const ok = this.out.write(`${text}\n`);
    if (!ok && !this.broken) await new Promise<void>((resolve) => this.waiters.push(resolve));
    this.check();
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  private check(): void {
    if (this.failure) throw new IochuntError('E_OUTPUT', `cannot write to ${this.label}: ${this.failure.message}`, { cause: this.failure });
  }

  async flush(): Promise<void> {
    this.check();
    const out = this.out;
    if (this.broken || !out || out.writableLength === 0) return;
    await new Promise<void>((resolve) => {
      this.waiters.push(resolve);
      out.write('', () => this.wake());
    });
    this.check();
  }

  async close(): Promise<void> {
    await this.flush();
    const out = this.out;
    if (this.ownsStream && out && !this.broken) {
      await new Promise<void>((resolve, reject) => {
        out.end((err?: Error | null) => (err ? reject(err) : resolve()));
      });
    }
    this.check();
  }
}
