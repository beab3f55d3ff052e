/**
 * Opens an input (a file path or `-` for stdin) as a stream of decompressed
 * bytes. Compression is recognised by magic bytes, never by file name: gzip
 * (every member) and zstd (every frame, skippable frames too) are
 * decompressed in process; xz, bzip2 and lz4 by their system programs in a
 * child process (see {@link DECOMPRESSORS}). zip archives are refused with a
 * clear message rather than scanned as binary.
 */
import { open, stat, type FileHandle } from 'node:fs/promises';
import { IochuntError, InputError } from '../errors.js';
import { ByteReader } from './byte-reader.js';
import { compressionUndecided, DECOMPRESSORS, detectCompression, MAGIC_BYTES, type Compression } from './compression.js';
import { gunzip } from './gunzip.js';
import { readAhead, type ReadAheadOptions } from './read-ahead.js';
import { toolChunks } from './tool-decompress.js';
import { unzstd, zstdInProcess } from './unzstd.js';

export type { Compression } from './compression.js';

/** Identity of a regular file, for resume and idempotent ids (device, inode, size, mtime). */
export interface FileIdentity {
  readonly dev: number;
  readonly ino: number;
  readonly size: number;
  readonly mtimeMs: number;
}

/** An opened input: its decompressed bytes, in order, as an async iterable of chunks. */
export interface OpenedInput {
  /** The path as given (`-` for stdin). */
  readonly path: string;
  readonly compression: Compression;
  /** Present for regular files (taken when the file was opened). */
  readonly identity?: FileIdentity;
  /**
   * Offset, in the decompressed stream, of the first byte of `chunks`: the
   * `start` option, or 0.
   */
  readonly start: number;
  /**
   * The decompressed bytes from `start`. A chunk is valid only until the next
   * one is requested (file reads reuse one buffer): copy what must be kept.
   * Stopping the iteration early (break, return) closes the file and ends any
   * decompressing child process.
   */
  readonly chunks: AsyncIterable<Buffer>;
  /** Bytes read so far from the file or stdin (before decompression). */
  readonly bytesRead: () => number;
  /**
   * Releases the file (or stdin) and ends any decompressing child when
   * `chunks` is not read to its end (a skipped binary file, a file left after
   * `--max-count` hits); safe to call twice.
   */
  readonly close: () => void;
}

/** Where to read an input from and to, and where its warnings go. */
export interface OpenInputOptions {
  /**
   * First byte to deliver, as an offset in the decompressed stream (default
   * 0): an offset committed by an earlier run, to resume after it. A plain
   * regular file is read from there directly; a compressed input or a pipe is
   * decoded (or read) from its beginning and the bytes before `start` are
   * discarded. An input shorter than `start` delivers nothing.
   */
  readonly start?: number;
  /**
   * Offset in the decompressed stream to stop before (default: the end of
   * the input). A plain regular file is never read past it (a size taken
   * earlier, so that bytes appended since are left for the next run); a
   * compressed input stops decompressing there.
   */
  readonly end?: number;
  /**
   * Receives warnings about the input that do not stop its reading, as
   * complete messages naming the path: today, a regular file that shrinks
   * while it is read (truncated in place, e.g. by logrotate's copytruncate).
   */
  readonly onWarning?: (message: string) => void;
}

const READ_CHUNK = 1 << 20;

/**
 * How far an in-process decoder (gzip, zstd) runs ahead of the scan: its
 * inflation (on the libuv thread pool) then overlaps the scan of the blocks
 * before instead of taking turns with it. Starts small and grows, so that a
 * read of a file's first bytes (a fingerprint, `end` set) decodes little more.
 */
const DECODE_AHEAD_MAX = 8 << 20;
const DECODE_AHEAD_FIRST = 256 * 1024;
const decodeAhead = (end: number | undefined, regularFile: boolean): ReadAheadOptions => ({
  maxBytes: end === undefined ? DECODE_AHEAD_MAX : Math.min(DECODE_AHEAD_MAX, Math.max(DECODE_AHEAD_FIRST, end)),
  initialBytes: DECODE_AHEAD_FIRST,
  readsSettle: regularFile,
});

function describeRead(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  if (e?.code === 'ENOENT') return 'no such file';
  if (e?.code === 'EACCES') return 'permission denied';
  if (e?.code === 'EISDIR') return 'is a directory';
  return e instanceof Error ? e.message : String(err);
}

interface FileReadPlan {
  readonly start: number;
  readonly end: number | undefined;
  /** Deliver copies (for decoders, which hold on to what they are given), not views of one reused buffer. */
  readonly fresh: boolean;
  readonly sizeAtOpen: number;
  /** False for FIFOs and devices, which are read in sequence from where they are. */
  readonly positional: boolean;
  readonly onWarning: ((message: string) => void) | undefined;
}

/** The size of {@link fileChunks}' reads (the last one may be shorter). */
function readSize(plan: Pick<FileReadPlan, 'start' | 'end' | 'sizeAtOpen' | 'positional'>): number {
  const expected = (plan.end ?? plan.sizeAtOpen) - plan.start + 1;
  return plan.positional ? Math.min(READ_CHUNK, Math.max(8 * 1024, expected)) : READ_CHUNK;
}

/**
 * Reads `fh` again from `from` to `limit`, in pieces cut where a first read
 * cut them: at `ends`, then at every multiple of `step` (positional reads
 * of a regular file). Closes `fh` when done or stopped.
 */
async function* rereadChunks(path: string, fh: FileHandle, from: number, ends: readonly number[], step: number, limit: number): AsyncGenerator<Buffer> {
  try {
    const cuts = ends.filter((e) => e > from);
    let pos = from;
    while (pos < limit) {
      const next = Math.min(cuts.shift() ?? (Math.floor(pos / step) + 1) * step, limit);
      const buf = Buffer.allocUnsafe(next - pos);
      let got = 0;
      while (got < buf.length) {
        let bytesRead: number;
        try {
          ({ bytesRead } = await fh.read(buf, got, buf.length - got, pos + got));
        } catch (err) {
          throw new InputError(path, describeRead(err), { cause: err });
        }
        if (bytesRead === 0) break;
        got += bytesRead;
      }
      if (got > 0) yield got === buf.length ? buf : buf.subarray(0, got);
      if (got < buf.length) return;
      pos += got;
    }
  } finally {
    await fh.close().catch(() => undefined);
  }
}

/**
 * Reads a regular file with positional reads from `plan.start`, in READ_CHUNK
 * pieces, into one reused buffer unless `plan.fresh`. Closes the file when
 * done, on error, or when the consumer stops early. At the end of the file,
 * warns when the file is now shorter than what was read or than it was at
 * open: it was truncated while being read.
 */
async function* fileChunks(path: string, fh: FileHandle, plan: FileReadPlan): AsyncGenerator<Buffer> {
  // A small file gets a buffer of its size (plus a byte to see its end), not a
  // megabyte each: ten thousand small files must not cost ten gigabytes of
  // allocations for the garbage collector. A file that grows meanwhile is read
  // on in pieces of that size.
  const buf = Buffer.allocUnsafe(readSize(plan));
  let pos = plan.start;
  try {
    for (;;) {
      const want = plan.end === undefined ? buf.length : Math.min(buf.length, plan.end - pos);
      if (want <= 0) return;
      let bytesRead: number;
      try {
        ({ bytesRead } = await fh.read(buf, 0, want, plan.positional ? pos : null));
      } catch (err) {
        throw new InputError(path, describeRead(err), { cause: err });
      }
      if (bytesRead === 0) break;
      pos += bytesRead;
      yield plan.fresh ? Buffer.from(buf.subarray(0, bytesRead)) : buf.subarray(0, bytesRead);
    }
    if (plan.onWarning) {
      const now = (await fh.stat().catch(() => undefined))?.size;
      const expected = plan.end === undefined ? plan.sizeAtOpen : Math.min(plan.end, plan.sizeAtOpen);
      if (now !== undefined && (pos < expected || (now < pos && pos > plan.start))) {
        plan.onWarning(
          `${path}: file truncated while being read (${plan.sizeAtOpen} bytes when opened, ${now} bytes after ${pos} were read); ` +
            'what it held beyond that point was not scanned',
        );
      }
    }
  } finally {
    await fh.close().catch(() => undefined);
  }
}

async function* stdinChunks(): AsyncGenerator<Buffer> {
  try {
    for await (const chunk of process.stdin as AsyncIterable<Buffer | string>) {
      yield typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    }
  } catch (err) {
    throw new InputError('-', describeRead(err), { cause: err });
  }
}

async function* prepend(head: Buffer, rest: AsyncIterator<Buffer>): AsyncGenerator<Buffer> {
  try {
    if (head.length > 0) yield head;
    for (;;) {
      const r = await rest.next();
      if (r.done) return;
      yield r.value;
    }
  } finally {
    await rest.return?.();
  }
}

/** Passes `source` through, counting its bytes in `counter`. */
async function* counted(source: AsyncIterable<Buffer>, counter: { n: number }): AsyncGenerator<Buffer> {
  for await (const chunk of source) {
    counter.n += chunk.length;
    yield chunk;
  }
}

/** Delivers only the bytes of `source` in [start, end) of its stream, and stops reading at `end`. */
async function* window(source: AsyncIterable<Buffer>, start: number, end: number | undefined): AsyncGenerator<Buffer> {
  let at = 0;
  for await (const chunk of source) {
    const from = at;
    at += chunk.length;
    if (at <= start) continue;
    const lo = Math.max(0, start - from);
    const hi = end === undefined ? chunk.length : Math.min(chunk.length, end - from);
    if (hi > lo) yield lo === 0 && hi === chunk.length ? chunk : chunk.subarray(lo, hi);
    if (end !== undefined && at >= end) return;
  }
}

function checkOffset(name: string, value: number | undefined): void {
  if (value !== undefined && !(Number.isSafeInteger(value) && value >= 0)) {
    throw new IochuntError('E_INTERNAL', `openInput: ${name} must be a non-negative integer, not ${value}`);
  }
}

/**
 * Opens `path` (`-` means stdin) and returns its decompressed bytes (from
 * `options.start` to `options.end`).
 *
 * Throws {@link InputError} when the file cannot be opened,
 * `E_COMPRESSION_UNSUPPORTED` for a zip archive, and
 * `DecompressorMissingError` when the program that decompresses its
 * format is not installed. Read errors and decompression errors
 * (`DecompressError`: truncated, corrupt, trailing data, with the
 * decompressed offset of the break) surface from the iteration of `chunks`,
 * after every byte that could be delivered was delivered.
 */
export async function openInput(path: string, options: OpenInputOptions = {}): Promise<OpenedInput> {
  checkOffset('start', options.start);
  checkOffset('end', options.end);
  const start = options.start ?? 0;
  const end = options.end !== undefined ? Math.max(options.end, start) : undefined;

  let identity: FileIdentity | undefined;
  let head: Buffer;
  let raw: AsyncGenerator<Buffer>;
  let plainChunks: (() => AsyncIterable<Buffer>) | undefined;
  let closeSource: () => Promise<void>;

  if (path === '-') {
    const it = stdinChunks()[Symbol.asyncIterator]();
    head = Buffer.alloc(0);
    // Peek enough bytes to recognise the compression.
    while (compressionUndecided(head)) {
      const r = await it.next();
      if (r.done) break;
      head = head.length === 0 ? r.value : Buffer.concat([head, r.value]);
    }
    raw = prepend(head, it);
    closeSource = async () => {
      process.stdin.destroy();
    };
  } else {
    let st;
    try {
      st = await stat(path);
    } catch (err) {
      throw new InputError(path, describeRead(err), { cause: err });
    }
    if (st.isDirectory()) throw new InputError(path, 'is a directory');
    // Open eagerly so that permission problems are reported here, not mid-scan.
    let fh: FileHandle;
    try {
      fh = await open(path, 'r');
    } catch (err) {
      throw new InputError(path, describeRead(err), { cause: err });
    }
    if (st.isFile()) {
      // The identity of the file opened (not of the path a moment before: a rotation may replace it in between).
      const fst = await fh.stat().catch(() => st);
      identity = { dev: fst.dev, ino: fst.ino, size: fst.size, mtimeMs: fst.mtimeMs };
    }
    const file = fh;
    closeSource = () => file.close().catch(() => undefined);
    const plan = { sizeAtOpen: identity?.size ?? st.size, positional: st.isFile(), onWarning: st.isFile() ? options.onWarning : undefined };
    if (st.isFile()) {
      // A regular file: look at its first bytes without moving anything.
      const magic = Buffer.alloc(MAGIC_BYTES);
      let n: number;
      try {
        ({ bytesRead: n } = await file.read(magic, 0, MAGIC_BYTES, 0));
      } catch (err) {
        await closeSource();
        throw new InputError(path, describeRead(err), { cause: err });
      }
      head = magic.subarray(0, n);
      plainChunks = () => fileChunks(path, file, { ...plan, start, end, fresh: false });
      raw = fileChunks(path, file, { ...plan, start: 0, end: undefined, fresh: true });
    } else {
      // A FIFO or character device: read it as a stream, from its start.
      const it = fileChunks(path, file, { ...plan, start: 0, end: undefined, fresh: true });
      head = Buffer.alloc(0);
      while (compressionUndecided(head)) {
        const r = await it.next();
        if (r.done) break;
        head = Buffer.concat([head, r.value]);
      }
      raw = prepend(head, it);
    }
  }

  // Bytes read from the source, for progress (before decompression).
  const counter = { n: 0 };
  raw = counted(raw, counter);
  if (plainChunks) {
    const positional = plainChunks;
    plainChunks = () => counted(positional(), counter);
  }
  const detected = detectCompression(head);
  if (detected === 'zip') {
    await closeSource();
    throw new IochuntError(
      'E_COMPRESSION_UNSUPPORTED',
      `${path}: zip archives are not supported; extract the files first, e.g. unzip -p ${path === '-' ? 'FILE' : path} | iochunt scan ...`,
    );
  }
  const compression: Compression = detected;
  const base = { path, compression, ...(identity ? { identity } : {}), start, bytesRead: () => counter.n };
  /** The result, with a close() that ends the iteration (and so the file and any child). */
  const opened = (chunks: AsyncGenerator<Buffer>): OpenedInput => {
    let closed = false;
    return {
      ...base,
      chunks,
      close: () => {
        if (closed) return;
        closed = true;
        void chunks.return(undefined).catch(() => undefined);
        void closeSource();
      },
    };
  };

  if (compression === 'none') {
    if (plainChunks) return opened(plainChunks() as AsyncGenerator<Buffer>);
    return opened(start > 0 || end !== undefined ? window(raw, start, end) : raw);
  }

  // A regular file read to its end can be read again, so a damaged gzip
  // member can be decoded a second time (see GunzipOptions.redecode). Reads
  // of a file's first bytes (`end`) keep small buffers: they decode little.
  const fileIdentity = identity;
  const rawStep = fileIdentity ? readSize({ start: 0, end: undefined, sizeAtOpen: fileIdentity.size, positional: true }) : 0;
  const redecode =
    fileIdentity && end === undefined && path !== '-'
      ? async (from: number, ends: readonly number[]): Promise<ByteReader | undefined> => {
          const limit = counter.n;
          const again = await open(path, 'r');
          const st = await again.stat().catch(() => undefined);
          if (!st || st.dev !== fileIdentity.dev || st.ino !== fileIdentity.ino) {
            await again.close().catch(() => undefined);
            return undefined;
          }
          return new ByteReader(rereadChunks(path, again, from, ends, rawStep, limit), undefined, from);
        }
      : undefined;
  // Decoders close the reader when they stop early or fail; stdin, which may
  // stay open, is then let go so that it keeps neither a read nor the process waiting.
  const reader = new ByteReader(raw, path === '-' ? () => process.stdin.destroy() : undefined);
  let decoded: AsyncGenerator<Buffer, void>;
  try {
    if (compression === 'gzip') decoded = readAhead(gunzip(path, reader, redecode ? { redecode } : {}), decodeAhead(end, identity !== undefined));
    else if (compression === 'zstd' && zstdInProcess) decoded = readAhead(unzstd(path, reader), decodeAhead(end, identity !== undefined));
    else decoded = toolChunks(path, compression, DECOMPRESSORS[compression], reader);
  } catch (err) {
    await closeSource();
    throw err;
  }
  return opened(start > 0 || end !== undefined ? window(decoded, start, end) : (decoded as AsyncGenerator<Buffer>));
}

/**
 * The first `n` bytes of the decompressed content of `path` (all of it when
 * shorter): what identifies a file whatever it is renamed or compressed to
 * (a rotation `app.log.1` and its later `app.log.2.gz` share them).
 *
 * Throws like {@link openInput}, and throws the `DecompressError` of a
 * compressed file that breaks before `n` bytes.
 */
export async function readHead(path: string, n: number): Promise<Buffer> {
  checkOffset('n', n);
  const input = await openInput(path, { end: n });
  const parts: Buffer[] = [];
  let have = 0;
  for await (const chunk of input.chunks) {
    parts.push(Buffer.from(chunk));
    have += chunk.length;
  }
  return Buffer.concat(parts, have);
}
