import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/helpers/redis-global-setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: 'forks',
    // .ci/run asks for a machine-readable summary; people get the default output only.
    reporters: process.env.LOCKSTEP_TEST_RESULTS
      ? ['default', ['json', { outputFile: process.env.LOCKSTEP_TEST_RESULTS }]]
      : ['default'],
  },
});
