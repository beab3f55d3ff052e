/**
 * Reads an async source ahead of its consumer, so that the work behind the
 * source (an in-process decoder whose inflation runs on the libuv thread pool)
 * goes on while the consumer waits for something else (a scan of the previous
 * block on another thread). Without it, a decoder only ran while the
 * consumer was pulling, and the two took turns.
 */

/** How far a {@link readAhead} may run ahead of its consumer. */
export interface ReadAheadOptions {
  /**
   * Most bytes held that the consumer has not taken yet. The read that
   * crosses the limit completes; reading then waits until the consumer has
   * taken enough.
   */
  readonly maxBytes: number;
  /**
   * Bytes allowed ahead at first (default `maxBytes`); the limit doubles each
   * time the consumer takes that much, up to `maxBytes`. A consumer that reads
   * only the start of the input (a fingerprint, a head for format detection)
   * then costs little more decoding than it reads.
   */
  readonly initialBytes?: number;
  /**
   * True when every read of the source settles soon (a regular file): when
   * the consumer stops, a read under way is then waited for and the source is
   * stopped before the iteration's `return()` resolves (the file is closed
   * by then). When false (a pipe, a terminal, stdin, which may never answer),
   * the source is stopped once that read settles, without waiting for it.
   */
  readonly readsSettle?: boolean;
}

/**
 * Yields what `source` yields, in the same order, while reading it ahead in
 * the background (at most `options.maxBytes` ahead). An error from `source`
 * is thrown only after every chunk read before it was yielded: the consumer
 * sees exactly what it would see reading `source` itself. Stopping the
 * iteration early (break, return) stops the source too (see
 * {@link ReadAheadOptions.readsSettle}).
 *
 * Chunks are handed on as the source gave them: `source` must not reuse a
 * chunk's memory for a later chunk (decoders give fresh buffers).
 */
export async function* readAhead(source: AsyncIterator<Buffer>, options: ReadAheadOptions): AsyncGenerator<Buffer, void> {
  const queue: Buffer[] = [];
  let queued = 0;
  let limit = Math.min(options.initialBytes ?? options.maxBytes, options.maxBytes);
  let taken = 0;
  let done = false;
  let failed = false;
  let failure: unknown;
  let stopped = false;
  let reading = false;
  let wakeConsumer: (() => void) | undefined;
  let wakeReader: (() => void) | undefined;
  const signal = (which: 'consumer' | 'reader'): void => {
    const w = which === 'consumer' ? wakeConsumer : wakeReader;
    if (which === 'consumer') wakeConsumer = undefined;
    else wakeReader = undefined;
    w?.();
  };

  const reader = (async (): Promise<void> => {
    try {
      while (!stopped) {
        if (queued >= limit) {
          await new Promise<void>((resolve) => (wakeReader = resolve));
          continue;
        }
        reading = true;
        const r = await source.next();
        reading = false;
        if (r.done) break;
        if (stopped) break;
        queue.push(r.value);
        queued += r.value.length;
        signal('consumer');
      }
    } catch (err) {
      reading = false;
      failed = true;
      failure = err;
    } finally {
      done = true;
      signal('consumer');
    }
  })();

  try {
    for (;;) {
      const chunk = queue.shift();
      if (chunk !== undefined) {
        queued -= chunk.length;
        taken += chunk.length;
        if (taken >= limit && limit < options.maxBytes) limit = Math.min(limit * 2, options.maxBytes);
        signal('reader');
        yield chunk;
        continue;
      }
      if (done) {
        if (failed) throw failure;
        return;
      }
      await new Promise<void>((resolve) => (wakeConsumer = resolve));
    }
  } finally {
    stopped = true;
    signal('reader');
    if (reading && !options.readsSettle) {
      // An idle pipe may never answer the read under way: the source stops
      // once it settles, without this waiting for it.
      void Promise.resolve(source.return?.(undefined)).catch(() => undefined);
    } else {
      await reader;
      await source.return?.(undefined);
    }
  }
}
