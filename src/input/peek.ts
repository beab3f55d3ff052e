/**
 * Reads the first bytes of a chunk stream without losing them.
 */

/**
 * Returns the first `bytes` (or fewer, at end of stream) and a stream that
 * still yields everything. `head` is valid until the returned stream is read
 * further: copy it to keep it. An error of the source while peeking is
 * not thrown here: the returned stream yields the bytes read, then throws it.
 */
export async function peek(
  chunks: AsyncIterable<Buffer>,
  bytes: number,
): Promise<{ head: Buffer; chunks: AsyncIterable<Buffer> }> {
  const it = chunks[Symbol.asyncIterator]();
  const taken: Buffer[] = [];
  let len = 0;
  let done = false;
  let failure: { err: unknown } | undefined;
  while (len < bytes) {
    // A source may reuse its chunk buffer once the next chunk is requested:
    // keep a copy of what was taken before asking for more.
    const last = taken.length - 1;
    if (last >= 0) taken[last] = Buffer.from(taken[last] as Buffer);
    let r: IteratorResult<Buffer>;
    try {
      r = await it.next();
    } catch (err) {
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
    for (const t of taken) yield t;
    if (failure) throw failure.err;
    if (done) return;
    for (;;) {
      const r = await it.next();
      if (r.done) return;
      yield r.value;
    }
  }
  return { head: head.subarray(0, Math.min(bytes, head.length)), chunks: all() };
}
