import { describe, expect, it } from 'vitest';
import { attachToReport, clusterCases, MIXED, REAL_VERSIONS, runForTest } from './testing.js';

const cases = await clusterCases([...REAL_VERSIONS.map((v) => [v, v, v]), MIXED]);

describe('suite silences (real Alertmanager clusters, process runtime)', () => {
  for (const c of cases) {
    it.skipIf(c.skip !== undefined)(`${c.label}: a silence made on one node reaches every node in time and mutes everywhere${c.skip ? ` — skipped: ${c.skip}` : ''}`, { timeout: 120_000 }, async ({ task }) => {
      const result = await runForTest(`silences-${c.label}`, { suite: 'silences', clusters: [c.versions] });
      attachToReport(task, result);
      const { summary } = result;
      const s = summary.scenarios[0]!;
      const failing = s.checks.filter((k) => k.verdict !== 'pass').map((k) => `${k.name}: ${k.summary}`);
      expect(failing, `evidence in ${s.id}`).toEqual([]);
      const prop = s.checks.find((k) => k.name === 'silence-propagation')!;
      expect(prop.verdict).toBe('pass');
      expect(s.figures['silencedAlertsNotifiedAfterExpiry']).toBe(s.figures['silencedAlerts']);
    });
  }
});

const [control] = await clusterCases([['0.33.1', '0.33.1', '0.33.1']]);

describe('suite silences: the control', () => {
  it.skipIf(control!.skip !== undefined)(`without peering a silence never reaches the other nodes, and the checker says so${control!.skip ? ` — skipped: ${control!.skip}` : ''}`, { timeout: 120_000 }, async () => {
    const result = await runForTest('silences-no-cluster', { suite: 'silences', clusters: [control!.versions], clustered: false });
    // A control is meant to fail; it stays out of the run's report, which shows the real scenarios.
      const { summary } = result;
    expect(summary.scenarios[0]!.error).toBeUndefined();
    const prop = summary.scenarios[0]!.checks.find((k) => k.name === 'silence-propagation')!;
    expect(prop.verdict).toBe('fail');
    expect(prop.evidence.length).toBeGreaterThan(0);
  });
});
