/**
 * Peak memory does not grow with the length of newline-free input: a
 * multi-GiB stream of NUL bytes through a pipe (one endless "line") is
 * scanned in --max-line-bytes pieces with memory bounded by the block size,
 * the line cap and the thread count. Peak RSS is the child's own
 * getrusage(2) maximum, printed at exit by a preload module.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { appendFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { CLI, runShell } from './helpers/cli.js';
import { tmpDir } from './helpers/tmp.js';

const t = tmpDir();
afterAll(() => rmSync(t.dir, { recursive: true, force: true }));
const feed = t.write('feed.txt', '10.1.2.3\nevil.example\n');
const preload = t.write('maxrss.mjs', "process.on('exit', () => process.stderr.write(`maxrss-kib=${process.resourceUsage().maxRSS}\\n`));\n");
const MiB = 1024;

/** Runs `scan ARGS` (stdin from `input`, a shell command, when given); returns the child's peak RSS. */
function peakKib(input: string | undefined, args: string): { kib: number; stderr: string; status: number | null } {
  const r = runShell(`${input ? `${input} | ` : ''}node --import ${pathToFileURL(preload).href} ${CLI} scan -q --no-cache -i ${feed} ${args}`);
  const m = /maxrss-kib=(\d+)/.exec(r.stderr);
  return { kib: m ? Number(m[1]) : Number.NaN, stderr: r.stderr, status: r.status };
}

describe('memory on newline-free input', () => {
  it('2 GiB of NUL bytes through a pipe: peak RSS stays under 512 MiB (it was 2.2 GB)', () => {
    const r = peakKib('head -c 2G /dev/zero', '--threads 2');
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/line at offset 0 is longer than --max-line-bytes 16777216/);
    expect(r.kib).toBeGreaterThan(0);
    expect(r.kib).toBeLessThan(512 * MiB);
  }, 120_000);

  it('a 1 GiB sparse file (it was 1.1 GB): bounded too, and a hit after the zeros is still found', () => {
    const sparse = t.path('sparse.log');
    writeFileSync(sparse, '');
    truncateSync(sparse, 1024 ** 3);
    appendFileSync(sparse, '\nafter 10.1.2.3\n');
    const r = peakKib(undefined, `--threads 1 ${sparse}`);
    expect(r.status).toBe(0);
    expect(r.kib).toBeGreaterThan(0);
    expect(r.kib).toBeLessThan(384 * MiB);
    rmSync(sparse);
  }, 120_000);
});
