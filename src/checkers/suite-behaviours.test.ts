import { describe, expect, it } from 'vitest';
import type { LabelSet, RouteRecord } from '../history/types.js';
import { historyBuilder } from '../../test/support/checkers/history-builder.js';
import { applyKnownBehaviours, fromInjectedNode, onSuiteRoute, timerOverlap } from './expectations.js';
import { checkValidity } from './validity.js';

/**
 * The two known behaviours the catalogue's suites add: a condition the suite set up on its own
 * route (onSuiteRoute), and one it gave particular nodes (fromInjectedNode). Each explains only its
 * own evidence: the same failure elsewhere stays a failure.
 */

const route = (id: string, phase: string, groupIntervalMs: number): RouteRecord => ({
  id,
  parent: 'root',
  receiver: 'webhook',
  matchers: [`amchaos_phase="${phase}"`],
  continue: false,
  groupBy: ['alertname', 'group'],
  groupWaitMs: 1_000,
  groupIntervalMs,
  repeatIntervalMs: 3_600_000,
});
const ROUTES: RouteRecord[] = [
  { id: 'root', receiver: 'webhook', matchers: [], continue: false, groupBy: ['alertname', 'group'], groupWaitMs: 1_000, groupIntervalMs: 6_000, repeatIntervalMs: 3_600_000 },
  route('root.0', 'flap', 2_333),
  route('root.1', 'other', 2_333),
];
const alert = (phase: string): LabelSet => ({ alertname: 'A', group: `g-${phase}`, amchaos_phase: phase });

/** A stale firing (n3 after n1's resolved) on the route of `phase`. */
function staleOn(phase: string) {
  const a = alert(phase);
  const gl = { alertname: 'A', group: a['group']! };
  return historyBuilder()
    .start({ nodes: 3, routes: ROUTES })
    .ready(0)
    .sampleAll(0)
    .fire(a, 0)
    .notify({ t: 1_000, sender: 'n1', firing: [a], groupLabels: gl })
    .resolve(a, 1_667)
    .notify({ t: 3_333, sender: 'n1', resolved: [a], groupLabels: gl })
    .notify({ t: 5_000, sender: 'n3', firing: [a], groupLabels: gl })
    .notify({ t: 7_333, sender: 'n3', resolved: [a], groupLabels: gl })
    .end(40_000)
    .build();
}

describe('onSuiteRoute: evidence on the route the suite set up is expected, elsewhere it fails', () => {
  const flapRoute = onSuiteRoute({ id: 'flap', routeMatcher: 'amchaos_phase="flap"', checks: ['validity'], explainedBy: timerOverlap, reason: 'the suite’s own timers' });
  it('the stale firing on the suite’s route is an expected failure', () => {
    const h = staleOn('flap');
    const [r] = applyKnownBehaviours(h, [checkValidity(h)], [flapRoute]);
    expect(r!.verdict).toBe('fail');
    expect(r!.expectedFailure).toMatch(/the suite’s own timers/);
  });
  it('the same stale firing on another route (the same unsafe timers) stays a failure, naming the upstream issue', () => {
    const h = staleOn('other');
    const [r] = applyKnownBehaviours(h, [checkValidity(h)], [flapRoute]);
    expect(r!.verdict).toBe('fail');
    expect(r!.expectedFailure).toBeUndefined();
    expect(r!.knownIssues?.join(' ')).toMatch(/#3551/);
  });
});

describe('fromInjectedNode: evidence sent by the node a fault acted on, while it lasted', () => {
  const behaviour = (tailMs: number) => fromInjectedNode({ id: 'skew', faults: ['node-flags'], checks: ['validity'], tailMs: () => tailMs, reason: 'the skewed clock' });
  const withFault = (node: string, from: number, until: number) => {
    const h = staleOn('flap');
    // The fault as the nemesis records it, spliced into the hand-made history.
    const base = h.length;
    return [
      ...h,
      { seq: base, t: from, wall: h[0]!.wall, type: 'fault' as const, fault: 1, state: 'applied' as const, kind: 'node-flags', description: 'skew', nodes: [node] },
      { seq: base + 1, t: until, wall: h[0]!.wall, type: 'fault' as const, fault: 1, state: 'removed' as const, kind: 'node-flags', description: 'skew', nodes: [node] },
    ];
  };
  it('the stale firing n3 sent inside its own fault is expected', () => {
    const h = withFault('n3', 500, 20_000);
    const [r] = applyKnownBehaviours(h, [checkValidity(h)], [behaviour(0)]);
    expect(r!.expectedFailure).toMatch(/the skewed clock/);
  });
  it('not when the fault acted on another node, or had ended (beyond its tail)', () => {
    for (const h of [withFault('n1', 500, 20_000), withFault('n3', 500, 2_000)]) {
      const [r] = applyKnownBehaviours(h, [checkValidity(h)], [behaviour(1_000)]);
      expect(r!.verdict).toBe('fail');
      expect(r!.expectedFailure).toBeUndefined();
    }
  });
});
