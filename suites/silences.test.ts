import { describe, expect, it } from 'vitest';
import { attachToReport, clusterCases, MIXED, REAL_VERSIONS, runForTest } from '../test/support/suites/clusters.js';

const cases = await clusterCases([...REAL_VERSIONS.map((v) => [v, v, v]), MIXED]);
const [control] = await clusterCases([['0.33.1', '0.33.1', '0.33.1']]);

// Concurrent: each test is its own cluster on its own ports, and mostly waits on Alertmanager's
// timers; vitest's maxConcurrency (vitest.config.ts) bounds how many run at once.
describe.concurrent('suite silences', () => {
  describe('real Alertmanager clusters, process runtime', () => {
    for (const c of cases) {
      it.skipIf(c.skip !== undefined)(`${c.label}: a silence made on one node reaches every node in time and mutes everywhere${c.skip ? ` — skipped: ${c.skip}` : ''}`, { timeout: 120_000 }, async ({ task }) => {
        const result = await runForTest(`silences-${c.label}`, { suite: 'silences', clusters: [c.versions] });
        attachToReport(task, result);
        const s = result.summary.scenarios[0]!;
        const failing = s.checks.filter((k) => k.verdict !== 'pass').map((k) => `${k.name}: ${k.summary}`);
        expect(failing, `evidence in ${s.id}`).toEqual([]);
        const prop = s.checks.find((k) => k.name === 'silence-propagation')!;
        expect(prop.verdict).toBe('pass');
        expect(s.figures['silencedAlertsNotifiedAfterExpiry']).toBe(s.figures['silencedAlerts']);
      });
    }
  });

  describe('the control', () => {
    it.skipIf(control!.skip !== undefined)(`without peering a silence never reaches the other nodes, and the checker says so${control!.skip ? ` — skipped: ${control!.skip}` : ''}`, { timeout: 120_000 }, async () => {
      const result = await runForTest('silences-no-cluster', { suite: 'silences', clusters: [control!.versions], clustered: false });
      // A control is meant to fail; it stays out of the run's report, which shows the real scenarios.
      const s = result.summary.scenarios[0]!;
      expect(s.error).toBeUndefined();
      const prop = s.checks.find((k) => k.name === 'silence-propagation')!;
      expect(prop.verdict).toBe('fail');
      expect(prop.evidence.length).toBeGreaterThan(0);
    });
  });
});
