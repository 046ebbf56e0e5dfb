import { describe, expect, it } from 'vitest';
import { check, expectHonestPass, faultVersions, runFaultSuite, runtimeCases } from './fault-testing.js';
import { RECEIVER_OUTAGE_UPSTREAM } from './receiver-outage.js';
import { attachToReport, REAL_VERSIONS } from './testing.js';

for (const runtime of ['netns', 'process'] as const) {
  const cases = await runtimeCases(faultVersions(REAL_VERSIONS).map((v) => [v, v, v]), runtime);
  describe(`suite receiver-outage (real Alertmanager clusters, ${runtime} runtime)`, () => {
    for (const c of cases) {
      it.skipIf(c.skip !== undefined)(`${c.label}: a receiver failing longer than the peer timeout makes every position retry; duplicates counted, none lost${c.skip ? ` — skipped: ${c.skip}` : ''}`, { timeout: 240_000 }, async ({ task }) => {
        const result = await runFaultSuite(`receiver-outage-${runtime}-${c.label}`, 'receiver-outage', c.versions, runtime);
        attachToReport(task, result);
        const s = result.summary.scenarios[0]!;
        expectHonestPass(s, ['exactly-once']);
        const eo = check(s, 'exactly-once');
        if (eo.verdict === 'fail') expect(eo.expectedFailure).toBe(RECEIVER_OUTAGE_UPSTREAM);
        expect(eo.figures['healthyTransitions']).toBeGreaterThan(0);
        expect(s.figures['duplicatesBaseline']).toBe(0);
        // The outage reached every position (each made undelivered attempts)...
        expect(s.figures['retryingSenders']).toEqual(s.nodes.map((n) => n.id).sort());
        // ...and nothing was lost: every alert owed a firing notification, and got it.
        const noLoss = check(s, 'no-loss');
        expect(noLoss.verdict).toBe('pass');
        expect(noLoss.figures['firingObligations']).toBeGreaterThan(0);
        expect(s.figures['transitionsAfterRecovery']).toBeGreaterThan(0);
        expect(typeof s.figures['duplicatesAfterRecovery']).toBe('number');
      });
    }
  });
}
