/**
 * JSON Lines output: one document per line, nothing else, to stdout or a
 * file. A closed pipe (`| head`) ends the run quietly.
 */
import { createWriteStream, fstatSync, fsync, type WriteStream } from 'node:fs';
import type { Writable } from 'node:stream';
import { IochuntError } from '../errors.js';
import type { HitDocument } from './hit-document.js';
import type { HitSink } from './sink.js';

export class JsonlSink implements HitSink {
  private broken = false;
  private failure: Error | undefined;
  private waiters: Array<() => void> = [];

  /** Writes to `out`; `ownsStream` closes it at the end (files, not stdout). */
  constructor(
    private readonly out: Writable,
    private readonly ownsStream: boolean,
    private readonly label: string,
  ) {
    out.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'EPIPE' || err.code === 'ERR_STREAM_DESTROYED') this.broken = true;
      else this.failure = err;
      this.wake();
    });
    out.on('drain', () => this.wake());
  }

  /** A sink on stdout. */
  static stdout(): JsonlSink {
    return new JsonlSink(process.stdout, false, 'stdout');
  }

  /** A sink on a new (truncated) file, or appending to it with `append`. */
  static file(path: string, options: { append?: boolean } = {}): JsonlSink {
    return new JsonlSink(createWriteStream(path, { flags: options.append ? 'a' : 'w' }), true, path);
  }

  /** Flushes, then fsyncs the file (or stdout when it is a regular file). */
  async sync(): Promise<void> {
    await this.flush();
    if (this.broken) return;
    const fd = this.ownsStream ? (this.out as WriteStream & { fd?: number }).fd : this.out === process.stdout ? 1 : undefined;
    if (typeof fd !== 'number') return;
    // Only regular files are fsynced: a pipe, a terminal or /dev/null has nothing to make durable.
    try {
      if (!fstatSync(fd).isFile()) return;
    } catch {
      return;
    }
    await new Promise<void>((resolve, reject) =>
      fsync(fd, (err) => {
        if (!err || err.code === 'EINVAL' || err.code === 'ENOTSUP') resolve();
        else reject(new IochuntError('E_OUTPUT', `cannot write hits to ${this.label}: ${err.message}`, { cause: err }));
      }),
    );
  }

  get gone(): boolean {
    return this.broken;
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  private check(): void {
    if (this.failure) throw new IochuntError('E_OUTPUT', `cannot write hits to ${this.label}: ${this.failure.message}`, { cause: this.failure });
  }

  async write(docs: readonly HitDocument[]): Promise<void> {
    this.check();
    if (this.broken || docs.length === 0) return;
    let text = '';
    for (const d of docs) text += `${JSON.stringify(d)}\n`;
    const ok = this.out.write(text);
    if (!ok && !this.broken) await new Promise<void>((resolve) => this.waiters.push(resolve));
    this.check();
  }

  async flush(): Promise<void> {
    this.check();
    if (this.broken || this.out.writableLength === 0) return;
    // The callback of an empty write runs once every earlier write is done.
    await new Promise<void>((resolve) => {
      this.waiters.push(resolve);
      this.out.write('', () => this.wake());
    });
    this.check();
  }

  async close(): Promise<void> {
    await this.flush();
    if (this.ownsStream && !this.broken) {
      await new Promise<void>((resolve, reject) => {
        this.out.end((err?: Error | null) => (err ? reject(err) : resolve()));
      });
    }
    this.check();
  }
}
