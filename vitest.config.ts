import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['packages/*/src/**/*.test.ts', 'test/**/*.test.ts'],
    // Tests start worker threads; the machines have 2 cores, so files run with bounded parallelism.
    pool: 'forks',
    poolOptions: { forks: { maxForks: 2, minForks: 1 } },
    testTimeout: 60_000,
    hookTimeout: 60_000,
    teardownTimeout: 10_000,
    // CI reads the JSON report (see .ci/run); people read the default reporter.
    reporters: ['default', ['json', { outputFile: '.vitest-report.json' }]],
  },
});
