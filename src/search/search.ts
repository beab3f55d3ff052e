/**
 * The search pipeline: inputs → line-aligned blocks → engine (several blocks
 * in flight, possibly on other threads) → hit lines → documents → sink, in
 * input order and block order whatever the number of threads.
 */
import type { MatchEngine, PackedHits } from '../engine/engine.js';
import { describeError, InputError, IochuntError } from '../errors.js';
import type { IndicatorLookup } from '../indicators/store.js';
import { looksBinary } from '../input/binary.js';
import { expandPaths, type ExpandedInput, type WalkOptions } from '../input/expand-paths.js';
import { lineBlocks, type LineBlock } from '../input/line-blocks.js';
import { openInput, type OpenedInput } from '../input/open-input.js';
import { peek } from '../input/peek.js';
import { IDLE, within } from '../input/within.js';
import { buildHitDocument, enrichmentCount, mergeFields, type HitDocument, type HitLine } from '../output/hit-document.js';
import { JsonlBuffer } from '../output/jsonl-buffer.js';
import type { HitSink } from '../output/sink.js';
import { outputIsInput, type OutputIdentity } from '../output/output-file.js';
import type { Reporter } from '../report.js';
import { hitLines } from './hit-lines.js';

/** Input that pauses this long has its blocks read so far scanned and written. */
const IDLE_MS = 200;

export interface SearchOptions {
  readonly engine: MatchEngine;
  readonly store: IndicatorLookup;
  readonly sink: HitSink;
  readonly reporter: Reporter;
  /** Lines longer than this are scanned in pieces. */
  readonly maxLineBytes: number;
  /** Target block size (default 1 MiB). */
  readonly blockBytes?: number;
  /** Blocks scanned at once (default 1). */
  readonly concurrency?: number;
  /** `@timestamp` of hits whose event time is unknown. */
  readonly timestamp: string;
  /**
   * Optional last step before a hit line becomes a document: may drop
   * matches (allowlists, validity) or return undefined to drop the line.
   */
  readonly refine?: (line: HitLine) => HitLine | undefined;
  /**
   * Optional per-input hook, called once per input before it is scanned
   * with its first `headBytes` bytes (decompressed): returns what refines the
   * input's hit lines (a log-format parser), or undefined.
   */
  readonly inputRefiner?: (input: InputHead) => InputRefiner | undefined | Promise<InputRefiner | undefined>;
  /** Bytes peeked for `inputRefiner` (default 64 KiB). */
  readonly headBytes?: number;
  /**
   * Stops reading input when aborted (SIGINT, SIGTERM): blocks already read
   * are still scanned and their hits written, then the search returns with
   * `interrupted` set.
   */
  readonly signal?: AbortSignal;
  /** How directories are walked and globs expanded (`--glob`, `--hidden`, `--max-depth`). */
  readonly walk?: WalkOptions;
  /**
   * Stop reading an input after this many hit lines (`--max-count`); hits
   * of that input found beyond them (blocks scanned ahead) are dropped.
   */
  readonly maxCount?: number;
  /** Stop the whole search after this many hit lines (`--quiet`: 1); `stoppedEarly` is then set. */
  readonly stopAfter?: number;
  /**
   * Skip inputs found by walking a directory or expanding a glob whose head
   * looks binary (see {@link looksBinary}); inputs named on the command line are always read.
   */
  readonly skipBinary?: boolean;
  /** Told about each input as it is read (`--count`, `--files-with-matches`, the progress line). */
  readonly observer?: SearchObserver;
  /**
   * Files the hits are written to. An input that is one of them is never
   * read: named on the command line it is an error (as GNU grep), found by
   * walking a directory or a glob it is skipped with a warning.
   */
  readonly outputs?: readonly OutputIdentity[];
  /**
   * Inputs planned by the caller (`sweep`, `tail`: a file from an offset,
   * with its own opener) instead of expanding `paths`; entries with an
   * `error` are reported as unreadable inputs.
   */
  readonly inputs?: AsyncIterable<SearchInput | (ExpandedInput & { readonly error: unknown })>;
  /**
   * Called after the hits of each block of a planned input were handed to the
   * sink (awaited: the pipeline waits), with the input's `tag`, the stream
   * offset just past the block, and the block's bytes (valid only during the
   * call). Everything before `endOffset` has then been written to the sink.
   */
  readonly onBlockDone?: (tag: unknown, endOffset: number, block: Buffer) => void | Promise<void>;
  /** Called once per planned input that was read to its end (`error` undefined) or broke (`error` set). */
  readonly onInputDone?: (tag: unknown, error: unknown) => void | Promise<void>;
  /** Fields added to every document (e.g. `{ iochunt: { match: { kind: 'retro' } } }`). */
  readonly documentFields?: Readonly<Record<string, unknown>>;
}

/** One input planned by a caller, for {@link SearchOptions.inputs}. */
export interface SearchInput {
  /** The path reported in hits. */
  readonly path: string;
  /** Opens the bytes to scan (from `startOffset` on); default `openInput(path)`. */
  readonly open?: () => Promise<OpenedInput>;
  /** Stream offset of the first byte `open` delivers (default 0). */
  readonly startOffset?: number;
  /** Leave an unterminated last line unscanned (a live file): see {@link LineBlockOptions.holdPartialTail}. */
  readonly holdPartialTail?: boolean;
  /**
   * The input's real first bytes, for log-format detection and headers when
   * the scan starts in the middle; `complete` when they are the whole input.
   */
  readonly head?: { readonly bytes: Buffer; readonly complete: boolean };
  /** Passed back to {@link SearchOptions.onBlockDone} and {@link SearchOptions.onInputDone}. */
  readonly tag?: unknown;
}

/** One input as the search went through it. */
export interface InputProgress {
  readonly path: string;
  /** Size of a regular file, in bytes on disk. */
  readonly size?: number;
  /** Bytes read so far (before decompression). */
  readonly bytesRead: () => number;
  /** Hit lines written for this input. */
  readonly hitLines: number;
  /** Skipped as binary (not searched). */
  readonly binary: boolean;
  /** Found by walking a directory or expanding a glob, not named on the command line. */
  readonly found: boolean;
}

/** Hooks of a search, called in input order. */
export interface SearchObserver {
  /** An input was opened and is about to be read. */
  inputStart?(input: InputProgress): void;
  /**
   * Every hit line of an opened input was written (or the input was skipped
   * as binary); awaited before the hits of the next input are written.
   */
  inputEnd?(input: InputProgress): void | Promise<void>;
  /** Hit lines were written; `total` over the whole search. */
  hits?(total: number): void;
}

/** The start of an input, for {@link SearchOptions.inputRefiner}. */
export interface InputHead {
  readonly path: string;
  /** The first bytes (a copy). */
  readonly head: Buffer;
  /** True when `head` is the whole input. */
  readonly complete: boolean;
  /** Modification time of a regular file. */
  readonly mtimeMs?: number;
}

/** Refines the hit lines of one input; sees every block of the input in order first. */
export interface InputRefiner {
  /** Called for every block of the input, in order, before the block's hit lines are refined. */
  block?(buf: Buffer, offset: number): void;
  refine(line: HitLine): HitLine | undefined;
  /**
   * Hit lines the refiner held back and has now completed (a record spread
   * over several lines or blocks), called after each block's hit lines and,
   * with `final`, once at the end of the input. Returned lines must not be
   * views into released blocks.
   */
  flush?(final: boolean): HitLine[];
}

export interface SearchStats {
  inputs: number;
  /** Decompressed bytes scanned. */
  bytes: number;
  hitLines: number;
  matches: number;
  /** Inputs that could not be read completely. */
  errors: number;
  /** The output consumer went away (broken pipe). */
  stoppedEarly: boolean;
  /** `signal` stopped the search before the end of the input. */
  interrupted: boolean;
  /** Inputs found by walking that were skipped as binary. */
  binarySkipped: number;
  /** Inputs left before their end after `maxCount` hit lines. */
  cut: number;
}

/** The state of one input while its items go through the queue. */
interface InputState extends InputProgress {
  hitLines: number;
  binary: boolean;
  /** No more hits of this input are taken (`maxCount` reached). */
  closed: boolean;
  /** `inputEnd` was called. */
  ended: boolean;
  /** Read from a pipe or terminal (no end known in advance). */
  stream: boolean;
  /** A planned input's tag ({@link SearchInput.tag}); undefined for inputs from `paths`. */
  tag?: unknown;
  /** Planned by the caller: {@link SearchOptions.onInputDone} is called for it. */
  planned?: boolean;
}

type Item =
  | { kind: 'block'; path: string; block: LineBlock; hits: Promise<PackedHits>; refiner: InputRefiner | undefined; inode: string | undefined; input: InputState }
  | { kind: 'error'; path: string; error: unknown; input?: InputState }
  | { kind: 'done'; path: string; refiner: InputRefiner | undefined; inode: string | undefined; input: InputState; failed?: boolean }
  | { kind: 'skipped'; path: string; input: InputState };

const MAX_CUT_WARNINGS = 3;

/** At most `n` tasks at once; the others wait their turn in order. */
class Slots {
  private free: number;
  private readonly waiting: Array<() => void> = [];
  constructor(n: number) {
    this.free = n;
  }
  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.free > 0) this.free--;
    else await new Promise<void>((resolve) => this.waiting.push(resolve));
    try {
      return await task();
    } finally {
      const next = this.waiting.shift();
      if (next) next();
      else this.free++;
    }
  }
}

/**
 * Scans every input named by `paths` (see {@link expandPaths}) and writes
 * hits to the sink. Unreadable inputs are reported and counted; the others
 * are still scanned. Throws only for output failures.
 */
export async function search(paths: readonly string[], options: SearchOptions): Promise<SearchStats> {
  const { engine, sink, reporter } = options;
  const concurrency = Math.max(1, options.concurrency ?? 1);
  const stats: SearchStats = {
    inputs: 0,
    bytes: 0,
    hitLines: 0,
    matches: 0,
    errors: 0,
    stoppedEarly: false,
    interrupted: false,
    binarySkipped: 0,
    cut: 0,
  };
  const { observer, maxCount, stopAfter } = options;
  // Set once `stopAfter` hit lines were written: nothing more is read.
  let stopped = false;
  const halted = (): boolean => sink.gone || stopped;
  // The input the generator is reading.
  let reading: InputState | undefined;
  // `concurrency` scans run at once; one more block is read ahead meanwhile,
  // so reading and decompressing overlap scanning even with one thread.
  const scans = new Slots(concurrency);

  const named = new Set(paths.length === 0 ? ['-'] : paths);
  async function* items(): AsyncGenerator<Item> {
    const entries: AsyncIterable<SearchInput | ExpandedInput> = options.inputs ?? expandPaths(paths, options.walk ?? {});
    for await (const entry of entries) {
      if ('error' in entry) {
        yield { kind: 'error', path: entry.path, error: entry.error };
        continue;
      }
      if (halted()) return;
      const output = outputIsInput(entry.path, options.outputs ?? []);
      if (output) {
        const what = output.label === 'stdout' || 'path' in output ? output.label : `-o ${output.label}`;
        if (named.has(entry.path)) {
          yield { kind: 'error', path: entry.path, error: new InputError(entry.path, `input file is also the output (${what}); not read`) };
        } else {
          reporter.warn(`${entry.path}: skipped: it is the output (${what})`);
        }
        continue;
      }
      stats.inputs++;
      let cuts = 0;
      let warnedLine = -1;
      let refiner: InputRefiner | undefined;
      let inode: string | undefined;
      let input: OpenedInput | undefined;
      const state: InputState = {
        path: entry.path,
        bytesRead: () => input?.bytesRead() ?? 0,
        hitLines: 0,
        binary: false,
        found: 'found' in entry && entry.found === true,
        closed: maxCount === 0,
        ended: false,
        stream: false,
        ...(options.inputs ? { planned: true, tag: 'tag' in entry ? entry.tag : undefined } : {}),
      };
      const knownHead = 'head' in entry ? entry.head : undefined;
      try {
        input = 'open' in entry && entry.open ? await entry.open() : await openInput(entry.path, { onWarning: (m) => reporter.warn(m) });
        if (input.identity) {
          inode = String(input.identity.ino);
          Object.assign(state, { size: input.identity.size });
        } else {
          state.stream = true;
        }
        reading = state;
        observer?.inputStart?.(state);
        let chunks = input.chunks;
        const sniff = options.skipBinary === true && state.found;
        if (knownHead && options.inputRefiner) {
          // A read from the middle: detection and headers from the input's real start.
          const headBytes = options.headBytes ?? 64 * 1024;
          refiner = await options.inputRefiner({
            path: entry.path,
            head: Buffer.from(knownHead.bytes.subarray(0, headBytes)),
            complete: knownHead.complete && knownHead.bytes.length <= headBytes,
            ...(input.identity ? { mtimeMs: input.identity.mtimeMs } : {}),
          });
        } else if (options.inputRefiner || sniff) {
          const headBytes = options.headBytes ?? 64 * 1024;
          // A pipe fed slowly is detected on what it has sent when it pauses.
          const peeked = await peek(chunks, headBytes + 1, input.identity ? {} : { idleMs: IDLE_MS });
          chunks = peeked.chunks;
          const head = peeked.head.subarray(0, headBytes);
          const complete = peeked.ended && peeked.head.length <= headBytes;
          if (sniff && looksBinary(head, complete)) {
            input.close();
            stats.inputs--;
            stats.binarySkipped++;
            state.binary = true;
            reading = undefined;
            yield { kind: 'skipped', path: entry.path, input: state };
            continue;
          }
          if (options.inputRefiner) {
            refiner = await options.inputRefiner({
              path: entry.path,
              head: Buffer.from(head),
              complete,
              ...(input.identity ? { mtimeMs: input.identity.mtimeMs } : {}),
            });
          }
        }
        for await (const block of lineBlocks(chunks, {
          maxLineBytes: options.maxLineBytes,
          // A pipe or terminal may be fed slowly (tail -F): its lines are
          // scanned once it pauses, not only after a full block.
          ...(input.identity ? {} : { idleMs: IDLE_MS }),
          ...(options.blockBytes ? { minBlockBytes: options.blockBytes } : {}),
          ...('startOffset' in entry && entry.startOffset ? { startOffset: entry.startOffset } : {}),
          ...('holdPartialTail' in entry && entry.holdPartialTail ? { holdPartialTail: true } : {}),
        })) {
          if (state.closed || halted()) {
            // --max-count reached (or the search stopped): the rest of this input is not read.
            block.release?.();
            break;
          }
          // One warning per long line, however many pieces it is cut into.
          if (block.cut && block.cut.lineStart !== warnedLine && cuts++ < MAX_CUT_WARNINGS) {
            warnedLine = block.cut.lineStart;
            reporter.warn(
              `${entry.path}: line at offset ${block.cut.lineStart} is longer than --max-line-bytes ${options.maxLineBytes}; ` +
                `scanned in pieces of ${options.maxLineBytes} bytes (an indicator straddling a cut is missed)`,
            );
          }
          const hits = scans.run(() => engine.scanAsync(block.buf));
          // Avoid unhandled rejections while the item waits in the queue.
          hits.catch(() => undefined);
          yield { kind: 'block', path: entry.path, block, hits, refiner, inode, input: state };
        }
        if (state.closed) {
          stats.cut++;
          input.close();
        }
        // The generator has left this input: it is no longer a pipe being waited on.
        reading = undefined;
        yield { kind: 'done', path: entry.path, refiner, inode, input: state };
      } catch (error) {
        reading = undefined;
        // Lines a refiner still holds (and the input's count) are delivered before the error is reported.
        if (input) yield { kind: 'done', path: entry.path, refiner, inode, input: state, failed: true };
        yield { kind: 'error', path: entry.path, error, input: state };
      }
    }
  }

  const endInput = async (state: InputState): Promise<void> => {
    if (state.ended) return;
    state.ended = true;
    await observer?.inputEnd?.(state);
  };

  const handle = async (item: Item): Promise<void> => {
    if (item.kind === 'skipped') {
      await endInput(item.input);
      return;
    }
    if (item.kind === 'done') {
      const held = item.input.closed ? [] : (item.refiner?.flush?.(true) ?? []);
      if (held.length > 0) await writeLines(held, item.inode, item.input);
      await endInput(item.input);
      if (item.input.planned && !item.failed && !halted()) await options.onInputDone?.(item.input.tag, undefined);
      return;
    }
    if (item.kind === 'error') {
      stats.errors++;
      const e = item.error;
      reporter.error(e instanceof IochuntError ? e.message : `${item.path}: ${describeError(e)}`);
      if (item.input?.planned) await options.onInputDone?.(item.input.tag, e);
      return;
    }
    const { block } = item;
    try {
      const hits = await item.hits;
      if (!item.input.closed && !halted()) {
        await handleBlock(item.path, block, hits, item.refiner, item.inode, item.input);
        // A planned input's position advances only over blocks whose hits reached the sink.
        if (item.input.planned && !halted()) await options.onBlockDone?.(item.input.tag, block.offset + block.buf.length, block.buf);
      }
    } finally {
      block.release?.();
    }
  };

  // A sink that takes JSON gets each document serialised as soon as it is
  // built: a block's documents are never all alive at once (they would
  // survive young-generation collections, which then cost more than building them).
  const jsonl = sink.writeJsonl ? new JsonlBuffer() : undefined;
  // `-c`, `-l`, `-q`: hit lines are counted, their documents never read.
  const documents = sink.wantsDocuments !== false;
  // Hit lines taken since the last delivery.
  let taken = 0;

  const handleBlock = async (
    path: string,
    block: LineBlock,
    hits: PackedHits,
    refiner: InputRefiner | undefined,
    inode: string | undefined,
    input: InputState,
  ): Promise<void> => {
    stats.bytes += block.buf.length;
    refiner?.block?.(block.buf, block.offset);
    const docs: HitDocument[] = [];
    let lines = 0;
    if (hits.length > 0) {
      for (const found of hitLines(path, block.buf, block.offset, hits)) {
        // --max-count or the search's end reached: the rest of the block is not written.
        if (input.closed || stopped) break;
        const raw = refiner ? refiner.refine(found) : found;
        if (!raw) continue;
        lines++;
        take(raw, inode, input, docs);
      }
    }
    const held = refiner?.flush ? refiner.flush(false) : [];
    lines += held.length;
    for (const raw of held) take(raw, inode, input, docs);
    if (lines > 0) await deliver(docs);
  };

  /** Makes the document of one hit line (unless refined away) and adds it to `docs`, or to `jsonl`. */
  const take = (raw: HitLine, inode: string | undefined, input: InputState, docs: HitDocument[]): void => {
    if (input.closed || stopped) return;
    const line = options.refine ? options.refine(raw) : raw;
    if (!line || line.matches.length === 0) return;
    stats.hitLines++;
    input.hitLines++;
    taken++;
    if (documents) {
      const doc = buildHitDocument(line, options.store, options.timestamp, inode);
      if (options.documentFields) mergeFields(doc, options.documentFields);
      stats.matches += doc.threat.enrichments.length;
      if (jsonl) jsonl.add(doc);
      else docs.push(doc);
    } else stats.matches += enrichmentCount(line, options.store);
    if (maxCount !== undefined && input.hitLines >= maxCount) input.closed = true;
    if (stopAfter !== undefined && stats.hitLines >= stopAfter) stopped = true;
  };

  /** Hands the documents taken since the last delivery to the sink. */
  const deliver = async (docs: readonly HitDocument[]): Promise<void> => {
    const n = taken;
    taken = 0;
    if (jsonl) {
      const count = jsonl.count;
      await (sink.writeJsonl as (b: Buffer, n: number) => Promise<void>).call(sink, jsonl.take(), count);
    } else await sink.write(docs);
    if (n > 0) observer?.hits?.(stats.hitLines);
  };

  const writeLines = async (lines: readonly HitLine[], inode: string | undefined, input: InputState): Promise<void> => {
    const docs: HitDocument[] = [];
    for (const raw of lines) take(raw, inode, input, docs);
    await deliver(docs);
  };

  const queue: Item[] = [];
  const source = items();
  const signal = options.signal;
  const aborted = new Promise<'abort'>((resolve) => {
    if (!signal) return;
    if (signal.aborted) resolve('abort');
    else signal.addEventListener('abort', () => resolve('abort'), { once: true });
  });
  let last: Item | undefined;
  // A pipe left after --max-count hits that stopped sending: not waited for.
  let abandonedStream: InputState | undefined;
  // A read still under way when the queue was drained on idle input.
  let pending: Promise<IteratorResult<Item>> | undefined;
  try {
    for (;;) {
      pending ??= source.next();
      // An input that blocks (a pipe, a terminal) must not hold up an
      // interrupt, nor the hits of the blocks already read.
      const read = signal ? Promise.race([pending, aborted]) : pending;
      // An input left after --max-count hits that is a pipe or terminal may
      // send nothing more for a long time: it is given up once it pauses.
      const cutStream = reading?.stream === true && reading.closed;
      const next = queue.length > 0 || cutStream ? await within(read, IDLE_MS) : await read;
      if (next === 'abort') {
        stats.interrupted = true;
        break;
      }
      if (next === IDLE) {
        while (queue.length > 0 && !halted()) {
          last = queue.shift() as Item;
          await handle(last);
        }
        if (halted()) break;
        if (cutStream) {
          abandonedStream = reading;
          break;
        }
        continue;
      }
      pending = undefined;
      if (next.done) break;
      const item = next.value;
      queue.push(item);
      let inFlight = 0;
      for (const q of queue) if (q.kind === 'block') inFlight++;
      while (queue.length > 0 && (inFlight > concurrency || queue[0]?.kind !== 'block')) {
        const head = queue.shift() as Item;
        if (head.kind === 'block') inFlight--;
        last = head;
        await handle(head);
        if (halted()) break;
      }
      if (halted()) break;
    }
    while (queue.length > 0 && !halted()) {
      last = queue.shift() as Item;
      await handle(last);
    }
    if (abandonedStream && !halted()) {
      stats.cut++;
      await endInput(abandonedStream);
    }
    // Interrupted inside an input: lines its log-format parser still holds
    // (a record spanning blocks) are delivered as at the end of the input.
    if (stats.interrupted && last?.kind === 'block' && last.refiner?.flush && !halted()) {
      await handle({ kind: 'done', path: last.path, refiner: last.refiner, inode: last.inode, input: last.input });
    }
  } finally {
    // After an interrupt the generator may be waiting on a read that never
    // ends: let it finish on its own instead of waiting for it.
    const done = source.return(undefined).catch(() => undefined);
    if (!stats.interrupted && abandonedStream === undefined && pending === undefined) await done;
  }
  stats.stoppedEarly = halted();
  return stats;
}
