import { FAILURE_MODES, laterPositionRepeats, phaseClaim } from '../src/claims/index.js';
import type { SuiteDefinition } from '../src/run/suite.js';
import { awaitDeliveries, firePhase, mark, newAlertSource, phaseRoutesConfig, windows } from '../src/steps/index.js';
import type { Timers } from '../src/history/types.js';

/** repeat_interval of the route under test: half a peer timeout below the last position's wait. */
export function shortRepeatMs(t: Timers, nodes: number): number {
  return Math.max(1_000, (nodes - 1) * t.peerTimeoutMs - Math.round(t.peerTimeoutMs / 2));
}

/** repeat_interval of the control route: half a peer timeout above the last position's wait, below group_interval. */
export function longRepeatMs(t: Timers, nodes: number): number {
  return (nodes - 1) * t.peerTimeoutMs + Math.round(t.peerTimeoutMs / 2);
}

/**
 * repeat-interval (reference §3 row 4): position k waits k × peer_timeout before its dedup check,
 * against an entry position 0 logged at the flush. When that wait exceeds repeat_interval the
 * entry already looks old enough to repeat, so later positions re-send a group position 0 has just
 * notified — repeats come from every position in turn instead of once per group_interval from
 * position 0 (upstream #1005; PR #1979/#1980 were closed). Two routes side by side in one cluster:
 * `short-repeat` with repeat_interval (N−1) × peer_timeout − peer_timeout/2, and the control
 * `long-repeat` with (N−1) × peer_timeout + peer_timeout/2, both below group_interval so that
 * position 0 repeats at every tick. Watched for three group intervals, then resolved.
 *
 * The claim: a repeat sent by a node at a cluster position > 0 while the cluster is healthy; the
 * control's repeats all come from position 0. Each repeat is legitimate by Alertmanager's own rule
 * (more than repeat_interval since the last one), so exactly-once judges them as transitions.
 */
export interface RepeatIntervalFigures {
  shortRepeatMs: number;
  longRepeatMs: number;
  deliveredBySenderShort: Record<string, number>;
  deliveredBySenderLong: Record<string, number>;
}

export const repeatInterval: SuiteDefinition<RepeatIntervalFigures> = {
  name: 'repeat-interval',
  summary: 'repeat_interval shorter than (N−1) × peer_timeout: later positions re-send (repeats counted per position); control: a repeat_interval above it',
  checks: ['no-loss', 'exactly-once', 'validity'],
  config: (t, n) =>
    phaseRoutesConfig(t, [
      { phase: 'short-repeat', repeatIntervalMs: shortRepeatMs(t, n) },
      { phase: 'long-repeat', repeatIntervalMs: longRepeatMs(t, n) },
    ]),
  claim: phaseClaim({
    mode: FAILURE_MODES.repeatInterval,
    statement: 'with repeat_interval < (N−1) × peer_timeout, nodes at positions > 0 send repeats of a group position 0 keeps notifying',
    control: 'a route with repeat_interval > (N−1) × peer_timeout in the same cluster: every repeat comes from position 0',
    faultPhases: ['short-repeat'],
    controlPhases: ['long-repeat'],
    predicate: laterPositionRepeats(),
  }),
  async drive(ctx) {
    const source = newAlertSource(ctx);
    try {
      const n = ctx.nodes.length;
      ctx.figures['shortRepeatMs'] = shortRepeatMs(ctx.timers, n);
      ctx.figures['longRepeatMs'] = longRepeatMs(ctx.timers, n);
      const w = windows(ctx);
      // Both routes at once: the same cluster, the same moment, only repeat_interval differs.
      const short = await firePhase(ctx, source, { name: 'short-repeat', wait: false });
      const long = await firePhase(ctx, source, { name: 'long-repeat', wait: false });
      const watchMs = 3 * ctx.timers.groupIntervalMs + w.firstDelivery + w.duplicateWindow;
      mark(ctx, `watching repeats for ${watchMs} ms (repeat_interval ${ctx.figures['shortRepeatMs']} ms vs ${ctx.figures['longRepeatMs']} ms, group_interval ${ctx.timers.groupIntervalMs} ms)`);
      await ctx.sleep(watchMs);
      ctx.figures['deliveredBySenderShort'] = short.count().deliveredBySender;
      ctx.figures['deliveredBySenderLong'] = long.count().deliveredBySender;
      const resolvedAt = ctx.history.clock.now();
      await source.resolve();
      await awaitDeliveries(ctx, [...short.keys, ...long.keys], 'resolved', { since: resolvedAt, windowMs: w.resolveDelivery });
    } finally {
      await source.stop();
    }
  },
};
