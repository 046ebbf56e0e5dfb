import type { HistoryEvent, NodeId, NotificationEvent, RouteRecord } from '../history/types.js';
import { labelKey } from '../history/types.js';
import { intentsByKey } from './intents.js';
import { subtractIntervals, type Interval } from './intervals.js';
import { routeOfGroup, routeTree } from './routes.js';
import {
  capEvidence,
  deriveWindows,
  describeNode,
  fmtT,
  observedUntil,
  transitionHorizon,
  unknownResult,
  viewScenario,
  wallToT,
  type ScenarioView,
} from './scenario.js';
import type { CheckResult, Evidence } from './types.js';

export const VALIDITY = 'validity';

export interface ValidityOptions {
  /**
   * Two webhooks arriving within this many ms of each other raced (on the wire and in the
   * capture's event loop); their order says nothing about which state was newer. Default 50.
   */
  orderToleranceMs?: number;
  /** HTTP/scheduling slack (default 1000 ms). */
  deliveryMarginMs?: number;
  maxEvidence?: number;
}

/** One alert's state in one delivered notification. */
interface State {
  t: number;
  seq: number;
  /** The alert's labels as sent (with a source's replica label when it was not dropped): Alertmanager's own identity. */
  rawKey: string;
  status: 'firing' | 'resolved';
  sender: NodeId | undefined;
  notification: NotificationEvent;
  route: RouteRecord;
}

type ViolationKind = 'phantom' | 'stale-firing' | 'stale-resolved' | 'resolved-while-firing' | 'duplicate-alert';

/**
 * validity: what each notification says matches what the workload did. Per receiver and alert,
 * in arrival order:
 *
 * - **phantom**: the notification carries an alert the workload never fired (before it arrived);
 * - **resolved-while-firing**: it carries the alert `resolved` although the workload kept it
 *   firing throughout the time the flush that sent it can have happened (arrival − lag, where lag
 *   = (N−1) × peer_timeout + retry budget + margin of the group's route) — unless the sender's copy
 *   of the alert had expired: no post that reached it carried an endsAt beyond the flush (the
 *   alert resolves itself in Alertmanager when nobody re-sends it; counted as `expiredResolved`);
 * - **stale-firing**: it carries the alert `firing` after a `resolved` of it (for the workload's
 *   resolve) was already delivered to that receiver, and the workload did not fire it again in
 *   between — an older state after a newer one (seen on 0.25.0 with group_interval ≤ (N−1) ×
 *   peer_timeout, upstream #3551);
 * - **stale-resolved**: it carries the alert `resolved` (for an old resolve) after a `firing` of
 *   the alert's next episode was already delivered there;
 * - **duplicate-alert**: with Prometheus replicas as the source, the one alert the workload fired
 *   reached the receiver as several alerts that differ only in the replicas' own external label
 *   (the replica label was not dropped): one evidence item per extra label set.
 *
 * Arrival order uses the request's arrival; states within the order tolerance count as concurrent.
 * Each violation is evidence with the notifications, the intents and the sender. Unknown when no
 * notified alert state could be checked, or the history ended before the last state of an alert
 * could still be followed by a stale one (its horizon, as exactly-once's).
 */
export function checkValidity(history: readonly HistoryEvent[], options: ValidityOptions = {}): CheckResult {
  const v = viewScenario(history);
  if (!v.ok) return unknownResult(VALIDITY, v.reason, [{ kind: 'history', message: v.reason, events: v.events }]);
  const view = v.view;
  if (view.intents.length === 0) return unknownResult(VALIDITY, 'the workload recorded no alert.fire/alert.resolve intents to compare notifications with');
  const tol = options.orderToleranceMs ?? 50;
  const margin = options.deliveryMarginMs ?? 1000;
  const tree = routeTree(view);
  const byKey = intentsByKey(view);
  const watchedUntil = observedUntil(view);
  const expiry = new ExpiryIndex(view);

  // Per receiver and alert: every delivered state, in arrival order.
  const states = new Map<string, State[]>();
  for (const n of view.notifications) {
    if (!n.delivered) continue;
    const route = routeOfGroup(tree, n).route;
    const t = n.receivedT ?? n.t;
    for (const a of n.alerts) {
      const key = a.key ?? labelKey(a.labels);
      const id = `${n.receiver}\u0000${key}`;
      let list = states.get(id);
      if (!list) states.set(id, (list = []));
      list.push({ t, seq: n.seq, rawKey: labelKey(a.labels), status: a.status, sender: n.sender, notification: n, route });
    }
  }
  for (const list of states.values()) list.sort((a, b) => a.t - b.t || a.seq - b.seq);

  const counts = { statesChecked: 0, alerts: states.size, phantoms: 0, staleFiring: 0, staleResolved: 0, resolvedWhileFiring: 0, duplicateAlerts: 0, expiredResolved: 0, unwatched: 0 };
  const failEvidence: Evidence[] = [];
  const otherEvidence: Evidence[] = [];
  let latestHorizon = -Infinity;

  for (const [id, list] of states) {
    const [receiver, key] = id.split('\u0000') as [string, string];
    const intents = byKey.get(key);
    const fires = intents?.intents.filter((e) => e.type === 'alert.fire').map((e) => e.t) ?? [];
    const resolves = intents?.intents.filter((e) => e.type === 'alert.resolve').map((e) => e.t) ?? [];
    const violation = (kind: ViolationKind, s: State, message: string, newer?: State, extra: Record<string, unknown> = {}): void => {
      counts[COUNTER[kind]]++;
      failEvidence.push({
        kind,
        message: `receiver ${receiver}, alert ${key}: ${message}`,
        events: [...(newer ? [newer.seq] : []), s.seq, ...(intents?.intents.map((e) => e.seq) ?? []).slice(-4)],
        data: {
          receiver,
          alert: key,
          groupKey: s.notification.groupKey,
          route: s.route.id,
          sender: s.sender ?? null,
          t: s.t,
          seq: s.seq,
          ...(newer ? { newer: { seq: newer.seq, t: newer.t, sender: newer.sender ?? null, status: newer.status } } : {}),
          // The span the violation covers, for expectation predicates (src/checkers/expectations.ts).
          firstT: newer ? newer.t : s.t,
          lastT: s.t,
          ...extra,
        },
        fails: true,
      });
    };

    // The same alert under several label sets (replica label not dropped): each extra one is a duplicate.
    const firstOfRaw = new Map<string, State>();
    for (const st of list) if (!firstOfRaw.has(st.rawKey)) firstOfRaw.set(st.rawKey, st);
    if (firstOfRaw.size > 1) {
      const [first, ...extra] = [...firstOfRaw.values()];
      for (const x of extra) {
        violation(
          'duplicate-alert',
          x,
          `it reached the receiver as ${firstOfRaw.size} different alerts (${[...firstOfRaw.keys()].join(' and ')}), which differ only in the alert source's replica label: ${describeNode(view, x.sender)} delivered ${x.rawKey} at ${fmtT(x.t)}, after ${first!.rawKey} at ${fmtT(first!.t)}`,
          first,
          { labelSets: [...firstOfRaw.keys()] },
        );
      }
    }

    const last = list[list.length - 1]!;
    const horizon = transitionHorizon(view, last.route, last.t, false, margin / 2);
    latestHorizon = Math.max(latestHorizon, horizon);
    if (horizon > watchedUntil) counts.unwatched++;

    for (const [i, s] of list.entries()) {
      counts.statesChecked++;
      if (!fires.some((f) => f <= s.t)) {
        violation('phantom', s, `${describeNode(view, s.sender)} delivered it ${s.status} at ${fmtT(s.t)}, but the workload never fired it before that`);
        continue;
      }
      const lag = lagOf(view, s.route, margin);
      const firingThroughout = (from: number, to: number): boolean => subtractIntervals({ start: from, end: to }, intents!.firing).length === 0;
      if (s.status === 'firing') {
        // The newest resolve delivered before this state (beyond the tolerance) — and the workload resolve it stands for.
        for (let j = i - 1; j >= 0; j--) {
          const d = list[j]!;
          if (d.t > s.t - tol || d.status !== 'resolved') continue;
          const r = latestAtOrBefore(resolves, d.t);
          if (r === undefined) break; // that resolved was not the workload's (an expiry): judged on its own
          if (fires.some((f) => f > r && f <= s.t)) break; // fired again since: this firing is the new episode's
          violation(
            'stale-firing',
            s,
            `${describeNode(view, s.sender)} delivered it firing at ${fmtT(s.t)}, after ${describeNode(view, d.sender)} had delivered it resolved at ${fmtT(d.t)} ` +
              `(the workload resolved it at ${fmtT(r)} and did not fire it again): an older state after a newer one`,
            d,
            { resolveT: r },
          );
          break;
        }
        continue;
      }
      // status resolved. The flush that sent it happened after the node first had the alert and at
      // most `lag` before the arrival; if the workload kept the alert firing all that time, the
      // resolution is not the workload's.
      const flushFrom = Math.max(s.t - lag, Math.min(...fires));
      if (firingThroughout(flushFrom, s.t)) {
        const sender = s.sender;
        const exp = sender !== undefined ? expiry.expiredOn(s.rawKey, sender, flushFrom, s.t) : 'unknown';
        if (exp === 'expired' || exp === 'maybe') {
          counts.expiredResolved++;
          otherEvidence.push({
            kind: 'expired-resolved',
            message: `receiver ${receiver}, alert ${key}: ${describeNode(view, sender)} delivered it resolved at ${fmtT(s.t)} while the workload kept it firing; no re-send had reached ${sender} since its endsAt passed (${exp === 'expired' ? 'the posts that reached it carried an earlier endsAt' : 'it was down or cut off from the source around then'}), so Alertmanager resolved it itself`,
            events: [s.seq],
            data: { receiver, alert: key, sender: sender ?? null, t: s.t },
          });
          continue;
        }
        violation(
          'resolved-while-firing',
          s,
          `${describeNode(view, s.sender)} delivered it resolved at ${fmtT(s.t)}, but the workload kept it firing from ${fmtT(flushFrom)} (the earliest the flush that sent it can have happened) on, and re-sent it to ${s.sender ?? 'the sender'} in time`,
        );
        continue;
      }
      // A resolution of the workload's: stale if a firing of a later episode was already delivered.
      const r = latestAtOrBefore(resolves, s.t);
      if (r === undefined) continue;
      for (let j = i - 1; j >= 0; j--) {
        const d = list[j]!;
        if (d.t > s.t - tol || d.status !== 'firing') continue;
        const f = latestAtOrBefore(fires, d.t);
        if (f === undefined || f <= r) break; // that firing was of the episode this resolves
        violation(
          'stale-resolved',
          s,
          `${describeNode(view, s.sender)} delivered it resolved at ${fmtT(s.t)} (for the resolve at ${fmtT(r)}), after ${describeNode(view, d.sender)} had already delivered its next firing at ${fmtT(d.t)} (fired again at ${fmtT(f)})`,
          d,
          { resolveT: r, refireT: f },
        );
        break;
      }
    }
  }

  const figures: CheckResult['figures'] = {
    ...counts,
    orderToleranceMs: tol,
    latestHorizon: Number.isFinite(latestHorizon) ? latestHorizon : null,
    watchedUntil,
  };
  const { evidence, truncated } = capEvidence([...failEvidence, ...otherEvidence], options.maxEvidence ?? 100);
  if (truncated > 0) figures['evidenceTruncated'] = truncated;
  const violations = counts.phantoms + counts.staleFiring + counts.staleResolved + counts.resolvedWhileFiring + counts.duplicateAlerts;
  if (violations > 0) {
    const parts = [
      counts.staleFiring && `${counts.staleFiring} stale firing`,
      counts.staleResolved && `${counts.staleResolved} stale resolved`,
      counts.resolvedWhileFiring && `${counts.resolvedWhileFiring} resolved while still firing`,
      counts.phantoms && `${counts.phantoms} never fired (phantom)`,
      counts.duplicateAlerts && `${counts.duplicateAlerts} duplicated under another replica label`,
    ].filter(Boolean);
    return { name: VALIDITY, verdict: 'fail', summary: `${violations} notified alert state(s) contradict the workload: ${parts.join(', ')}`, figures, evidence };
  }
  if (counts.statesChecked === 0) return unknownResult(VALIDITY, 'no delivered notification carried an alert: nothing to compare with the workload', evidence, figures);
  if (counts.unwatched > 0) {
    return unknownResult(
      VALIDITY,
      `no contradiction seen, but for ${counts.unwatched} alert(s) the history ended before a stale copy of their last state could still have arrived (latest horizon ${fmtT(latestHorizon)}, watched until ${fmtT(watchedUntil)})`,
      evidence,
      figures,
    );
  }
  return {
    name: VALIDITY,
    verdict: 'pass',
    summary: `${counts.statesChecked} notified alert state(s) of ${counts.alerts} alert(s) match the workload: none stale, none resolved while firing, none never fired` +
      (counts.expiredResolved > 0 ? ` (${counts.expiredResolved} resolved by expiry on a node no re-send reached)` : ''),
    figures,
    evidence,
  };
}

const COUNTER: Record<ViolationKind, 'phantoms' | 'staleFiring' | 'staleResolved' | 'resolvedWhileFiring' | 'duplicateAlerts'> = {
  phantom: 'phantoms',
  'stale-firing': 'staleFiring',
  'stale-resolved': 'staleResolved',
  'resolved-while-firing': 'resolvedWhileFiring',
  'duplicate-alert': 'duplicateAlerts',
};

/** How long before a notification's arrival the flush that sent it can have happened. */
function lagOf(view: ScenarioView, route: RouteRecord, margin: number): number {
  const w = deriveWindows(view, margin, route);
  return w.peerWaitMaxMs + w.retrySlackMs + margin;
}

function latestAtOrBefore(times: readonly number[], t: number): number | undefined {
  let best: number | undefined;
  for (const x of times) if (x <= t && (best === undefined || x > best)) best = x;
  return best;
}

/**
 * When each node's copy of an alert was valid until: the endsAt of every alerts.post that
 * reached it, from the moment it was processed (its completion — a post sent to a paused node is
 * processed only on resume, and may then carry an endsAt already past). An alert whose endsAt
 * passed with no later post is resolved by Alertmanager itself. Histories without posts fall back
 * to outages: a node that was down, paused or cut off by a fault naming it may have missed re-sends.
 */
class ExpiryIndex {
  private readonly perKey = new Map<string, Map<NodeId, { t: number; validUntil: number }[]>>();
  private readonly hasPosts: boolean;
  private readonly outages: Map<NodeId, Interval[]>;

  constructor(private readonly view: ScenarioView) {
    let posts = 0;
    const completes = new Map<number, { ok: boolean | null; t: number }>();
    for (const c of view.completes) if (c.kind === 'alerts.post') completes.set(c.op, { ok: c.ok, t: c.t });
    for (const inv of view.invokes.values()) {
      if (inv.kind !== 'alerts.post' || !Array.isArray(inv.value)) continue;
      posts++;
      const done = completes.get(inv.op);
      if (done?.ok !== true) continue;
      for (const a of inv.value as { labels?: Record<string, string>; endsAt?: string }[]) {
        if (!a?.labels) continue;
        const validUntil = a.endsAt ? wallToT(view, a.endsAt) : undefined;
        if (validUntil === undefined) continue;
        const key = labelKey(a.labels);
        let nodes = this.perKey.get(key);
        if (!nodes) this.perKey.set(key, (nodes = new Map()));
        let list = nodes.get(inv.node);
        if (!list) nodes.set(inv.node, (list = []));
        list.push({ t: done.t, validUntil });
      }
    }
    this.hasPosts = posts > 0;
    this.outages = new Map();
    for (const d of view.nodeDown) this.push(d.node, { start: d.start, end: d.end });
    for (const f of view.faults) {
      if (f.scope !== 'cluster') continue;
      const nodes = f.nodes ?? (f.components ? [] : view.nodeIds);
      for (const n of nodes) this.push(n, { start: f.start, end: f.end });
    }
  }

  private push(node: NodeId, i: Interval): void {
    let l = this.outages.get(node);
    if (!l) this.outages.set(node, (l = []));
    l.push(i);
  }

  /**
   * Had `node`'s copy of `key` expired by some moment in [from, to] (the flush's possible times)?
   * `expired`: the posts that reached it all carried an endsAt before `to`; `maybe`: no post data,
   * but the node was out around then; `no`: it was re-sent in time.
   */
  expiredOn(key: string, node: NodeId, from: number, to: number): 'expired' | 'maybe' | 'no' {
    if (this.hasPosts) {
      // The node's knowledge is a step function: the largest endsAt of the posts processed so far.
      // Was there a moment F in [from, to] (when the flush may have run) at which it had passed?
      // Before the first post reached it the node did not have the alert at all (nothing to resolve).
      const list = [...(this.perKey.get(key)?.get(node) ?? [])].sort((a, b) => a.t - b.t);
      if (list.length === 0 || list[0]!.t > to) return 'no';
      const start = Math.max(from, list[0]!.t);
      let valid = -Infinity;
      let i = 0;
      for (; i < list.length && list[i]!.t <= start; i++) valid = Math.max(valid, list[i]!.validUntil);
      for (;;) {
        // Until the next post is processed (or `to`), the node's copy is valid until `valid`.
        const next = i < list.length ? Math.min(list[i]!.t, to) : to;
        if (valid <= next) return 'expired';
        if (i >= list.length || list[i]!.t > to) return 'no';
        valid = Math.max(valid, list[i]!.validUntil);
        i++;
      }
    }
    const validity = 4 * this.view.timers.resendIntervalMs;
    const out = (this.outages.get(node) ?? []).some((i) => i.start <= to && i.end >= from - validity);
    return out ? 'maybe' : 'no';
  }
}
