import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    globalSetup: ['test/helpers/es-global-setup.ts'],
    // Removes each test file's temp dirs and stops its leftover CLI runs, also when tests fail.
    setupFiles: ['test/helpers/cleanup.ts'],
  },
});
