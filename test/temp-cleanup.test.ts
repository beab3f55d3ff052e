/**
 * Tests leave nothing behind: a small run of the suite (two ordinary files and
 * one that fails and times out on purpose while CLI runs wait on their stdin)
 * with TMPDIR pointed at a fresh folder leaves that folder empty and no CLI
 * process running.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from './helpers/cli.js';
import { tmpDir } from './helpers/tmp.js';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('test cleanup', () => {
  it('leaves the temp dir empty and no process running, also after failed and timed-out tests', async () => {
    const t = tmpDir();
    const fresh = t.path('tmp');
    mkdirSync(fresh);
    const pids = t.path('pids');
    // The inner run is a separate vitest: none of this run's VITEST_* variables.
    const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('VITEST') && k !== 'NODE_OPTIONS'));
    const run = spawn(process.execPath, [join(ROOT, 'node_modules/vitest/vitest.mjs'), 'run', '--config', 'test/cleanup-fixture/vitest.config.ts'], {
      cwd: ROOT,
      env: { ...env, TMPDIR: fresh, IOCHUNT_TEST_ES: 'skip', IOCHUNT_CLEANUP_PIDS: pids, NO_COLOR: '1', CI: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    run.stdout.on('data', (d: Buffer) => (out += d.toString()));
    run.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const code = await new Promise<number | null>((resolve) => run.on('close', resolve));
    // The run did what it should: the ordinary files passed, the fixture's two tests failed.
    expect(out).toMatch(/Test Files +1 failed \| 2 passed/);
    expect(out).toMatch(/failing on purpose/);
    expect(out).toMatch(/Test timed out in 1500ms/);
    expect(code).toBe(1);
    expect(readdirSync(fresh)).toEqual([]);
    const left = readFileSync(pids, 'utf8').trim().split('\n').map(Number);
    expect(left.length).toBe(2);
    expect(left.filter(alive)).toEqual([]);
    expect(existsSync(fresh)).toBe(true);
  }, 300_000);
});
