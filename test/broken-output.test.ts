/**
 * Disk full and broken pipes, in every command: a reader of stdout that goes
 * away ends the output quietly with the status of what was done (as scan
 * does), and a write that fails (ENOSPC) is one `iochunt: error:` line naming
 * the error, exit 2, never a stack trace.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { existsSync, rmSync } from 'node:fs';
import { CLI, runShell } from './helpers/cli.js';
import { tmpDir } from './helpers/tmp.js';

const t = tmpDir();
afterAll(() => rmSync(t.dir, { recursive: true, force: true }));
const feed = t.write('feed.txt', Array.from({ length: 3000 }, (_, i) => `10.${i >> 8}.${i & 255}.9\nevil${i}.example\n`).join(''));
const log = t.write('a.log', Array.from({ length: 20000 }, (_, i) => `line ${i} from 10.0.${i % 200}.9 to host-${i}\n`).join(''));
const clean = t.write('clean.log', 'nothing here\n'.repeat(5000));
const CACHE = t.path('cache');

const commands: Array<[string, string, number]> = [
  // name, arguments, status when the reader of stdout is gone
  ['scan', `scan --cache-dir ${CACHE} -i ${feed} ${log}`, 0],
  ['scan without hits', `scan --cache-dir ${CACHE} -i ${feed} ${clean}`, 1],
  ['parse', `parse ${log}`, 1],
  ['formats', 'formats', 0],
  ['iocs formats', 'iocs formats', 0],
  ['iocs stats', `iocs stats ${feed}`, 0],
  ['iocs check (covered)', `iocs check 10.0.7.9 -i ${feed}`, 0],
  ['iocs check (not covered)', `iocs check 10.99.7.9 -i ${feed}`, 1],
  ['es setup --print', 'es setup --print', 0],
  ['--help', 'scan --help', 0],
];

const noTrace = (stderr: string) => {
  expect(stderr).not.toMatch(/\n\s+at |node:events|ERR_STREAM|Unhandled/);
};

describe('broken pipe in every command', () => {
  it.each(commands)('%s: the reader went away before the first write', (_name, args, status) => {
    // `true` has exited before iochunt starts: every write gets EPIPE.
    const r = runShell(`( sleep 0.3; node ${CLI} ${args}; echo "status=$?" >&2 ) | true`);
    noTrace(r.stderr);
    expect(r.stderr).not.toMatch(/iochunt: error/);
    expect(r.stderr).toMatch(new RegExp(`status=${status}\\n`));
  });

  it.each([
    ['iocs stats', `iocs stats ${feed}`, 'head -1', 0],
    ['iocs check', `iocs check 10.0.7.9 -i ${feed}`, 'head -0', 0],
    ['formats', 'formats', 'head -1', 0],
    ['parse', `parse ${log}`, 'head -1', 1],
  ])('%s piped into a reader that stops early', (_name, args, head, status) => {
    const r = runShell(`node ${CLI} ${args} | ${head} >/dev/null; echo "status=\${PIPESTATUS[0]}" >&2`);
    noTrace(r.stderr);
    expect(r.stderr).toMatch(new RegExp(`status=${status}\\n`));
  });
});

describe('broken stderr', () => {
  it('a closed stderr does not stop the scan: the hits are written and the status is theirs', () => {
    const out = t.path('hits.jsonl');
    const r = runShell(`( sleep 0.3; node ${CLI} scan --cache-dir ${CACHE} -i ${feed} -o ${out} ${log} 3>&1 1>/dev/null 2>&3; echo "status=$?" >${out}.status ) | true; cat ${out}.status; wc -l < ${out}`);
    expect(r.stdout).toMatch(/^status=0\n\s*20000\n$/);
  });
});

describe.skipIf(!existsSync('/dev/full'))('disk full in every command', () => {
  it('scan -o /dev/full names ENOSPC and exits 2', () => {
    const r = runShell(`node ${CLI} scan -q --cache-dir ${CACHE} -i ${feed} -o /dev/full ${log}`);
    expect(r.status).toBe(2);
    noTrace(r.stderr);
    expect(r.stderr).toBe('iochunt: error: cannot write hits to /dev/full: ENOSPC: no space left on device\n');
  });

  it.each(commands.filter(([name]) => name !== 'scan without hits' && !name.includes('not covered')))('%s > /dev/full', (_name, args) => {
    const r = runShell(`node ${CLI} ${args} > /dev/full`);
    expect(r.status).toBe(2);
    noTrace(r.stderr);
    expect(r.stderr).toMatch(/^iochunt: error: cannot write (hits )?to stdout: ENOSPC: no space left on device$/m);
  });
});
