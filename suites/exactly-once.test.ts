import { describe, expect, it } from 'vitest';
import { attachToReport, clusterCases, MIXED, REAL_VERSIONS, runForTest } from '../test/support/suites/clusters.js';

const cases = await clusterCases([...REAL_VERSIONS.map((v) => [v, v, v]), MIXED]);

// Concurrent: each test is its own cluster on its own ports, and mostly waits on Alertmanager's
// timers; vitest's maxConcurrency (vitest.config.ts) bounds how many run at once.
describe.concurrent('suite exactly-once (real Alertmanager clusters, process runtime)', () => {
  for (const c of cases) {
    it.skipIf(c.skip !== undefined)(`${c.label}: identical alerts to every node are notified exactly once, none lost${c.skip ? ` — skipped: ${c.skip}` : ''}`, { timeout: 120_000 }, async ({ task }) => {
      const result = await runForTest(`exactly-once-${c.label}`, { suite: 'exactly-once', clusters: [c.versions] });
      attachToReport(task, result);
    const { summary } = result;
      const s = summary.scenarios[0]!;
      const failing = s.checks.filter((k) => k.verdict !== 'pass').map((k) => `${k.name}: ${k.summary}`);
      expect(failing, `evidence in ${s.id}`).toEqual([]);
      expect(s.verdict).toBe('pass');
      expect(s.checks.find((k) => k.name === 'exactly-once')!.figures['transitions']).toBeGreaterThan(0);
    });
  }

  const control = cases.find((c) => c.versions[0] === '0.33.1')!;
  it.skipIf(control.skip !== undefined)(`the control: the same nodes without peering send duplicates, and the checker reports them${control.skip ? ` — skipped: ${control.skip}` : ''}`, { timeout: 120_000 }, async () => {
    const result = await runForTest('exactly-once-no-cluster', { suite: 'exactly-once', clusters: [control.versions], clustered: false });
    // A control is meant to fail; it stays out of the run's report, which shows the real scenarios.
    const { summary } = result;
    const s = summary.scenarios[0]!;
    expect(summary.verdict).toBe('fail');
    const eo = s.checks.find((k) => k.name === 'exactly-once')!;
    expect(eo.verdict).toBe('fail');
    expect(eo.figures['duplicates']).toBeGreaterThan(0);
    expect(eo.evidence.length).toBeGreaterThan(0);
    // Every node notified on its own: duplicates come from more than one sender.
    const senders = new Set(eo.evidence.flatMap((e) => ((e.data?.['copies'] as { sender?: string }[] | undefined) ?? []).map((c) => c.sender)));
    expect(senders.size).toBeGreaterThan(1);
    // Nothing was lost: the control fails for duplicates only.
    expect(s.checks.find((k) => k.name === 'no-loss')!.verdict).toBe('pass');
  });
});
