/**
 * gzip decompression member by member (RFC 1952), in process: each member's
 * header is parsed here, its deflate body is inflated by zlib (raw inflate,
 * on the libuv thread pool), and its CRC-32 and length are checked here.
 *
 * Unlike zlib's own gunzip stream, this delivers every byte a member
 * decompressed to before reporting what follows it — trailing data that is
 * not another member, or a CRC that does not match — so that a hit on the
 * last line of a member is never lost and the reported offsets are exact.
 */
import zlib from 'node:zlib';
import { DecompressError } from '../errors.js';
import type { ByteReader } from './byte-reader.js';
import { isGzipMemberStart } from './compression.js';
import { pump, PumpError } from './zlib-pump.js';

/**
 * Decoded bytes per output buffer for inputs that cannot be read twice
 * (pipes, stdin), and for the second decoding of a damaged member. zlib drops
 * the buffer it was filling when it finds damage, so this bounds what is
 * decoded but not delivered before a break: 32 KiB, the steps in which
 * `gzip -dc` writes.
 */
const OUT_CHUNK = 32 * 1024;
/**
 * Decoded bytes per output buffer when a damaged member can be decoded again
 * (a regular file, see {@link GunzipOptions.redecode}): each buffer costs a
 * round trip between the main thread and zlib's thread, so 1 MiB instead of
 * 32 KiB takes 32 times fewer (measured: 15–20 % less CPU for the inflation,
 * and less waiting for the thread when the machine is busy).
 */
const FAST_OUT_CHUNK = 1024 * 1024;
const FHCRC = 0x02;
const FEXTRA = 0x04;
const FNAME = 0x08;
const FCOMMENT = 0x10;

type Crc32 = (data: Uint8Array, value?: number) => number;

let crcTable: Uint32Array | undefined;
/** CRC-32 (ISO-HDLC) in JavaScript, for runtimes whose zlib lacks crc32 (Node < 20.15); exported for tests. */
export function crc32Js(data: Uint8Array, value = 0): number {
  if (!crcTable) {
    crcTable = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      crcTable[n] = c >>> 0;
    }
  }
  let c = ~value >>> 0;
  for (let i = 0; i < data.length; i++) c = (crcTable[(c ^ (data[i] as number)) & 0xff] as number) ^ (c >>> 8);
  return ~c >>> 0;
}

const crc32: Crc32 = (zlib as { crc32?: Crc32 }).crc32 ?? crc32Js;

/** How {@link gunzip} may read its input again. */
export interface GunzipOptions {
  /**
   * Opens the compressed input again at stream offset `from`, cut into
   * pieces that end at `ends` and then where the first read's pieces did, and
   * reading no further than the first read did; undefined when that cannot be
   * done (the file was replaced). Given for regular files: members are then
   * decoded into large buffers, and a member that breaks is decoded again
   * from its start in 32 KiB buffers, so that exactly the bytes that `gzip
   * -dc` prints of it are delivered (zlib drops the buffer it was filling
   * when it finds the damage).
   */
  readonly redecode?: (from: number, ends: readonly number[]) => Promise<ByteReader | undefined>;
}

/**
 * Yields the decompressed bytes of every gzip member read from `reader`
 * (which must start at a gzip member). Throws {@link DecompressError} after
 * all the bytes decoded before the problem were yielded: `truncated` when the
 * input ends inside a member, `corrupt` for invalid data or a CRC/length
 * mismatch (the member's data has then been delivered in full), and
 * `trailing-data` when bytes other than zeros follow the last member (gzip
 * ignores trailing zeros, which tapes and some copy tools add, and so does
 * this).
 */
export async function* gunzip(path: string, reader: ByteReader, options: GunzipOptions = {}): AsyncGenerator<Buffer, void> {
  try {
    yield* gunzipMembers(path, reader, options);
  } finally {
    // Stopped early or broken: close the file (or stop reading stdin).
    void reader.close().catch(() => undefined);
  }
}

async function* gunzipMembers(path: string, reader: ByteReader, options: GunzipOptions): AsyncGenerator<Buffer, void> {
  let delivered = 0;
  const fail = (failure: DecompressError['failure'], reason: string, compressedOffset: number, cause?: unknown): DecompressError =>
    new DecompressError(path, { format: 'gzip', failure, reason, compressedOffset, decompressedOffset: delivered }, cause ? { cause } : undefined);

  for (let member = 0; ; member++) {
    const start = reader.offset;
    const magic = await reader.peek(2);
    if (member > 0) {
      if (magic.length === 0) return;
      if (!isGzipMemberStart(magic)) {
        if (await onlyZerosLeft(reader)) return;
        throw fail('trailing-data', `${describeTrailing(magic)} after member ${member}`, start);
      }
    }

    // Header: ID1 ID2 CM FLG MTIME(4) XFL OS, then the optional fields FLG names.
    const header = await reader.read(10);
    if (header.length < 10) throw fail('truncated', 'truncated (the input ends inside a gzip header)', reader.offset);
    if (header[2] !== 8) throw fail('corrupt', `corrupt data (unknown compression method ${header[2]} in member ${member + 1})`, start + 2);
    const flags = header[3] as number;
    if (flags & 0xe0) throw fail('corrupt', `corrupt data (reserved header flags set in member ${member + 1})`, start + 3);
    if (flags & FEXTRA) {
      const len = await reader.read(2);
      if (len.length < 2 || (await skip(reader, len.readUInt16LE(0))) === false) {
        throw fail('truncated', 'truncated (the input ends inside a gzip header)', reader.offset);
      }
    }
    for (const field of [FNAME, FCOMMENT]) {
      if (flags & field && !(await skipZeroTerminated(reader))) {
        throw fail('truncated', 'truncated (the input ends inside a gzip header)', reader.offset);
      }
    }
    if (flags & FHCRC && (await reader.read(2)).length < 2) {
      throw fail('truncated', 'truncated (the input ends inside a gzip header)', reader.offset);
    }

    const bodyStart = reader.offset;
    const bodyEnds = options.redecode ? reader.pendingEnds() : [];
    let crc = 0;
    let length = 0;
    try {
      for await (const out of pump(zlib.createInflateRaw({ chunkSize: options.redecode ? FAST_OUT_CHUNK : OUT_CHUNK }) as never, reader)) {
        crc = crc32(out, crc);
        length += out.length;
        delivered += out.length;
        yield out;
      }
    } catch (err) {
      if (!(err instanceof PumpError)) throw err;
      let failure = err;
      let failedReader = reader;
      const again = options.redecode ? await options.redecode(bodyStart, bodyEnds).catch(() => undefined) : undefined;
      if (again) {
        // The member once more, in 32 KiB buffers: deliver what the first pass dropped, up to where gzip -dc stops.
        try {
          let skip = length;
          for await (const out of pump(zlib.createInflateRaw({ chunkSize: OUT_CHUNK }) as never, again)) {
            if (skip >= out.length) {
              skip -= out.length;
              continue;
            }
            const piece = skip > 0 ? out.subarray(skip) : out;
            skip = 0;
            length += piece.length;
            delivered += piece.length;
            yield piece;
          }
        } catch (err2) {
          if (!(err2 instanceof PumpError)) throw err2;
          failure = err2;
          failedReader = again;
        } finally {
          await again.close().catch(() => undefined);
        }
      }
      const at = bodyStart + failure.consumed;
      if (failure.zlibError.code === 'Z_BUF_ERROR' || failure.atEnd) {
        throw fail('truncated', 'truncated (unexpected end of file)', failedReader.offset, failure.zlibError);
      }
      throw fail('corrupt', `corrupt data (${failure.zlibError.message})`, at, failure.zlibError);
    }

    const trailerAt = reader.offset;
    const trailer = await reader.read(8);
    if (trailer.length < 8) throw fail('truncated', 'truncated (the input ends before the CRC and length of a gzip member)', reader.offset);
    if (trailer.readUInt32LE(0) !== crc) {
      throw fail('corrupt', `corrupt data (CRC-32 mismatch in member ${member + 1}; its data was scanned but is damaged)`, trailerAt);
    }
    if (trailer.readUInt32LE(4) !== length >>> 0) {
      throw fail('corrupt', `corrupt data (length mismatch in member ${member + 1}; its data was scanned but is damaged)`, trailerAt + 4);
    }
  }
}

function describeTrailing(magic: Buffer): string {
  return magic.length > 0 && magic.every((b) => b === 0x09 || b === 0x0a || b === 0x0d || (b >= 0x20 && b < 0x7f))
    ? 'text (not compressed)'
    : 'trailing garbage';
}

async function skip(reader: ByteReader, n: number): Promise<boolean> {
  return (await reader.read(n)).length === n;
}

/** Skips a zero-terminated header field; false when the input ends first. */
async function skipZeroTerminated(reader: ByteReader): Promise<boolean> {
  for (;;) {
    const piece = await reader.take(64 * 1024);
    if (!piece) return false;
    const z = piece.indexOf(0);
    if (z >= 0) {
      reader.unshift(piece.subarray(z + 1));
      return true;
    }
  }
}

/** True when every byte left is zero (padding); stops reading at the first other byte. */
async function onlyZerosLeft(reader: ByteReader): Promise<boolean> {
  for (;;) {
    const piece = await reader.take(1 << 20);
    if (!piece) return true;
    for (let i = 0; i < piece.length; i++) if (piece[i] !== 0) return false;
  }
}
