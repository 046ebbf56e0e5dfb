import type { HistoryEvent, NotificationEvent, RouteRecord } from '../history/types.js';
import { decide, deliveredByGroup, describeKeys, groupId, type NotifiedState, type WalkDecision } from './dedup.js';
import { intentsByKey } from './intents.js';
import { overlapsAny } from './intervals.js';
import { routeOfGroup, routeTree } from './routes.js';
import {
  capEvidence,
  clusterPositionAt,
  deriveWindows,
  describeNode,
  disturbedIntervals,
  fmtT,
  observedUntil,
  transitionHorizon,
  unknownResult,
  viewScenario,
  type ScenarioView,
} from './scenario.js';
import type { CheckResult, Evidence } from './types.js';

export const EXACTLY_ONCE = 'exactly-once';

export interface ExactlyOnceOptions {
  /** Time after a fault is removed before the cluster counts as healthy again (default: reconnect interval + gossip margin). */
  settleMarginMs?: number;
  /** Most evidence items to return (default 100). */
  maxEvidence?: number;
}

/** One group transition: the first notification of a new group state and the copies that followed. */
export interface Transition {
  receiver: string;
  groupKey: string;
  first: NotifiedState;
  reason: string;
  copies: NotifiedState[];
  /** The state could not be judged (truncated alerts, or a silent nflog reset that may have happened). */
  ambiguous?: string;
}

/**
 * Receiver config as the scenario recorded it, with the evidence-worthy cases where it did not.
 * repeat_interval is the group's route's when the scenario recorded routes (a receiver can sit on
 * routes with different repeat intervals), else the receiver's.
 */
export function receiverConfig(
  view: ScenarioView,
  receiver: string,
  notifications: readonly NotifiedState[],
  route?: RouteRecord,
): { sendResolved: boolean; repeatMs: number; missing: string[] } {
  const missing: string[] = [];
  let sendResolved = view.start.sendResolved[receiver];
  if (sendResolved === undefined) {
    // Resolved alerts appear in a webhook only when send_resolved is on; otherwise assume off
    // (the silent-reset rule then excuses what "off" would otherwise call a duplicate).
    sendResolved = notifications.some((n) => n.resolved.size > 0);
    missing.push('sendResolved');
  }
  let repeatMs = view.start.routes && route ? route.repeatIntervalMs : view.start.repeatIntervalMs[receiver];
  if (repeatMs === undefined) {
    repeatMs = view.timers.repeatIntervalMs;
    missing.push('repeatIntervalMs');
  }
  return { sendResolved, repeatMs, missing };
}

/** Walks one group's delivered notifications with the cluster-wide dedup rule. */
export function walkTransitions(
  receiver: string,
  groupKey: string,
  list: readonly NotifiedState[],
  opts: Parameters<typeof decide>[2],
): Transition[] {
  const out: Transition[] = [];
  let entry: NotifiedState | undefined;
  let current: Transition | undefined;
  for (const s of list) {
    const d: WalkDecision = decide(entry, s, opts);
    if (d.notify === true || d.notify === 'ambiguous' || current === undefined) {
      current = { receiver, groupKey, first: s, reason: d.reason, copies: [] };
      if (d.notify === 'ambiguous') current.ambiguous = d.reason;
      else if (d.notify === false) current.ambiguous = d.reason; // e.g. resolved-only with no entry
      out.push(current);
      entry = s;
    } else {
      // A duplicate leaves the entry as it was: a synchronised cluster would not have logged it.
      current.copies.push(s);
    }
  }
  return out;
}

function senderOf(n: NotificationEvent): string {
  return n.sender ?? `unattributed(${n.externalURL})`;
}

/**
 * exactly-once: in a settled, healthy cluster every group transition is delivered once. A
 * delivered notification is a DUPLICATE when Alertmanager's own dedup rule, applied to the
 * cluster-wide last delivered notification of its (receiver, group key), would have suppressed it.
 * Duplicates count as failures only when neither their transition's first delivery nor anything
 * between it and the copy falls in a disturbed window (not ready yet, a fault or node outage plus
 * the settle margin, teardown). Others are figures.
 */
export function checkExactlyOnce(history: readonly HistoryEvent[], options: ExactlyOnceOptions = {}): CheckResult {
  const v = viewScenario(history);
  if (!v.ok) return unknownResult(EXACTLY_ONCE, v.reason, [{ kind: 'history', message: v.reason, events: v.events }]);
  const view = v.view;
  if (view.readyAt === undefined) {
    return unknownResult(EXACTLY_ONCE, 'cannot tell when the cluster was ready (no drive phase, node ready events or status samples)');
  }
  const windows = deriveWindows(view);
  const settle = options.settleMarginMs ?? windows.settleMarginMs;
  // What arrives after teardown began still counts, as healthy time unless a fault was active.
  const disturbed = disturbedIntervals(view, settle, { teardown: 'healthy' });
  const watchedUntil = observedUntil(view);
  const tree = routeTree(view);
  const byKey = intentsByKey(view);
  const groups = deliveredByGroup(view.notifications);
  // Groups whose sends the capture saw fail: their positions may retry until the pipeline gives up.
  const retriedGroups = new Set(view.notifications.filter((n) => !n.delivered).map((n) => groupId(n)));

  let transitions = 0;
  let healthyTransitions = 0;
  let duplicates = 0;
  let duplicatesDuringFaults = 0;
  let maxCopies = 0;
  let maxCopiesDuringFaults = 0;
  let ambiguous = 0;
  let unwatched = 0;
  let routeAmbiguous = 0;
  let latestHorizon = -Infinity;
  const bySender = new Map<string, number>();
  const failEvidence: Evidence[] = [];
  const faultEvidence: Evidence[] = [];
  const configEvidence: Evidence[] = [];
  const unwatchedEvidence: Evidence[] = [];

  for (const [id, list] of groups) {
    const { receiver, groupKey } = list[0]!.event;
    const { route, ambiguous: ambiguousRoute } = routeOfGroup(tree, list[0]!.event);
    if (ambiguousRoute) routeAmbiguous++;
    const cfg = receiverConfig(view, receiver, list, route);
    if (cfg.missing.length > 0 && !configEvidence.some((e) => e.data?.['receiver'] === receiver)) {
      configEvidence.push({
        kind: 'receiver-config-missing',
        message: `scenario.start has no ${cfg.missing.join('/')} for receiver ${receiver}; assumed sendResolved=${cfg.sendResolved}, repeat=${cfg.repeatMs}ms`,
        events: [view.start.seq],
        data: { receiver, missing: cfg.missing },
      });
    }
    const ts = walkTransitions(receiver, groupKey, list, {
      sendResolved: cfg.sendResolved,
      repeatMs: cfg.repeatMs,
      byKey,
      resetWindowMs: deriveWindows(view, undefined, route).resolveFlushWindowMs,
    });
    const retried = retriedGroups.has(id);
    for (const tr of ts) {
      transitions++;
      if (tr.ambiguous) ambiguous++;
      const firstT = tr.first.t;
      const healthyStart = !overlapsAny(disturbed, firstT, firstT) && !tr.ambiguous;
      const horizon = transitionHorizon(view, route, firstT, retried);
      if (healthyStart) {
        healthyTransitions++;
        latestHorizon = Math.max(latestHorizon, horizon);
        if (horizon > watchedUntil) {
          unwatched++;
          unwatchedEvidence.push({
            kind: 'not-watched-to-horizon',
            message:
              `receiver ${tr.receiver}, group ${tr.groupKey}: first delivered at ${fmtT(firstT)}; the last position could still send a copy until ` +
              `${fmtT(horizon)} (route ${route.id}: (N−1) × peer timeout + ${retried ? 'the retry budget' : 'one retry'} + margin), but the cluster was watched only until ${fmtT(watchedUntil)}`,
            events: [tr.first.seq],
            data: { receiver: tr.receiver, groupKey: tr.groupKey, firstT, horizon, watchedUntil, route: route.id },
          });
        }
      }
      const healthyCopies: NotifiedState[] = [];
      const faultCopies: NotifiedState[] = [];
      for (const c of tr.copies) {
        if (healthyStart && !overlapsAny(disturbed, firstT, c.t)) healthyCopies.push(c);
        else faultCopies.push(c);
      }
      duplicates += healthyCopies.length;
      duplicatesDuringFaults += faultCopies.length;
      if (healthyStart) maxCopies = Math.max(maxCopies, 1 + healthyCopies.length);
      if (faultCopies.length > 0) maxCopiesDuringFaults = Math.max(maxCopiesDuringFaults, 1 + tr.copies.length);
      for (const c of healthyCopies) {
        const s = senderOf(c.event);
        bySender.set(s, (bySender.get(s) ?? 0) + 1);
      }
      if (healthyCopies.length > 0) failEvidence.push({ ...transitionEvidence(view, tr, healthyCopies, 'duplicate', route), fails: true });
      if (faultCopies.length > 0) faultEvidence.push(transitionEvidence(view, tr, faultCopies, 'duplicate-during-fault', route));
    }
  }

  const delivered = view.notifications.filter((n) => n.delivered).length;
  const figures: CheckResult['figures'] = {
    notifications: delivered,
    notificationsUndelivered: view.notifications.length - delivered,
    groups: groups.size,
    transitions,
    healthyTransitions,
    duplicates,
    duplicatesDuringFaults,
    duplicatesTotal: duplicates + duplicatesDuringFaults,
    maxCopies,
    maxCopiesDuringFaults,
    ambiguousTransitions: ambiguous,
    transitionsNotWatchedToHorizon: unwatched,
    latestHorizon: Number.isFinite(latestHorizon) ? latestHorizon : null,
    watchedUntil,
    groupsWithAmbiguousRoute: routeAmbiguous,
    settleMarginMs: settle,
    readyAt: view.readyAt,
  };
  for (const [s, c] of [...bySender].sort()) figures[`duplicatesBySender:${s}`] = c;

  const { evidence, truncated } = capEvidence([...failEvidence, ...unwatchedEvidence, ...configEvidence, ...faultEvidence], options.maxEvidence ?? 100);
  if (truncated > 0) figures['evidenceTruncated'] = truncated;

  // The --no-cluster control: every node says "disabled". Its nodes were not a healthy cluster but
  // no cluster at all, and the summary must say so (its duplicates are the point of the control).
  const unclustered = view.statusSamples.length > 0 && view.statusSamples.every((s) => s.clusterStatus === 'disabled');
  const when = unclustered ? 'with the nodes not clustered (cluster status "disabled")' : 'while the cluster was healthy';
  if (duplicates > 0) {
    return {
      name: EXACTLY_ONCE,
      verdict: 'fail',
      summary:
        `${duplicates} duplicate notification(s) in ${failEvidence.length} of ${healthyTransitions} group transition(s) ${when} (up to ${maxCopies} notifications of one transition)` +
        (duplicatesDuringFaults > 0 ? `; ${duplicatesDuringFaults} more during faults` : ''),
      figures,
      evidence,
    };
  }
  if (healthyTransitions === 0) {
    return unknownResult(
      EXACTLY_ONCE,
      transitions === 0
        ? 'no delivered notification: no transition to check'
        : `none of the ${transitions} group transition(s) happened while the cluster was healthy and unambiguous`,
      evidence,
      figures,
    );
  }
  if (unwatched > 0) {
    return unknownResult(
      EXACTLY_ONCE,
      `no duplicate seen, but ${unwatched} of ${healthyTransitions} healthy group transition(s) were not watched until the last position could have sent a copy (latest horizon ${fmtT(latestHorizon)}, watched until ${fmtT(watchedUntil)})`,
      evidence,
      figures,
    );
  }
  return {
    name: EXACTLY_ONCE,
    verdict: 'pass',
    summary:
      `${healthyTransitions} group transition(s) ${when}, each notified exactly once (a group's notification carries all its alerts)` +
      (duplicatesDuringFaults > 0 ? `; ${duplicatesDuringFaults} duplicate(s) during injected faults (judged by the fault's own checks)` : ''),
    figures,
    evidence,
  };
}

function transitionEvidence(view: ScenarioView, tr: Transition, copies: NotifiedState[], kind: string, route: RouteRecord): Evidence {
  const first = tr.first;
  const parts = copies.map(
    (c) => `${describeNode(view, c.event.sender)} at ${fmtT(c.t)} (+${((c.t - first.t) / 1000).toFixed(3)}s)`,
  );
  const state = `firing [${describeKeys(first.firing)}]` + (first.resolved.size > 0 ? `, resolved [${describeKeys(first.resolved)}]` : '');
  return {
    kind,
    message:
      `receiver ${tr.receiver}, group ${tr.groupKey}: ${state} first delivered by ${describeNode(view, first.event.sender)} at ${fmtT(first.t)}, ` +
      `again by ${parts.join(', ')}`,
    events: [first.seq, ...copies.map((c) => c.seq)],
    data: {
      receiver: tr.receiver,
      groupKey: tr.groupKey,
      route: route.id,
      reason: tr.reason,
      firing: [...first.firing].sort(),
      resolved: [...first.resolved].sort(),
      copies: [first, ...copies].map((c) => ({
        seq: c.seq,
        id: c.event.id,
        sender: c.event.sender ?? null,
        externalURL: c.event.externalURL,
        groupKey: c.event.groupKey,
        position: c.event.sender !== undefined ? (clusterPositionAt(view, c.event.sender, c.t) ?? null) : null,
        t: c.t,
        gapMs: c.t - first.t,
      })),
    },
  };
}
