import { onSuiteRoute, timerOverlap } from '../src/checkers/expectations.js';
import { FAILURE_MODES, phaseClaim, staleFiring } from '../src/claims/index.js';
import type { Timers } from '../src/history/types.js';
import type { SuiteDefinition } from '../src/run/suite.js';
import { awaitDeliveries, firePhase, mark, newAlertSource, phaseMatcher, phaseRoutesConfig, windows } from '../src/steps/index.js';

/**
 * The upstream reproduction (PR #3283) in peer-timeout units: peer_timeout 60 s, group_wait 30 s,
 * group_interval 70 s, the alert resolved 50 s after it was created → 4 notifications (firing,
 * resolved, a stale firing from the last position, resolved again). Scaled by peer_timeout / 60 s.
 */
export function flapTimers(t: Timers): { groupWaitMs: number; groupIntervalMs: number; resolveAfterMs: number } {
  const scale = t.peerTimeoutMs / 60_000;
  return { groupWaitMs: Math.round(30_000 * scale), groupIntervalMs: Math.round(70_000 * scale), resolveAfterMs: Math.round(50_000 * scale) };
}

export const FLAPPING_UPSTREAM =
  'group_interval ≤ (N−1) × peer_timeout: a later position still waiting with the firing state it flushed finds the resolved entry and sends firing again (upstream #3551, #4008, PR #3283)';

/**
 * flapping (reference §3 row 3): peers' flushes are offset by their position's wait; when that wait
 * outlives the next group_interval tick, an alert that changed between flushes is notified in
 * conflicting states seconds apart. The upstream reproduction's timers, scaled to the scenario's
 * peer timeout, on a route of the suite's own config (`flap`): the alert fires, resolves before the
 * next tick, and the last position — still holding the firing state it flushed — finds position 0's
 * resolved entry and sends firing again, then a later flush sends resolved again. The control
 * route (`steady`) runs the same alert timeline with group_interval N × peer_timeout (safe).
 *
 * The claim: a firing notification after the resolved one while the alert stayed resolved (the
 * validity checker's stale firing). The suite injected the unsafe timers on its own route, so the
 * validity failure there is expected (onSuiteRoute + the timer-overlap behaviour); the same
 * evidence on the control route would be a failure.
 */
export interface FlappingFigures {
  flapGroupWaitMs: number;
  flapGroupIntervalMs: number;
  resolveAfterMs: number;
  notificationsFlap: number;
  notificationsSteady: number;
}

export const flapping: SuiteDefinition<FlappingFigures> = {
  name: 'flapping',
  summary: 'the upstream flapping reproduction (PR #3283) scaled to the peer timeout: conflicting firing/resolved notifications counted; control: a safe group_interval',
  checks: ['no-loss', 'exactly-once', 'validity'],
  config: (t) => {
    const f = flapTimers(t);
    return phaseRoutesConfig(t, [
      { phase: 'flap', groupWaitMs: f.groupWaitMs, groupIntervalMs: f.groupIntervalMs },
      { phase: 'steady', groupWaitMs: f.groupWaitMs },
    ]);
  },
  knownBehaviours: [
    onSuiteRoute({ id: 'flapping-route', routeMatcher: phaseMatcher('flap'), checks: ['validity', 'exactly-once'], explainedBy: timerOverlap, reason: FLAPPING_UPSTREAM }),
  ],
  claim: phaseClaim({
    mode: FAILURE_MODES.flapping,
    statement: 'with the upstream timers (group_interval ≤ (N−1) × peer_timeout) an alert resolved between flushes is notified firing again after its resolved notification',
    control: 'the same alert timeline on a route with group_interval N × peer_timeout: no firing after resolved',
    faultPhases: ['flap'],
    controlPhases: ['steady'],
    predicate: staleFiring(),
  }),
  async drive(ctx) {
    const source = newAlertSource(ctx);
    try {
      const f = flapTimers(ctx.timers);
      ctx.figures['flapGroupWaitMs'] = f.groupWaitMs;
      ctx.figures['flapGroupIntervalMs'] = f.groupIntervalMs;
      ctx.figures['resolveAfterMs'] = f.resolveAfterMs;
      const flap = await firePhase(ctx, source, { name: 'flap', wait: false });
      const steady = await firePhase(ctx, source, { name: 'steady', wait: false });
      await ctx.sleep(Math.max(0, flap.firedAt + f.resolveAfterMs - ctx.history.clock.now()));
      const resolvedAt = ctx.history.clock.now();
      await source.resolve();
      mark(ctx, `resolved ${f.resolveAfterMs} ms after the fire (group_wait ${f.groupWaitMs} ms, group_interval ${f.groupIntervalMs} ms on route flap)`);
      // The upstream timeline ends 160 s after the fire (≈ 2.7 peer timeouts here); then every
      // later flush of either route must show the resolved state.
      const w = windows(ctx);
      await awaitDeliveries(ctx, [...flap.keys, ...steady.keys], 'resolved', { since: resolvedAt, windowMs: w.resolveDelivery });
      await ctx.sleep(ctx.timers.groupIntervalMs);
      ctx.figures['notificationsFlap'] = flap.count().deliveredBySender ? Object.values(flap.count().deliveredBySender).reduce((a, b) => a + b, 0) : 0;
      ctx.figures['notificationsSteady'] = Object.values(steady.count().deliveredBySender).reduce((a, b) => a + b, 0);
    } finally {
      await source.stop();
    }
  },
};
