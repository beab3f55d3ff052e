/**
 * Reading part of a file's (decompressed) bytes: its head, a byte range of a
 * plain file, or a compressed file from a decompressed offset. Used by the
 * registry (fingerprints) and by `sweep`/`tail` to resume where they stopped.
 */
import { open, stat } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import { InputError } from '../errors.js';
import { openInput, type OpenedInput } from './open-input.js';

const READ_CHUNK = 1 << 20;

/** The first bytes of a file, decompressed. */
export interface FileHead {
  readonly bytes: Buffer;
  /** True when `bytes` is the whole (decompressed) content. */
  readonly complete: boolean;
  readonly compression: OpenedInput['compression'];
  /** Device and inode of the file that was read. */
  readonly identity?: { readonly dev: number; readonly ino: number };
}

/** The file at a path is no longer the one expected (replaced by a rotation between a stat and a read). */
export class FileReplacedError extends InputError {
  constructor(path: string) {
    super(path, 'replaced while it was being read (a rotation); it is looked at again');
  }
}

/** Expected device and inode of a file about to be read. */
export interface ExpectedFile {
  readonly dev: number;
  readonly ino: number;
}

async function checkSame(path: string, fh: import('node:fs/promises').FileHandle, expect: ExpectedFile | undefined): Promise<void> {
  if (!expect) return;
  const st = await fh.stat();
  if (st.dev !== expect.dev || st.ino !== expect.ino) throw new FileReplacedError(path);
}

/**
 * Reads the first `n` decompressed bytes of `path` (fewer when the content
 * is shorter) and closes it. A broken compressed stream yields what came
 * before the break. Throws {@link InputError} when the file cannot be opened.
 */
export async function readHead(path: string, n: number): Promise<FileHead> {
  const input = await openInput(path);
  const parts: Buffer[] = [];
  let len = 0;
  let complete = true;
  const it = input.chunks[Symbol.asyncIterator]();
  try {
    while (len < n) {
      let r: IteratorResult<Buffer>;
      try {
        r = await it.next();
      } catch {
        break;
      }
      if (r.done) break;
      parts.push(Buffer.from(r.value));
      len += r.value.length;
    }
    if (len >= n) {
      complete = false;
      // Exactly n bytes: the content may still end right here.
      if (len === n) {
        try {
          const r = await it.next();
          complete = r.done === true;
        } catch {
          complete = false;
        }
      }
    }
  } finally {
    await it.return?.(undefined)?.catch?.(() => undefined);
  }
  const all = Buffer.concat(parts);
  return {
    bytes: all.subarray(0, Math.min(n, all.length)),
    complete: complete && all.length <= n,
    compression: input.compression,
    ...(input.identity ? { identity: { dev: input.identity.dev, ino: input.identity.ino } } : {}),
  };
}

/** SHA-256 (hex) of `bytes`. */
export function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/**
 * Opens bytes `[start, end)` of an uncompressed regular file (`end`
 * undefined: to the end as it grows while read), with positional reads into
 * one reused buffer (see {@link openInput}). With `expect`, a file at `path`
 * that is not that inode any more throws {@link FileReplacedError}.
 */
export async function openPlainRange(path: string, start: number, end?: number, expect?: ExpectedFile): Promise<OpenedInput> {
  const input = await openInput(path, { start, ...(end !== undefined ? { end } : {}) });
  // openInput takes the identity from the opened handle: the file actually read.
  if (expect && input.identity && (input.identity.dev !== expect.dev || input.identity.ino !== expect.ino)) {
    input.close();
    throw new FileReplacedError(path);
  }
  return input;
}

/** Reads `len` bytes at `pos` of a plain file (fewer at its end); with `expect`, throws {@link FileReplacedError} when the file is another inode. */
export async function readPlainAt(path: string, pos: number, len: number, expect?: ExpectedFile): Promise<Buffer> {
  const fh = await open(path, 'r');
  try {
    await checkSame(path, fh, expect);
    const buf = Buffer.alloc(len);
    const { bytesRead } = await fh.read(buf, 0, len, pos);
    return buf.subarray(0, bytesRead);
  } finally {
    await fh.close();
  }
}

/**
 * Opens a compressed file's decompressed bytes from `start` to `end`
 * (undefined: its end). The skipped bytes are decompressed and discarded;
 * `expectTail`, when given, is the SHA-256 of the `tailLen` bytes just before
 * `start`: when they differ (the file is not the one recorded), the result is
 * undefined and the file is closed.
 */
export async function openDecompressedRange(
  path: string,
  start: number,
  end?: number,
  expectTail?: { readonly hash: string; readonly len: number },
): Promise<OpenedInput | undefined> {
  const input = await openInput(path);
  const it = input.chunks[Symbol.asyncIterator]();
  let pos = 0;
  let tail = Buffer.alloc(0);
  let first: Buffer | undefined;
  const tailLen = expectTail?.len ?? 0;
  try {
    while (pos < start) {
      const r = await it.next();
      if (r.done) break;
      const chunk = r.value;
      const take = Math.min(chunk.length, start - pos);
      if (tailLen > 0) {
        const piece = chunk.subarray(0, take);
        tail = piece.length >= tailLen ? Buffer.from(piece.subarray(piece.length - tailLen)) : Buffer.concat([tail, piece]).subarray(-tailLen);
      }
      pos += take;
      if (take < chunk.length) first = Buffer.from(chunk.subarray(take));
    }
  } catch (err) {
    await it.return?.(undefined)?.catch?.(() => undefined);
    throw err;
  }
  if (pos < start || (expectTail && sha256(tail.subarray(Math.max(0, tail.length - tailLen))) !== expectTail.hash)) {
    await it.return?.(undefined)?.catch?.(() => undefined);
    return undefined;
  }
  async function* chunks(): AsyncGenerator<Buffer> {
    let at = start;
    try {
      if (first) {
        const piece = end === undefined ? first : first.subarray(0, Math.max(0, end - at));
        at += piece.length;
        if (piece.length > 0) yield piece;
      }
      for (;;) {
        if (end !== undefined && at >= end) return;
        const r = await it.next();
        if (r.done) return;
        const piece = end === undefined ? r.value : r.value.subarray(0, end - at);
        at += piece.length;
        yield piece;
      }
    } finally {
      await it.return?.(undefined)?.catch?.(() => undefined);
    }
  }
  return { ...input, start, chunks: chunks() };
}
