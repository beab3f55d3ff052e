/**
 * Reads the records of a `{"Records":[…]}` input one at a time with the
 * stream-json tokenizer, never holding more than one record in memory, and
 * gives each record's stream offset exactly: the input is fed to the
 * tokenizer in pieces that end at each `{` byte, so an object's
 * `startObject` token is always the last of its piece.
 */
import { Assembler } from 'stream-json/assembler.js';
import { jsonParser } from 'stream-json/parser.js';
import { getManyValues, isMany, none } from 'stream-chain/defs.js';

/** One record of a Records input. */
export interface StreamRecord {
  /** Stream offset of the record's `{` (decompressed). */
  readonly offset: number;
  readonly value: unknown;
}

/** Thrown when the input is not valid JSON; `offset` is near the error. */
export class RecordsSyntaxError extends Error {
  constructor(
    readonly offset: number,
    cause: unknown,
  ) {
    super(`not valid JSON near offset ${offset} (${cause instanceof Error ? cause.message : String(cause)})`, { cause });
  }
}

interface Token {
  readonly name: string;
  readonly value?: unknown;
}

const OPEN_BRACE = 0x7b;

/**
 * Yields every element of the top-level `Records` array of the JSON
 * document made of `blocks` (consecutive pieces of the decompressed stream,
 * `offset` being the stream offset of `buf[0]`). Other top-level keys are
 * skipped without being assembled. Throws {@link RecordsSyntaxError} on
 * invalid JSON.
 */
export async function* readRecords(
  blocks: AsyncIterable<{ readonly buf: Buffer; readonly offset: number; readonly release?: () => void }>,
): AsyncGenerator<StreamRecord> {
  const tokenize = jsonParser({ packValues: true, streamValues: false });
  const decoder = new TextDecoder('utf-8', { fatal: false, ignoreBOM: false });
  let depth = 0;
  let topKey: string | undefined;
  let inRecords = false;
  let asm: Assembler | undefined;
  let recordOffset = 0;
  const done: StreamRecord[] = [];

  const onToken = (t: Token, pieceEnd: number): void => {
    if (asm) {
      asm.consume(t as never);
      if (asm.done) {
        done.push({ offset: recordOffset, value: asm.current });
        asm = undefined;
      }
    } else if (t.name === 'startObject' && inRecords && depth === 2) {
      recordOffset = pieceEnd - 1;
      asm = new Assembler();
      asm.consume(t as never);
    }
    if (t.name === 'startObject' || t.name === 'startArray') {
      depth++;
      if (depth === 2 && t.name === 'startArray' && topKey === 'Records') inRecords = true;
    } else if (t.name === 'endObject' || t.name === 'endArray') {
      depth--;
      if (depth === 1) inRecords = false;
    } else if (t.name === 'keyValue' && depth === 1) topKey = t.value as string;
  };

  const feed = (text: string | typeof none, pieceEnd: number): void => {
    let out: unknown;
    try {
      out = tokenize(text as string);
    } catch (err) {
      throw new RecordsSyntaxError(pieceEnd, err);
    }
    if (out === none || out === undefined) return;
    for (const t of (isMany(out) ? getManyValues(out) : [out]) as Token[]) onToken(t, pieceEnd);
  };

  for await (const { buf, offset, release } of blocks) {
    let from = 0;
    while (from < buf.length) {
      const brace = buf.indexOf(OPEN_BRACE, from);
      const to = brace < 0 ? buf.length : brace + 1;
      feed(decoder.decode(buf.subarray(from, to), { stream: true }), offset + to);
      from = to;
    }
    release?.();
    yield* done;
    done.length = 0;
  }
  feed(decoder.decode(), 0);
  feed(none, 0);
  yield* done;
}
