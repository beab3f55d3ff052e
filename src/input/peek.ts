/**
 * Reads the first bytes of a chunk stream without losing them.
 */

/** Returns the first `bytes` (or fewer, at end of stream) and a stream that still yields everything. */
export async function peek(
  chunks: AsyncIterable<Buffer>,
  bytes: number,
): Promise<{ head: Buffer; chunks: AsyncIterable<Buffer> }> {
  const it = chunks[Symbol.asyncIterator]();
  const taken: Buffer[] = [];
  let len = 0;
  let done = false;
  while (len < bytes) {
    const r = await it.next();
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
    if (done) return;
    for (;;) {
      const r = await it.next();
      if (r.done) return;
      yield r.value;
    }
  }
  return { head: head.subarray(0, Math.min(bytes, head.length)), chunks: all() };
}
