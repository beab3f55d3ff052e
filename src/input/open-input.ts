/**
 * Opens an input (a file path or `-` for stdin) as a stream of decompressed
 * bytes. Compression is recognised by magic bytes, never by file name; gzip
 * (including multi-member gzip) is inflated, other compressions are refused
 * with a clear message rather than scanned as binary.
 */
import { open, stat, type FileHandle } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { GzipError, IochuntError, InputError } from '../errors.js';

/** How an input's bytes were stored. */
export type Compression = 'none' | 'gzip';

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
  /** Present for regular files. */
  readonly identity?: FileIdentity;
  /**
   * The decompressed bytes. A chunk is valid only until the next one is
   * requested (file reads reuse one buffer): copy what must be kept.
   */
  readonly chunks: AsyncIterable<Buffer>;
}

const READ_CHUNK = 1 << 20;

const UNSUPPORTED: ReadonlyArray<{ magic: readonly number[]; name: string; tool: string }> = [
  { magic: [0x28, 0xb5, 0x2f, 0xfd], name: 'zstd', tool: 'zstdcat' },
  { magic: [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00], name: 'xz', tool: 'xzcat' },
  { magic: [0x42, 0x5a, 0x68], name: 'bzip2', tool: 'bzcat' },
  { magic: [0x50, 0x4b, 0x03, 0x04], name: 'zip', tool: 'unzip -p' },
];

function startsWith(buf: Buffer, magic: readonly number[]): boolean {
  if (buf.length < magic.length) return false;
  for (let i = 0; i < magic.length; i++) if (buf[i] !== magic[i]) return false;
  return true;
}

function isGzip(head: Buffer): boolean {
  return head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b;
}

function unsupportedCompression(head: Buffer): { name: string; tool: string } | undefined {
  for (const u of UNSUPPORTED) {
    if (!startsWith(head, u.magic)) continue;
    // "BZh" must be followed by a block-size digit; otherwise it is just text.
    if (u.name === 'bzip2' && !(head.length > 3 && (head[3] ?? 0) >= 0x31 && (head[3] ?? 0) <= 0x39)) continue;
    return u;
  }
  return undefined;
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
    // A consumer that stops early closes the file (or the decompressor) too.
    await rest.return?.(undefined);
  }
}

async function* inflate(path: string, head: Buffer, rest: AsyncIterator<Buffer>): AsyncGenerator<Buffer> {
  const src = Readable.from(copied(prepend(head, rest)), { objectMode: false });
  const gz = createGunzip({ chunkSize: 1 << 18 });
  let sourceError: unknown;
  src.on('error', (err) => {
    sourceError = err;
    gz.destroy(err);
  });
  src.pipe(gz);
  let delivered = 0;
  try {
    for await (const chunk of gz as AsyncIterable<Buffer>) {
      delivered += chunk.length;
      yield chunk;
    }
  } catch (err) {
    if (sourceError !== undefined) {
      throw sourceError instanceof IochuntError ? sourceError : new InputError(path, describeRead(sourceError));
    }
    const reason = err instanceof Error ? describeZlib(err) : String(err);
    throw new GzipError(path, reason, gz.bytesWritten, delivered, { cause: err });
  } finally {
    src.destroy();
    gz.destroy();
  }
}

function describeZlib(err: Error & { code?: string }): string {
  if (err.code === 'Z_BUF_ERROR') return 'truncated (unexpected end of file)';
  if (err.code === 'Z_DATA_ERROR') return `corrupt data (${err.message})`;
  return err.message;
}

function describeRead(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  if (e?.code === 'ENOENT') return 'no such file';
  if (e?.code === 'EACCES') return 'permission denied';
  if (e?.code === 'EISDIR') return 'is a directory';
  return e instanceof Error ? e.message : String(err);
}

/**
 * Reads a regular file in READ_CHUNK pieces into one reused buffer: each
 * chunk is valid only until the next one is requested (lineBlocks copies it).
 * Closes the file when done, on error, or when the consumer stops early.
 */
async function* fileChunks(fh: FileHandle): AsyncGenerator<Buffer> {
  const buf = Buffer.allocUnsafe(READ_CHUNK);
  try {
    for (;;) {
      const { bytesRead } = await fh.read(buf, 0, READ_CHUNK, null);
      if (bytesRead === 0) return;
      yield buf.subarray(0, bytesRead);
    }
  } finally {
    await fh.close().catch(() => undefined);
  }
}

/** Copies every chunk: zlib may still hold a chunk when the next is read. */
async function* copied(source: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
  for await (const chunk of source) yield Buffer.from(chunk);
}

async function* readChunks(source: AsyncIterable<Buffer | string>, path: string): AsyncGenerator<Buffer> {
  try {
    for await (const chunk of source) yield typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
  } catch (err) {
    throw new InputError(path, describeRead(err), { cause: err });
  }
}

/**
 * Opens `path` (`-` means stdin) and returns its decompressed bytes.
 * Throws {@link InputError} when the file cannot be opened; read and gzip
 * errors surface from the iteration of `chunks` after every byte that could be
 * delivered was delivered ({@link GzipError} names the offset of the break).
 */
export async function openInput(path: string): Promise<OpenedInput> {
  let identity: FileIdentity | undefined;
  let source: AsyncIterable<Buffer | string>;
  let close: () => void;
  if (path === '-') {
    close = () => process.stdin.destroy();
    source = process.stdin as AsyncIterable<Buffer>;
  } else {
    let st;
    try {
      st = await stat(path);
    } catch (err) {
      throw new InputError(path, describeRead(err), { cause: err });
    }
    if (st.isDirectory()) throw new InputError(path, 'is a directory');
    // Open eagerly so that permission problems are reported here, not mid-scan.
    let fh;
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
    close = () => void file.close().catch(() => undefined);
    source = fileChunks(file);
  }

  const it = readChunks(source, path)[Symbol.asyncIterator]();
  // Peek enough bytes to recognise the compression.
  let head: Buffer = Buffer.alloc(0);
  for (;;) {
    if (head.length >= 8) break;
    const r = await it.next();
    if (r.done) break;
    // File chunks share one read buffer: keep a copy of a short first chunk.
    head = head.length === 0 ? (r.value.length >= 8 ? r.value : Buffer.from(r.value)) : Buffer.concat([head, r.value]);
  }

  const unsupported = unsupportedCompression(head);
  if (unsupported) {
    close();
    throw new IochuntError(
      'E_COMPRESSION_UNSUPPORTED',
      `${path}: ${unsupported.name}-compressed input is not supported; decompress it first, e.g. ${unsupported.tool} ${path === '-' ? 'FILE' : path} | iochunt scan ...`,
    );
  }
  const compression: Compression = isGzip(head) ? 'gzip' : 'none';
  const chunks = compression === 'gzip' ? inflate(path, head, it) : prepend(head, it);
  return { path, compression, ...(identity ? { identity } : {}), chunks };
}
