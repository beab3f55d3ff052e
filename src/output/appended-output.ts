/**
 * The JSON Lines output of the commands that run again and again on the same
 * files (`sweep`, `tail`): appended to, never truncated, and never one of
 * the inputs (its identity, stdout's when it is a file, and the dead-letter
 * file are handed to the file listing, which skips them).
 */
import { JsonlSink } from './jsonl-sink.js';
import { openOutputFile, stdoutIdentity, type OutputIdentity } from './output-file.js';
import type { HitSink } from './sink.js';

/** The JSONL sink (undefined when hits go only to Elasticsearch) and the files no input may be. */
export interface AppendedOutput {
  readonly jsonl?: HitSink;
  readonly outputs: readonly OutputIdentity[];
}

/**
 * Opens `output` for appending (`-` or undefined: stdout, unless
 * `deadLetter` says hits go to Elasticsearch only). Throws `E_OUTPUT` when a
 * file named in `named` (PATHs, feeds, allowlists) is the output.
 */
export function openAppendedOutput(output: string | undefined, named: readonly string[], deadLetter: string | undefined): AppendedOutput {
  const toFile = output !== undefined && output !== '-';
  const opened = toFile ? openOutputFile(output, named, { append: true }) : undefined;
  const toStdout = !opened && (output === '-' || deadLetter === undefined);
  const outputs: OutputIdentity[] = [];
  if (opened) outputs.push(opened.identity);
  const stdoutFile = toStdout ? stdoutIdentity() : undefined;
  if (stdoutFile) outputs.push(stdoutFile);
  if (deadLetter !== undefined) outputs.push({ path: deadLetter, label: `the dead-letter file ${deadLetter}` });
  const jsonl = opened ? JsonlSink.fd(opened.fd, output as string) : toStdout ? JsonlSink.stdout() : undefined;
  return { ...(jsonl ? { jsonl } : {}), outputs };
}
