/**
 * Reads the first bytes of a chunk stream without losing them.
 */
import { IDLE, within } from './within.js';

/**
 * Returns the first `bytes` (or fewer, at end of stream) and a stream that
 * still yields everything. `head` is valid until the returned stream is read
 * further: copy it to keep it. An error of the source while peeking is
 * not thrown here: the returned stream yields the bytes read, then throws it.
 * With `idleMs`, peeking also stops when some bytes were read and the source
 * then sends nothing for that long (a pipe fed slowly); `ended` says whether
 * the head is the whole stream.
 */
export async function peek(
  chunks: AsyncIterable<Buffer>,
  bytes: number,
  options: { idleMs?: number } = {},
): Promise<{ head: Buffer; chunks: AsyncIterable<Buffer>; ended: boolean }> {
  const it = chunks[Symbol.asyncIterator]();
  const taken: Buffer[] = [];
  let len = 0;
  let done = false;
  let failure: { err: unknown } | undefined;
  let pending: Promise<IteratorResult<Buffer>> | undefined;
  while (len < bytes) {
    // A source may reuse its chunk buffer once the next chunk is requested:
    // keep a copy of what was taken before asking for more.
    const last = taken.length - 1;
    if (last >= 0) taken[last] = Buffer.from(taken[last] as Buffer);
    let r: IteratorResult<Buffer>;
    try {
      pending = it.next();
      if (options.idleMs !== undefined && len > 0) {
        const first = await within(pending, options.idleMs);
        if (first === IDLE) break;
        r = first;
      } else {
        r = await pending;
      }
      pending = undefined;
    } catch (err) {
      pending = undefined;
      // Deliver what was read, then the error, in stream order.
      failure = { err };
      done = true;
      break;
    }
    if (r.done) {
      done = true;
      break;
    }
    taken.push(r.value);
    len += r.value.length;
  }
  const head = Buffer.concat(taken, len);
  async function* all(): AsyncGenerator<Buffer> {
    // Set while a read of the source is under way that this generator did not await yet.
    let outstanding = pending !== undefined;
    try {
      for (const t of taken) yield t;
      if (failure) throw failure.err;
      if (done) return;
      if (pending) {
        // The read that was under way when peeking stopped on idle input.
        const r = await pending;
        outstanding = false;
        if (r.done) return;
        yield r.value;
      }
      for (;;) {
        const r = await it.next();
        if (r.done) return;
        yield r.value;
      }
    } finally {
      // Stopped early: stop the source too (closes a file, ends a
      // decompressing child process), waiting for it unless a read is still
      // under way on a source that may never answer (an idle pipe).
      const stopped = it.return?.(undefined)?.catch(() => undefined);
      if (!outstanding) await stopped;
    }
  }
  return { head: head.subarray(0, Math.min(bytes, head.length)), chunks: all(), ended: done };
}
