import { duringSourceMistake } from '../src/checkers/expectations.js';
import { deriveWindows, type ScenarioView } from '../src/checkers/scenario.js';
import type { Evidence } from '../src/checkers/types.js';
import type { FaultWindow } from '../src/checkers/scenario.js';
import type { NodeId } from '../src/history/types.js';
import type { ActiveFault } from '../src/nemesis/nemesis.js';
import type { SourceSetup } from '../src/prometheus/source.js';
import type { ScenarioContext, SuiteDefinition } from '../src/run/suite.js';
import { deliveredKeys, firePhase, holdFiringSince, mark, newAlertSource, windows } from '../src/steps/index.js';
import type { ScenarioSource } from '../src/workload/types.js';

/**
 * prometheus-ha: real Prometheus as the source, as production runs it — an HA pair evaluating the
 * same rules, each replica sending to every Alertmanager node, the replica label dropped with
 * alert_relabel_configs (labeldrop, as prometheus-operator configures it). Then the classic
 * mistakes, each set up by the suite itself as a `source-config` fault of the source, each
 * reproduced with evidence the checkers find and a known behaviour names:
 *
 * 1. healthy — exactly once, nothing lost;
 * 2. replica-label-kept — nothing drops the replica label: every alert reaches Alertmanager as two
 *    alerts (replica="p1" and replica="p2"), and the receiver gets it twice (validity
 *    `duplicate-alert`; exactly-once duplicates when the second label set arrives in a later flush);
 * 3. evaluation-offset — the phase's alerts fire and resolve; right after their resolution was
 *    delivered, p2 is given a 20 s evaluation offset (a rule group of its own, evaluated every
 *    second): it re-evaluates the past, fires them again, and while p1 keeps sending them resolved
 *    Alertmanager keeps whichever arrived last before each flush — p2's, which posts between p1's
 *    posts and the flush — so the resolved alerts flap back to firing (validity stale firing) until
 *    p2's view passes their resolution; a later resolution waits for p2 the same way;
 * 4. healthy-faults — what the pair is for: n1 down and replica p1 out (cut from n2 where the
 *    runtime has per-link control, killed elsewhere) — still exactly once, nothing lost; the
 *    reference the next phase's loss is measured against;
 * 5. single-target — every replica sends only to n1 (directly, or through one address that leads
 *    there), and n1 is down: the firing notifications are lost (no-loss), though two nodes were up.
 *
 * The mistakes are expected failures only through their known behaviours (the evidence lies inside
 * the mistake the suite set up); anything in the healthy phases fails the run. The mistake phases
 * without a node down come first, so no node outage's settle time hides their duplicates. Each
 * phase's figures (`phases`: flip-to-delivery latencies, alerts never delivered, label sets,
 * duplicates, flaps) are measured at the end of the drive.
 */

/** What one phase measured (figures). */
export interface HaPhase {
  name: string;
  description: string;
  /** The source-config mistake in place, if any. */
  mistake?: string;
  alerts: number;
  /** From the exporter's flip to each alert's first firing delivery (ms). */
  firingLatencyMs: { p50: number | null; max: number | null };
  /** From the flip back to each alert's first resolved delivery after it (ms). */
  resolvedLatencyMs: { p50: number | null; max: number | null };
  /** Alerts of the phase never delivered firing. */
  neverDeliveredFiring: number;
  /** Alerts that reached the receiver under more than one label set. */
  duplicatedLabelSets: number;
  /** Deliveries Alertmanager's dedup rule would have suppressed (the suite's count, not a verdict). */
  duplicates: number;
  /** Alerts delivered firing again after their resolution was delivered (flapping). */
  flapped: number;
  notifications: number;
}

export interface PrometheusHaFigures {
  phases: HaPhase[];
  evaluationOffsetMs: number;
}

/**
 * How far the lagging replica evaluates in the past in the evaluation-offset phase: given the offset
 * a few seconds after the phase's alerts resolved, it fires them again for the rest of it — long
 * enough for two group_interval ticks (6 s for 3 nodes) to see them firing.
 */
export const EVALUATION_OFFSET_MS = 20_000;
/** The lagging replica's rule group runs every second: it posts between the other's posts and each flush. */
export const LAGGING_INTERVAL_MS = 1_000;

const MISTAKES = {
  labelKept: 'replica-label-kept',
  offset: 'evaluation-offset',
  singleTarget: 'single-target',
} as const;

/** Tail of a mistake: the last position's wait and retries after the mistake was undone. */
function tail(view: ScenarioView, extraMs = 0): number {
  const w = deriveWindows(view, 500);
  return w.resolveFlushWindowMs + w.peerWaitMaxMs + w.retrySlackMs + extraMs;
}

/** Every node any replica of the mistake's setup sent to was down or cut off when the alert began firing. */
function targetsWereDown(view: ScenarioView, mistake: FaultWindow, e: Evidence): boolean {
  const at = e.data?.['intentT'];
  const setup = mistake.spec?.['setup'] as SourceSetup | undefined;
  if (typeof at !== 'number' || !setup) return false;
  const targets = new Set(Object.values(setup).flatMap((r) => r.targets));
  const down = (n: NodeId) => view.nodeDown.some((d) => d.node === n && d.start <= at && at <= d.end) || view.faults.some((f) => f.scope === 'cluster' && f.nodes?.includes(n) && f.start <= at && at <= f.end);
  return targets.size > 0 && [...targets].every(down);
}

export const prometheusHa: SuiteDefinition<PrometheusHaFigures> = {
  name: 'prometheus-ha',
  summary: 'an HA pair of real Prometheus servers sending to every node: exactly once, none lost; the classic HA mistakes reproduced with evidence',
  checks: ['no-loss', 'exactly-once', 'validity'],
  needs: { source: 'prometheus' },
  knownBehaviours: [
    duringSourceMistake({
      id: 'prometheus-replica-label-kept',
      mistake: MISTAKES.labelKept,
      checks: ['validity', 'exactly-once'],
      kinds: ['duplicate-alert', 'duplicate'],
      tailMs: (view) => tail(view),
      reason:
        'the replicas\' replica label was not dropped (no alert_relabel_configs labeldrop): each replica\'s copy of an alert has its own label set, so Alertmanager cannot deduplicate them and the receiver gets every alert twice',
    }),
    duringSourceMistake({
      id: 'prometheus-evaluation-offset',
      mistake: MISTAKES.offset,
      checks: ['validity', 'exactly-once', 'no-loss'],
      kinds: ['stale-firing', 'stale-resolved', 'resolved-while-firing', 'duplicate', 'late-resolution'],
      tailMs: (view) => tail(view, EVALUATION_OFFSET_MS),
      reason:
        'the replicas evaluate their rules at different offsets: the lagging replica re-evaluates the past and keeps sending alerts firing that the other already sent resolved, and Alertmanager follows whichever arrived last — resolved alerts flap back to firing, and resolutions wait for the lagging replica',
    }),
    duringSourceMistake({
      id: 'prometheus-single-target',
      mistake: MISTAKES.singleTarget,
      checks: ['no-loss'],
      kinds: ['lost-firing', 'late-firing'],
      tailMs: () => 0,
      requires: targetsWereDown,
      reason: 'every Prometheus replica sent only to one Alertmanager, and that node was down: the alerts reached no node, although the others were up',
    }),
  ],
  async drive(ctx) {
    const prom = ctx.prometheus;
    if (!prom) throw new Error('prometheus-ha runs with --source prometheus (checked before the run starts)');
    const source = newAlertSource(ctx);
    const started: Started[] = [];
    ctx.figures.evaluationOffsetMs = EVALUATION_OFFSET_MS;
    const healthy = prom.healthySetup();
    const all = (f: (s: SourceSetup[string]) => SourceSetup[string]): SourceSetup => Object.fromEntries(Object.entries(healthy).map(([id, s]) => [id, f(s)]));
    const [p1] = prom.replicaIds;
    const [first, second] = ctx.nodes.map((n) => n.id);
    const mistake = (name: string, description: string, setup: SourceSetup) => ctx.nemesis.apply({ kind: 'source-config', mistake: name, description, setup });
    try {
      started.push(await phase(ctx, source, 'healthy', 'every replica sends to every node and drops its replica label'));

      let m: ActiveFault = await mistake(MISTAKES.labelKept, 'replica label not dropped (no labeldrop in alert_relabel_configs)', all((s) => ({ ...s, dropReplicaLabel: false })));
      started.push(await phase(ctx, source, MISTAKES.labelKept, m.description, MISTAKES.labelKept));
      await ctx.nemesis.remove(m);

      const lagging = prom.replicaIds[prom.replicaIds.length - 1]!;
      const offsetDescription = `replica ${lagging} evaluates its rules ${EVALUATION_OFFSET_MS / 1000} s in the past (every ${LAGGING_INTERVAL_MS / 1000} s)`;
      started.push(
        await phase(ctx, source, MISTAKES.offset, `${offsetDescription}, from just after the phase's alerts resolved`, MISTAKES.offset, {
          // Right after the resolution was delivered: the lagging replica re-evaluates the last 20 s, fires
          // the alerts again, and resolves them once its view passes their resolution; watch until a flush after that.
          afterResolved: async (resolvedAt) => {
            m = await mistake(MISTAKES.offset, offsetDescription, { [lagging]: { ...healthy[lagging]!, evaluationOffsetMs: EVALUATION_OFFSET_MS, evaluationIntervalMs: LAGGING_INTERVAL_MS } });
            const w = windows(ctx);
            const left = resolvedAt + EVALUATION_OFFSET_MS + w.resolveDelivery + w.duplicateWindow - ctx.history.clock.now();
            if (left > 0) await ctx.sleep(left);
          },
        }),
      );
      await ctx.nemesis.remove(m);

      // What the pair is for: one node down and one replica out — cut from a node where the runtime can
      // cut a link, killed elsewhere — while the other replica is healthy: still nothing lost, exactly
      // once. Also the reference the single-target mistake's loss is measured against. (One replica
      // cut from a node slows that replica's sends to every node: its notifier waits for the slowest
      // Alertmanager of each round, up to the 10 s timeout — the healthy replica covers for it.)
      // Let the last phase's late copies arrive before a node goes down (a copy cut short by the kill is the kill's).
      await ctx.sleep(windows(ctx).duplicateWindow);
      const down = await ctx.nemesis.apply({ kind: 'kill', node: first! });
      const replicaFault = await ctx.nemesis.apply(
        ctx.cluster.capabilities.linkFaults && second ? { kind: 'source-cut', replica: p1!, node: second } : { kind: 'source-kill', replica: p1! },
      );
      started.push(await phase(ctx, source, 'healthy-faults', `${down.description}, ${replicaFault.description}; every replica sends to every node`));
      await ctx.nemesis.remove(replicaFault);

      // The mistake, with the same node still down.
      m = await mistake(MISTAKES.singleTarget, `every replica sends only to ${first}`, all((s) => ({ ...s, targets: [first!] })));
      started.push(await phase(ctx, source, MISTAKES.singleTarget, `${m.description}, and ${first} is down`, MISTAKES.singleTarget));
      await ctx.nemesis.remove(down);
      await ctx.nemesis.remove(m);
    } finally {
      await source.stop();
      // Measured at the end, so each phase's late copies are counted too.
      ctx.figures.phases = started.map((p) => measure(ctx, p));
    }
  },
};

interface Started {
  name: string;
  description: string;
  mistake?: string | undefined;
  keys: string[];
  count: () => { duplicates: number };
}

/**
 * One phase: fire its own alerts (groups of their own), wait until they are delivered, hold them
 * for a flush window (and `holdMs`), resolve, wait until resolved. No duplicate window: copies come
 * while later phases run, and the quiesce phase watches every transition to its horizon.
 */
async function phase(
  ctx: ScenarioContext<PrometheusHaFigures>,
  source: ScenarioSource,
  name: string,
  description: string,
  mistake?: string,
  o: { afterResolved?: (resolvedAt: number) => Promise<void> } = {},
): Promise<Started> {
  const w = windows(ctx);
  mark(ctx, `phase ${name}: ${description}`);
  const p = await firePhase(ctx, source, { name, wait: false });
  const delivered = (status: 'firing' | 'resolved', since: number) => () => {
    const got = deliveredKeys(ctx, status, since);
    return p.keys.every((k) => got.has(k));
  };
  await ctx.waitUntil(delivered('firing', p.firedAt), w.firstDelivery + w.duplicateWindow);
  await holdFiringSince(ctx, p.firedAt);
  const resolvedAt = ctx.history.clock.now();
  await source.resolve(p.keys);
  await ctx.waitUntil(delivered('resolved', resolvedAt), w.resolveDelivery + w.duplicateWindow);
  await o.afterResolved?.(resolvedAt);
  return { name, description, mistake, keys: p.keys, count: () => p.count() };
}

function measure(ctx: ScenarioContext, p: Started): HaPhase {
  const { name, description, mistake, keys } = p;
  const duplicates = p.count().duplicates;
  const wanted = new Set(keys);
  const flips = new Map<string, { on?: number; off?: number }>();
  for (const e of ctx.history.all()) {
    if (e.type !== 'source.flip' || !wanted.has(e.alert)) continue;
    const f = flips.get(e.alert) ?? {};
    if (e.value === 1 && f.on === undefined) f.on = e.t;
    if (e.value === 0 && f.off === undefined) f.off = e.t;
    flips.set(e.alert, f);
  }
  const firstFiring = new Map<string, number>();
  const firstResolved = new Map<string, number>();
  const labelSets = new Map<string, Set<string>>();
  const lastStatus = new Map<string, string>();
  let flapped = 0;
  let notifications = 0;
  for (const n of ctx.notifications()) {
    if (!n.delivered || !n.alerts.some((a) => wanted.has(a.key))) continue;
    notifications++;
    for (const a of n.alerts) {
      if (!wanted.has(a.key)) continue;
      const sets = labelSets.get(a.key) ?? new Set<string>();
      sets.add(JSON.stringify(Object.entries(a.labels).sort()));
      labelSets.set(a.key, sets);
      if (a.status === 'firing' && !firstFiring.has(a.key)) firstFiring.set(a.key, n.t);
      const off = flips.get(a.key)?.off;
      if (a.status === 'resolved' && off !== undefined && n.t >= off && !firstResolved.has(a.key)) firstResolved.set(a.key, n.t);
      // Per label set as sent: two replicas' copies (replica label kept) have their own histories.
      const raw = JSON.stringify(Object.entries(a.labels).sort());
      if (a.status === 'firing' && lastStatus.get(raw) === 'resolved') flapped++;
      lastStatus.set(raw, a.status);
    }
  }
  const lat = (m: Map<string, number>, at: 'on' | 'off') => {
    const xs = keys.flatMap((k) => {
      const t = m.get(k);
      const f = flips.get(k)?.[at];
      return t !== undefined && f !== undefined ? [Math.round(t - f)] : [];
    });
    xs.sort((a, b) => a - b);
    return { p50: xs.length > 0 ? xs[Math.floor((xs.length - 1) / 2)]! : null, max: xs.length > 0 ? xs[xs.length - 1]! : null };
  };
  const out: HaPhase = {
    name,
    description,
    ...(mistake ? { mistake } : {}),
    alerts: keys.length,
    firingLatencyMs: lat(firstFiring, 'on'),
    resolvedLatencyMs: lat(firstResolved, 'off'),
    neverDeliveredFiring: keys.filter((k) => !firstFiring.has(k)).length,
    duplicatedLabelSets: [...labelSets.values()].filter((s) => s.size > 1).length,
    duplicates,
    flapped,
    notifications,
  };
  ctx.log(
    `phase ${name}: firing after ${out.firingLatencyMs.p50 ?? '-'} ms (max ${out.firingLatencyMs.max ?? '-'}), resolved after ${out.resolvedLatencyMs.p50 ?? '-'} ms (max ${out.resolvedLatencyMs.max ?? '-'}), ` +
      `${out.neverDeliveredFiring} never delivered firing, ${out.duplicatedLabelSets} under two label sets, ${out.duplicates} duplicates, ${out.flapped} flapped`,
  );
  return out;
}
