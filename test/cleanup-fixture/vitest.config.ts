/**
 * Configuration of the small run that test/temp-cleanup.test.ts starts: two
 * ordinary test files and one that fails and times out on purpose, with the
 * suite's global setup and cleanup. Not part of `npm test` itself.
 */
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  root: fileURLToPath(new URL('../..', import.meta.url)),
  test: {
    include: ['test/feed-metadata.test.ts', 'test/input-gzip.test.ts', 'test/cleanup-fixture/fails.check.ts'],
    testTimeout: 60_000,
    pool: 'forks',
    globalSetup: ['test/helpers/es-global-setup.ts'],
    setupFiles: ['test/helpers/cleanup.ts'],
  },
});
