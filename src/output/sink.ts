/**
 * Where hit documents go. The search calls {@link HitSink.write} with the
 * hits of each block in order and waits on it (backpressure), then
 * {@link HitSink.close} once at the end.
 */
import type { HitDocument } from './hit-document.js';

export interface HitSink {
  /** Accepts documents in order; resolves when the sink can take more. */
  write(docs: readonly HitDocument[]): Promise<void>;
  /**
   * Optional, for sinks that only need the documents' JSON: accepts `count`
   * documents as JSON Lines (each `JSON.stringify` of a document, then
   * a newline), in order; resolves when the sink can take more. A search
   * writing to a sink that has it serialises each document as soon as it is
   * built and calls this instead of {@link write}; `jsonl` is the sink's.
   */
  writeJsonl?(jsonl: Buffer, count: number): Promise<void>;
  /**
   * False when the sink never reads the documents handed to {@link write}
   * (`-c`, `-l`, `-q` count hit lines per input through the search's
   * observer): the search then builds none and hands over empty lists.
   */
  readonly wantsDocuments?: boolean;
  /** Resolves once every document written so far has been delivered. */
  flush(): Promise<void>;
  /**
   * Flushes and makes what was written durable where the sink can (fsync of
   * a file; delivery acknowledged by Elasticsearch). `sweep` and `tail`
   * commit their read positions only after it resolves.
   */
  sync?(): Promise<void>;
  /** Flushes and releases the sink. */
  close(): Promise<void>;
  /** True when the consumer went away (a broken pipe): the search stops quietly. */
  readonly gone: boolean;
}
