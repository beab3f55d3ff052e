/**
 * Drives one of Node's zlib decoders (raw inflate, zstd) over a
 * {@link ByteReader} so that nothing is lost at the edges of the compressed
 * stream: every byte the decoder produced is delivered before an error is
 * raised, and the bytes after the end of the stream (another gzip member,
 * trailing data) are given back to the reader instead of being swallowed.
 */
import type { Transform } from 'node:stream';
import type { ByteReader } from './byte-reader.js';

/** Compressed bytes handed to the decoder per write: small, so that an error loses at most one output buffer. */
const PIECE = 64 * 1024;

/** A zlib stream as Node implements it: `bytesWritten` counts the compressed bytes the decoder consumed. */
export type ZlibDecoder = Transform & { readonly bytesWritten: number };

/** The decoder failed; `consumed` compressed bytes (from where the pump started) had been accepted. */
export class PumpError extends Error {
  constructor(
    readonly zlibError: Error & { code?: string },
    readonly consumed: number,
    /** True when the error came from the end of the input (the stream is incomplete). */
    readonly atEnd: boolean,
  ) {
    super(zlibError.message, { cause: zlibError });
  }
}

/**
 * Feeds `reader` into `decoder` until the decoder reaches the end of its
 * stream or the reader ends, and yields the decoder's output. When the
 * decoder stops with input left over, the left-over bytes are given back to
 * `reader` (its offset is then just after the end of the decoded stream).
 * Throws {@link PumpError} after the output produced before the failure was
 * yielded; destroys the decoder when done or abandoned.
 */
export async function* pump(decoder: ZlibDecoder, reader: ByteReader): AsyncGenerator<Buffer, void> {
  const queue: Buffer[] = [];
  let notify: (() => void) | undefined;
  let failure: PumpError | undefined;
  let ended = false;
  let fed = 0;
  let sourceEnded = false;
  const wake = (): void => {
    const n = notify;
    notify = undefined;
    n?.();
  };
  decoder.on('data', (b: Buffer) => {
    queue.push(b);
    if (queue.length >= 4) decoder.pause();
    wake();
  });
  decoder.on('end', () => {
    ended = true;
    wake();
  });
  decoder.on('error', (err: Error) => {
    failure ??= new PumpError(err, decoder.bytesWritten, sourceEnded);
    wake();
  });

  let readError: unknown;
  const writer = (async (): Promise<void> => {
    for (;;) {
      let piece: Buffer | undefined;
      try {
        piece = await reader.take(PIECE);
      } catch (err) {
        readError = err;
        wake();
        return;
      }
      if (failure || decoder.destroyed) return;
      if (!piece) {
        sourceEnded = true;
        decoder.end();
        return;
      }
      fed += piece.length;
      const err = await new Promise<Error | null | undefined>((resolve) => decoder.write(piece, resolve));
      if (err || failure) return;
      const left = fed - decoder.bytesWritten;
      if (left > 0) {
        // The decoder reached the end of its stream inside this piece.
        reader.unshift(piece.subarray(piece.length - left));
        return;
      }
    }
  })();

  try {
    for (;;) {
      const out = queue.shift();
      if (out !== undefined) {
        if (queue.length < 2 && decoder.isPaused()) decoder.resume();
        yield out;
        continue;
      }
      if (readError !== undefined) throw readError;
      if (failure) throw failure;
      if (ended) break;
      await new Promise<void>((resolve) => (notify = resolve));
    }
    await writer;
    if (readError !== undefined) throw readError;
  } finally {
    decoder.destroy();
  }
}
