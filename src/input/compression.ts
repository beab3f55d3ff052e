/**
 * Recognises how an input's bytes are compressed, from its first bytes only
 * (never from its name), and names the program and Debian package that
 * decompress each format.
 */

/** How an input's bytes were stored. */
export type Compression = 'none' | 'gzip' | 'zstd' | 'xz' | 'bzip2' | 'lz4';

/** Bytes of an input's start that {@link detectCompression} needs to decide. */
export const MAGIC_BYTES = 16;

/** The system program that decompresses a format to stdout, and the Debian package that installs it. */
export interface Decompressor {
  readonly tool: string;
  readonly args: readonly string[];
  readonly debianPackage: string;
}

/** Programs run (as child processes) for the formats that are not decompressed in process. */
export const DECOMPRESSORS: Readonly<Record<Exclude<Compression, 'none' | 'gzip'>, Decompressor>> = {
  // -q: no warnings for well-formed input; errors are still printed. Each tool
  // reads every concatenated stream (multi-stream bzip2 as pbzip2 writes it,
  // several xz streams, zstd frames and skippable frames, lz4 frames).
  zstd: { tool: 'zstd', args: ['-dcq'], debianPackage: 'zstd' },
  xz: { tool: 'xz', args: ['-dcq'], debianPackage: 'xz-utils' },
  bzip2: { tool: 'bzip2', args: ['-dc'], debianPackage: 'bzip2' },
  lz4: { tool: 'lz4', args: ['-dc'], debianPackage: 'lz4' },
};

function startsWith(buf: Uint8Array, magic: readonly number[], at = 0): boolean {
  if (buf.length < at + magic.length) return false;
  for (let i = 0; i < magic.length; i++) if (buf[at + i] !== magic[i]) return false;
  return true;
}

const GZIP = [0x1f, 0x8b];
const ZSTD = [0x28, 0xb5, 0x2f, 0xfd];
const XZ = [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00];
const BZIP2 = [0x42, 0x5a, 0x68]; // "BZh", then the block size '1'..'9'
const BZIP2_BLOCK = [0x31, 0x41, 0x59, 0x26, 0x53, 0x59]; // pi: first block
const BZIP2_EOS = [0x17, 0x72, 0x45, 0x38, 0x50, 0x90]; // sqrt(pi): empty stream
const LZ4_FRAME = [0x04, 0x22, 0x4d, 0x18];
const LZ4_LEGACY = [0x02, 0x21, 0x4c, 0x18];
const ZIP = [0x50, 0x4b, 0x03, 0x04];

/** True for the magic of a zstd frame or of a skippable frame (0x184D2A50..5F, little-endian). */
export function isZstdFrameStart(buf: Uint8Array, at = 0): boolean {
  if (startsWith(buf, ZSTD, at)) return true;
  const b0 = buf[at];
  return b0 !== undefined && (b0 & 0xf0) === 0x50 && startsWith(buf, [0x2a, 0x4d, 0x18], at + 1);
}

/** True for the two magic bytes of a gzip member. */
export function isGzipMemberStart(buf: Uint8Array, at = 0): boolean {
  return startsWith(buf, GZIP, at);
}

/**
 * The compression of an input that starts with `head` (at least
 * {@link MAGIC_BYTES} bytes unless the input is shorter). Text never starts
 * with these magic numbers; bzip2's `BZh` is also checked for the block
 * magic that follows it, so a text line starting `BZh9` stays text. A zstd
 * skippable frame at the start (its magic is shared with lz4's) is read as zstd.
 */
/** True when `prefix` is the start of `magic` (as far as it goes). */
function mayStartWith(prefix: Uint8Array, magic: readonly number[], at = 0): boolean {
  for (let i = 0; i < magic.length && at + i < prefix.length; i++) if (prefix[at + i] !== magic[i]) return false;
  return true;
}

/**
 * True when more bytes could change what {@link detectCompression} says of
 * an input that starts with `head`: `head` is shorter than {@link MAGIC_BYTES}
 * and is the start of some format's magic. A text line (`a 10.1.2.3`) is
 * decided at once, so a pipe fed slowly is not held waiting for 16 bytes.
 */
export function compressionUndecided(head: Uint8Array): boolean {
  if (head.length >= MAGIC_BYTES) return false;
  if (head.length === 0) return true;
  const b0 = head[0] as number;
  const zstdSkippable = (b0 & 0xf0) === 0x50 && mayStartWith(head, [0x2a, 0x4d, 0x18], 1);
  return (
    mayStartWith(head, GZIP) ||
    mayStartWith(head, ZSTD) ||
    zstdSkippable ||
    mayStartWith(head, XZ) ||
    (mayStartWith(head, BZIP2) && head.length < 4 + BZIP2_BLOCK.length) ||
    mayStartWith(head, LZ4_FRAME) ||
    mayStartWith(head, LZ4_LEGACY) ||
    mayStartWith(head, ZIP)
  );
}

export function detectCompression(head: Uint8Array): Compression | 'zip' {
  if (startsWith(head, GZIP)) return 'gzip';
  if (isZstdFrameStart(head)) return 'zstd';
  if (startsWith(head, XZ)) return 'xz';
  if (startsWith(head, BZIP2)) {
    const level = head[3] ?? 0;
    if (level >= 0x31 && level <= 0x39 && (startsWith(head, BZIP2_BLOCK, 4) || startsWith(head, BZIP2_EOS, 4))) return 'bzip2';
  }
  if (startsWith(head, LZ4_FRAME) || startsWith(head, LZ4_LEGACY)) return 'lz4';
  if (startsWith(head, ZIP)) return 'zip';
  return 'none';
}
