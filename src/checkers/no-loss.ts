import type { AlertIntentEvent, HistoryEvent, LabelSet, RouteRecord } from '../history/types.js';
import { labelKey } from '../history/types.js';
import {
  firstAtLeast,
  firstAtOrAfter,
  intersectIntervals,
  intervalAt,
  mergeIntervals,
  overlapsAny,
  subtractIntervals,
  type Interval,
} from './intervals.js';
import { ANY_RECEIVER, routesFor, routeTree } from './routes.js';
import {
  capEvidence,
  deriveWindows,
  fmtT,
  percentile,
  unknownResult,
  viewScenario,
  type ScenarioView,
} from './scenario.js';
import { describeSilence, mutedIntervals, reconstructSilences, type SilenceRecord } from './silences.js';
import type { CheckResult, Evidence } from './types.js';

export const NO_LOSS = 'no-loss';

export interface NoLossOptions {
  /** HTTP/scheduling slack added to flush windows (default 1000 ms). */
  deliveryMarginMs?: number;
  /** Override the derived firing deadline (ms after the alert became due). */
  fireDeadlineMs?: number;
  /** Override the derived resolution deadline (ms after the resolve). */
  resolveDeadlineMs?: number;
  maxEvidence?: number;
}

interface Delivery {
  t: number;
  seq: number;
  receiver: string;
  sender: string | undefined;
}

/** One firing episode of an alert: from a fire intent to the resolve that ended it (flaps merged). */
interface Episode {
  key: string;
  labels: LabelSet;
  fire: AlertIntentEvent;
  resolve?: AlertIntentEvent;
  start: number;
  end: number;
  /** Start of the next episode of the same alert (deliveries from then on belong to it). */
  nextStart: number;
  flapsMerged: number;
}

type Outcome = 'delivered' | 'late' | 'lost' | 'pending' | 'uncertain';

/**
 * An obligation's outcome: delivered in time, late, still pending when the history ended, or —
 * past the deadline without delivery — lost when nothing could excuse it (`certain`), else uncertain.
 */
function judgeDelivery(got: Delivery | undefined, deadline: number, observedEnd: number, certain: boolean): Outcome {
  if (got) return got.t > deadline ? 'late' : 'delivered';
  if (deadline > observedEnd) return 'pending';
  return certain ? 'lost' : 'uncertain';
}

/** The latest delivery to `receiver` in [from, to) of a list in arrival order, or undefined. */
function lastTo(list: readonly Delivery[] | undefined, receiver: string, from: number, to: number): Delivery | undefined {
  if (!list) return undefined;
  for (let i = firstAtOrAfter(list, to) - 1; i >= 0 && list[i]!.t >= from; i--) if (list[i]!.receiver === receiver) return list[i];
  return undefined;
}

function firstIn<T extends { t: number }>(list: readonly T[] | undefined, from: number, to: number, pred?: (x: T) => boolean): T | undefined {
  if (!list) return undefined;
  for (let i = firstAtOrAfter(list, from); i < list.length && list[i]!.t < to; i++) {
    if (!pred || pred(list[i]!)) return list[i];
  }
  return undefined;
}

/**
 * The deadline for a delivery due from `from`: from + dur, pushed back by every blocking window
 * (fault, node outage, not ready, teardown) that starts before it: to that window's end + dur +
 * the workload's resend interval (a restarted node only gets the alert again at the next resend).
 */
function extendDeadline(from: number, dur: number, blocking: readonly Interval[], resendMs: number): number {
  let d = from + dur;
  for (const w of blocking) {
    if (w.end <= from) continue;
    if (w.start > d) break;
    if (w.end === Infinity) return Infinity;
    d = Math.max(d, w.end + dur + resendMs);
  }
  return d;
}

/**
 * Alerts some node showed as inhibited, with the times it did: from alerts.sample events (the
 * scenario runner samples every node's suppressed alerts) and from any alerts.list answer.
 */
function inhibitedObservations(view: ScenarioView): Map<string, number[]> {
  const out = new Map<string, number[]>();
  for (const s of view.alertsSamples) {
    for (const a of s.suppressed ?? []) {
      if (a.inhibitedBy.length === 0) continue;
      let ts = out.get(a.alert);
      if (!ts) out.set(a.alert, (ts = []));
      ts.push(s.t);
    }
  }
  for (const c of view.completes) {
    if (c.kind !== 'alerts.list' || c.ok !== true) continue;
    const list = Array.isArray(c.value) ? c.value : (c.value as { alerts?: unknown } | undefined)?.alerts;
    if (!Array.isArray(list)) continue;
    for (const a of list as { labels?: LabelSet; status?: { inhibitedBy?: unknown[] } }[]) {
      if (!a?.labels || !Array.isArray(a.status?.inhibitedBy) || a.status.inhibitedBy.length === 0) continue;
      const key = labelKey(a.labels);
      let ts = out.get(key);
      if (!ts) out.set(key, (ts = []));
      ts.push(c.t);
    }
  }
  return out;
}

/**
 * no-loss: every fired alert that was not silenced or inhibited reaches the receiver at least
 * once, firing, after it was fired; every resolution reaches, resolved, each receiver that had
 * been notified of the alert firing and has send_resolved on. See README.md for the windows.
 */
export function checkNoLoss(history: readonly HistoryEvent[], options: NoLossOptions = {}): CheckResult {
  const v = viewScenario(history);
  if (!v.ok) return unknownResult(NO_LOSS, v.reason, [{ kind: 'history', message: v.reason, events: v.events }]);
  const view = v.view;
  if (view.intents.length === 0) return unknownResult(NO_LOSS, 'the workload recorded no alert.fire/alert.resolve intents');

  const margin = options.deliveryMarginMs ?? 1000;
  const w = deriveWindows(view, margin);
  const resendMs = view.timers.resendIntervalMs;
  const propagationMs = view.timers.silencePropagationMs;
  const observedEnd = view.endT;
  const horizon = Math.min(observedEnd, view.teardownAt ?? Infinity);
  const silences = reconstructSilences(view);
  const inhibited = inhibitedObservations(view);
  const tree = routeTree(view);
  // The windows of one route (its group_wait / group_interval), with the options' overrides.
  const windowsOf = (route: RouteRecord) => {
    const rw = deriveWindows(view, margin, route);
    return { ...rw, fireDeadlineMs: options.fireDeadlineMs ?? rw.fireDeadlineMs, resolveDeadlineMs: options.resolveDeadlineMs ?? rw.resolveDeadlineMs };
  };

  // Windows in which a missing delivery is excused (the obligation waits for their end). Partitions
  // between peers are not among them: Alertmanager fails open, so no alert may be lost to one.
  const blockingList: Interval[] = [];
  if (view.readyAt !== undefined) blockingList.push({ start: -Infinity, end: view.readyAt });
  if (view.teardownAt !== undefined) blockingList.push({ start: view.teardownAt, end: Infinity });
  if (view.sources.length === 0) {
    for (const f of view.faults) if (!f.components && f.scope === 'cluster') blockingList.push({ start: f.start, end: f.end });
    for (const d of view.nodeDown) blockingList.push({ start: d.start, end: d.end });
  } else {
    blockingList.push(...endToEndBlocking(view));
  }
  const blocking = mergeIntervals(blockingList);

  // Deliveries per alert key, in arrival order.
  const firingDeliveries = new Map<string, Delivery[]>();
  const resolvedDeliveries = new Map<string, Delivery[]>();
  for (const n of view.notifications) {
    if (!n.delivered) continue;
    for (const a of n.alerts) {
      const idx = a.status === 'resolved' ? resolvedDeliveries : firingDeliveries;
      const key = a.key ?? labelKey(a.labels);
      let list = idx.get(key);
      if (!list) idx.set(key, (list = []));
      list.push({ t: n.t, seq: n.seq, receiver: n.receiver, sender: n.sender });
    }
  }

  const counts = {
    fires: 0,
    resolves: 0,
    episodes: 0,
    firingObligations: 0,
    resolveObligations: 0,
    lostFiring: 0,
    lostResolved: 0,
    lateFiring: 0,
    lateResolved: 0,
    pending: 0,
    uncertain: 0,
    exemptShortLived: 0,
    exemptSilenced: 0,
    exemptFault: 0,
    exemptInhibited: 0,
    exemptNotSent: 0,
    mutedDeliveriesIgnored: 0,
    flapsMerged: 0,
    orphanResolves: 0,
    resolutionsNotRequired: 0,
    resolvedBeforeResolve: 0,
    alertsWithUndecidableRoute: 0,
  };
  const latencies: number[] = [];
  const lostEvidence: Evidence[] = [];
  const otherEvidence: Evidence[] = [];

  const byKey = new Map<string, AlertIntentEvent[]>();
  for (const e of view.intents) {
    if (e.type === 'alert.fire') counts.fires++;
    else counts.resolves++;
    let l = byKey.get(e.alert);
    if (!l) byKey.set(e.alert, (l = []));
    l.push(e);
  }

  for (const [key, intents] of byKey) {
    const labels = intents[0]!.labels;
    // One obligation per receiver the alert is routed to (routes with `continue: true` reach
    // several); a receiver on several matching routes is held to the longest windows among them.
    const routed = routesFor(tree, labels);
    if (routed.undecidable) counts.alertsWithUndecidableRoute++;
    const receivers = new Map<string, RouteRecord>();
    for (const r of routed.routes) {
      const prev = receivers.get(r.receiver);
      receivers.set(r.receiver, prev && Math.max(prev.groupWaitMs, prev.groupIntervalMs) >= Math.max(r.groupWaitMs, r.groupIntervalMs) ? prev : r);
    }
    const longest = [...receivers.values()].reduce((a, b) => (windowsOf(b).resolveFlushWindowMs > windowsOf(a).resolveFlushWindowMs ? b : a));
    const muted = mutedIntervals(silences, labels, propagationMs);
    const certainCuts = mergeIntervals([...muted.certain, ...blocking]);
    const allCuts = mergeIntervals([...muted.certain, ...muted.uncertain, ...blocking]);
    const episodes = buildEpisodes(key, labels, intents, allCuts, windowsOf(longest).resolveFlushWindowMs, counts);
    counts.episodes += episodes.length;
    const inhibitedAt = inhibited.get(key) ?? [];
    // A delivery whose flush certainly happened while a silence muted the alert is a violation
    // (silence-propagation's), not a notification owed: it never satisfies an obligation.
    const sentWhileMuted = (d: Delivery): boolean => {
      const flushFrom = d.t - w.peerWaitMaxMs - margin;
      const m = intervalAt(muted.certain, flushFrom);
      return m !== undefined && m.end > d.t;
    };

    for (const ep of episodes) {
      if (ep.fire.targets.length === 0) {
        counts.exemptNotSent++;
        continue;
      }
      if (inhibitedAt.some((t) => t >= ep.start && t < ep.end)) {
        counts.exemptInhibited++;
        continue;
      }
      for (const [receiver, route] of [...receivers].sort(([a], [b]) => a.localeCompare(b))) {
        const rw = windowsOf(route);
        const toReceiver = (d: Delivery): boolean => receiver === ANY_RECEIVER || d.receiver === receiver;
        const firing = judgeFiring(ep, allCuts, certainCuts, blocking, rw.flushWindowMs, horizon);
        if (firing.kind === 'exempt') {
          if (firing.reason === 'short-lived') counts.exemptShortLived++;
          else if (firing.reason === 'silenced') counts.exemptSilenced++;
          else counts.exemptFault++;
        } else if (firing.kind === 'unfinished') {
          counts.pending++;
          otherEvidence.push({
            kind: 'pending',
            message: `alert ${key} fired at ${fmtT(ep.start)} had not been firing unmuted for a whole flush window (${rw.flushWindowMs} ms, route ${route.id}) when the history ended at ${fmtT(observedEnd)}`,
            events: [ep.fire.seq],
            data: { alert: key, receiver },
          });
        } else {
          counts.firingObligations++;
          const due = firing.from;
          const deadline = extendDeadline(due, rw.fireDeadlineMs, blocking, resendMs);
          const got = firstIn(firingDeliveries.get(key), ep.start, ep.nextStart, (d) => {
            if (!toReceiver(d)) return false;
            if (!sentWhileMuted(d)) return true;
            counts.mutedDeliveriesIgnored++;
            return false;
          });
          const outcome = judgeDelivery(got, deadline, observedEnd, firing.certain);
          if (got) latencies.push(got.t - ep.start);
          record(outcome, 'firing', ep, due, deadline, receiver, route, muted.silences, false, got);
        }
      }

      // Resolutions: every receiver that was told the alert fired and sends resolved notifications.
      if (!ep.resolve) continue;
      const r = ep.resolve.t;
      const told = new Set<string>();
      const fd = firingDeliveries.get(key) ?? [];
      for (let i = firstAtOrAfter(fd, ep.start); i < fd.length && fd[i]!.t < ep.nextStart; i++) told.add(fd[i]!.receiver);
      for (const receiver of [...told].sort()) {
        const route = receivers.get(receiver) ?? receivers.get(ANY_RECEIVER) ?? longest;
        const rw = windowsOf(route);
        const sendResolved = view.start.sendResolved[receiver];
        if (sendResolved === false) {
          counts.resolutionsNotRequired++;
          continue;
        }
        // A resolved alert muted at its first flush after the resolve is dropped for good.
        const resolveSpan = { start: r, end: r + rw.resolveFlushWindowMs };
        if (overlapsAny(muted.certain, resolveSpan.start, resolveSpan.end)) {
          counts.exemptSilenced++;
          continue;
        }
        // The receiver already shows the alert resolved: its last delivery before the workload's
        // resolve was a resolved one, with no firing after it. Nothing is missing there; a resolution
        // that came before the workload resolved the alert is a contradiction validity judges
        // (resolved while still firing, or by expiry), not a loss — Alertmanager then has the
        // resolved state in its notification log and rightly sends nothing more.
        const lastFiring = lastTo(fd, receiver, ep.start, r);
        const last = lastTo(resolvedDeliveries.get(key), receiver, ep.start, r);
        if (last && (!lastFiring || last.t > lastFiring.t || (last.t === lastFiring.t && last.seq > lastFiring.seq))) {
          counts.resolvedBeforeResolve++;
          otherEvidence.push({
            kind: 'resolved-before-resolve',
            message: `alert ${ep.key}: receiver ${receiver} was sent it resolved at ${fmtT(last.t)}, before the workload resolved it at ${fmtT(r)}, and not firing again: its resolution is not missing there (validity judges the early one)`,
            events: [last.seq, ep.resolve.seq],
            data: { alert: ep.key, receiver, deliveredAt: last.t, intentT: r },
          });
          continue;
        }
        counts.resolveObligations++;
        const deadline = extendDeadline(r, rw.resolveDeadlineMs, blocking, resendMs);
        const got = firstIn(resolvedDeliveries.get(key), r, ep.nextStart, (d) => d.receiver === receiver);
        const maybeMuted = overlapsAny(muted.uncertain, resolveSpan.start, resolveSpan.end);
        const outcome = judgeDelivery(got, deadline, observedEnd, sendResolved !== undefined && !maybeMuted);
        record(outcome, 'resolved', ep, r, deadline, receiver, route, muted.silences, sendResolved === undefined, got);
      }
    }
  }

  function record(
    outcome: Outcome,
    what: 'firing' | 'resolved',
    ep: Episode,
    due: number,
    deadline: number,
    receiver: string,
    route: RouteRecord,
    involved: SilenceRecord[],
    configMissing: boolean,
    got: Delivery | undefined,
  ): void {
    if (outcome === 'delivered') return;
    const intent = what === 'firing' ? ep.fire : ep.resolve!;
    const where = receiver !== ANY_RECEIVER ? ` to receiver ${receiver}` : '';
    const data: Record<string, unknown> = {
      alert: ep.key,
      labels: ep.labels,
      intentT: intent.t,
      dueFrom: due,
      deadline: Number.isFinite(deadline) ? deadline : null,
      targets: intent.targets,
      route: route.id,
      ...(receiver !== ANY_RECEIVER ? { receiver } : {}),
    };
    if (outcome === 'lost' || outcome === 'late') {
      const late = outcome === 'late';
      if (what === 'firing') counts[late ? 'lateFiring' : 'lostFiring']++;
      else counts[late ? 'lateResolved' : 'lostResolved']++;
      const lateText = late && got ? `; it arrived only at ${fmtT(got.t)}, ${((got.t - deadline) / 1000).toFixed(3)} s after the deadline` : '';
      lostEvidence.push({
        kind: `${late ? 'late' : 'lost'}-${what === 'firing' ? 'firing' : 'resolution'}`,
        message:
          (what === 'firing'
            ? `alert ${ep.key} fired at ${fmtT(ep.start)} (sent to ${intent.targets.join(', ')}) was ${late ? 'delivered firing late' : 'never delivered firing'}${where}; it was due from ${fmtT(due)} and should have arrived by ${fmtT(deadline)}`
            : `alert ${ep.key} resolved at ${fmtT(intent.t)} was notified firing${where} but its resolution ${late ? 'came late' : 'never arrived there'} (deadline ${fmtT(deadline)})`) + lateText,
        events: got ? [intent.seq, got.seq] : [intent.seq],
        data: got ? { ...data, deliveredAt: got.t, deliverySeq: got.seq } : data,
        fails: true,
      });
    } else if (outcome === 'pending') {
      counts.pending++;
      otherEvidence.push({
        kind: 'pending',
        message: `alert ${ep.key} ${what === 'firing' ? 'fired' : 'resolved'} at ${fmtT(intent.t)}: not delivered ${what}${where} yet, and the history ended at ${fmtT(view.endT)} before its deadline ${fmtT(deadline)}`,
        events: [intent.seq],
        data,
      });
    } else {
      counts.uncertain++;
      const why = configMissing
        ? `scenario.start does not say whether receiver ${receiver} has send_resolved`
        : `only a silence whose matchers could not be evaluated or whose create was indeterminate could explain it: ${involved
            .filter((s) => s.matchers === undefined || s.status !== 'created')
            .map(describeSilence)
            .join('; ')}`;
      otherEvidence.push({
        kind: 'uncertain',
        message: `alert ${ep.key} ${what} at ${fmtT(intent.t)} was not delivered${where}, but ${why}`,
        events: [intent.seq, ...involved.map((s) => s.invokeSeq)],
        data,
      });
    }
  }

  const figures: CheckResult['figures'] = {
    ...counts,
    firingLatencyP50Ms: percentile(latencies, 50),
    firingLatencyP95Ms: percentile(latencies, 95),
    firingLatencyMaxMs: latencies.length > 0 ? Math.max(...latencies) : null,
    fireDeadlineMs: options.fireDeadlineMs ?? w.fireDeadlineMs,
    resolveDeadlineMs: options.resolveDeadlineMs ?? w.resolveDeadlineMs,
    flushWindowMs: w.flushWindowMs,
  };
  const { evidence, truncated } = capEvidence([...lostEvidence, ...otherEvidence], options.maxEvidence ?? 100);
  if (truncated > 0) figures['evidenceTruncated'] = truncated;

  const lost = counts.lostFiring + counts.lostResolved;
  const late = counts.lateFiring + counts.lateResolved;
  if (lost + late > 0) {
    return {
      name: NO_LOSS,
      verdict: 'fail',
      // Obligations are per (receiver, alert): count alerts, not notifications (one carries a group).
      summary:
        `${counts.lostFiring} alert(s) never notified as firing and ${counts.lostResolved} never notified as resolved (per receiver and alert)` +
        (late > 0
          ? `; ${counts.lateFiring} alert(s) notified as firing and ${counts.lateResolved} as resolved only after their deadline (firing ${figures['fireDeadlineMs']} ms, resolved ${figures['resolveDeadlineMs']} ms, for the slowest route)`
          : ''),
      figures,
      evidence,
    };
  }
  if (counts.pending + counts.uncertain > 0) {
    return unknownResult(
      NO_LOSS,
      `nothing provably lost, but ${counts.pending} alert notification(s) were still due when the history ended and ${counts.uncertain} could not be judged`,
      evidence,
      figures,
    );
  }
  if (counts.firingObligations + counts.resolveObligations === 0) {
    return unknownResult(NO_LOSS, `no delivery was required: all ${counts.episodes} firing episode(s) were exempt (muted, short-lived or during faults)`, evidence, figures);
  }
  return {
    name: NO_LOSS,
    verdict: 'pass',
    summary: `every alert owed a notification got it in time: ${counts.firingObligations} alert(s) as firing and ${counts.resolveObligations} as resolved, counted per receiver and alert (one notification carries a whole group)`,
    figures,
    evidence,
  };
}

/**
 * With real Prometheus as the source no-loss is end to end: an alert that began firing in
 * Prometheus must reach the receiver. Faults of the source (a replica killed, cut, a suite's
 * mistake) excuse nothing — HA replicas exist to survive them, and where a mistake loses alerts the
 * loss is the evidence. One node down or cut off excuses nothing either: a correctly configured
 * source sends to every node. What excuses a missing delivery: faults of the whole cluster (the
 * receiver's, link faults without named nodes) and the times every node at once was down or cut off.
 */
function endToEndBlocking(view: ScenarioView): Interval[] {
  const out: Interval[] = [];
  const perNode = new Map<string, Interval[]>(view.nodeIds.map((n) => [n, []]));
  for (const f of view.faults) {
    if (f.components || f.scope !== 'cluster') continue;
    const nodes = (f.nodes ?? []).filter((n) => perNode.has(n));
    if (nodes.length === 0) out.push({ start: f.start, end: f.end });
    else for (const n of nodes) perNode.get(n)!.push({ start: f.start, end: f.end });
  }
  for (const d of view.nodeDown) perNode.get(d.node)?.push({ start: d.start, end: d.end });
  let all: Interval[] | undefined;
  for (const list of perNode.values()) {
    const merged = mergeIntervals(list);
    all = all === undefined ? merged : intersectIntervals(all, merged);
  }
  return [...out, ...(all ?? [])];
}

/**
 * Splits an alert's intents into episodes. A resolve followed by a re-fire before Alertmanager
 * certainly flushed the resolved state (no unmuted, fault-free stretch of group_interval + margin
 * in between) is a flap: the nflog may still list the alert as firing, so no new notification is
 * owed; the two episodes merge.
 */
function buildEpisodes(
  key: string,
  labels: LabelSet,
  intents: readonly AlertIntentEvent[],
  cuts: readonly Interval[],
  resolveFlushWindowMs: number,
  counts: { flapsMerged: number; orphanResolves: number },
): Episode[] {
  const out: Episode[] = [];
  let open: Episode | undefined;
  for (const e of intents) {
    if (e.type === 'alert.fire') {
      if (open && open.resolve === undefined) continue; // a resend of a firing alert
      const prev = out[out.length - 1];
      if (prev?.resolve) {
        const gap = subtractIntervals({ start: prev.resolve.t, end: e.t }, cuts);
        if (!firstAtLeast(gap, resolveFlushWindowMs)) {
          delete prev.resolve;
          prev.end = Infinity;
          prev.flapsMerged++;
          counts.flapsMerged++;
          open = prev;
          continue;
        }
        prev.nextStart = e.t;
      }
      open = { key, labels, fire: e, start: e.t, end: Infinity, nextStart: Infinity, flapsMerged: 0 };
      out.push(open);
    } else if (open && open.resolve === undefined) {
      open.resolve = e;
      open.end = e.t;
    } else {
      counts.orphanResolves++;
    }
  }
  return out;
}

type FiringJudgement =
  | { kind: 'due'; from: number; certain: boolean }
  | { kind: 'exempt'; reason: 'short-lived' | 'silenced' | 'fault' }
  | { kind: 'unfinished' };

/**
 * When did the episode owe a firing notification? At the start of the first stretch of at least
 * a flush window (max(group_wait, group_interval) + margin) in which the alert fired, was not
 * muted and no blocking window was open: some flush then certainly included it. Only the observed
 * part of the episode counts (up to `horizon`, the end of the history or teardown); a stretch cut
 * short by the horizon is "unfinished" (a flush may still have come).
 */
function judgeFiring(
  ep: Episode,
  allCuts: readonly Interval[],
  certainCuts: readonly Interval[],
  blocking: readonly Interval[],
  flushWindowMs: number,
  horizon: number,
): FiringJudgement {
  if (ep.start >= horizon) return { kind: 'unfinished' };
  const span: Interval = { start: ep.start, end: Math.min(ep.end, horizon) };
  const pieces = subtractIntervals(span, allCuts);
  const due = firstAtLeast(pieces, flushWindowMs);
  if (due) return { kind: 'due', from: due.start, certain: true };
  const certainOnly = firstAtLeast(subtractIntervals(span, certainCuts), flushWindowMs);
  if (certainOnly) return { kind: 'due', from: certainOnly.start, certain: false };
  const last = pieces[pieces.length - 1];
  if (last && last.end >= horizon) return { kind: 'unfinished' };
  if (span.end - span.start < flushWindowMs) return { kind: 'exempt', reason: 'short-lived' };
  if (firstAtLeast(subtractIntervals(span, blocking), flushWindowMs)) return { kind: 'exempt', reason: 'silenced' };
  return { kind: 'exempt', reason: 'fault' };
}
