import { groupId, needsUpdate, notifiedState, type GroupState } from '../checkers/dedup.js';
import type { NotificationEvent } from '../history/types.js';
import { deliveryWindows, type ScenarioContext } from '../run/suite.js';

/**
 * What reached the receiver in this scenario, as suites need it while they drive: which alerts
 * were delivered, waiting for deliveries (and for the copies a broken cluster would send), and a
 * duplicate count for the suites' figures. Verdicts stay with the checkers.
 */

/** The scenario's delivery windows (derived from its timers and its config's slowest route). */
export function windows(ctx: Pick<ScenarioContext, 'timers' | 'nodes' | 'config'>) {
  return deliveryWindows(ctx.timers, ctx.nodes.length, ctx.config);
}

/** Keys of alerts delivered (2xx) with `status` in this scenario's notifications that arrived at or after `since`. */
export function deliveredKeys(ctx: Pick<ScenarioContext, 'notifications'>, status: 'firing' | 'resolved', since = -Infinity): Set<string> {
  const keys = new Set<string>();
  for (const n of ctx.notifications()) {
    if (!n.delivered || n.t < since) continue;
    for (const a of n.alerts) if (a.status === status) keys.add(a.key);
  }
  return keys;
}

/**
 * Waits until every alert in `keys` was delivered with `status` since `since` (default: the whole
 * scenario) — or `windowMs` + the duplicate window passed — then waits the duplicate window, in
 * which a cluster that dedups sends nothing more and a broken one sends its copies. Counting only
 * from `since` matters after a fault: a node may already have sent a (spurious) "resolved" for an
 * alert that still fires, and that must not count as the resolution being waited for.
 */
export async function awaitDeliveries(
  ctx: ScenarioContext,
  keys: readonly string[],
  status: 'firing' | 'resolved',
  o: { windowMs: number; since?: number },
): Promise<boolean> {
  const w = windows(ctx);
  const all = await ctx.waitUntil(() => {
    const got = deliveredKeys(ctx, status, o.since);
    return keys.every((k) => got.has(k));
  }, o.windowMs + w.duplicateWindow);
  // Say what the number is: how long this step looks, not the check's deadline (no-loss has its own,
  // longer one; the runner keeps watching until it has passed).
  if (!all)
    ctx.log(
      `not every ${status} alert was delivered in the ${o.windowMs + w.duplicateWindow} ms this step waits (${o.windowMs} ms + the ${w.duplicateWindow} ms duplicate window); ` +
        'no-loss judges each alert against its own deadline (in the report), and the run keeps watching until it has passed',
    );
  await ctx.sleep(w.duplicateWindow);
  return all;
}

export interface DuplicateCount {
  /** Notifications Alertmanager's dedup rule would send, replayed against the cluster-wide log. */
  transitions: number;
  /** Delivered notifications that rule would have suppressed (copies beyond the first). */
  duplicates: number;
  /** The most copies of one transition. */
  maxCopies: number;
  /** Duplicates per sending node. */
  bySender: Record<string, number>;
  /** Every delivered notification in scope, per sender (duplicates or not). */
  deliveredBySender: Record<string, number>;
  /** Attempts the receiver did not accept (5xx, dropped), per sender. */
  undeliveredBySender: Record<string, number>;
}

/**
 * Counts duplicates among the notifications that carry any of `keys` and arrived in [from, to):
 * per group, delivered notifications in arrival order are replayed through needsUpdate against
 * one cluster-wide entry (as if the nflog were perfectly shared), starting from no entry — or,
 * with `seed`, from the group's last delivery before `from` (groups notified in an earlier phase).
 * The same rule the exactly-once checker uses;
 * this count ignores fault windows on purpose: it is what the suite reports, not a verdict.
 */
export function countDuplicates(
  ctx: ScenarioContext,
  keys: Iterable<string>,
  window: { from?: number; to?: number; seed?: boolean } = {},
): DuplicateCount {
  const wanted = new Set(keys);
  const from = window.from ?? -Infinity;
  const to = window.to ?? Infinity;
  const out: DuplicateCount = { transitions: 0, duplicates: 0, maxCopies: 0, bySender: {}, deliveredBySender: {}, undeliveredBySender: {} };
  const byGroup = new Map<string, NotificationEvent[]>();
  const seeds = new Map<string, NotificationEvent>();
  for (const n of ctx.notifications()) {
    if (!n.alerts.some((a) => wanted.has(a.key))) continue;
    if (n.t < from) {
      const prev = seeds.get(groupId(n));
      if (window.seed && n.delivered && (!prev || prev.t <= n.t)) seeds.set(groupId(n), n);
      continue;
    }
    if (n.t >= to) continue;
    const sender = n.sender ?? 'unknown';
    if (!n.delivered) {
      out.undeliveredBySender[sender] = (out.undeliveredBySender[sender] ?? 0) + 1;
      continue;
    }
    out.deliveredBySender[sender] = (out.deliveredBySender[sender] ?? 0) + 1;
    const id = groupId(n);
    const list = byGroup.get(id) ?? [];
    list.push(n);
    byGroup.set(id, list);
  }
  for (const [id, list] of byGroup) {
    list.sort((a, b) => a.t - b.t || a.seq - b.seq);
    const seed = seeds.get(id);
    let entry: GroupState | undefined = seed ? notifiedState(seed) : undefined;
    let copies = 0;
    for (const n of list) {
      const state = notifiedState(n);
      const d = needsUpdate(entry, state, ctx.config.sendResolved[n.receiver] ?? true, ctx.config.repeatIntervalMs[n.receiver] ?? ctx.timers.repeatIntervalMs);
      if (d.notify) {
        entry = state;
        out.transitions++;
        copies = 1;
      } else {
        out.duplicates++;
        copies++;
        const sender = n.sender ?? 'unknown';
        out.bySender[sender] = (out.bySender[sender] ?? 0) + 1;
      }
      out.maxCopies = Math.max(out.maxCopies, copies);
    }
  }
  return out;
}

