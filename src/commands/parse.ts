/**
 * `iochunt parse`: prints the parsed ECS document of every line of the
 * inputs, without matching, so that users (and tests) can check that their
 * logs are understood. Exit status: 0 every line parsed, 1 some line did not
 * parse (it is printed with `event.kind: pipeline_error`), 2 an input error.
 */
import { describeError, IochuntError } from '../errors.js';
import { openFormat, openRecords, type FormatOptions, type HeadOfInput, type RecordsInput } from '../formats/open-format.js';
import { readRecords } from '../formats/read-records.js';
import { decodeLine, type InputParser } from '../formats/input-parser.js';
import { expandPaths, type WalkOptions } from '../input/expand-paths.js';
import { lineBlocks } from '../input/line-blocks.js';
import { openInput } from '../input/open-input.js';
import { peek } from '../input/peek.js';
import { JsonlSink } from '../output/jsonl-sink.js';
import { outputIsInput, stdoutIdentity } from '../output/output-file.js';
import type { Reporter } from '../report.js';
import { DEFAULT_MAX_LINE_BYTES } from './scan-defaults.js';

const HEAD_BYTES = 64 * 1024;
const NL = 0x0a;

/** Validated options of `parse`. */
export interface ParseOptions extends FormatOptions {
  readonly summary: boolean;
  /** How directories are walked (`--glob`, `--hidden`, `--max-depth`), as in `scan`. */
  readonly walk?: WalkOptions;
}

/** The document printed for one line at `offset` of `path`. */
export function parsedDocument(
  parser: InputParser | undefined,
  path: string,
  offset: number,
  text: string,
): Record<string, unknown> | undefined {
  const log = { file: { path }, offset };
  const parsed = parser?.parseNext(text);
  if (parsed) {
    const ev = parser?.eventOf(parsed);
    const { event, log: parsedLog, ...fields } = parsed.fields as Record<string, unknown> & {
      event?: Record<string, unknown>;
      log?: Record<string, unknown>;
    };
    return {
      ...(parsed.timestamp ? { '@timestamp': parsed.timestamp } : {}),
      event: { ...event, kind: 'event', dataset: ev?.dataset, original: text },
      log: { ...parsedLog, ...log },
      ...fields,
    };
  }
  return {
    event: { kind: 'pipeline_error', ...(parser ? { dataset: parser.format.dataset } : {}), original: text },
    log,
    error: { message: parser ? `line does not parse as ${parser.format.name}` : 'no known log format' },
  };
}

/** Prints one document per record of a Records input (its compact JSON as `event.original`); counts them. */
async function printRecords(
  records: RecordsInput,
  path: string,
  chunks: AsyncIterable<Buffer>,
  sink: JsonlSink,
): Promise<{ count: number; bad: number }> {
  let count = 0;
  let bad = 0;
  let docs: Record<string, unknown>[] = [];
  for await (const record of readRecords(lineBlocks(chunks, { maxLineBytes: DEFAULT_MAX_LINE_BYTES }))) {
    count++;
    const doc = parsedDocument(records.parser, path, record.offset, JSON.stringify(record.value)) as Record<string, unknown>;
    if ((doc.event as Record<string, unknown>).kind === 'pipeline_error') bad++;
    docs.push(doc);
    if (docs.length >= 256) {
      await sink.write(docs as never[]);
      docs = [];
      if (sink.gone) return { count, bad };
    }
  }
  await sink.write(docs as never[]);
  return { count, bad };
}

/** Runs `parse`; returns the exit code. */
export async function runParse(paths: readonly string[], options: ParseOptions, reporter: Reporter): Promise<number> {
  const sink = JsonlSink.stdout();
  let errors = 0;
  let unparsed = 0;
  // stdout redirected into an input (`parse logs > logs/out.jsonl`): never read it.
  const stdoutFile = stdoutIdentity();
  const named = new Set(paths.length === 0 ? ['-'] : paths);
  try {
    for await (const entry of expandPaths(paths, options.walk ?? {})) {
      if ('error' in entry) {
        errors++;
        reporter.error(entry.error.message);
        continue;
      }
      if (stdoutFile && outputIsInput(entry.path, [stdoutFile])) {
        if (named.has(entry.path)) {
          errors++;
          reporter.error(`${entry.path}: input file is also the output (stdout); not read`);
        } else reporter.warn(`${entry.path}: skipped: it is the output (stdout)`);
        continue;
      }
      try {
        const input = await openInput(entry.path, { onWarning: (m) => reporter.warn(m) });
        const peeked = await peek(input.chunks, HEAD_BYTES + 1);
        const head: HeadOfInput = {
          path: entry.path,
          head: peeked.head.subarray(0, HEAD_BYTES),
          complete: peeked.head.length <= HEAD_BYTES,
          ...(input.identity ? { mtimeMs: input.identity.mtimeMs } : {}),
        };
        const records = openRecords(head, options);
        if (records) {
          const { count, bad } = await printRecords(records, entry.path, peeked.chunks, sink);
          // stdout closed (`| head`): the status of what was printed, as scan does.
          if (sink.gone) return errors > 0 ? 2 : unparsed + bad > 0 ? 1 : 0;
          unparsed += bad;
          if (options.summary) {
            reporter.info(`${entry.path}: ${records.parser.format.name} Records file; ${count} record(s)` + (bad > 0 ? `, ${bad} not parsed` : ', all parsed'));
          }
          continue;
        }
        const parser = openFormat(head, options);
        let lines = 0;
        let bad = 0;
        let headers = 0;
        for await (const block of lineBlocks(peeked.chunks, { maxLineBytes: DEFAULT_MAX_LINE_BYTES })) {
          const docs: Record<string, unknown>[] = [];
          let start = 0;
          const buf = block.buf;
          while (start < buf.length) {
            let end = buf.indexOf(NL, start);
            if (end < 0) end = buf.length;
            let contentEnd = end;
            if (contentEnd > start && buf[contentEnd - 1] === 0x0d) contentEnd--;
            const { text } = decodeLine(buf.subarray(start, contentEnd));
            const offset = block.offset + start;
            start = end + 1;
            if (text.trim() === '') continue;
            lines++;
            if (parser?.isHeader(text)) {
              headers++;
              continue;
            }
            const doc = parsedDocument(parser, entry.path, offset, text) as Record<string, unknown>;
            if ((doc.event as Record<string, unknown>).kind === 'pipeline_error') bad++;
            docs.push(doc);
          }
          block.release?.();
          await sink.write(docs as never[]);
          if (sink.gone) return errors > 0 ? 2 : unparsed + bad > 0 ? 1 : 0;
        }
        unparsed += bad;
        if (options.summary) {
          reporter.info(
            `${entry.path}: ${parser ? parser.format.name : 'no known format'}; ${lines} line(s)` +
              (headers > 0 ? `, ${headers} header line(s)` : '') +
              (bad > 0 ? `, ${bad} not parsed` : ', all parsed'),
          );
        }
      } catch (err) {
        errors++;
        reporter.error(err instanceof IochuntError ? err.message : `${entry.path}: ${describeError(err)}`);
      }
    }
  } finally {
    await sink.close();
  }
  if (errors > 0) return 2;
  return unparsed > 0 ? 1 : 0;
}
