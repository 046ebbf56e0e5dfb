import { describe, expect, it } from 'vitest';
import { check, expectHonestPass, faultVersions, runFaultSuite, runtimeCases } from './fault-testing.js';
import type { RestartPhase } from './restart.js';
import { attachToReport, REAL_VERSIONS } from './testing.js';

for (const runtime of ['netns', 'process'] as const) {
  const cases = await runtimeCases(faultVersions(REAL_VERSIONS).map((v) => [v, v, v]), runtime);
  describe(`suite restart (real Alertmanager clusters, ${runtime} runtime)`, () => {
    for (const c of cases) {
      it.skipIf(c.skip !== undefined)(`${c.label}: kill/restart (storage kept, wiped) and pause past the suspicion timeout lose nothing; re-notifications counted${c.skip ? ` — skipped: ${c.skip}` : ''}`, { timeout: 240_000 }, async ({ task }) => {
        const result = await runFaultSuite(`restart-${runtime}-${c.label}`, 'restart', c.versions, runtime);
        attachToReport(task, result);
        const s = result.summary.scenarios[0]!;
        expectHonestPass(s);
        expect(check(s, 'exactly-once').figures['healthyTransitions']).toBeGreaterThan(0);
        expect(check(s, 'no-loss').figures['firingObligations']).toBeGreaterThan(0);
        const phases = s.figures['restartPhases'] as RestartPhase[];
        expect(phases.map((p) => p.fault)).toEqual([expect.stringMatching(/storage kept/), expect.stringMatching(/storage wiped/), expect.stringMatching(/pause/)]);
        // Every fault healed: the cluster listed all peers again after each.
        for (const p of phases) expect(p.backInMs, p.fault).not.toBeNull();
        // The pause outlasted the suspicion timeout and the others declared the node dead.
        expect(s.figures['pausedDeclaredDead']).toBe(true);
        expect(s.figures['pauseMs']).toBeGreaterThan(s.figures['suspicionTimeoutMs'] as number);
        expect(s.figures['renotifications']).toBe(phases.reduce((a, p) => a + p.renotifications, 0));
      });
    }
  });
}
