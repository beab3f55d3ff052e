/**
 * Vitest setup file (runs in each test file's context): when the file ends,
 * whether its tests passed or not, stops the CLI runs still going and removes
 * the temporary directories the tests made.
 */
import { afterAll } from 'vitest';
import { stopBackgroundClis } from './cli.js';
import { removeTmpDirs } from './tmp.js';

afterAll(async () => {
  await stopBackgroundClis();
  removeTmpDirs();
});
