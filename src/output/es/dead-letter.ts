/**
 * The dead-letter file: hits that Elasticsearch refused for good (a mapping
 * conflict, a missing pipeline) or that could not be delivered before the
 * retry time ran out, one JSON object per line, with the reason, so that
 * nothing found is lost. The file is opened for appending on the first
 * refused hit; a run with none leaves no file.
 */
import { appendFileSync, closeSync, fsyncSync, openSync } from 'node:fs';
import { IochuntError } from '../../errors.js';

/** Why a hit was dead-lettered. */
export interface DeadLetterReason {
  /** HTTP status of the item, or of the request; absent when nothing answered. */
  readonly status?: number;
  /** Elasticsearch's error type (`mapper_parsing_exception`), or `retry_timeout` / `aborted`. */
  readonly type: string;
  readonly reason: string;
}

/** Appends dead letters to a file, synchronously (a refusal is rare; losing one is not acceptable). */
export class DeadLetterFile {
  private fd: number | undefined;
  private written = 0;

  constructor(readonly path: string) {}

  /** Dead letters written by this run. */
  get count(): number {
    return this.written;
  }

  /**
   * Appends one line per hit: `{"@timestamp", "index", "_id", "error": {...}, "document": {...}}`.
   * `source` is the hit document as JSON text.
   */
  add(entries: ReadonlyArray<{ id: string; source: string }>, index: string, reason: DeadLetterReason): void {
    if (entries.length === 0) return;
    const now = new Date().toISOString();
    const error = JSON.stringify({ ...(reason.status !== undefined ? { status: reason.status } : {}), type: reason.type, reason: reason.reason });
    let text = '';
    for (const e of entries) {
      text += `{"@timestamp":${JSON.stringify(now)},"index":${JSON.stringify(index)},"_id":${JSON.stringify(e.id)},"error":${error},"document":${e.source}}\n`;
    }
    try {
      if (this.fd === undefined) this.fd = openSync(this.path, 'a');
      appendFileSync(this.fd, text);
    } catch (err) {
      throw new IochuntError('E_OUTPUT', `cannot write the dead-letter file ${this.path}: ${(err as Error).message}`, { cause: err });
    }
    this.written += entries.length;
  }

  /** Flushes to disk and closes. */
  close(): void {
    if (this.fd === undefined) return;
    try {
      fsyncSync(this.fd);
    } finally {
      closeSync(this.fd);
      this.fd = undefined;
    }
  }
}
