/**
 * Pull-style reading of a byte stream for decoders that need to look at a
 * few bytes (headers, trailers, magic numbers) between runs of bulk data, and
 * to give back what a decoder did not consume.
 */

/** Reads an async iterator of buffers piece by piece, counting the bytes taken. */
export class ByteReader {
  /** Buffers given back or not yet taken, in order. */
  private readonly pending: Buffer[] = [];
  private ended = false;
  /** Offset in the stream of the next byte {@link take} returns. */
  offset = 0;

  /**
   * @param source Chunks of the stream. A chunk must stay valid after the next
   *   is requested (decoders keep references to what they were given): copy
   *   chunks of sources that reuse one buffer before they reach this reader.
   * @param onClose Called by {@link close} before the source is stopped: ends
   *   what a pending read may be waiting on (stdin), so that it settles.
   */
  constructor(
    private readonly source: AsyncIterator<Buffer>,
    private readonly onClose?: () => void,
    /** Stream offset of the source's first byte (default 0). */
    startOffset = 0,
  ) {
    this.offset = startOffset;
  }

  /** The next piece of at most `max` bytes (never empty), or undefined at the end of the stream. */
  async take(max: number): Promise<Buffer | undefined> {
    for (;;) {
      const first = this.pending.shift();
      if (first !== undefined) {
        if (first.length === 0) continue;
        const piece = first.length > max ? first.subarray(0, max) : first;
        if (first.length > max) this.pending.unshift(first.subarray(max));
        this.offset += piece.length;
        return piece;
      }
      if (this.ended) return undefined;
      const r = await this.source.next();
      if (r.done) {
        this.ended = true;
        return undefined;
      }
      this.pending.push(r.value);
    }
  }

  /**
   * Stream offsets where the buffers held now end, in order: where the next
   * reads' pieces will be cut (a decoder given the same cuts consumes its
   * input in the same steps, and so stops at the same places).
   */
  pendingEnds(): number[] {
    const ends: number[] = [];
    let at = this.offset;
    for (const b of this.pending) {
      at += b.length;
      if (b.length > 0) ends.push(at);
    }
    return ends;
  }

  /** Gives back the last bytes taken, to be returned again by the next reads. */
  unshift(bytes: Buffer): void {
    if (bytes.length === 0) return;
    this.pending.unshift(bytes);
    this.offset -= bytes.length;
  }

  /**
   * Exactly `n` bytes, or fewer when the stream ends first (then all that was
   * left). The bytes are consumed.
   */
  async read(n: number): Promise<Buffer> {
    const parts: Buffer[] = [];
    let have = 0;
    while (have < n) {
      const piece = await this.take(n - have);
      if (!piece) break;
      parts.push(piece);
      have += piece.length;
    }
    return parts.length === 1 ? (parts[0] as Buffer) : Buffer.concat(parts, have);
  }

  /** Like {@link read}, but the bytes stay in the stream. */
  async peek(n: number): Promise<Buffer> {
    const bytes = await this.read(n);
    this.unshift(bytes);
    return bytes;
  }

  /** Stops the source (closes a file, ends a child process). */
  async close(): Promise<void> {
    this.pending.length = 0;
    if (!this.ended) this.onClose?.();
    this.ended = true;
    await this.source.return?.();
  }
}
