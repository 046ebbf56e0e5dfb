import type { NotificationEvent } from '../history/types.js';
import { labelKey } from '../history/types.js';
import { longestAllResolvedStretch, type KeyIntents } from './intents.js';

/**
 * Alertmanager's dedup rule (notify.DedupStage.needsUpdate, identical in 0.25 and HEAD), replayed
 * over captured notifications. The "entry" is the last notification the (cluster-wide or
 * per-component) notification log would hold for a (receiver, group key).
 */

export interface GroupState {
  firing: ReadonlySet<string>;
  resolved: ReadonlySet<string>;
  /** Arrival time of the notification this entry stands for. */
  t: number;
  seq: number;
}

/** A delivered notification split into the firing and resolved alert keys it carried. */
export interface NotifiedState extends GroupState {
  event: NotificationEvent;
}

export type NotifyReason = 'first' | 'new-firing' | 'all-resolved' | 'new-resolved' | 'repeat-interval' | 'silent-reset';
export type SuppressReason = 'subset-within-repeat' | 'resolved-after-resolved' | 'resolved-without-entry';

export type DedupDecision = { notify: true; reason: NotifyReason } | { notify: false; reason: SuppressReason };

export function notifiedState(event: NotificationEvent): NotifiedState {
  const firing = new Set<string>();
  const resolved = new Set<string>();
  for (const a of event.alerts) {
    const key = a.key ?? labelKey(a.labels);
    if (a.status === 'resolved') resolved.add(key);
    else firing.add(key);
  }
  return { firing, resolved, t: event.t, seq: event.seq, event };
}

function isSubset(a: ReadonlySet<string>, b: ReadonlySet<string>): boolean {
  if (a.size > b.size) return false;
  for (const x of a) if (!b.has(x)) return false;
  return true;
}

/**
 * Would Alertmanager notify `next`, given the log entry `entry`?
 *
 * - no entry: notify only if something fires;
 * - firing ⊄ entry.firing: notify (new alerts);
 * - nothing fires: notify only if the entry had firing alerts (all resolved);
 * - send_resolved and resolved ⊄ entry.resolved: notify;
 * - otherwise only once repeat_interval has passed since the entry.
 *
 * Time is the capture's arrival time. That is sound for the repeat check: the sender logs its
 * entry only after the receiver answered, so arrival(next) − arrival(entry) ≥ flush(next) −
 * log(entry) > repeat_interval whenever Alertmanager legitimately repeats.
 */
export function needsUpdate(entry: GroupState | undefined, next: GroupState, sendResolved: boolean, repeatMs: number): DedupDecision {
  if (entry === undefined) {
    return next.firing.size > 0 ? { notify: true, reason: 'first' } : { notify: false, reason: 'resolved-without-entry' };
  }
  if (!isSubset(next.firing, entry.firing)) return { notify: true, reason: 'new-firing' };
  if (next.firing.size === 0) {
    return entry.firing.size > 0 ? { notify: true, reason: 'all-resolved' } : { notify: false, reason: 'resolved-after-resolved' };
  }
  if (sendResolved && !isSubset(next.resolved, entry.resolved)) return { notify: true, reason: 'new-resolved' };
  if (next.t - entry.t > repeatMs) return { notify: true, reason: 'repeat-interval' };
  return { notify: false, reason: 'subset-within-repeat' };
}

/**
 * The identity of a group in the capture: the receiver, the route part of the group key, and the
 * group labels with sorted names. Not the raw group key: 0.25 and 0.28+ order some group labels
 * differently inside it, and a duplicate sent across versions of a mixed cluster must not be
 * hidden by that formatting difference.
 */
export function groupId(n: Pick<NotificationEvent, 'receiver' | 'groupKey' | 'groupLabels'>): string {
  const cut = n.groupKey.indexOf(':{');
  const route = cut >= 0 ? n.groupKey.slice(0, cut) : n.groupKey;
  return `${n.receiver}\u0000${route}\u0000${labelKey(n.groupLabels)}`;
}

/** Delivered notifications per (receiver, group key), each list in arrival order. */
export function deliveredByGroup(notifications: readonly NotificationEvent[]): Map<string, NotifiedState[]> {
  const groups = new Map<string, NotifiedState[]>();
  for (const n of notifications) {
    if (!n.delivered) continue;
    const id = groupId(n);
    let list = groups.get(id);
    if (!list) groups.set(id, (list = []));
    list.push(notifiedState(n));
  }
  for (const list of groups.values()) list.sort((a, b) => a.t - b.t || a.seq - b.seq);
  return groups;
}

/** Short, stable text for a set of alert keys in evidence (first few keys, then a count). */
export function describeKeys(keys: Iterable<string>, max = 5): string {
  const all = [...keys].sort();
  const head = all.slice(0, max).join(', ');
  return all.length > max ? `${head}, … (${all.length} alerts)` : head || '(none)';
}

export interface WalkOptions {
  sendResolved: boolean;
  repeatMs: number;
  byKey: ReadonlyMap<string, KeyIntents>;
  /** A stretch with every alert of the entry resolved this long certainly contains a flush. */
  resetWindowMs: number;
}

export type WalkDecision = DedupDecision | { notify: 'ambiguous'; reason: 'truncated' | 'reset-uncertain' };

/**
 * needsUpdate plus the one log update the capture cannot see: with send_resolved off, a flush that
 * finds every alert resolved sends nothing but still logs an entry with no firing alerts
 * (RetryStage returns early, SetNotifiesStage logs). A later notification of the same alerts is
 * then legitimately "new". The workload's intents tell when every alert of the entry was
 * resolved: for at least `resetWindowMs` → such a flush certainly happened; for a shorter time →
 * it may have (ambiguous, neither counted as duplicate nor as clean).
 * A notification with truncated alerts has incomplete sets and is ambiguous too.
 */
export function decide(entry: GroupState | undefined, next: NotifiedState, o: WalkOptions): WalkDecision {
  if (next.event.truncatedAlerts > 0) return { notify: 'ambiguous', reason: 'truncated' };
  const d = needsUpdate(entry, next, o.sendResolved, o.repeatMs);
  if (d.notify || d.reason !== 'subset-within-repeat' || o.sendResolved || entry === undefined) return d;
  const stretch = longestAllResolvedStretch(o.byKey, entry.firing, entry.t, next.t);
  if (stretch === undefined) return { notify: 'ambiguous', reason: 'reset-uncertain' };
  if (stretch >= o.resetWindowMs) return { notify: true, reason: 'silent-reset' };
  if (stretch > 0) return { notify: 'ambiguous', reason: 'reset-uncertain' };
  return d;
}
