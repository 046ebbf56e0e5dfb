import { duplicates, FAILURE_MODES, phaseClaim } from '../src/claims/index.js';
import { outOfPhaseAfterRestart } from '../src/checkers/expectations.js';
import type { ScenarioView } from '../src/checkers/scenario.js';
import type { NodeId } from '../src/history/types.js';
import type { FaultSpec } from '../src/nemesis/types.js';
import { longestRouteTimers, type ScenarioContext, type SuiteDefinition } from '../src/run/suite.js';
import { awaitDeliveries, ClusterWatch, deathDetectionBoundMs, firePhase, holdFiringSince, mark, newAlertSource, settleMarginMs, suspicionTimeoutMs, windows } from '../src/steps/index.js';

export interface RestartPhase {
  /** What was done: "kill n1, restart (storage kept)". */
  fault: string;
  /** Delivered notifications of the steadily firing alerts from the fault until the phase ended. */
  renotifications: number;
  firing: number;
  resolved: number;
  bySender: Record<string, number>;
  /** From the fault being applied until every node listed all peers again (null: never). */
  backInMs: number | null;
}

/**
 * restart: a steady set of alerts fires at every node, is notified once (healthy: exactly-once
 * judges this transition), and keeps firing while position 0 (n1) is
 *   1. killed (SIGKILL: no shutdown snapshot, no memberlist leave) and started again with its storage kept,
 *   2. killed and started again with its storage wiped,
 *   3. paused (SIGSTOP) until the others declare it dead (longer than the suspicion timeout) and
 *      past the alerts' validity (endsAt = 4 × resend interval, as Prometheus sends), then resumed.
 * Nothing changed in the workload, so every notification of those alerts after the first is a
 * re-notification: counted per phase (figure `restartPhases`, total `renotifications`). A
 * restarted node learns the nflog from its peers on join (a full push/pull), which should suppress
 * them (measured: 0 re-notifications after either restart, on 0.25.0, 0.28.1 and 0.33.1). A node
 * paused past the alerts' endsAt resolves them itself on resume: on all three versions it notified
 * "resolved" for alerts that never stopped firing, and another node then notified "firing" again
 * (the log entry now said resolved) — a false resolution plus a re-notification per group, both
 * counted here. No checker flags a resolution the workload did not make. From the first restart on,
 * n1's group timers tick out of phase with its peers': when the final resolve lands between n1's
 * flush and an earlier position's, n1 sends its older snapshot after its position wait — a stale
 * firing after the cluster's resolved, then another resolved; and when a node's check of the log
 * falls just after a peer sent, before the entry can reach it by gossip, a copy (upstream #3551;
 * `restarted-timer-phase`, an expected failure of validity or exactly-once decided on the flush times). No loss: every alert still owes a firing notification (it fired for a
 * whole flush window before the first fault) and, after the final resolve, a resolved one. Builds
 * without --cluster.peer-name (0.25, 0.28) give a restarted node a new, later ULID, so n1 moves to
 * the last position after its first restart; with peer names (0.33) it stays position 0.
 *
 * Which control proves the checks can fail: the re-notification count is the one the exactly-once
 * checker would call duplicates (a restart's copies fall in node-down windows: its
 * `duplicatesDuringFaults`); for no-loss and exactly-once themselves, src/checkers/{no-loss,exactly-once}.test.ts.
 * Process faults only, so it runs on every runtime.
 */
/** What restart records (summary.json figures). */
export interface RestartFigures {
  pausedDeclaredDead: boolean;
  alertValidityMs: number;
  pauseMs: number;
  suspicionTimeoutMs: number;
  restartPhases: RestartPhase[];
  renotifications: number;
}

export const restart: SuiteDefinition<RestartFigures> = {
  name: 'restart',
  summary: 'kill and restart a node (storage kept, then wiped), pause one past the suspicion timeout: re-notifications counted, none lost',
  checks: ['no-loss', 'exactly-once', 'validity'],
  // After its restarts and the pause n1's group timers tick out of phase with the others' for good:
  // a resolve that reaches the cluster between n1's flush and an earlier position's can come back
  // from n1 as a stale firing after the resolved (upstream #3551; measured once in six runs on
  // 0.25.0), and a check of the log just after a peer sent can send a copy (tsam, once).
  knownBehaviours: [outOfPhaseAfterRestart({ id: 'restarted-timer-phase', faults: ['restart', 'pause'] })],
  claim: phaseClaim({
    mode: FAILURE_MODES.restart,
    statement: 'a node killed (SIGKILL) and restarted, with its storage kept or wiped, notifies again the groups the cluster already notified',
    control: 'the same groups before the first restart: each transition once',
    faultPhases: ['steady'],
    controlPhases: ['steady'],
    // The kills, up to the pause (a paused node expiring its alerts is another behaviour: the figures count it).
    predicate: duplicates({ what: 'after a SIGKILL restart', from: (view) => firstKind(view, 'restart'), until: (view) => firstKind(view, 'pause') }),
    controlPredicate: duplicates({ until: (view) => firstKind(view, 'restart') }),
  }),
  async drive(ctx) {
    const watch = new ClusterWatch(ctx);
    const source = newAlertSource(ctx);
    try {
      const w = windows(ctx);
      const n = ctx.nodes.length;
      const target = ctx.nodes[0]!.id;
      const steady = await firePhase(ctx, source, { name: 'steady' });
      const keys = steady.keys;
      await holdFiringSince(ctx, steady.firedAt);
      mark(ctx, `${keys.length} steady alerts notified; now restarting and pausing ${target}`);

      // A restarted node gets the alerts at the next resend, flushes after group_wait and waits for
      // its position: that long is enough to see a re-notification.
      const observeMs = ctx.timers.resendIntervalMs + w.firstDelivery + w.duplicateWindow;
      const backBound = settleMarginMs(ctx) + ctx.timers.pushPullIntervalMs;
      const phases: RestartPhase[] = [];
      const runPhase = async (label: string, spec: FaultSpec, hold: () => Promise<void>, extraObserveMs = 0) => {
        const fault = await ctx.nemesis.apply(spec);
        await hold();
        await ctx.nemesis.remove(fault);
        const removedAt = ctx.history.clock.now();
        const back = await watch.waitFormed(backBound, removedAt);
        const left = (back ?? ctx.history.clock.now()) + observeMs + extraObserveMs - ctx.history.clock.now();
        if (left > 0) await ctx.sleep(left);
        const phase = renotifications(ctx, keys, label, fault.installedAt, ctx.history.clock.now(), back === undefined ? null : back - fault.installedAt);
        phases.push(phase);
        mark(ctx, `${label}: ${phase.renotifications} re-notification(s) (${phase.firing} firing, ${phase.resolved} resolved); cluster formed again ${phase.backInMs ?? 'never'} ms after the fault`);
      };

      await runPhase(`kill ${target}, restart (storage kept)`, { kind: 'restart', node: target, signal: 'SIGKILL', wipe: false }, async () => undefined);
      await runPhase(`kill ${target}, restart (storage wiped)`, { kind: 'restart', node: target, signal: 'SIGKILL', wipe: true }, async () => undefined);

      // Pause until the others have declared it dead (longer than the suspicion timeout by
      // construction) and past the alerts' validity: the source sends endsAt = now + 4 × resend
      // interval (as Prometheus does), so the resumed node finds every alert it held expired. That
      // is what a long stop (GC, VM freeze, SIGSTOP) really does; making it certain keeps the
      // phase's outcome independent of how fast memberlist happened to declare the node dead.
      const bound = deathDetectionBoundMs(n, ctx.timers.gossipIntervalMs);
      const validityMs = 4 * ctx.timers.resendIntervalMs;
      let pausedFor = 0;
      await runPhase(
        `pause ${target} until declared dead and its alerts expired, resume`,
        { kind: 'pause', node: target },
        async () => {
          const pausedAt = ctx.history.clock.now();
          const dead = await ctx.waitUntil(() => ctx.nodes.every((x) => {
            if (x.id === target) return true;
            const s = watch.latestStatus(x.id);
            return s !== undefined && s.t > pausedAt && s.peers.length === n - 1;
          }), 3 * bound);
          const floor = pausedAt + Math.max(suspicionTimeoutMs(n), validityMs) + 1_000 - ctx.history.clock.now();
          if (floor > 0) await ctx.sleep(floor);
          pausedFor = ctx.history.clock.now() - pausedAt;
          ctx.figures['pausedDeclaredDead'] = dead;
        },
        // After a resume the node's groups flush at their next tick, and a second tick may follow
        // with the alerts firing again: two group intervals more.
        2 * longestRouteTimers(ctx.config).groupIntervalMs,
      );
      ctx.figures['alertValidityMs'] = validityMs;
      ctx.figures['pauseMs'] = Math.round(pausedFor);
      ctx.figures['suspicionTimeoutMs'] = suspicionTimeoutMs(n);
      ctx.figures['restartPhases'] = phases;
      ctx.figures['renotifications'] = phases.reduce((a, p) => a + p.renotifications, 0);

      // Only resolutions from now on count: a paused node may have sent a spurious "resolved" earlier.
      const resolvedAt = ctx.history.clock.now();
      await source.resolve();
      await awaitDeliveries(ctx, keys, 'resolved', { since: resolvedAt, windowMs: w.resolveDelivery });
    } finally {
      watch.close();
      await source.stop();
    }
  },
};

function firstKind(view: ScenarioView, kind: string): number | undefined {
  const starts = view.faults.filter((f) => f.kind === kind && f.applied).map((f) => f.start);
  return starts.length > 0 ? Math.min(...starts) : undefined;
}

function renotifications(ctx: ScenarioContext, keys: readonly string[], fault: string, from: number, to: number, backInMs: number | null): RestartPhase {
  const wanted = new Set(keys);
  const bySender: Record<NodeId, number> = {};
  let firing = 0;
  let resolved = 0;
  for (const e of ctx.notifications()) {
    if (!e.delivered || e.t < from || e.t >= to || !e.alerts.some((a) => wanted.has(a.key))) continue;
    if (e.status === 'firing') firing++;
    else resolved++;
    const s = e.sender ?? 'unknown';
    bySender[s] = (bySender[s] ?? 0) + 1;
  }
  return { fault, renotifications: firing + resolved, firing, resolved, bySender, backInMs: backInMs === null ? null : Math.round(backInMs) };
}
