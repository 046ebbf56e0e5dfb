import { AM_DEFAULTS } from '../src/checkers/scenario.js';
import { groupId, needsUpdate, notifiedState, type GroupState } from '../src/checkers/dedup.js';
import type { HistoryEvent, LabelSet, NodeId, NotificationEvent, SilencesSampleEvent, StatusSampleEvent } from '../src/history/types.js';
import { labelKey } from '../src/history/types.js';
import type { ScenarioContext } from '../src/run/suite.js';
import { windows } from './lib.js';

/**
 * Shared steps of the fault suites (split-brain, udp-cut, latency-sweep, receiver-outage,
 * restart): memberlist's failure-detection timings, alert sets per phase, a live view of the
 * sampler's status and silences samples, and a duplicate count that replays Alertmanager's own
 * dedup rule over what the capture received (the suites' figures; the checkers judge separately).
 */

/**
 * memberlist's DefaultLANConfig values that decide how fast a silent peer is declared dead.
 * Alertmanager overrides only gossip/push-pull/TCP timeouts and keeps these (reference
 * alertmanager-ha.md §2.7), in every version we run; they are not flags, so not in Timers.
 */
export const MEMBERLIST = {
  probeIntervalMs: 1_000,
  probeTimeoutMs: 500,
  suspicionMult: 4,
  suspicionMaxTimeoutMult: 6,
} as const;

/**
 * How long a suspected peer stays suspect before it is declared dead, in a cluster of `n`:
 * suspicionMult × max(1, log10 n) × probe interval. memberlist starts the timer at
 * suspicionMaxTimeoutMult times that and shrinks it as independent confirmations arrive, unless
 * fewer than (suspicionMult − 2) other nodes could confirm (n − 2 < 2, i.e. n ≤ 3): then it is the
 * flat minimum (4 s for three nodes).
 */
export function suspicionTimeoutMs(n: number): number {
  const min = MEMBERLIST.suspicionMult * Math.max(1, Math.log10(Math.max(1, n))) * MEMBERLIST.probeIntervalMs;
  const confirmations = MEMBERLIST.suspicionMult - 2;
  return Math.round(n - 2 < confirmations ? min : min * MEMBERLIST.suspicionMaxTimeoutMult);
}

/**
 * An upper bound for "a peer that went silent is dead everywhere": every member is probed once per
 * round of (n − 1) probe intervals (a round can straddle two shuffles, hence 2 rounds), the probe
 * fails after its timeout and the indirect probes by the end of the interval; then the suspicion
 * timeout; then the dead message needs a few gossip rounds to reach the rest. Suites wait for the
 * status samples to show it and use this bound (with slack) only as the give-up time.
 */
export function deathDetectionBoundMs(n: number, gossipIntervalMs: number): number {
  const detection = 2 * Math.max(1, n - 1) * MEMBERLIST.probeIntervalMs + MEMBERLIST.probeTimeoutMs;
  return detection + suspicionTimeoutMs(n) + 5 * gossipIntervalMs;
}

/**
 * How long after a fault ends the exactly-once checker still counts the cluster as disturbed:
 * reconnect interval + gossip margin (src/checkers/README.md, settleMargin). A transition that
 * must be judged as healthy starts after this (and after the status samples show every member
 * with all peers again).
 */
export function settleMarginMs(ctx: ScenarioContext): number {
  return AM_DEFAULTS.reconnectIntervalMs + gossipMarginMs(ctx);
}

export function gossipMarginMs(ctx: ScenarioContext): number {
  return Math.max(1_000, 5 * ctx.timers.gossipIntervalMs);
}

/**
 * The scenario's alerts, moved into groups of their own for one phase of a suite: the `group`
 * label (which the default route groups by) gets the phase as suffix and an `amchaos_phase`
 * label marks them, so each phase's transitions are separate groups and can be counted apart.
 */
export function phaseAlerts(alerts: readonly LabelSet[], phase: string): LabelSet[] {
  return alerts.map((a) => ({ ...a, group: `${a['group'] ?? 'g'}-${phase}`, amchaos_phase: phase }));
}

export function keysOfLabels(alerts: readonly LabelSet[]): string[] {
  return alerts.map(labelKey);
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

/** Keys of alerts delivered (2xx) with `status` in notifications that arrived at or after `since`. */
export function deliveredKeysSince(ctx: ScenarioContext, status: 'firing' | 'resolved', since: number): Set<string> {
  const keys = new Set<string>();
  for (const n of ctx.notifications()) {
    if (!n.delivered || n.t < since) continue;
    for (const a of n.alerts) if (a.status === status) keys.add(a.key);
  }
  return keys;
}

/**
 * lib.ts's awaitDeliveriesThenDuplicates, counting only notifications from `since` on: after a
 * fault a node may already have sent a (spurious) "resolved" for an alert that still fires, and
 * that must not count as the resolution the suite is waiting for. Waits until every alert in
 * `keys` was delivered with `status` (or `windowMs` + the duplicate window passes), then the
 * duplicate window.
 */
export async function awaitSinceThenDuplicates(
  ctx: ScenarioContext,
  keys: readonly string[],
  status: 'firing' | 'resolved',
  since: number,
  windowMs: number,
): Promise<boolean> {
  const w = windows(ctx);
  const all = await ctx.waitUntil(() => {
    const got = deliveredKeysSince(ctx, status, since);
    return keys.every((k) => got.has(k));
  }, windowMs + w.duplicateWindow);
  if (!all) ctx.log(`not every ${status} alert was delivered within ${windowMs + w.duplicateWindow} ms (the checkers will say which)`);
  await ctx.sleep(w.duplicateWindow);
  return all;
}

/**
 * A live view of the sampler's samples (the scenario runner samples every node's status and
 * silences every 200 ms into the history): the latest of each per node, and every status sample
 * inside windows the suite opens. Subscribe at the start of drive, close in `finally`.
 */
export class ClusterWatch {
  private readonly status = new Map<NodeId, StatusSampleEvent>();
  private readonly silences = new Map<NodeId, SilencesSampleEvent>();
  private readonly windows = new Map<string, StatusSampleEvent[]>();
  private readonly off: () => void;

  constructor(private readonly ctx: ScenarioContext) {
    // Seed from what is already in the history, then follow it.
    for (const e of ctx.history.all()) this.see(e);
    this.off = ctx.history.subscribe((e) => this.see(e));
  }

  private see(e: HistoryEvent): void {
    if (e.type === 'status.sample') {
      this.status.set(e.node, e);
      for (const w of this.windows.values()) w.push(e);
    } else if (e.type === 'silences.sample') {
      this.silences.set(e.node, e);
    }
  }

  close(): void {
    this.off();
  }

  latestStatus(node: NodeId): StatusSampleEvent | undefined {
    return this.status.get(node);
  }

  /** Active silence IDs in the node's latest sample (undefined if it did not answer). */
  activeSilences(node: NodeId): Set<string> | undefined {
    const s = this.silences.get(node);
    return s?.active ? new Set(s.active) : undefined;
  }

  /** Starts keeping every status sample under `name` until the window is taken. */
  openWindow(name: string): void {
    this.windows.set(name, []);
  }

  takeWindow(name: string): StatusSampleEvent[] {
    const w = this.windows.get(name) ?? [];
    this.windows.delete(name);
    return w;
  }

  /**
   * Waits until every node's latest status sample, taken after `since`, says ready with the peer
   * count `want(node)` gives. Returns the scenario time it first held, or undefined on timeout.
   */
  async waitPeers(want: (node: NodeId) => number, timeoutMs: number, since = this.ctx.history.clock.now()): Promise<number | undefined> {
    let at: number | undefined;
    await this.ctx.waitUntil(() => {
      const ok = this.ctx.nodes.every((n) => {
        const s = this.status.get(n.id);
        return s !== undefined && s.t >= since && s.clusterStatus === 'ready' && s.peers.length === want(n.id);
      });
      if (ok) at = Math.max(...this.ctx.nodes.map((n) => this.status.get(n.id)!.t));
      return ok;
    }, timeoutMs);
    return at;
  }

  /** Waits until every node is ready with all peers (a formed, healed cluster). */
  waitFormed(timeoutMs: number, since?: number): Promise<number | undefined> {
    const n = this.ctx.nodes.length;
    return this.waitPeers(() => n, timeoutMs, since);
  }
}

/** What a set of status samples showed, per node: statuses seen, and the fewest and most peers. */
export function summariseStatus(samples: readonly StatusSampleEvent[]): Record<string, { samples: number; statuses: string[]; minPeers: number; maxPeers: number }> {
  const out: Record<string, { samples: number; statuses: string[]; minPeers: number; maxPeers: number }> = {};
  for (const s of samples) {
    const o = (out[s.node] ??= { samples: 0, statuses: [], minPeers: Infinity, maxPeers: 0 });
    o.samples++;
    if (!o.statuses.includes(s.clusterStatus)) o.statuses.push(s.clusterStatus);
    o.minPeers = Math.min(o.minPeers, s.peers.length);
    o.maxPeers = Math.max(o.maxPeers, s.peers.length);
  }
  return out;
}

/** A marker in the history (the report's timeline shows notes), so each phase can be found. */
export function mark(ctx: ScenarioContext, message: string): void {
  ctx.history.append({ type: 'note', level: 'info', message: `${ctx.suite}: ${message}` });
  ctx.log(message);
}
