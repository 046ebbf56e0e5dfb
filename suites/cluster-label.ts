import { outOfPhaseAfterRestart } from '../src/checkers/expectations.js';
import { duplicates, FAILURE_MODES, phaseClaim } from '../src/claims/index.js';
import type { SuiteDefinition } from '../src/run/suite.js';
import { awaitDeliveries, ClusterWatch, firePhase, holdFiringSince, mark, newAlertSource, summariseStatus, windows } from '../src/steps/index.js';

/** The label the odd member is restarted with (the others run without one). */
export const OTHER_LABEL = 'amchaos-other';

/**
 * cluster-label (reference §3 rows 9 and 8): memberlist drops packets and streams whose
 * --cluster.label differs from its own, so a member given another label (an operator that
 * generates it per namespace, an upgrade that starts setting it) is cut off while everyone still
 * dials it: gossip never settles, each side elects its own position 0 and notifies (upstream
 * prometheus-operator#6158). Phases:
 *
 * - `same` — the control: every member unlabelled, one cluster, each transition notified once;
 * - n3 restarted with --cluster.label=amchaos-other (a node-flags fault): `mismatch` groups fired
 *   at every node — n3, alone behind its label, notifies them too;
 * - n3 restarted without the label: does the cluster merge again (as two clusters told about each
 *   other's addresses do — row 8, which labels were made to prevent)? `merged` groups must be
 *   notified once (a second control).
 *
 * The claim: more than one copy of a transition while the labels differ. Versions without
 * --cluster.label (0.25.0 — Debian's build has memberlist 0.2.2 —, tsam) cannot show it: the
 * catalogue reports them unknown with that reason; `amchaos run` refuses them. The copies fall
 * inside the node-flags fault (exactly-once counts them as during faults). Any runtime.
 */
export interface ClusterLabelFigures {
  statusDuringMismatch: ReturnType<typeof summariseStatus>;
  mergedAfterMs: number | null;
  duplicatesSame: number;
  duplicatesMismatch: number;
  duplicatesMerged: number;
}

export const clusterLabel: SuiteDefinition<ClusterLabelFigures> = {
  name: 'cluster-label',
  summary: 'one member restarted with another --cluster.label is cut off and notifies too (duplicates counted); without it the cluster merges again; control: same labels',
  checks: ['no-loss', 'exactly-once', 'validity'],
  // n3's restart (with another label) leaves its group timers out of phase with the others' (upstream #3551).
  knownBehaviours: [outOfPhaseAfterRestart({ id: 'restarted-timer-phase', faults: ['node-flags'] })],
  unsupported: (versions) => {
    const without = [...new Set(versions.filter((v) => !v.features.clusterLabel).map((v) => v.requested))];
    return without.length > 0 ? `${without.join(', ')} has no --cluster.label (added in 0.26; Debian's 0.25.0 is built with memberlist 0.2.2; tsam does not implement it)` : undefined;
  },
  claim: phaseClaim({
    mode: FAILURE_MODES.clusterLabel,
    statement: 'a member whose --cluster.label differs is cut off from the cluster, and both sides notify the same transition',
    control: 'the same members with equal labels (before, and after the odd one is restarted without its label): each transition once',
    faultPhases: ['mismatch'],
    controlPhases: ['same', 'merged'],
    predicate: duplicates({ what: 'members with different cluster labels' }),
  }),
  async drive(ctx) {
    const watch = new ClusterWatch(ctx);
    const source = newAlertSource(ctx);
    try {
      const w = windows(ctx);
      const odd = ctx.nodes[ctx.nodes.length - 1]!.id;
      const same = await firePhase(ctx, source, { name: 'same' });
      ctx.figures['duplicatesSame'] = same.count().duplicates;
      await holdFiringSince(ctx, same.firedAt);

      const fault = await ctx.nemesis.apply({ kind: 'node-flags', node: odd, flags: [`--cluster.label=${OTHER_LABEL}`] });
      watch.openWindow('mismatch');
      mark(ctx, `${odd} restarted with --cluster.label=${OTHER_LABEL}; the others have none`);
      const mismatch = await firePhase(ctx, source, { name: 'mismatch' });
      ctx.figures['duplicatesMismatch'] = mismatch.count().duplicates;
      ctx.figures['statusDuringMismatch'] = summariseStatus(watch.takeWindow('mismatch'));
      await ctx.nemesis.remove(fault);
      const healAt = ctx.history.clock.now();
      const merged = await watch.waitFormed(30_000);
      ctx.figures['mergedAfterMs'] = merged === undefined ? null : Math.round(merged - healAt);
      mark(ctx, merged === undefined ? `${odd} restarted without the label; the cluster did not show every peer within 30 s` : `${odd} restarted without the label; merged after ${Math.round(merged - healAt)} ms`);

      const after = await firePhase(ctx, source, { name: 'merged' });
      ctx.figures['duplicatesMerged'] = after.count().duplicates;
      await holdFiringSince(ctx, after.firedAt);
      const resolvedAt = ctx.history.clock.now();
      await source.resolve();
      await awaitDeliveries(ctx, [...same.keys, ...mismatch.keys, ...after.keys], 'resolved', { since: resolvedAt, windowMs: w.resolveDelivery });
    } finally {
      watch.close();
      await source.stop();
    }
  },
};
