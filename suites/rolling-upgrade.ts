import { evidenceSpan, type KnownBehaviour, outOfPhaseAfterRestart } from '../src/checkers/expectations.js';
import { deriveWindows } from '../src/checkers/scenario.js';
import { duplicates, either, FAILURE_MODES, firstFaultAt, phaseClaim, staleFiring } from '../src/claims/index.js';
import type { LabelSet } from '../src/history/types.js';
import type { SuiteDefinition } from '../src/run/suite.js';
import { awaitDeliveries, ClusterWatch, firePhase, holdFiringSince, mark, newAlertSource, phaseRoutesConfig, settleMarginMs, windows, type Phase } from '../src/steps/index.js';

/**
 * Label names that build group keys differently across versions: prometheus/common up to the one
 * 0.25.0 uses sorts the formatted `name="value"` strings, 0.28+ sorts the names, which differ when
 * one name is a prefix of another followed by a digit (reference memberlist-wire.md §10.5).
 */
export const UPGRADE_GROUP_BY = ['alertname', 'group', 'svc', 'svc1', 'svc10', 'zone', 'zone2'];

/** The suite's alerts: the scenario's, with the digit-suffixed labels the group keys are built from. */
export function upgradeAlerts(alerts: readonly LabelSet[]): LabelSet[] {
  return alerts.map((a, i) => ({ ...a, svc: `api-${i % 3}`, svc1: `db-${i % 2}`, svc10: 'cache', zone: `z${i % 2}`, zone2: 'b' }));
}

export const ROLLING_UPGRADE_UPSTREAM =
  'nodes of two versions in one cluster while it is upgraded node by node: restarts, and group keys built differently by the two versions (label-set ordering of prometheus/common), break dedup between them (upstream #1550, #1341)';

/** Evidence inside the upgrade — from the first step's restart to the last step's end, plus a tail — is the injected condition. */
export const duringUpgrade: KnownBehaviour = {
  id: 'rolling-upgrade',
  checks: ['exactly-once', 'validity'],
  expected: true,
  explain(view, e) {
    const steps = view.faults.filter((f) => f.kind === 'upgrade' && f.applied);
    const span = evidenceSpan(e);
    if (steps.length === 0 || !span) return undefined;
    const w = deriveWindows(view);
    const from = Math.min(...steps.map((f) => f.start));
    const to = Math.max(...steps.map((f) => f.end)) + w.settleMarginMs + w.peerWaitMaxMs + w.deliveryMarginMs;
    if (span.first < from || span.last > to) return undefined;
    return `${ROLLING_UPGRADE_UPSTREAM} — inside the rolling upgrade (${steps.map((f) => f.description).join(', ')})`;
  },
};

/**
 * rolling-upgrade (reference §3 row 17): a cluster of version A is upgraded node by node to B
 * (`--upgrade-to B`; any pair, tsam included): each step stops a node (SIGTERM, storage kept) and
 * starts it as B (an `upgrade` fault), while alerts fire and resolve. The alerts carry label names
 * that differ by a digit suffix and are all grouped by (svc, svc1, svc10, zone, zone2), so where two
 * versions build group keys differently, their nflog entries do not match. Phases:
 *
 * - `before` — all A (control);
 * - `step-1` … `step-N` — fired after each step, the previous step's alerts resolved: every
 *   transition while versions are mixed;
 * - `after` — all B, once the settle margin after the last step passed (control).
 *
 * The claim: more than one copy of a transition during the upgrade. Evidence inside the upgrade
 * (first step's restart → last step + settle margin) is expected; after it, exactly-once must hold.
 */
export interface RollingUpgradeFigures {
  from: string;
  to: string;
  duplicatesPerStep: { step: number; node: string; duplicates: number; transitions: number }[];
  duplicatesBefore: number;
  duplicatesAfter: number;
}

export const rollingUpgrade: SuiteDefinition<RollingUpgradeFigures> = {
  name: 'rolling-upgrade',
  summary: 'a cluster upgraded node by node (--upgrade-to B) while alerts fire and resolve, with labels that build group keys differently across versions: duplicates and loss per step; control: before and after',
  checks: ['no-loss', 'exactly-once', 'validity'],
  config: (t, n) => phaseRoutesConfig(t, ['before', ...Array.from({ length: n }, (_, i) => `step-${i + 1}`), 'after'].map((phase) => ({ phase, groupBy: UPGRADE_GROUP_BY }))),
  unsupported: (_versions, { upgradeTo }) => (upgradeTo ? undefined : 'it needs the version to upgrade to: --upgrade-to VERSION (e.g. --versions 0.25.0 --upgrade-to 0.33.1)'),
  catalogue: {
    upgradeTo: (v) => (v === '0.33.1' ? 'tsam' : v.startsWith('tsam') ? '0.33.1' : '0.33.1'),
  },
  // Each step restarts a node: its group timers tick out of phase with the others' afterwards.
  knownBehaviours: [duringUpgrade, outOfPhaseAfterRestart({ id: 'restarted-timer-phase', faults: ['upgrade'] })],
  claim: phaseClaim({
    mode: FAILURE_MODES.rollingUpgrade,
    statement: 'while a cluster is upgraded node by node, a group transition is delivered more than once, or a state is notified after a newer one (conflicting notifications)',
    control: 'the same alerts before the first step (all nodes on the old version) and after the last (all on the new one): each transition once',
    faultPhases: (view) => view.nodeIds.map((_, i) => `step-${i + 1}`),
    controlPhases: ['before', 'after'],
    predicate: either(duplicates({ what: 'nodes of two versions' }), staleFiring()),
    // `before` is resolved during the first step (a transition of the upgrade): judged until it begins.
    controlPredicate: (view, phase) =>
      phase === 'before' ? duplicates({ until: firstFaultAt(['upgrade']) })(view, phase) : either(duplicates(), staleFiring())(view, phase),
  }),
  async drive(ctx) {
    const watch = new ClusterWatch(ctx);
    const source = newAlertSource(ctx);
    try {
      const to = ctx.upgradeTo!;
      const w = windows(ctx);
      const alerts = upgradeAlerts(ctx.alerts);
      ctx.figures['from'] = [...new Set(ctx.nodes.map((n) => n.descriptor.version))].join('+');
      ctx.figures['to'] = to.requested;
      const before = await firePhase(ctx, source, { name: 'before', alerts });
      ctx.figures['duplicatesBefore'] = before.count().duplicates;
      await holdFiringSince(ctx, before.firedAt);

      const perStep: RollingUpgradeFigures['duplicatesPerStep'] = [];
      let previous: Phase = before;
      let lastFault: Awaited<ReturnType<typeof ctx.nemesis.apply>> | undefined;
      // The last position first, as an operator rolls a StatefulSet (highest ordinal first).
      const order = [...ctx.nodes].reverse();
      for (const [i, node] of order.entries()) {
        const step = i + 1;
        const fault = await ctx.nemesis.apply({ kind: 'upgrade', node: node.id, version: to.requested });
        if (lastFault) await ctx.nemesis.remove(lastFault);
        lastFault = fault;
        const formed = await watch.waitFormed(30_000);
        mark(ctx, `step ${step}: ${node.id} runs ${to.requested}${formed === undefined ? ' (the cluster did not show every peer within 30 s)' : ''}`);
        const resolvedAt = ctx.history.clock.now();
        await source.resolve(previous.keys);
        const phase = await firePhase(ctx, source, { name: `step-${step}`, alerts });
        await awaitDeliveries(ctx, previous.keys, 'resolved', { since: resolvedAt, windowMs: w.resolveDelivery });
        const c = phase.count();
        perStep.push({ step, node: node.id, duplicates: c.duplicates, transitions: c.transitions });
        previous = phase;
      }
      ctx.figures['duplicatesPerStep'] = perStep;
      if (lastFault) await ctx.nemesis.remove(lastFault);
      // Outside the upgrade: the settle margin after the last step, then everything must be exactly once.
      await ctx.sleep(settleMarginMs(ctx));
      const resolvedAt = ctx.history.clock.now();
      await source.resolve(previous.keys);
      const after = await firePhase(ctx, source, { name: 'after', alerts });
      await awaitDeliveries(ctx, previous.keys, 'resolved', { since: resolvedAt, windowMs: w.resolveDelivery });
      await holdFiringSince(ctx, after.firedAt);
      ctx.figures['duplicatesAfter'] = after.count().duplicates;
      const endAt = ctx.history.clock.now();
      await source.resolve(after.keys);
      await awaitDeliveries(ctx, after.keys, 'resolved', { since: endAt, windowMs: w.resolveDelivery });
      mark(ctx, `duplicates: before ${ctx.figures['duplicatesBefore']}, steps ${perStep.map((s) => s.duplicates).join('/')}, after ${ctx.figures['duplicatesAfter']}`);
    } finally {
      watch.close();
      await source.stop();
    }
  },
};
