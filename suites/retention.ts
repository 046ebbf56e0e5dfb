import { duringInjectedFault, outOfPhaseAfterRestart } from '../src/checkers/expectations.js';
import { deriveWindows } from '../src/checkers/scenario.js';
import { duplicates, FAILURE_MODES, firstFaultAt, phaseClaim } from '../src/claims/index.js';
import type { Timers } from '../src/history/types.js';
import type { SuiteDefinition } from '../src/run/suite.js';
import { formatGoDuration } from '../src/topology/timers.js';
import { ClusterWatch, firePhase, holdFiringSince, mark, newAlertSource, windows } from '../src/steps/index.js';

/** The short --data.retention: one group interval, so an entry logged at a tick is collected by the next position's check after the next tick. */
export function shortRetentionMs(t: Timers): number {
  return t.groupIntervalMs;
}

export const RETENTION_UPSTREAM =
  'the nflog entry expires after min(data.retention, 2 × repeat_interval) and maintenance collects it; the next flush of a still-firing group finds no entry and notifies it as new (upstream #3473, #2934, PR #3147)';

/**
 * retention (reference §3 row 13): an nflog entry lives min(--data.retention, 2 × repeat_interval);
 * once maintenance collected it, a group that still fires is "new" at its next flush and is notified
 * again, long before repeat_interval (1 h here). Phases:
 *
 * - `kept` — the control: default flags (retention 120 h); a group firing for retention + 2 ×
 *   group_interval is notified once (judged until the first restart);
 * - every node is restarted in turn (SIGTERM, storage kept) with --data.retention 1.5 ×
 *   group_interval and --data.maintenance-interval 250ms (node-flags faults, removed at the end by
 *   restarting each node with its own flags);
 * - `expiring` — fresh groups on the restarted cluster, firing as long: notified again every
 *   time their entry was collected.
 *
 * The claim: more than one notification of an unchanged firing group within repeat_interval. The
 * copies fall inside the node-flags faults, so exactly-once counts them as during faults; a
 * validity or exactly-once failure is expected only for evidence inside those faults. Any runtime.
 */
export interface RetentionFigures {
  retentionMs: number;
  renotificationsKept: number;
  renotificationsExpiring: number;
}

export const retention: SuiteDefinition<RetentionFigures> = {
  name: 'retention',
  summary: 'a short --data.retention: a still-firing group is notified again once its nflog entry expired and was collected; control: the default retention',
  checks: ['no-loss', 'exactly-once', 'validity'],
  knownBehaviours: [
    // A restarted node's group timers tick out of phase with the others' afterwards (upstream #3551).
    outOfPhaseAfterRestart({ id: 'restarted-timer-phase', faults: ['node-flags'] }),
    duringInjectedFault({
      id: 'short-retention',
      faults: ['node-flags'],
      tailMs: (view) => deriveWindows(view).peerWaitMaxMs + deriveWindows(view).deliveryMarginMs,
      reason: RETENTION_UPSTREAM,
    }),
  ],
  claim: phaseClaim({
    mode: FAILURE_MODES.retention,
    statement: 'with a --data.retention shorter than the time a group fires, the unchanged group is notified again before repeat_interval',
    control: 'the same cluster with the default retention (120 h), watched as long: each group notified once',
    faultPhases: ['expiring'],
    controlPhases: ['kept'],
    predicate: duplicates({ what: 'the same firing alerts again within repeat_interval' }),
    controlPredicate: duplicates({ until: firstFaultAt(['node-flags']) }),
  }),
  async drive(ctx) {
    const watch = new ClusterWatch(ctx);
    const source = newAlertSource(ctx);
    try {
      const w = windows(ctx);
      const retentionMs = shortRetentionMs(ctx.timers);
      ctx.figures['retentionMs'] = retentionMs;
      const watchMs = retentionMs + ctx.timers.groupIntervalMs + w.duplicateWindow;

      // --- control: the default retention ---
      const kept = await firePhase(ctx, source, { name: 'kept', wait: false });
      await ctx.sleep(Math.max(0, kept.firedAt + w.firstDelivery + watchMs - ctx.history.clock.now()));
      ctx.figures['renotificationsKept'] = kept.count().duplicates;

      // --- every node restarted with a short retention and a fast maintenance ---
      const flags = [`--data.retention=${formatGoDuration(retentionMs)}`, '--data.maintenance-interval=250ms'];
      const faults = [];
      for (const n of ctx.nodes) faults.push(await ctx.nemesis.apply({ kind: 'node-flags', node: n.id, flags }));
      const formed = await watch.waitFormed(30_000);
      mark(ctx, `every node restarted with ${flags.join(' ')}${formed === undefined ? ' (the cluster did not show every peer again within 30 s)' : ''}`);

      // --- the same on fresh groups: notified again once the entry is collected ---
      const expiring = await firePhase(ctx, source, { name: 'expiring', wait: false });
      await ctx.sleep(Math.max(0, expiring.firedAt + w.firstDelivery + watchMs - ctx.history.clock.now()));
      ctx.figures['renotificationsExpiring'] = expiring.count().duplicates;
      mark(ctx, `re-notifications: ${ctx.figures['renotificationsKept']} with the default retention, ${ctx.figures['renotificationsExpiring']} with ${formatGoDuration(retentionMs)}`);

      // Each node back on its own flags; the alerts keep firing a whole flush window outside the
      // faults, so no-loss holds the cluster to having notified them (it did, within the fault).
      for (const f of faults.reverse()) await ctx.nemesis.remove(f);
      await holdFiringSince(ctx, ctx.history.clock.now());
    } finally {
      watch.close();
      await source.stop();
    }
  },
};
