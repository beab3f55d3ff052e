/**
 * The search pipeline: inputs → line-aligned blocks → engine (several blocks
 * in flight, possibly on other threads) → hit lines → documents → sink, in
 * input order and block order whatever the number of threads.
 */
import type { MatchEngine, PackedHits } from '../engine/engine.js';
import { describeError, IochuntError } from '../errors.js';
import type { IndicatorLookup } from '../indicators/store.js';
import { expandPaths, type ExpandedInput } from '../input/expand-paths.js';
import { lineBlocks, type LineBlock } from '../input/line-blocks.js';
import { openInput, type OpenedInput } from '../input/open-input.js';
import { peek } from '../input/peek.js';
import { IDLE, within } from '../input/within.js';
import { buildHitDocument, mergeFields, type HitDocument, type HitLine } from '../output/hit-document.js';
import type { HitSink } from '../output/sink.js';
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
}

type Item =
  | { kind: 'block'; path: string; block: LineBlock; hits: Promise<PackedHits>; refiner: InputRefiner | undefined; inode: string | undefined; tag: unknown }
  | { kind: 'error'; path: string; error: unknown; tag?: unknown; planned?: boolean }
  | { kind: 'done'; path: string; refiner: InputRefiner | undefined; inode: string | undefined; tag?: unknown; planned?: boolean };

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
  const stats: SearchStats = { inputs: 0, bytes: 0, hitLines: 0, matches: 0, errors: 0, stoppedEarly: false, interrupted: false };
  // `concurrency` scans run at once; one more block is read ahead meanwhile,
  // so reading and decompressing overlap scanning even with one thread.
  const scans = new Slots(concurrency);

  async function* items(): AsyncGenerator<Item> {
    const planned = options.inputs !== undefined;
    const entries: AsyncIterable<SearchInput | (ExpandedInput & { readonly error: unknown })> = options.inputs ?? expandPaths(paths);
    for await (const entry of entries) {
      if ('error' in entry) {
        yield { kind: 'error', path: entry.path, error: entry.error };
        continue;
      }
      const tag = 'tag' in entry ? entry.tag : undefined;
      stats.inputs++;
      let cuts = 0;
      let refiner: InputRefiner | undefined;
      let inode: string | undefined;
      try {
        const input = 'open' in entry && entry.open ? await entry.open() : await openInput(entry.path);
        if (input.identity) inode = String(input.identity.ino);
        let chunks = input.chunks;
        const knownHead = 'head' in entry ? entry.head : undefined;
        if (options.inputRefiner && knownHead) {
          const headBytes = options.headBytes ?? 64 * 1024;
          refiner = await options.inputRefiner({
            path: entry.path,
            head: Buffer.from(knownHead.bytes.subarray(0, headBytes)),
            complete: knownHead.complete && knownHead.bytes.length <= headBytes,
            ...(input.identity ? { mtimeMs: input.identity.mtimeMs } : {}),
          });
        } else if (options.inputRefiner) {
          const headBytes = options.headBytes ?? 64 * 1024;
          // A pipe fed slowly is detected on what it has sent when it pauses.
          const peeked = await peek(chunks, headBytes + 1, input.identity ? {} : { idleMs: IDLE_MS });
          chunks = peeked.chunks;
          refiner = await options.inputRefiner({
            path: entry.path,
            head: Buffer.from(peeked.head.subarray(0, headBytes)),
            complete: peeked.ended && peeked.head.length <= headBytes,
            ...(input.identity ? { mtimeMs: input.identity.mtimeMs } : {}),
          });
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
          if (block.cut && cuts++ < MAX_CUT_WARNINGS) {
            reporter.warn(
              `${entry.path}: line at offset ${block.cut.lineStart} is longer than --max-line-bytes ${options.maxLineBytes}; ` +
                `scanned in pieces (an indicator straddling offset ${block.cut.at} would be missed)`,
            );
          }
          const hits = scans.run(() => engine.scanAsync(block.buf));
          // Avoid unhandled rejections while the item waits in the queue.
          hits.catch(() => undefined);
          yield { kind: 'block', path: entry.path, block, hits, refiner, inode, tag };
        }
        yield { kind: 'done', path: entry.path, refiner, inode, tag, planned };
      } catch (error) {
        // Lines a refiner still holds are delivered before the error is reported.
        if (refiner?.flush) yield { kind: 'done', path: entry.path, refiner, inode };
        yield { kind: 'error', path: entry.path, error, tag, planned };
      }
    }
  }

  const handle = async (item: Item): Promise<void> => {
    if (item.kind === 'done') {
      const held = item.refiner?.flush?.(true) ?? [];
      if (held.length > 0) await writeLines(held, item.inode);
      if (item.planned) await options.onInputDone?.(item.tag, undefined);
      return;
    }
    if (item.kind === 'error') {
      stats.errors++;
      const e = item.error;
      reporter.error(e instanceof IochuntError ? e.message : `${item.path}: ${describeError(e)}`);
      if (item.planned) await options.onInputDone?.(item.tag, e);
      return;
    }
    const { block } = item;
    try {
      await handleBlock(item.path, block, await item.hits, item.refiner, item.inode);
      if (item.tag !== undefined) await options.onBlockDone?.(item.tag, block.offset + block.buf.length, block.buf);
    } finally {
      block.release?.();
    }
  };

  const handleBlock = async (
    path: string,
    block: LineBlock,
    hits: PackedHits,
    refiner: InputRefiner | undefined,
    inode: string | undefined,
  ): Promise<void> => {
    stats.bytes += block.buf.length;
    refiner?.block?.(block.buf, block.offset);
    const lines: HitLine[] = [];
    for (const found of hits.length > 0 ? hitLines(path, block.buf, block.offset, hits) : []) {
      const raw = refiner ? refiner.refine(found) : found;
      if (raw) lines.push(raw);
    }
    if (refiner?.flush) lines.push(...refiner.flush(false));
    if (lines.length > 0) await writeLines(lines, inode);
  };

  const writeLines = async (lines: readonly HitLine[], inode: string | undefined): Promise<void> => {
    const docs: HitDocument[] = [];
    for (const raw of lines) {
      const line = options.refine ? options.refine(raw) : raw;
      if (!line || line.matches.length === 0) continue;
      const doc = buildHitDocument(line, options.store, options.timestamp, inode);
      if (options.documentFields) mergeFields(doc, options.documentFields);
      stats.hitLines++;
      stats.matches += doc.threat.enrichments.length;
      docs.push(doc);
    }
    await sink.write(docs);
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
  // A read still under way when the queue was drained on idle input.
  let pending: Promise<IteratorResult<Item>> | undefined;
  try {
    for (;;) {
      pending ??= source.next();
      // An input that blocks (a pipe, a terminal) must not hold up an
      // interrupt, nor the hits of the blocks already read.
      const read = signal ? Promise.race([pending, aborted]) : pending;
      const next = queue.length > 0 ? await within(read, IDLE_MS) : await read;
      if (next === 'abort') {
        stats.interrupted = true;
        break;
      }
      if (next === IDLE) {
        while (queue.length > 0 && !sink.gone) {
          last = queue.shift() as Item;
          await handle(last);
        }
        if (sink.gone) break;
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
        if (sink.gone) break;
      }
      if (sink.gone) break;
    }
    while (queue.length > 0 && !sink.gone) {
      last = queue.shift() as Item;
      await handle(last);
    }
    // Interrupted inside an input: lines its log-format parser still holds
    // (a record spanning blocks) are delivered as at the end of the input.
    if (stats.interrupted && last?.kind === 'block' && last.refiner?.flush && !sink.gone) {
      await handle({ kind: 'done', path: last.path, refiner: last.refiner, inode: last.inode });
    }
  } finally {
    // After an interrupt the generator may be waiting on a read that never
    // ends: let it finish on its own instead of waiting for it.
    const done = source.return(undefined).catch(() => undefined);
    if (!stats.interrupted && pending === undefined) await done;
  }
  stats.stoppedEarly = sink.gone;
  return stats;
}
