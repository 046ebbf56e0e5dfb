import type { HistoryEvent, NodeId, NotificationEvent, SilencesSampleEvent, StatusSampleEvent } from '../history/types.js';
import { groupId } from './dedup.js';
import { firstAtOrAfter, lastAtOrBefore, mergeIntervals, overlapsAny, type Interval } from './intervals.js';
import { matchesAll } from './matchers.js';
import {
  capEvidence,
  deriveWindows,
  describeNode,
  fmtT,
  percentile,
  unknownResult,
  viewScenario,
  type FaultWindow,
  type ScenarioView,
} from './scenario.js';
import { describeSilence, reconstructSilences, type SilenceRecord } from './silences.js';
import type { CheckResult, Evidence } from './types.js';

export const SILENCE_PROPAGATION = 'silence-propagation';

export interface SilencePropagationOptions {
  /** How long a silence may take to be listed by every reachable node (default timers.silencePropagationMs). */
  propagationMs?: number;
  /** Slack between "visible on the sender" and "the flush that sent it" (default 1000 ms). */
  marginMs?: number;
  maxEvidence?: number;
}

function byNode<T extends { node: NodeId; t: number }>(list: readonly T[]): Map<NodeId, T[]> {
  const out = new Map<NodeId, T[]>();
  for (const e of list) {
    let l = out.get(e.node);
    if (!l) out.set(e.node, (l = []));
    l.push(e);
  }
  return out;
}

/** Could the fault keep gossip from flowing between x and y? Unknown scope counts as yes. */
export function faultSeparates(f: FaultWindow, x: NodeId, y: NodeId): boolean {
  if (f.components) {
    const cx = f.components.findIndex((c) => c.includes(x));
    const cy = f.components.findIndex((c) => c.includes(y));
    return cx === -1 || cy === -1 || cx !== cy;
  }
  if (f.nodes) return f.nodes.includes(x) || f.nodes.includes(y);
  return true;
}

/**
 * silence-propagation: a silence created on one node is listed by every other node within the
 * propagation allowance (extended past faults that separate the two nodes), and no node delivers
 * a notification for an alert the silence matches once it lists the silence. Delays are measured
 * from the create's completion to the first silences.sample listing the ID, so they are upper
 * bounds with the sampling interval as resolution.
 */
export function checkSilencePropagation(history: readonly HistoryEvent[], options: SilencePropagationOptions = {}): CheckResult {
  const v = viewScenario(history);
  if (!v.ok) return unknownResult(SILENCE_PROPAGATION, v.reason, [{ kind: 'history', message: v.reason, events: v.events }]);
  const view = v.view;
  const all = reconstructSilences(view);
  const created = all.filter((s) => s.status === 'created');
  const indeterminate = all.length - created.length;
  if (created.length === 0) {
    return unknownResult(
      SILENCE_PROPAGATION,
      indeterminate > 0 ? `no silence.create completed with an ID (${indeterminate} indeterminate)` : 'no silence was created',
      [],
      { silences: 0, indeterminateCreates: indeterminate },
    );
  }
  const P = options.propagationMs ?? view.timers.silencePropagationMs;
  const margin = options.marginMs ?? 1000;
  const windows = deriveWindows(view, margin);
  const samples = byNode(view.silenceSamples);
  const statusByNode = byNode(view.statusSamples);

  const delays: number[] = [];
  const counts = { late: 0, never: 0, pending: 0, unsampled: 0, violations: 0, pairs: 0, unattributed: 0 };
  const failEvidence: Evidence[] = [];
  const unknownEvidence: Evidence[] = [];
  const infoEvidence: Evidence[] = [];
  const visible = new Map<SilenceRecord, Map<NodeId, number>>();

  for (const s of created) {
    const id = s.id!;
    const vis = new Map<NodeId, number>([[s.node, s.createdAt]]);
    visible.set(s, vis);
    const perNode: Record<string, number | string> = {};
    const listed = (e: SilencesSampleEvent): boolean => (e.active?.includes(id) ?? false) || (e.expired?.includes(id) ?? false);
    // A sample proves absence only if it answered and the silence was certainly still active then,
    // or the node also reported its expired silences (an expired silence moves there).
    const judgeable = (e: SilencesSampleEvent): boolean =>
      e.active !== undefined &&
      (e.expired !== undefined || ((s.expireInvokedAt === undefined || e.t < s.expireInvokedAt) && e.t < s.endsAt));

    for (const y of view.nodeIds) {
      if (view.goneNodes.has(y)) continue;
      const list = samples.get(y) ?? [];
      const from = firstAtOrAfter(list, s.invokedAt);
      let seen: SilencesSampleEvent | undefined;
      for (let i = from; i < list.length; i++) {
        if (listed(list[i]!)) {
          seen = list[i];
          break;
        }
      }
      if (y === s.node) {
        if (seen && seen.t < s.createdAt) vis.set(y, seen.t);
        continue;
      }
      counts.pairs++;
      const deadline = pairDeadline(view, s.createdAt, P, s.node, y);
      const where = `${describeSilence(s)} at ${fmtT(s.createdAt)}`;
      if (seen) {
        vis.set(y, seen.t);
        const delay = Math.max(0, seen.t - s.createdAt);
        delays.push(delay);
        perNode[y] = delay;
        const lacking = list.slice(from, list.indexOf(seen)).filter((e) => e.t > deadline && judgeable(e));
        if (lacking.length > 0) {
          counts.late++;
          failEvidence.push({
            kind: 'late',
            message: `${where}: ${describeNode(view, y)} still did not list it at ${fmtT(lacking[0]!.t)}, after the deadline ${fmtT(deadline)}; first listed at ${fmtT(seen.t)} (+${(delay / 1000).toFixed(3)}s)`,
            events: [s.invokeSeq, lacking[0]!.seq, seen.seq],
            data: { silence: id, node: y, createdOn: s.node, delayMs: delay, deadline },
          });
        }
        continue;
      }
      const after = list.slice(from).filter((e) => e.t > deadline && judgeable(e));
      const answered = list.slice(from).filter((e) => e.active !== undefined);
      if (after.length > 0) {
        counts.never++;
        perNode[y] = 'never';
        const last = after[after.length - 1]!;
        failEvidence.push({
          kind: 'never-listed',
          message: `${where}: ${describeNode(view, y)} never listed it; ${after.length} sample(s) after the deadline ${fmtT(deadline)} lack it, the last at ${fmtT(last.t)}`,
          events: [s.invokeSeq, after[0]!.seq, last.seq],
          data: { silence: id, node: y, createdOn: s.node, deadline: Number.isFinite(deadline) ? deadline : null },
        });
      } else if (answered.length === 0) {
        counts.unsampled++;
        perNode[y] = 'unsampled';
        unknownEvidence.push({
          kind: 'unsampled',
          message: `${where}: ${describeNode(view, y)} has no answered silences sample after the create`,
          events: [s.invokeSeq],
          data: { silence: id, node: y },
        });
      } else {
        counts.pending++;
        perNode[y] = 'pending';
        unknownEvidence.push({
          kind: 'pending',
          message: `${where}: ${describeNode(view, y)} had not listed it by its last usable sample, and its deadline ${fmtT(deadline)} is after the history (${fmtT(view.endT)}) or a separating fault never ended`,
          events: [s.invokeSeq],
          data: { silence: id, node: y, deadline: Number.isFinite(deadline) ? deadline : null },
        });
      }
    }
    infoEvidence.push({
      kind: 'propagation',
      message: `${describeSilence(s)} at ${fmtT(s.createdAt)}: ` +
        (Object.entries(perNode)
          .map(([n, d]) => `${n} ${typeof d === 'number' ? `+${(d / 1000).toFixed(3)}s` : d}`)
          .join(', ') || 'no other node'),
      events: [s.invokeSeq],
      data: { silence: id, createdOn: s.node, createdAt: s.createdAt, delays: perNode },
    });
  }

  // Notifications the silence should have muted.
  const unusable = created.filter((s) => !s.matchers);
  const violationEvidence = findViolations(view, created, visible, statusByNode, margin, windows.retrySlackMs);
  counts.violations = violationEvidence.length;
  failEvidence.push(...violationEvidence);
  // A notification no node can be named for carries a silenced alert: it may be a violation (from
  // a node that had the silence) or not — the check cannot tell, so it cannot pass.
  const unattributed = unattributedSilenced(view, created);
  counts.unattributed = unattributed.length;
  unknownEvidence.push(...unattributed);
  if (unusable.length > 0) {
    unknownEvidence.push({
      kind: 'matchers-unusable',
      message: `cannot check notifications against ${unusable.map(describeSilence).join('; ')}`,
      events: unusable.map((s) => s.invokeSeq),
    });
  }

  const figures: CheckResult['figures'] = {
    silences: created.length,
    indeterminateCreates: indeterminate,
    pairs: counts.pairs,
    delaysMs: delays,
    delayP50Ms: percentile(delays, 50),
    delayP95Ms: percentile(delays, 95),
    delayMaxMs: delays.length > 0 ? Math.max(...delays) : null,
    late: counts.late,
    neverListed: counts.never,
    pending: counts.pending,
    unsampled: counts.unsampled,
    violations: counts.violations,
    unattributedNotifications: counts.unattributed,
    propagationMs: P,
    marginMs: margin,
  };
  const { evidence, truncated } = capEvidence([...failEvidence.map((e) => ({ ...e, fails: true })), ...unknownEvidence, ...infoEvidence], options.maxEvidence ?? 100);
  if (truncated > 0) figures['evidenceTruncated'] = truncated;

  if (counts.late + counts.never + counts.violations > 0) {
    return {
      name: SILENCE_PROPAGATION,
      verdict: 'fail',
      summary: `${counts.late} late and ${counts.never} never-listed propagation(s), ${counts.violations} notification(s) despite a visible silence`,
      figures,
      evidence,
    };
  }
  if (counts.pending + counts.unsampled + unusable.length + counts.unattributed > 0) {
    return unknownResult(
      SILENCE_PROPAGATION,
      `nothing failed, but ${counts.unsampled} node/silence pair(s) were never sampled, ${counts.pending} were still pending, ${unusable.length} silence(s) had unusable matchers and ${counts.unattributed} notification(s) of silenced alerts came from a sender no node matches`,
      evidence,
      figures,
    );
  }
  return {
    name: SILENCE_PROPAGATION,
    verdict: 'pass',
    summary: `${created.length} silence(s) reached every node in time (max ${Math.round(Number(figures['delayMaxMs']))} ms); no muted alert was notified`,
    figures,
    evidence,
  };
}

/** Delivered notifications without a sender that carry an alert a created silence matched at the time. */
function unattributedSilenced(view: ScenarioView, silences: readonly SilenceRecord[]): Evidence[] {
  const out: Evidence[] = [];
  for (const n of view.notifications) {
    if (!n.delivered || n.sender !== undefined) continue;
    const hit = silences.find(
      (s) => s.matchers && n.t > s.createdAt && n.t >= s.startsAt && n.t < Math.min(s.endsAt, s.expireInvokedAt ?? Infinity) && n.alerts.some((a) => matchesAll(s.matchers!, a.labels)),
    );
    if (!hit) continue;
    out.push({
      kind: 'unattributed-notification',
      message: `a notification to ${n.receiver} at ${fmtT(n.t)} from ${n.externalURL} (no node of the scenario) carries an alert ${describeSilence(hit)} matched: whether a node that had the silence sent it cannot be told`,
      events: [hit.invokeSeq, n.seq],
      data: { silence: hit.id ?? null, externalURL: n.externalURL, receiver: n.receiver },
    });
  }
  return out;
}

/**
 * The deadline for y to list a silence created on x at c: c + P, pushed to (end + P) by every
 * fault that may separate x and y, and every outage of x or y, starting before the deadline.
 */
function pairDeadline(view: ScenarioView, c: number, P: number, x: NodeId, y: NodeId): number {
  const windows: Interval[] = [];
  for (const f of view.faults) if (faultSeparates(f, x, y)) windows.push({ start: f.start, end: f.end });
  for (const d of view.nodeDown) if (d.node === x || d.node === y) windows.push({ start: d.start, end: d.end });
  let deadline = c + P;
  for (const w of mergeIntervals(windows)) {
    if (w.end <= c) continue;
    if (w.start > deadline) break;
    if (w.end === Infinity) return Infinity;
    deadline = Math.max(deadline, w.end + P);
  }
  return deadline;
}

/**
 * A delivered notification is a violation when it carries an alert the silence matches and the
 * flush that produced it certainly happened after the silence was visible on the sender (plus
 * the margin) and before anyone tried to expire it. Alertmanager evaluates silences at the flush,
 * BEFORE the wait stage, so the flush happened up to position × peer_timeout earlier than the
 * arrival, plus the retry time when the sender retried (a captured failed attempt of the same
 * group, or a fault around it). Position comes from the sender's latest status sample (peers
 * sorted by name), else the worst case N−1.
 */
function findViolations(
  view: ScenarioView,
  silences: readonly SilenceRecord[],
  visible: Map<SilenceRecord, Map<NodeId, number>>,
  statusByNode: Map<NodeId, StatusSampleEvent[]>,
  margin: number,
  retrySlackMs: number,
): Evidence[] {
  const usable = silences.filter((s) => s.matchers);
  if (usable.length === 0) return [];
  const failedAttempts = new Map<string, number[]>();
  for (const n of view.notifications) {
    if (n.delivered || n.sender === undefined) continue;
    const k = groupId(n) + '\u0000' + n.sender;
    let l = failedAttempts.get(k);
    if (!l) failedAttempts.set(k, (l = []));
    l.push(n.t);
  }
  const faults = mergeIntervals([...view.faults, ...view.nodeDown].map((f) => ({ start: f.start, end: f.end })));
  const pt = view.timers.peerTimeoutMs;
  const positionOf = (node: NodeId, t: number, disturbed: boolean): number => {
    const worst = Math.max(0, view.n - 1);
    if (disturbed) return worst;
    const name = view.start.nodes.find((d) => d.id === node)?.peerName;
    const sample = lastAtOrBefore(statusByNode.get(node) ?? [], t);
    if (!name || !sample) return worst;
    const pos = [...sample.peers].sort().indexOf(name);
    return pos === -1 ? worst : pos;
  };

  const out: Evidence[] = [];
  for (const n of view.notifications) {
    if (!n.delivered || n.sender === undefined) continue;
    for (const s of usable) {
      const vis = visible.get(s)?.get(n.sender);
      if (vis === undefined || n.t <= vis + margin) continue;
      if ((s.expireInvokedAt !== undefined && n.t >= s.expireInvokedAt) || n.t >= s.endsAt) continue;
      const lag = flushLag(n, positionOf, faults, failedAttempts, pt, retrySlackMs, margin, view.n);
      const flushAfter = n.t - lag;
      if (flushAfter <= vis + margin || flushAfter < s.startsAt) continue;
      const hits = n.alerts.filter((a) => matchesAll(s.matchers!, a.labels));
      if (hits.length === 0) continue;
      out.push({
        kind: 'notified-while-silenced',
        message:
          `${describeNode(view, n.sender)} delivered ${hits.map((a) => `${a.key} (${a.status})`).join(', ')} to ${n.receiver} at ${fmtT(n.t)} ` +
          `although it listed ${describeSilence(s)} since ${fmtT(vis)}; its flush was at ${fmtT(flushAfter)} or later`,
        events: [s.invokeSeq, n.seq],
        data: { silence: s.id, node: n.sender, receiver: n.receiver, groupKey: n.groupKey, visibleAt: vis, flushNotBefore: flushAfter, alerts: hits.map((a) => a.key) },
      });
    }
  }
  return out;
}

function flushLag(
  n: NotificationEvent,
  positionOf: (node: NodeId, t: number, disturbed: boolean) => number,
  faults: Interval[],
  failedAttempts: Map<string, number[]>,
  pt: number,
  retrySlackMs: number,
  margin: number,
  nodes: number,
): number {
  const worstWindow = Math.max(0, nodes - 1) * pt + retrySlackMs;
  const disturbed = overlapsAny(faults, n.t - worstWindow, n.t);
  const pos = positionOf(n.sender!, n.t, disturbed);
  const attempts = failedAttempts.get(groupId(n) + '\u0000' + n.sender) ?? [];
  const from = n.t - (pos * pt + retrySlackMs);
  const retried = disturbed || attempts.some((t) => t >= from && t < n.t);
  return pos * pt + (retried ? retrySlackMs : 0) + margin;
}
