import { resolve } from 'node:path';
import { expect, test as base } from 'vitest';
import type { CheckResult, Verdict } from '../checkers/types.js';
import { startCluster, type Cluster, type StartClusterOptions } from '../library/cluster.js';
import type { AmchaosTaskMeta } from '../report/vitest-reporter.js';
import '../report/vitest-reporter.js';

/**
 * amchaos for vitest users: a fixture that starts clusters for a test and stops them when it ends
 * (also when it fails), and matchers for check results.
 *
 *     import { test, expect } from 'amchaos/vitest';
 *
 *     test('my config dedups', async ({ amchaos }) => {
 *       const cluster = await amchaos.startCluster({ versions: ['0.33.1', '0.33.1', '0.33.1'], config: 'am.yml' });
 *       await cluster.fire([{ alertname: 'DiskFull' }]);
 *       expect(await cluster.check('exactly-once')).toHaveVerdict('pass');
 *     });
 *
 * With the amchaos vitest reporter configured, each test's cluster appears in the run's report.
 */

export interface AmchaosFixture {
  /** startCluster, stopped for you when the test ends; named after the test unless you name it. */
  startCluster(options: StartClusterOptions): Promise<Cluster>;
}

export const test = base.extend<{ amchaos: AmchaosFixture }>({
  amchaos: async ({ task }, use) => {
    const clusters: Cluster[] = [];
    await use({
      async startCluster(options) {
        const cluster = await startCluster({ name: task.name.replace(/[^A-Za-z0-9._+-]+/g, '-').slice(0, 60), ...options });
        clusters.push(cluster);
        return cluster;
      },
    });
    for (const cluster of clusters) {
      const summary = await cluster.stop();
      const scenario = summary.scenarios[0];
      // The first cluster of a test goes into the run's report (the reporter's contract).
      if (scenario && task.meta.amchaos === undefined) {
        const meta: AmchaosTaskMeta = { scenario, historyFile: resolve(cluster.runDir, 'history.jsonl'), runDir: cluster.runDir };
        task.meta.amchaos = meta;
      }
    }
  },
});

function describeFailure(r: CheckResult): string {
  const ev = r.evidence.filter((e) => e.fails).slice(0, 3).map((e) => `  - ${e.message}`);
  return `${r.name}: ${r.verdict} — ${r.summary}${ev.length ? `\n${ev.join('\n')}` : ''}`;
}

/** Matchers for CheckResult (what cluster.check() returns). */
export const amchaosMatchers = {
  toHaveVerdict(received: CheckResult, verdict: Verdict) {
    const ok = received?.verdict === verdict;
    return {
      pass: ok,
      message: () => (ok ? `expected ${received.name} not to be ${verdict}` : `expected ${received?.name ?? 'a check result'} to be ${verdict}, got ${describeFailure(received)}`),
      actual: received?.verdict,
      expected: verdict,
    };
  },
};

expect.extend(amchaosMatchers);

declare module 'vitest' {
  interface Assertion<T = any> {
    /** The check result's verdict is `verdict` (the failure message lists its summary and evidence). */
    toHaveVerdict(verdict: Verdict): T;
  }
  interface AsymmetricMatchersContaining {
    toHaveVerdict(verdict: Verdict): unknown;
  }
}

export { expect };
export type { Cluster, StartClusterOptions };
