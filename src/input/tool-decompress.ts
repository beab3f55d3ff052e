/**
 * Decompression by a system program (`xz -dc`, `bzip2 -dc`, `lz4 -dc`,
 * `zstd -dc`) run as a child process: it decodes on its own core while the
 * scan goes on. The compressed bytes are written to its stdin and the
 * decompressed bytes read from its stdout; its exit status and messages become
 * a {@link DecompressError} naming the decompressed offset where the output
 * stopped. The child is killed and reaped whenever the reading stops early
 * (a closed output pipe, an interrupt, an error).
 */
import { spawn, type ChildProcessByStdio } from 'node:child_process';
import { accessSync, constants, statSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { DecompressError, DecompressorMissingError, IochuntError } from '../errors.js';
import type { ByteReader } from './byte-reader.js';
import type { Decompressor } from './compression.js';

/** Bytes of a tool's stderr kept for the message. */
const STDERR_KEEP = 4096;

type Child = ChildProcessByStdio<Writable, Readable, Readable>;

/** The absolute path of `tool` found in `$PATH`, or undefined. */
export function findTool(tool: string): string | undefined {
  for (const dir of (process.env['PATH'] ?? '').split(delimiter)) {
    if (dir === '') continue;
    const candidate = join(dir, tool);
    try {
      accessSync(candidate, constants.X_OK);
      if (statSync(candidate).isFile()) return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

/**
 * The decompressed bytes of `reader`'s stream, decoded by `decompressor`.
 * Throws {@link DecompressorMissingError} at once when the program is not
 * installed; otherwise the child process is started when the first chunk is
 * requested (so an input opened but never read leaves no process behind).
 */
export function toolChunks(path: string, format: string, decompressor: Decompressor, reader: ByteReader): AsyncGenerator<Buffer, void> {
  const program = findTool(decompressor.tool);
  if (!program) throw new DecompressorMissingError(path, format, decompressor.tool, decompressor.debianPackage);
  return run(path, format, program, decompressor, reader);
}

async function* run(path: string, format: string, program: string, decompressor: Decompressor, reader: ByteReader): AsyncGenerator<Buffer, void> {
  const child: Child = spawn(program, [...decompressor.args], {
    // Its messages then start with its name, not its path.
    argv0: decompressor.tool,
    stdio: ['pipe', 'pipe', 'pipe'],
    // Its own process group: a Ctrl-C in the terminal interrupts iochunt,
    // which stops reading and ends the child itself, instead of killing the
    // child first (which would look like a broken stream). If iochunt dies,
    // the child gets end of input or a broken pipe and exits.
    detached: true,
    // LC_ALL=C: messages in English, which the mapping below reads.
    env: { ...process.env, LC_ALL: 'C' },
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('close', (code, signal) => resolve({ code, signal }));
  });
  try {
    await new Promise<void>((resolve, reject) => {
      child.once('spawn', resolve);
      child.once('error', reject);
    });
  } catch (err) {
    void reader.close().catch(() => undefined);
    const e = err as NodeJS.ErrnoException;
    if (e.code === 'ENOENT' || e.code === 'EACCES') {
      throw new DecompressorMissingError(path, format, decompressor.tool, decompressor.debianPackage, { cause: err });
    }
    throw new IochuntError('E_INPUT', `${path}: cannot run ${decompressor.tool} to decompress it: ${e.message}`, { cause: err });
  }
  child.on('error', () => undefined);
  yield* toolOutput(path, format, decompressor, child, exited, reader);
}

async function* toolOutput(
  path: string,
  format: string,
  decompressor: Decompressor,
  child: Child,
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>,
  reader: ByteReader,
): AsyncGenerator<Buffer, void> {
  let stderr = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (s: string) => {
    if (stderr.length < STDERR_KEEP) stderr += s.slice(0, STDERR_KEEP - stderr.length);
  });
  // The tool may stop reading (it found an error, or it was killed): writes
  // then fail with EPIPE, which is not an error of ours.
  child.stdin.on('error', () => undefined);

  let readError: unknown;
  let feeding = true;
  const feeder = (async (): Promise<void> => {
    try {
      for (;;) {
        const piece = await reader.take(1 << 20);
        if (!piece || !feeding) break;
        if (!child.stdin.write(piece)) {
          await new Promise<void>((resolve) => {
            const done = (): void => {
              child.stdin.off('drain', done);
              child.stdin.off('close', done);
              resolve();
            };
            child.stdin.on('drain', done);
            child.stdin.on('close', done);
          });
          if (child.stdin.destroyed) break;
        }
      }
    } catch (err) {
      readError = err;
      child.kill('SIGKILL');
    } finally {
      child.stdin.end();
      // The tool may have stopped before the end of its input: close the source.
      void reader.close().catch(() => undefined);
    }
  })();

  let delivered = 0;
  let finished = false;
  try {
    for await (const chunk of child.stdout as AsyncIterable<Buffer>) {
      delivered += chunk.length;
      yield chunk;
    }
    const { code, signal } = await exited;
    finished = true;
    // A read error of the source is recorded before the feeder kills the
    // child, so it is known here. The feeder is not waited for: after an
    // early exit of the tool it may still wait on a pipe that stays open.
    feeding = false;
    void feeder;
    if (readError !== undefined) throw readError;
    const problem = classify(decompressor.tool, code, signal, stderr);
    if (problem) {
      throw new DecompressError(path, {
        format,
        failure: problem.failure,
        reason: `${problem.reason} (${decompressor.tool}: ${code !== null ? `exit status ${code}` : `killed by ${signal}`}${problem.said ? `: ${problem.said}` : ''})`,
        decompressedOffset: delivered,
      });
    }
  } finally {
    feeding = false;
    if (!finished) {
      // Stopped early: end the child and wait until it is reaped.
      child.stdout.destroy();
      child.stdin.destroy();
      child.kill('SIGKILL');
      await exited;
    }
    // The feeder may be waiting on a source that stays open (stdin): stop it
    // (not awaited: such a read settles only once stdin is let go).
    void reader.close().catch(() => undefined);
  }
}

/** What went wrong, from the tool's exit status and messages; undefined when it succeeded. */
function classify(
  tool: string,
  code: number | null,
  signal: NodeJS.Signals | null,
  stderr: string,
): { failure: DecompressError['failure']; reason: string; said: string } | undefined {
  const said = stderr
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !/^(Input file =|It is possible|You can use|data from undamaged|perhaps it is corrupted|\*Possible\*|bzip2: Inappropriate ioctl)/i.test(l))
    .join(' ')
    .replace(/\s+/g, ' ')
    // Control characters a program printed never reach the terminal raw.
    .replace(/[\u0000-\u001f\u007f-\u009f]/g, '?')
    .slice(0, 300);
  const lower = said.toLowerCase();
  // bzip2 warns about trailing garbage and still exits 0.
  if (/trailing garbage/.test(lower)) return { failure: 'trailing-data', reason: 'data that is not compressed follows the last stream', said };
  if (code === 0) return undefined;
  if (/unexpected end|ends unexpectedly|premature end|unfinished stream|truncated/.test(lower)) {
    return { failure: 'truncated', reason: 'truncated (unexpected end of input)', said };
  }
  if (/format not recognized|unsupported format|unknown header|not in .* format/.test(lower) || (tool === 'lz4' && code === 1 && said === '')) {
    return {
      failure: 'trailing-data',
      reason: 'data that is not compressed, or damaged, follows the last complete stream',
      said,
    };
  }
  return { failure: 'corrupt', reason: signal ? 'decompression stopped' : 'corrupt data', said };
}
