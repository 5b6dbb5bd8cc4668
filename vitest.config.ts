import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // One workflow bundle for the whole run: every worker the tests start would otherwise bundle workflows/ (~3 s each, ~20 starts).
    globalSetup: ['test/helpers/workflow-bundle.ts'],
    testTimeout: 240_000, // a whole retrain through Temporal on a shared 2-core machine
    hookTimeout: 180_000,
    // Integration tests share one Temporal server and one Redis; files run one at a time.
    fileParallelism: false,
    pool: 'forks',
    reporters: ['default'],
  },
});
