import { groupId, needsUpdate, notifiedState, type GroupState } from '../checkers/dedup.js';
import { intentsByKey } from '../checkers/intents.js';
import { routeOfGroup, routesFor, routeTree } from '../checkers/routes.js';
import { clusterPositionAt, describeNode, fmtT, type ScenarioView } from '../checkers/scenario.js';
import { reconstructSilences, type SilenceRecord } from '../checkers/silences.js';
import { matchesAll } from '../checkers/matchers.js';
import type { Evidence } from '../checkers/types.js';
import type { LabelSet, NotificationEvent } from '../history/types.js';
import type { Claim, ClaimDecision, ClaimResult, FailureMode } from './types.js';

/**
 * The building blocks of claims: a scenario's phases (the `amchaos_phase` label steps/phaseAlerts
 * gives every alert of a phase), the notifications that carry them, transitions with their copies
 * (Alertmanager's dedup rule replayed), and the predicates several failure modes share. Each
 * predicate decides one phase: reproduced with evidence, not reproduced when the phase was
 * notified and the predicate did not hold, unknown when the phase did not happen.
 */

/** The label steps/phaseAlerts puts on every alert of a phase. */
export const PHASE_LABEL = 'amchaos_phase';

export type Predicate = (view: ScenarioView, phase: string) => ClaimDecision;

export function decision(result: ClaimResult, summary: string, evidence: Evidence[] = [], figures: ClaimDecision['figures'] = {}): ClaimDecision {
  return { result, summary, evidence, figures };
}

/** Keys of the alerts the workload fired in `phase`. */
export function phaseKeys(view: ScenarioView, phase: string): Set<string> {
  const keys = new Set<string>();
  for (const e of view.intents) if (e.labels[PHASE_LABEL] === phase) keys.add(e.alert);
  return keys;
}

/** Notifications carrying at least one alert of `phase` (delivered or not), in arrival order. */
export function phaseNotifications(view: ScenarioView, phase: string): NotificationEvent[] {
  const keys = phaseKeys(view, phase);
  return view.notifications.filter((n) => n.alerts.some((a) => keys.has(a.key)));
}

export interface Transition {
  group: string;
  /** The notification that made the transition (the first copy). */
  first: NotificationEvent;
  /** Every delivered notification of the transition, the first included. */
  copies: NotificationEvent[];
  reason: string;
}

/**
 * Delivered notifications grouped into transitions by Alertmanager's dedup rule replayed against
 * one cluster-wide log (the group's route gives repeat_interval): a notification the rule would
 * suppress is a copy of the transition before it.
 */
export function transitionsOf(view: ScenarioView, notifications: readonly NotificationEvent[]): Transition[] {
  const tree = routeTree(view);
  const byGroup = new Map<string, NotificationEvent[]>();
  for (const n of notifications) {
    if (!n.delivered) continue;
    const id = groupId(n);
    const list = byGroup.get(id) ?? [];
    list.push(n);
    byGroup.set(id, list);
  }
  const out: Transition[] = [];
  for (const [group, list] of byGroup) {
    list.sort((a, b) => a.t - b.t || a.seq - b.seq);
    let entry: GroupState | undefined;
    let current: Transition | undefined;
    for (const n of list) {
      const route = routeOfGroup(tree, n).route;
      const state = notifiedState(n);
      const d = needsUpdate(entry, state, view.start.sendResolved[n.receiver] ?? true, route.repeatIntervalMs);
      if (d.notify || !current) {
        entry = state;
        current = { group, first: n, copies: [n], reason: d.reason };
        out.push(current);
      } else {
        current.copies.push(n);
      }
    }
  }
  return out.sort((a, b) => a.first.t - b.first.t);
}

function senders(ns: readonly NotificationEvent[]): string {
  return ns.map((n) => `${n.sender ?? '?'}@${fmtT(n.t)}`).join(', ');
}

function notifEvidence(kind: string, message: string, ns: readonly NotificationEvent[], data: Record<string, unknown> = {}): Evidence {
  return {
    kind,
    message,
    events: ns.map((n) => n.seq),
    data: { ...data, copies: ns.map((n) => ({ t: n.t, sender: n.sender ?? null, status: n.status, groupKey: n.groupKey })) },
  };
}

/** The phase happened: its alerts were fired and at least one of its notifications was delivered. */
function phaseNotified(view: ScenarioView, phase: string): { ok: true; ns: NotificationEvent[] } | { ok: false; why: ClaimDecision } {
  // (ns is the caller's to narrow: a control part may end where a fault starts.)
  if (phaseKeys(view, phase).size === 0) return { ok: false, why: decision('unknown', `phase "${phase}" fired no alerts`) };
  const ns = phaseNotifications(view, phase);
  if (!ns.some((n) => n.delivered)) return { ok: false, why: decision('unknown', `nothing of phase "${phase}" was delivered, so the receiver saw none of its transitions`) };
  return { ok: true, ns };
}

/**
 * More than one delivered copy of a group transition (copies beyond the first are what a shared
 * notification log would have suppressed) among the phase's notifications, optionally only those
 * arriving in [from(view), to(view)).
 */
export function duplicates(o: { minCopies?: number; what?: string; from?: (view: ScenarioView) => number | undefined; until?: (view: ScenarioView) => number | undefined } = {}): Predicate {
  const minCopies = o.minCopies ?? 2;
  return (view, phase) => {
    const p = phaseNotified(view, phase);
    if (!p.ok) return p.why;
    const from = o.from ? o.from(view) : -Infinity;
    if (from === undefined) return decision('unknown', `the part of phase "${phase}" to judge never began`);
    const until = o.until?.(view) ?? Infinity;
    const ts = transitionsOf(view, p.ns.filter((n) => n.t < until)).filter((t) => t.copies[t.copies.length - 1]!.t >= from);
    const dup = ts.filter((t) => t.copies.length >= minCopies);
    const figures = { transitions: ts.length, duplicated: dup.length, maxCopies: Math.max(0, ...ts.map((t) => t.copies.length)) };
    if (dup.length === 0 && ts.length === 0 && Number.isFinite(from)) {
      return decision('not-reproduced', `no transition of phase "${phase}" was delivered again from t=${(from / 1000).toFixed(1)}s on${o.what ? ` (${o.what})` : ''}`, [], figures);
    }
    if (dup.length === 0) return decision('not-reproduced', `each of ${ts.length} transition(s) of phase "${phase}" was delivered once${o.what ? ` (${o.what})` : ''}`, [], figures);
    const ev = dup.slice(0, 20).map((t) => notifEvidence('copies', `${t.copies.length} copies of one transition: ${senders(t.copies)}`, t.copies, { group: t.group }));
    return decision('reproduced', `${dup.length} of ${ts.length} transition(s) of phase "${phase}" delivered ${figures.maxCopies === minCopies ? minCopies : `up to ${figures.maxCopies}`} times${o.what ? ` (${o.what})` : ''}`, ev, figures);
  };
}

/** When the first fault of one of these kinds was applied (or undefined): a control part ends there. */
export function firstFaultAt(kinds: readonly string[]): (view: ScenarioView) => number | undefined {
  return (view) => {
    const starts = view.faults.filter((f) => f.applied && kinds.includes(f.kind)).map((f) => f.start);
    return starts.length > 0 ? Math.min(...starts) : undefined;
  };
}

/**
 * A firing notification for an alert after a resolved one for it, while the workload kept it
 * resolved (no fire since the resolve): the stale state of conflicting firing/resolved pairs.
 */
export function staleFiring(o: { until?: (view: ScenarioView) => number | undefined } = {}): Predicate {
  return (view, phase) => {
    const p = phaseNotified(view, phase);
    if (!p.ok) return p.why;
    const until = o.until?.(view) ?? Infinity;
    p.ns = p.ns.filter((n) => n.t < until);
    const keys = phaseKeys(view, phase);
    const intents = intentsByKey(view);
    const evidence: Evidence[] = [];
    let resolvedSeen = 0;
    for (const key of keys) {
      const firing = intents.get(key)?.firing ?? [];
      let lastResolved: NotificationEvent | undefined;
      for (const n of p.ns) {
        if (!n.delivered) continue;
        const a = n.alerts.find((x) => x.key === key);
        if (!a) continue;
        if (a.status === 'resolved') {
          lastResolved = n;
          resolvedSeen++;
          continue;
        }
        if (!lastResolved) continue;
        // Fired again by the workload since that resolved notification? Then firing is current.
        const refired = firing.some((i) => i.start > lastResolved!.t - 1 && i.start <= n.t);
        const firingNow = firing.some((i) => i.start <= n.t && n.t < i.end);
        if (refired || firingNow) continue;
        evidence.push(notifEvidence('stale-firing', `${key}: firing from ${n.sender ?? '?'} at ${fmtT(n.t)} after resolved from ${lastResolved.sender ?? '?'} at ${fmtT(lastResolved.t)}, the alert still resolved`, [lastResolved, n], { alert: key }));
      }
    }
    const figures = { staleFirings: evidence.length, resolvedNotifications: resolvedSeen };
    if (evidence.length > 0) return decision('reproduced', `${evidence.length} firing notification(s) after the resolved one, the alerts still resolved (conflicting firing/resolved pairs)`, evidence.slice(0, 20), figures);
    if (resolvedSeen === 0) return decision('unknown', `no resolved notification of phase "${phase}" was delivered, so no stale state after it could be seen`, [], figures);
    return decision('not-reproduced', `every alert of phase "${phase}" stayed resolved once notified resolved`, [], figures);
  };
}

/**
 * A repeat (a notification of an unchanged firing group that only repeat_interval allows) sent by a
 * node that was not at cluster position 0: the later positions' wait outlived repeat_interval.
 */
export function laterPositionRepeats(): Predicate {
  return (view, phase) => {
    const p = phaseNotified(view, phase);
    if (!p.ok) return p.why;
    const repeats = transitionsOf(view, p.ns).filter((t) => t.reason === 'repeat-interval');
    const late = repeats.filter((t) => (clusterPositionAt(view, t.first.sender ?? '', t.first.t) ?? 0) > 0);
    const byPosition: Record<string, number> = {};
    for (const t of repeats) {
      const pos = clusterPositionAt(view, t.first.sender ?? '', t.first.t);
      byPosition[String(pos ?? '?')] = (byPosition[String(pos ?? '?')] ?? 0) + 1;
    }
    const figures: ClaimDecision['figures'] = { repeats: repeats.length, fromLaterPositions: late.length, ...Object.fromEntries(Object.entries(byPosition).map(([k, v]) => [`repeatsFromPosition${k}`, v])) };
    if (repeats.length === 0) return decision('unknown', `no repeat notification in phase "${phase}" (repeat_interval never elapsed while it fired)`, [], figures);
    if (late.length === 0) return decision('not-reproduced', `all ${repeats.length} repeat(s) of phase "${phase}" came from position 0`, [], figures);
    const ev = late.slice(0, 20).map((t) => notifEvidence('late-position-repeat', `repeat from ${describeNode(view, t.first.sender)} at position ${clusterPositionAt(view, t.first.sender ?? '', t.first.t)} at ${fmtT(t.first.t)}`, [t.first]));
    return decision('reproduced', `${late.length} of ${repeats.length} repeat(s) came from later positions (${Object.entries(byPosition).map(([k, v]) => `position ${k}: ${v}`).join(', ')})`, ev, figures);
  };
}

/** Alerts of the phase that were notified firing and resolved by the workload, but never notified resolved. */
export function missingResolved(): Predicate {
  return (view, phase) => {
    const p = phaseNotified(view, phase);
    if (!p.ok) return p.why;
    const intents = intentsByKey(view);
    const evidence: Evidence[] = [];
    let owed = 0;
    for (const key of phaseKeys(view, phase)) {
      const k = intents.get(key);
      const resolvedAt = k?.intents.filter((e) => e.type === 'alert.resolve').map((e) => e.t).pop();
      if (resolvedAt === undefined) continue;
      const firingNotified = p.ns.filter((n) => n.delivered && n.t < resolvedAt && n.alerts.some((a) => a.key === key && a.status === 'firing'));
      if (firingNotified.length === 0) continue;
      owed++;
      const resolved = p.ns.some((n) => n.delivered && n.t >= resolvedAt && n.alerts.some((a) => a.key === key && a.status === 'resolved'));
      if (!resolved) evidence.push(notifEvidence('resolved-missing', `${key}: notified firing (last at ${fmtT(firingNotified[firingNotified.length - 1]!.t)}), resolved at ${fmtT(resolvedAt)}, never notified resolved`, firingNotified.slice(-1), { alert: key }));
    }
    const figures = { owedResolved: owed, missingResolved: evidence.length };
    if (owed === 0) return decision('unknown', `no alert of phase "${phase}" was both notified firing and resolved`, [], figures);
    if (evidence.length === 0) return decision('not-reproduced', `each of ${owed} resolved alert(s) of phase "${phase}" was notified resolved`, [], figures);
    return decision('reproduced', `${evidence.length} of ${owed} resolved alert(s) never got a resolved notification`, evidence.slice(0, 20), figures);
  };
}

/**
 * Fewer firing notifications for an alert than routes (of its receiver) that match it: routes
 * whose groups share a group key share one notification-log entry, so one route's notification
 * suppresses the other's.
 */
export function fewerNotificationsThanRoutes(): Predicate {
  return (view, phase) => {
    const p = phaseNotified(view, phase);
    if (!p.ok) return p.why;
    const tree = routeTree(view);
    const evidence: Evidence[] = [];
    let judged = 0;
    const firstFire = new Map<string, LabelSet>();
    for (const e of view.intents) if (e.type === 'alert.fire' && e.labels[PHASE_LABEL] === phase && !firstFire.has(e.alert)) firstFire.set(e.alert, e.labels);
    const intents = intentsByKey(view);
    for (const [key, labels] of firstFire) {
      const { routes } = routesFor(tree, labels);
      if (routes.length < 2) continue;
      judged++;
      // While the alert first fired: a firing notification after its resolve is another matter (a stale state).
      const until = intents.get(key)?.firing[0]?.end ?? Infinity;
      const got = p.ns.filter((n) => n.delivered && n.t < until && n.alerts.some((a) => a.key === key && a.status === 'firing'));
      if (got.length < routes.length) {
        evidence.push(notifEvidence('route-notification-missing', `${key}: ${routes.length} routes match (${routes.map((r) => r.id).join(', ')}), ${got.length} firing notification(s) arrived (group key ${got[0]?.groupKey ?? '—'})`, got, { alert: key, routes: routes.map((r) => r.id) }));
      }
    }
    const figures = { alertsOnSeveralRoutes: judged, alertsMissingNotifications: evidence.length };
    if (judged === 0) return decision('unknown', `no alert of phase "${phase}" matched more than one route`, [], figures);
    if (evidence.length === 0) return decision('not-reproduced', `every alert of phase "${phase}" got one firing notification per matching route`, [], figures);
    return decision('reproduced', `${evidence.length} of ${judged} alert(s) got fewer firing notifications than routes matching them (one group key, one notification-log entry)`, evidence.slice(0, 20), figures);
  };
}

/** The silences the workload made that were active at scenario time t (by the harness's clock). */
export function activeSilencesAt(silences: readonly SilenceRecord[], t: number): SilenceRecord[] {
  return silences.filter((s) => s.status === 'created' && s.matchers && s.createdAt <= t && s.startsAt <= t && t < s.endsAt && !(s.expiredAt !== undefined && s.expiredAt <= t) && !(s.expireInvokedAt !== undefined && s.expireInvokedAt <= t));
}

/**
 * A firing notification for an alert that a silence the workload made matched, the silence active
 * (by the harness's clock) since before the alert's group was flushed: the alert notified despite
 * its silence. `graceMs` after the silence's creation are excluded (propagation to every node).
 */
export function notifiedWhileSilenced(o: { graceMs?: (view: ScenarioView) => number; until?: (view: ScenarioView) => number | undefined } = {}): Predicate {
  return (view, phase) => {
    const keys = phaseKeys(view, phase);
    if (keys.size === 0) return decision('unknown', `phase "${phase}" fired no alerts`);
    const silences = reconstructSilences(view);
    const grace = o.graceMs?.(view) ?? view.timers.silencePropagationMs;
    const labelsOf = new Map<string, LabelSet>();
    for (const e of view.intents) if (keys.has(e.alert)) labelsOf.set(e.alert, e.labels);
    const silenced = [...keys].filter((k) => silences.some((s) => s.status === 'created' && s.matchers && matchesAll(s.matchers, labelsOf.get(k)!)));
    if (silenced.length === 0) return decision('unknown', `no alert of phase "${phase}" was matched by a silence the workload made`);
    const evidence: Evidence[] = [];
    const until = o.until?.(view) ?? Infinity;
    for (const n of phaseNotifications(view, phase)) {
      if (!n.delivered || n.t >= until) continue;
      for (const a of n.alerts) {
        if (a.status !== 'firing' || !silenced.includes(a.key)) continue;
        const muting = activeSilencesAt(silences, n.t).filter((s) => matchesAll(s.matchers!, a.labels) && s.createdAt + grace <= n.t);
        if (muting.length === 0) continue;
        evidence.push(notifEvidence('notified-while-silenced', `${a.key}: firing from ${describeNode(view, n.sender)} at ${fmtT(n.t)} while silence ${muting[0]!.id} (made on ${muting[0]!.node} at ${fmtT(muting[0]!.createdAt)}) was active`, [n], { alert: a.key, silence: muting[0]!.id ?? null }));
        break;
      }
    }
    const figures = { silencedAlerts: silenced.length, notifiedWhileSilenced: evidence.length };
    if (evidence.length > 0) return decision('reproduced', `${evidence.length} firing notification(s) for alerts an active silence matched`, evidence.slice(0, 20), figures);
    return decision('not-reproduced', `none of ${silenced.length} silenced alert(s) of phase "${phase}" was notified while its silence was active`, [], figures);
  };
}

/** Either predicate holding reproduces; both must decide not-reproduced for a not. */
export function either(a: Predicate, b: Predicate): Predicate {
  return (view, phase) => combineDecisions([{ phase: `${phase} (a)`, d: a(view, phase) }, { phase: `${phase} (b)`, d: b(view, phase) }]);
}

/**
 * Combines per-phase decisions: reproduced if any phase reproduced; not reproduced if every phase
 * decided not reproduced; otherwise unknown (naming the phases that could not decide).
 */
export function combineDecisions(parts: readonly { phase: string; d: ClaimDecision }[]): ClaimDecision {
  if (parts.length === 1) return parts[0]!.d;
  const figures: ClaimDecision['figures'] = {};
  for (const { phase, d } of parts) for (const [k, v] of Object.entries(d.figures)) figures[`${phase}.${k}`] = v;
  const rep = parts.filter((p) => p.d.result === 'reproduced');
  if (rep.length > 0) return decision('reproduced', rep.map((p) => `${p.phase}: ${p.d.summary}`).join('; '), rep.flatMap((p) => p.d.evidence), figures);
  const unk = parts.filter((p) => p.d.result === 'unknown');
  if (unk.length > 0) return decision('unknown', unk.map((p) => `${p.phase}: ${p.d.summary}`).join('; '), [], figures);
  return decision('not-reproduced', parts.map((p) => `${p.phase}: ${p.d.summary}`).join('; '), [], figures);
}

/**
 * The usual claim: one predicate decided on the phases that inject the condition and on the
 * control phases (same predicate, safe condition).
 */
export function phaseClaim(o: {
  mode: FailureMode;
  statement: string;
  control: string;
  /** The phases that inject the condition (or, from the view, e.g. one per node). */
  faultPhases: readonly string[] | ((view: ScenarioView) => readonly string[]);
  controlPhases: readonly string[];
  predicate: Predicate;
  controlPredicate?: Predicate;
}): Claim {
  return {
    mode: o.mode,
    statement: o.statement,
    control: o.control,
    decide({ view }) {
      const faultPhases = typeof o.faultPhases === 'function' ? o.faultPhases(view) : o.faultPhases;
      const fault = combineDecisions(faultPhases.map((phase) => ({ phase, d: o.predicate(view, phase) })));
      const cp = o.controlPredicate ?? o.predicate;
      const control = combineDecisions(o.controlPhases.map((phase) => ({ phase, d: cp(view, phase) })));
      return { fault, control };
    },
  };
}
