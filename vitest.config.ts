import { defineConfig } from 'vitest/config';

/**
 * Tests that time a real process against a deadline ("exits within 10 s", "answers within the lock TTL").
 * They run after the rest of the suite, one file at a time, so the other test files' CPU load on a small
 * machine does not decide their result.
 */
const TIMED = [
  'test/faults/start-stop.test.ts',
  'test/faults/two-processes.test.ts',
  'test/faults/sweeper-process.test.ts',
  'test/faults/draining.test.ts',
  'test/ops/poller-election.test.ts',
];

export default defineConfig({
  test: {
    globalSetup: ['test/helpers/redis-global-setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: 'forks',
    // .ci/run asks for a machine-readable summary; people get the default output only.
    reporters: process.env.LOCKSTEP_TEST_RESULTS
      ? ['default', ['json', { outputFile: process.env.LOCKSTEP_TEST_RESULTS }]]
      : ['default'],
    projects: [
      {
        extends: true,
        test: { name: 'suite', include: ['test/**/*.test.ts'], exclude: TIMED, sequence: { groupOrder: 0 } },
      },
      {
        extends: true,
        test: { name: 'timed', include: TIMED, fileParallelism: false, sequence: { groupOrder: 1 } },
      },
    ],
  },
});
