import { describe, expect, it } from 'vitest';
import { check, expectHonestPass, FULL_MATRIX_HINT, matrixCases, runFaultSuite } from '../test/support/suites/faults.js';
import type { LatencyProbe } from '../src/summary/figures.js';
import { LATENCY_PROBES } from './latency-sweep.js';
import { attachToReport } from '../test/support/suites/clusters.js';

// One version by default: the fault suites rotate versions (suites/README.md); AMCHAOS_FAULT_MATRIX=full runs all.
const { cases } = (await matrixCases({ netns: ['0.25.0'] }))[0]!;

describe(`suite latency-sweep (real Alertmanager clusters, netns runtime; ${FULL_MATRIX_HINT})`, () => {
  for (const c of cases) {
    it.skipIf(c.skip !== undefined)(`${c.label}: bisecting gossip latency finds where duplicates start, relative to the peer timeout; none lost${c.skip ? ` — skipped: ${c.skip}` : ''}`, { timeout: 300_000 }, async ({ task }) => {
      const result = await runFaultSuite(`latency-sweep-${c.label}`, 'latency-sweep', c.versions, 'netns');
      attachToReport(task, result);
      const s = result.summary.scenarios[0]!;
      expectHonestPass(s);
      expect(check(s, 'no-loss').figures['firingObligations']).toBeGreaterThan(0);
      const probes = s.figures['latencySweep'] as LatencyProbe[];
      const pt = s.timers.peerTimeoutMs;
      expect(probes.length).toBe(LATENCY_PROBES);
      for (const p of probes) expect(p.latencyMs).toBeGreaterThanOrEqual(0), expect(p.latencyMs).toBeLessThanOrEqual(2 * pt);
      // Both sides of the boundary were seen: some probe without duplicates, some with.
      expect(probes.some((p) => p.duplicates === 0)).toBe(true);
      expect(probes.some((p) => p.duplicates > 0)).toBe(true);
      const threshold = s.figures['latencyThresholdMs'] as number;
      expect(threshold).toBe(Math.min(...probes.filter((p) => p.duplicates > 0).map((p) => p.latencyMs)));
      const [below] = s.figures['latencyThresholdBracketMs'] as [number, number];
      expect(probes.find((p) => p.latencyMs === below)?.duplicates ?? 0).toBe(0);
    });
  }
});
