import { describe, expect, it } from 'vitest';
import { check, expectHonestPass, faultVersions, runFaultSuite, runtimeCases } from './fault-testing.js';
import { attachToReport, REAL_VERSIONS } from './testing.js';

const cases = await runtimeCases(faultVersions(REAL_VERSIONS).map((v) => [v, v, v]), 'netns');

describe('suite split-brain (real Alertmanager clusters, netns runtime)', () => {
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
