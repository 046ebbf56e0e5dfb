import { describe, expect, it } from 'vitest';
import { check, expectHonestPass, faultDescribe, FULL_MATRIX_HINT, matrixCases, runFaultSuite } from '../test/support/suites/faults.js';
import { RECEIVER_OUTAGE_UPSTREAM } from './receiver-outage.js';
import { attachToReport } from '../test/support/suites/clusters.js';

// One version per runtime by default: the fault suites rotate versions (suites/README.md); AMCHAOS_FAULT_MATRIX=full runs all.
const matrix = await matrixCases({ netns: ['0.28.1'], process: ['0.25.0'] });

faultDescribe(`suite receiver-outage (real Alertmanager clusters; ${FULL_MATRIX_HINT})`, () => {
  for (const { runtime, cases } of matrix) {
    describe(`${runtime} runtime`, () => {
      for (const c of cases) {
        it.skipIf(c.skip !== undefined)(`${c.label}: a receiver failing longer than the peer timeout makes every position retry; duplicates counted, none lost${c.skip ? ` — skipped: ${c.skip}` : ''}`, { timeout: 240_000 }, async ({ task }) => {
          const result = await runFaultSuite(`receiver-outage-${runtime}-${c.label}`, 'receiver-outage', c.versions, runtime);
          attachToReport(task, result);
          const s = result.summary.scenarios[0]!;
          // exactly-once and validity may fail only as expected: every failing item inside the
          // receiver faults plus the retry tail (a position still retrying its old firing delivers
          // it after the resolution — measured on 0.25.0, 0.28.1, 0.33.1 and tsam).
          expectHonestPass(s, ['exactly-once', 'validity']);
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
          // The upstream behaviour is reproduced: after recovery more than one position delivers
          // the outage's groups (every position retried), and the check counted those copies —
          // during the injected fault, or (past the settle margin) as an expected failure whose
          // every copy lies inside the receiver fault plus its retry tail.
          expect(s.figures['duplicatesAfterRecovery']).toBeGreaterThan(0);
          expect(Object.keys(s.figures['deliveredBySenderAfterRecovery'] as Record<string, number>).length).toBeGreaterThan(1);
          expect(Number(eo.figures['duplicatesDuringFaults']) + Number(eo.figures['duplicates'])).toBeGreaterThan(0);
          expect(['pass', 'expected-failure']).toContain(s.outcome);
          const validity = check(s, 'validity');
          if (validity.verdict === 'fail') {
            expect(validity.expectedFailure).toBe(RECEIVER_OUTAGE_UPSTREAM);
            expect(validity.evidence.filter((e) => e.fails).every((e) => e.explainedBy?.behaviour === 'receiver-outage')).toBe(true);
          }
        });
      }
    });
  }
});
