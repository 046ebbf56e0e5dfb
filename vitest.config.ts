import { defineConfig } from 'vitest/config';

// Unit tests sit beside the code (src/**/*.test.ts); cluster suites live in suites/.
// Cluster suites start real processes on a 2-core machine: files run one at a time, tests inside a
// file decide their own concurrency. The amchaos reporter gathers the suites' scenarios into one
// run directory under reports/ (index.html, junit.xml, summary.json), as `amchaos run` writes.
export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'suites/**/*.test.ts', 'bench/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    fileParallelism: false,
    pool: 'forks',
    reporters: ['default', ['./src/report/vitest-reporter.ts', { reportsDir: 'reports' }]],
  },
});
