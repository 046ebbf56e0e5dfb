import { describe, expect, it } from 'vitest';
import { check, expectHonestPass, FULL_MATRIX_HINT, matrixCases, runFaultSuite } from '../test/support/suites/faults.js';
import { attachToReport } from '../test/support/suites/clusters.js';
import { UDP_CUT_UPSTREAM } from './udp-cut.js';

// One version by default: the fault suites rotate versions (suites/README.md); AMCHAOS_FAULT_MATRIX=full runs all.
const { cases } = (await matrixCases({ netns: ['0.28.1'] }))[0]!;

describe(`suite udp-cut (real Alertmanager clusters, netns runtime; ${FULL_MATRIX_HINT})`, () => {
  for (const c of cases) {
    it.skipIf(c.skip !== undefined)(`${c.label}: with UDP cut between all peers status stays ready with all peers, duplicates follow and are counted, none lost${c.skip ? ` — skipped: ${c.skip}` : ''}`, { timeout: 240_000 }, async ({ task }) => {
      const result = await runFaultSuite(`udp-cut-${c.label}`, 'udp-cut', c.versions, 'netns');
      attachToReport(task, result);
      const s = result.summary.scenarios[0]!;
      // exactly-once may fail only as the known upstream behaviour (see suites/udp-cut.ts).
      expectHonestPass(s, ['exactly-once']);
      const eo = check(s, 'exactly-once');
      if (eo.verdict === 'fail') expect(eo.expectedFailure).toBe(UDP_CUT_UPSTREAM);
      expect(eo.figures['healthyTransitions']).toBeGreaterThan(0);
      // The in-suite control: with UDP working the same cluster notifies once.
      expect(s.figures['duplicatesBaseline']).toBe(0);
      // What users see: ready with every peer, all through the cut...
      expect(s.figures['readyWithAllPeersDuringUdpCut']).toBe(true);
      // ...while nflog gossip is lost and later positions notify again.
      expect(s.figures['duplicatesDuringUdpCut']).toBeGreaterThan(0);
      const noLoss = check(s, 'no-loss');
      expect(noLoss.verdict).toBe('pass');
      expect(noLoss.figures['firingObligations']).toBeGreaterThan(0);
    });
  }
});
