/**
 * JSON Lines output: one document per line, nothing else, to stdout or a
 * file. A closed pipe (`| head`) ends the run quietly.
 */
import { createWriteStream, fstatSync, fsync, type WriteStream } from 'node:fs';
import type { Writable } from 'node:stream';
import { IochuntError } from '../errors.js';
import { ioReason } from './output-file.js';
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
      if (err.code === 'EPIPE') this.broken = true;
      else if (err.code === 'ERR_STREAM_DESTROYED') this.broken ||= !this.failure && !this.out.errored;
      else this.failure ??= err;
      this.wake();
    });
    out.on('drain', () => this.wake());
  }

  /** A sink on stdout. */
  static stdout(): JsonlSink {
    return new JsonlSink(process.stdout, false, 'stdout');
  }

  /**
   * A sink on a file already opened for writing; closes `fd` at the end. Open
   * it with {@link openOutputFile}, which never truncates an input.
   */
  static fd(fd: number, label: string): JsonlSink {
    return new JsonlSink(createWriteStream('', { fd, autoClose: true }), true, label);
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
    // A failed write destroys the stream; its error may not have been emitted yet.
    const failure = this.failure ?? (this.out.errored && !this.broken ? this.out.errored : undefined);
    if (failure) throw new IochuntError('E_OUTPUT', `cannot write hits to ${this.label}: ${ioReason(failure)}`, { cause: failure });
  }

  async write(docs: readonly HitDocument[]): Promise<void> {
    this.check();
    if (this.broken || docs.length === 0) return;
    let text = '';
    for (const d of docs) text += `${JSON.stringify(d)}\n`;
    await this.send(text);
  }

  async writeJsonl(jsonl: Buffer, count: number): Promise<void> {
    this.check();
    if (this.broken || count === 0) return;
    await this.send(jsonl);
  }

  private async send(chunk: string | Buffer): Promise<void> {
    const ok = this.out.write(chunk);
    if (!ok && !this.broken && !this.out.destroyed) await new Promise<void>((resolve) => this.waiters.push(resolve));
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
    if (this.ownsStream && !this.broken && !this.out.destroyed) {
      await new Promise<void>((resolve) => {
        // An error here (ENOSPC on the last write) is reported by check().
        this.out.end((err?: Error | null) => {
          if (err && !this.failure && (err as NodeJS.ErrnoException).code !== 'ERR_STREAM_DESTROYED') this.failure = err;
          resolve();
        });
      });
    }
    this.check();
  }
}
