/**
 * zstd decompression in process, with the zstd that Node's zlib provides
 * (Node 22.15 and later, 23.8 and later): frames and skippable frames are
 * read one after another, and bytes after the last frame that are not
 * another frame are reported as trailing data (as `zstd -d` does) once every
 * decoded byte was delivered.
 */
import zlib from 'node:zlib';
import { DecompressError } from '../errors.js';
import type { ByteReader } from './byte-reader.js';
import { isZstdFrameStart } from './compression.js';
import { pump, PumpError, type ZlibDecoder } from './zlib-pump.js';

const OUT_CHUNK = 128 * 1024;

type ZstdFactory = (options?: { chunkSize?: number }) => ZlibDecoder;

const createZstdDecompress = (zlib as unknown as { createZstdDecompress?: ZstdFactory }).createZstdDecompress;

/** True when this runtime decompresses zstd in process; otherwise the `zstd` program is used. */
export const zstdInProcess = typeof createZstdDecompress === 'function' && process.env['IOCHUNT_ZSTD_TOOL'] !== '1';

/**
 * Yields the decompressed bytes of the zstd frames read from `reader` (which
 * must start at a frame or a skippable frame). Throws {@link DecompressError}
 * (`truncated`, `corrupt`, `trailing-data`) after delivering every byte
 * decoded before the problem.
 */
export async function* unzstd(path: string, reader: ByteReader): AsyncGenerator<Buffer, void> {
  try {
    yield* unzstdMembers(path, reader);
  } finally {
    // Stopped early or broken: close the file (or stop reading stdin).
    void reader.close().catch(() => undefined);
  }
}

async function* unzstdMembers(path: string, reader: ByteReader): AsyncGenerator<Buffer, void> {
  if (!createZstdDecompress) throw new Error('zstd is not available in this runtime');
  let delivered = 0;
  const fail = (failure: DecompressError['failure'], reason: string, compressedOffset: number, cause?: unknown): DecompressError =>
    new DecompressError(path, { format: 'zstd', failure, reason, compressedOffset, decompressedOffset: delivered }, cause ? { cause } : undefined);

  for (let run = 0; ; run++) {
    const start = reader.offset;
    const magic = await reader.peek(4);
    if (magic.length === 0 && run > 0) return;
    if (!isZstdFrameStart(magic)) throw fail('trailing-data', 'data that is not a zstd frame', start);
    // One decoder reads frame after frame; it stops (giving the rest back)
    // only where the next bytes are not a frame.
    try {
      for await (const out of pump(createZstdDecompress({ chunkSize: OUT_CHUNK }), reader)) {
        delivered += out.length;
        yield out;
      }
    } catch (err) {
      if (!(err instanceof PumpError)) throw err;
      if (err.zlibError.code === 'Z_BUF_ERROR' || err.atEnd) throw fail('truncated', 'truncated (unexpected end of file)', reader.offset, err.zlibError);
      const why = err.zlibError.code === 'ZSTD_error_checksum_wrong' ? 'checksum mismatch' : err.zlibError.message;
      throw fail('corrupt', `corrupt data (${why})`, start + err.consumed, err.zlibError);
    }
  }
}
