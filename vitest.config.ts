import { defineConfig } from 'vitest/config';

// Unit tests sit beside the code (src/**/*.test.ts); cluster suites live in suites/.
//
// The machine has 2 cores, and a cluster test mostly waits on Alertmanager's timers (a group
// interval, a death detection): two test files run side by side, and tests inside a file decide
// their own concurrency (describe.concurrent, bounded by maxConcurrency: three clusters at once).
// A few files must not share the machine: they rebuild or pack the project (install), load it on
// purpose (gossip-load), or measure a timing threshold that CPU contention would move
// (latency-sweep, the 9-node netns scale test). They run alone, one at a time, after the rest
// (sequence.groupOrder). The amchaos reporter gathers the suites' scenarios into one run directory
// under reports/ (index.html, junit.xml, summary.json), as `amchaos run` writes.
const ALONE = ['src/cli/install.test.ts', 'suites/gossip-load.test.ts', 'suites/latency-sweep.test.ts', 'src/runtime/netns/netns-scale.test.ts'];

export default defineConfig({
  test: {
    testTimeout: 60_000,
    hookTimeout: 120_000,
    maxConcurrency: 3,
    pool: 'forks',
    reporters: ['default', ['./src/report/vitest-reporter.ts', { reportsDir: 'reports' }]],
    projects: [
      {
        extends: true,
        test: {
          name: 'shared',
          include: ['src/**/*.test.ts', 'suites/**/*.test.ts', 'bench/**/*.test.ts', 'test/**/*.test.ts', 'examples/**/*.test.ts'],
          exclude: ['**/node_modules/**', ...ALONE],
          maxWorkers: 2,
          sequence: { groupOrder: 0 },
        },
      },
      {
        extends: true,
        test: {
          name: 'alone',
          include: ALONE,
          fileParallelism: false,
          sequence: { groupOrder: 1 },
        },
      },
    ],
  },
});
