/**
 * Access to the shared sample logs (read in place, never copied) and helpers
 * to check `iochunt parse` output against them.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { runCli, type CliResult } from './cli.js';

export const SAMPLES = fileURLToPath(new URL('../../../shared/samples/', import.meta.url));

/** Absolute path of a sample (`beats/apache-access/test.log`). */
export function sample(rel: string): string {
  return join(SAMPLES, rel);
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
