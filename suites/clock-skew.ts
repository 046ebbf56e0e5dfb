import { fromInjectedNode, outOfPhaseAfterRestart } from '../src/checkers/expectations.js';
import { deriveWindows } from '../src/checkers/scenario.js';
import { combineDecisions, FAILURE_MODES, firstFaultAt, notifiedWhileSilenced, staleFiring, type Claim } from '../src/claims/index.js';
import { TSAM_COMPAT } from '../src/versions/tsam.js';
import type { SuiteDefinition } from '../src/run/suite.js';
import { awaitDeliveries, ClusterWatch, firePhase, holdFiringSince, mark, newAlertSource, windows, type Phase } from '../src/steps/index.js';
import { SilenceOps } from '../src/workload/silences.js';
import { PHASE_LABEL } from '../src/claims/predicates.js';
import type { ScenarioContext } from '../src/run/suite.js';
import type { ScenarioSource } from '../src/workload/types.js';

/** How far behind the skewed node's wall clock runs: longer than the alerts' validity (4 × resend) and a few group intervals. */
export const CLOCK_SKEW_MS = -30_000;

export const CLOCK_SKEW_UPSTREAM =
  'a node whose wall clock is behind: a silence made now has not started on it, and an alert resolved now is still firing there — it notifies the silenced alert, and sends firing again after the cluster’s resolved (its own nflog write refused: the entry is newer than its clock) (reference §3 row 18)';

/**
 * clock-skew (reference §3 row 18): nflog entries and silences carry the writer's wall clock;
 * Log() refuses to overwrite an entry newer than the local clock; silence activity, alert expiry
 * and entry expiry are judged by the local clock. A real binary's clock cannot be shifted per
 * process on one host, so the skewed member is tsam (`--tsam.fault=clock-skew=-30s`, restarted
 * with it as a node-flags fault) beside nodes of the version under test — a cluster of
 * `tsam@V, V, V` (or three tsam nodes for tsam itself). Two things are done twice, first with every
 * clock right (the control), then with n1's clock 30 s behind:
 *
 * - `silence-*`: a silence made on n2 (startsAt now) for the phase's alerts, then the alerts fired:
 *   on n1 the silence has not started, so n1 notifies them;
 * - `resolve-*`: alerts fired, notified, resolved: the cluster notifies resolved, but on n1 they
 *   are still firing (endsAt is in its future) and the entry it finds says resolved, so it sends
 *   firing again — at every flush, its own write refused — until its clock passes the resolve.
 *
 * The claim: a notification for an alert an active silence matched, or a firing after the resolved
 * while the alert stayed resolved. The evidence of the checks (silence-propagation, validity) is
 * expected only when the offending notification came from the skewed node while it was skewed.
 */
export interface ClockSkewFigures {
  skewMs: number;
  skewedNode: string;
}

function clockSkewClaim(): Claim {
  // The suite fires only once every node lists the silence: no propagation grace is needed.
  const sil = notifiedWhileSilenced({ graceMs: () => 0 });
  const stale = staleFiring();
  // The control's alerts keep firing past the skew (the silenced ones): judge them until it starts.
  const beforeSkew = firstFaultAt(['node-flags']);
  const silControl = notifiedWhileSilenced({ graceMs: () => 0, until: beforeSkew });
  const staleControl = staleFiring({ until: beforeSkew });
  return {
    mode: FAILURE_MODES.clockSkew,
    statement: 'a member whose wall clock is 30 s behind notifies an alert a silence made now matches, or sends firing after the cluster notified the alert resolved',
    control: 'the same silence and the same fire/resolve with every clock right: no notification under the silence, no firing after resolved',
    decide({ view }) {
      return {
        fault: combineDecisions([
          { phase: 'silence-skewed', d: sil(view, 'silence-skewed') },
          { phase: 'resolve-skewed', d: stale(view, 'resolve-skewed') },
        ]),
        control: combineDecisions([
          { phase: 'silence-plain', d: silControl(view, 'silence-plain') },
          { phase: 'resolve-plain', d: staleControl(view, 'resolve-plain') },
        ]),
      };
    },
  };
}

/** One round: a silence made on `silencer` for the silence phase, both phases fired, the resolve phase resolved and watched. */
async function round(ctx: ScenarioContext<ClockSkewFigures>, source: ScenarioSource, ops: SilenceOps, watch: ClusterWatch, silencer: string, suffix: 'plain' | 'skewed'): Promise<Phase[]> {
  const w = windows(ctx);
  const silPhase = `silence-${suffix}`;
  const id = await ops.create(silencer, { matchers: [{ name: PHASE_LABEL, value: silPhase, isRegex: false, isEqual: true }] });
  // Listed everywhere before the alerts arrive: any notification is then despite the silence.
  await ctx.waitUntil(() => ctx.nodes.every((n) => watch.activeSilences(n.id)?.has(id) === true), ctx.timers.silencePropagationMs);
  const silenced = await firePhase(ctx, source, { name: silPhase, wait: false });
  const resolving = await firePhase(ctx, source, { name: `resolve-${suffix}` });
  await holdFiringSince(ctx, resolving.firedAt);
  const resolvedAt = ctx.history.clock.now();
  await source.resolve(resolving.keys);
  await awaitDeliveries(ctx, resolving.keys, 'resolved', { since: resolvedAt, windowMs: w.resolveDelivery });
  // Flushes after the resolve: a node still seeing the alerts firing sends them again.
  await ctx.sleep(ctx.timers.groupIntervalMs);
  mark(ctx, `${suffix}: silenced ${silenced.alerts.length} alerts made on ${silencer}; resolved ${resolving.alerts.length}`);
  return [silenced, resolving];
}

export const clockSkew: SuiteDefinition<ClockSkewFigures> = {
  name: 'clock-skew',
  summary: 'one member’s wall clock 30 s behind (tsam clock-skew): silences not yet started there, resolved alerts still firing there — notifications counted; control: every clock right',
  checks: ['no-loss', 'exactly-once', 'validity', 'silence-propagation'],
  unsupported: (versions) => (versions[0]?.impl !== 'tsam' ? `the skewed member (n1) must be tsam — a real binary's clock cannot be shifted per process here (e.g. --versions tsam@${versions[0]?.version ?? '0.33.1'}+${versions[0]?.requested ?? '0.33.1'}+${versions[0]?.requested ?? '0.33.1'})` : undefined),
  catalogue: {
    cluster: (v) => (v.startsWith('tsam') ? [v, v, v] : [`tsam@${(TSAM_COMPAT as readonly string[]).includes(v) ? v : '0.33.1'}`, v, v]),
  },
  knownBehaviours: [
    // A restarted node's group timers tick out of phase with the others' afterwards (upstream #3551).
    outOfPhaseAfterRestart({ id: 'restarted-timer-phase', faults: ['node-flags'] }),
    fromInjectedNode({
      id: 'clock-skew',
      faults: ['node-flags'],
      matchSpec: (spec) => JSON.stringify(spec?.['flags'] ?? '').includes('clock-skew'),
      checks: ['validity', 'silence-propagation', 'exactly-once', 'no-loss'],
      tailMs: (view) => -CLOCK_SKEW_MS + deriveWindows(view).resolveDeadlineMs,
      reason: CLOCK_SKEW_UPSTREAM,
    }),
  ],
  claim: clockSkewClaim(),
  async drive(ctx) {
    const watch = new ClusterWatch(ctx);
    const source = newAlertSource(ctx);
    const ops = new SilenceOps({ history: ctx.history, clients: ctx.nodes.map((n) => n.client) });
    try {
      const skewed = ctx.nodes[0]!.id;
      const silencer = ctx.nodes[1]!.id;
      ctx.figures['skewMs'] = CLOCK_SKEW_MS;
      ctx.figures['skewedNode'] = skewed;
      await round(ctx, source, ops, watch, silencer, 'plain');
      const fault = await ctx.nemesis.apply({ kind: 'node-flags', node: skewed, flags: [`--tsam.fault=clock-skew=${CLOCK_SKEW_MS}ms`] });
      await watch.waitFormed(30_000);
      mark(ctx, `${skewed} restarted with its wall clock ${-CLOCK_SKEW_MS / 1000} s behind`);
      await round(ctx, source, ops, watch, silencer, 'skewed');
      // The clock right again; the silenced alerts keep firing under their hour-long silences.
      await ctx.nemesis.remove(fault);
      await watch.waitFormed(30_000);
    } finally {
      watch.close();
      await ops.stop({ abort: true });
      await source.stop();
    }
  },
};
