/**
 * Access to the sample logs and feeds the tests read in place, and helpers to
 * check `iochunt parse` output against them. Third-party samples are in
 * fixtures/third-party (origin and licence of each in its SOURCES.md); logs
 * the project wrote itself are in fixtures/logs.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { runCli, type CliResult } from './cli.js';

/** The repository's fixtures folder. */
export const FIXTURES = fileURLToPath(new URL('../../fixtures/', import.meta.url));
/** Third-party samples, copied verbatim (see its SOURCES.md). */
export const SAMPLES = join(FIXTURES, 'third-party/');
/** Logs written by the project (see its README.md). */
export const OWN_LOGS = join(FIXTURES, 'logs/');

/**
 * Absolute path of a sample: `logs/…` names a log the project wrote
 * (fixtures/logs), anything else a third-party sample (`beats/apache-access/test.log`).
 */
export function sample(rel: string): string {
  return rel.startsWith('logs/') ? join(FIXTURES, rel) : join(SAMPLES, rel);
}

/** The non-blank lines of a sample (gunzipped when needed; CR, trailing NULs and BOM removed). */
export function sampleLines(rel: string): string[] {
  let buf = readFileSync(sample(rel));
  if (buf[0] === 0x1f && buf[1] === 0x8b) buf = gunzipSync(buf);
  return buf
    .toString('utf8')
    .replace(/^\uFEFF/, '')
    .split('\n')
    .map((l) => l.replace(/\r$/, '').replace(/\0+$/, ''))
    .filter((l) => l.trim() !== '');
}

/** Reads `a.b.c` from a nested document. */
export function at(doc: unknown, path: string): any {
  let cur: any = doc;
  for (const k of path.split('.')) cur = cur?.[k];
  return cur;
}

/** Runs `iochunt parse ARGS` on samples. */
export function parseSamples(rels: string[], extra: string[] = []): Promise<CliResult> {
  return runCli(['parse', '-q', ...extra, ...rels.map(sample)]);
}

/** The documents of one input in a parse result. */
export function docsOf(result: CliResult, rel: string): Array<Record<string, any>> {
  return result.docs.filter((d) => d.log.file.path === sample(rel));
}
