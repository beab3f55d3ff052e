/**
 * Writes every document to several sinks (JSON Lines and Elasticsearch),
 * waiting for each: the slowest sets the pace.
 */
import type { HitDocument } from './hit-document.js';
import type { HitSink } from './sink.js';

export class TeeSink implements HitSink {
  constructor(private readonly sinks: readonly HitSink[]) {}

  /** Gone only when every sink is gone. */
  get gone(): boolean {
    return this.sinks.every((s) => s.gone);
  }

  async write(docs: readonly HitDocument[]): Promise<void> {
    for (const s of this.sinks) if (!s.gone) await s.write(docs);
  }

  async flush(): Promise<void> {
    for (const s of this.sinks) await s.flush();
  }

  async sync(): Promise<void> {
    for (const s of this.sinks) await (s.sync ? s.sync() : s.flush());
  }

  /** Closes every sink, even when one fails; throws the first failure. */
  async close(): Promise<void> {
    let first: unknown;
    for (const s of this.sinks) {
      try {
        await s.close();
      } catch (err) {
        first ??= err;
      }
    }
    if (first !== undefined) throw first;
  }
}
