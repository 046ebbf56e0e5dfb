import { describe, expect, it } from 'vitest';
import { check, expectHonestPass, faultDescribe, FULL_MATRIX_HINT, matrixCases, runFaultSuite, runtimeCases } from '../test/support/suites/faults.js';
import { attachToReport } from '../test/support/suites/clusters.js';

// One version by default: the fault suites rotate versions (suites/README.md); AMCHAOS_FAULT_MATRIX=full runs all.
const { cases } = (await matrixCases({ netns: ['0.33.1'] }))[0]!;
const [control] = await runtimeCases([['tsam:no-dedup', 'tsam:no-dedup', 'tsam:no-dedup']], 'netns');

// The scenario and its control run side by side (separate clusters; see test/support/suites/faults.ts).
faultDescribe(`suite split-brain (${FULL_MATRIX_HINT})`, () => {
  describe('real Alertmanager clusters, netns runtime', () => {
    for (const c of cases) {
      it.skipIf(c.skip !== undefined)(`${c.label}: an isolated node makes one notification per side (counted), none lost; after heal silences converge and nothing is duplicated${c.skip ? ` — skipped: ${c.skip}` : ''}`, { timeout: 240_000 }, async ({ task }) => {
        const result = await runFaultSuite(`split-brain-${c.label}`, 'split-brain', c.versions, 'netns');
        attachToReport(task, result);
        const s = result.summary.scenarios[0]!;
        expectHonestPass(s);
        // The partition was real: each side declared the other dead, and silences did not cross it.
        expect(s.figures['isolatedDeclaredDeadAfterMs']).toBeGreaterThan(0);
        expect(s.figures['silencesCrossedPartition']).toEqual([]);
        // Split brain reproduced: both sides notified, so there were duplicates, and at most k copies.
        expect(s.figures['duplicatesDuringPartition']).toBeGreaterThan(0);
        const amk = check(s, 'at-most-k');
        expect(amk.figures['duplicatesDuringPartitions']).toBeGreaterThan(0);
        expect(amk.figures['withinSideDuplicates']).toBe(0);
        // After heal: one notification per transition, judged on healthy-time transitions.
        expect(s.figures['duplicatesAfterHeal']).toBe(0);
        expect(s.figures['transitionsAfterHeal']).toBeGreaterThan(0);
        expect(check(s, 'exactly-once').figures['healthyTransitions']).toBeGreaterThan(0);
        expect(check(s, 'convergence').verdict).toBe('pass');
      });
    }
  });

  describe('the control', () => {
    it.skipIf(control!.skip !== undefined)(`nodes that do not dedup send twice on the majority side: at-most-k and exactly-once must fail with evidence${control!.skip ? ` — skipped: ${control!.skip}` : ''}`, { timeout: 240_000 }, async () => {
      // A control is meant to fail; it stays out of the run's report, which shows the real scenarios.
      const result = await runFaultSuite('split-brain-control-no-dedup', 'split-brain', control!.versions, 'netns');
      const s = result.summary.scenarios[0]!;
      expect(s.error).toBeUndefined();
      expect(s.verdict).toBe('fail');
      expect(s.expectedFailure).toBeUndefined();
      const amk = check(s, 'at-most-k');
      expect(amk.verdict).toBe('fail');
      expect(amk.figures['withinSideDuplicates']).toBeGreaterThan(0);
      expect(amk.evidence.length).toBeGreaterThan(0);
      const eo = check(s, 'exactly-once');
      expect(eo.verdict).toBe('fail');
      expect(eo.figures['duplicates']).toBeGreaterThan(0);
      expect(s.figures['duplicatesAfterHeal']).toBeGreaterThan(0);
      // It fails for duplicates only: nothing was lost and the cluster still converged.
      expect(check(s, 'no-loss').verdict).toBe('pass');
      expect(check(s, 'convergence').verdict).toBe('pass');
    });
  });
});
