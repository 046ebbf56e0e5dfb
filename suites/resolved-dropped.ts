import { onSuiteRoute } from '../src/checkers/expectations.js';
import { FAILURE_MODES, missingResolved, phaseClaim } from '../src/claims/index.js';
import type { Timers } from '../src/history/types.js';
import type { SuiteDefinition } from '../src/run/suite.js';
import { formatGoDuration } from '../src/topology/timers.js';
import { awaitDeliveries, firePhase, holdFiringSince, mark, newAlertSource, phaseMatcher, phaseRoutesConfig, windows } from '../src/steps/index.js';

/** The routes' group_interval: long enough that the last position's entry (logged (N−1) × peer_timeout after a tick) expires before the next tick. */
export function droppedGroupIntervalMs(t: Timers, nodes: number): number {
  return (nodes + 2) * t.peerTimeoutMs;
}

/** The route under test's repeat_interval: 2 × it is well below group_interval. */
export function droppedRepeatMs(t: Timers): number {
  return t.peerTimeoutMs;
}

/** How often the nodes collect expired nflog entries (--data.maintenance-interval, 15 m by default). */
export const MAINTENANCE_INTERVAL_MS = 250;

export const RESOLVED_DROPPED_UPSTREAM =
  'group_interval > 2 × repeat_interval: the nflog entry expires (2 × repeat_interval) and is collected before the resolve flush, which finds no entry and sends nothing (grafana/prometheus-alertmanager PR #164; fixed only in Grafana’s fork)';

/**
 * resolved-dropped (reference §3 row 14): an nflog entry expires 2 × repeat_interval after it was
 * logged; when group_interval is longer than that, the entry of a firing group is gone (once
 * maintenance collected it) at the next flush. A resolve then finds no entry — "nothing fires and
 * nothing was notified" — and the resolved notification is never sent. Two routes of the suite's
 * own config, both with group_interval (N+2) × peer_timeout: `gc-before-resolve` with
 * repeat_interval = peer_timeout (2 × repeat < group_interval, even for an entry the last position
 * logged), the control `kept` with repeat_interval 1 h. Nodes run --data.maintenance-interval 250ms
 * so the collection lands between two flushes for sure (with the default 15 m it would land
 * there by chance, which is how it shows in the field).
 *
 * The claim: an alert notified firing and then resolved by the workload never gets a resolved
 * notification. no-loss fails for those (lost resolutions), expected only on the suite's own route.
 */
export interface ResolvedDroppedFigures {
  groupIntervalMs: number;
  repeatIntervalMs: number;
  maintenanceIntervalMs: number;
}

export const resolvedDropped: SuiteDefinition<ResolvedDroppedFigures> = {
  name: 'resolved-dropped',
  summary: 'group_interval > 2 × repeat_interval: the firing entry is collected before the resolve flush and the resolved notification is never sent; control: repeat_interval 1 h',
  checks: ['no-loss', 'exactly-once', 'validity'],
  config: (t, n) =>
    phaseRoutesConfig(t, [
      { phase: 'gc-before-resolve', groupIntervalMs: droppedGroupIntervalMs(t, n), repeatIntervalMs: droppedRepeatMs(t) },
      { phase: 'kept', groupIntervalMs: droppedGroupIntervalMs(t, n) },
    ]),
  nodeFlags: () => [`--data.maintenance-interval=${formatGoDuration(MAINTENANCE_INTERVAL_MS)}`],
  knownBehaviours: [
    onSuiteRoute({ id: 'resolved-dropped-route', routeMatcher: phaseMatcher('gc-before-resolve'), checks: ['no-loss'], kinds: ['lost-resolution', 'late-resolution'], reason: RESOLVED_DROPPED_UPSTREAM }),
  ],
  claim: phaseClaim({
    mode: FAILURE_MODES.resolvedDropped,
    statement: 'with group_interval > 2 × repeat_interval, an alert notified firing and then resolved never gets its resolved notification',
    control: 'the same alerts on a route with repeat_interval 1 h (the entry outlives every flush): every resolution is notified',
    faultPhases: ['gc-before-resolve'],
    controlPhases: ['kept'],
    predicate: missingResolved(),
  }),
  async drive(ctx) {
    const source = newAlertSource(ctx);
    try {
      const n = ctx.nodes.length;
      ctx.figures['groupIntervalMs'] = droppedGroupIntervalMs(ctx.timers, n);
      ctx.figures['repeatIntervalMs'] = droppedRepeatMs(ctx.timers);
      ctx.figures['maintenanceIntervalMs'] = MAINTENANCE_INTERVAL_MS;
      const w = windows(ctx);
      const gc = await firePhase(ctx, source, { name: 'gc-before-resolve', wait: false });
      const kept = await firePhase(ctx, source, { name: 'kept', wait: false });
      // Firing for a whole flush window: notified firing (no-loss owes that), then its entry ages out.
      await holdFiringSince(ctx, gc.firedAt);
      const resolvedAt = ctx.history.clock.now();
      await source.resolve();
      mark(ctx, 'resolved every alert; the next flush of gc-before-resolve finds no entry');
      await awaitDeliveries(ctx, [...gc.keys, ...kept.keys], 'resolved', { since: resolvedAt, windowMs: w.resolveDelivery });
    } finally {
      await source.stop();
    }
  },
};
