import { defineConfig } from 'vitest/config';

// Unit tests sit beside the code (src/**/*.test.ts); cluster suites live in suites/.
// Cluster suites start real processes on a 2-core machine: files run one at a time, tests inside a
// file decide their own concurrency (describe.concurrent, bounded by maxConcurrency). The amchaos
// reporter gathers the suites' scenarios into one run directory under reports/ (index.html,
// junit.xml, summary.json), as `amchaos run` writes.
export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'suites/**/*.test.ts', 'bench/**/*.test.ts', 'test/**/*.test.ts', 'examples/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    fileParallelism: false,
    // Suites whose tests are independent clusters mark their describe blocks concurrent: those tests
    // mostly wait on Alertmanager's timers. Three at once keeps a 2-core machine responsive enough
    // that no node misses a gossip deadline (peer timeout 2 s) for want of CPU.
    maxConcurrency: 3,
    pool: 'forks',
    reporters: ['default', ['./src/report/vitest-reporter.ts', { reportsDir: 'reports' }]],
  },
});
