/**
 * Temporary directories for tests. Every directory made here is removed when
 * the test file ends (the `afterAll` of test/helpers/cleanup.ts, a vitest
 * setup file), whether its tests passed, failed or timed out, and as a last
 * resort when the worker process exits.
 */
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

const made = new Set<string>();
let exitHook = false;

/** Registers a path (file or directory) for removal when the test file ends. */
export function removeLater(path: string): string {
  made.add(path);
  if (!exitHook) {
    exitHook = true;
    process.once('exit', removeTmpDirs);
  }
  return path;
}

/** Removes every path registered so far (made by {@link tmpDir} or {@link removeLater}). */
export function removeTmpDirs(): void {
  for (const dir of made) {
    rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
    made.delete(dir);
  }
}

/** A fresh temporary directory, removed when the test file ends, with a helper to write files into it. */
export function tmpDir(prefix = 'iochunt-test-') {
  const dir = removeLater(mkdtempSync(join(tmpdir(), prefix)));
  return {
    dir,
    path: (...parts: string[]) => join(dir, ...parts),
    write(name: string, content: string | Uint8Array): string {
      const p = join(dir, name);
      mkdirSync(dirname(p), { recursive: true });
      writeFileSync(p, content);
      return p;
    },
  };
}
