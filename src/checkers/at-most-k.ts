import type { HistoryEvent, NodeId } from '../history/types.js';
import { decide, deliveredByGroup, describeKeys, type NotifiedState, type WalkOptions } from './dedup.js';
import { receiverConfig } from './exactly-once.js';
import { intentsByKey } from './intents.js';
import { firstAtOrAfter } from './intervals.js';
import {
  capEvidence,
  deriveWindows,
  describeNode,
  fmtT,
  healer,
  unknownResult,
  viewScenario,
} from './scenario.js';
import type { CheckResult, Evidence } from './types.js';

export const AT_MOST_K = 'at-most-k';

export interface AtMostKOptions {
  /** How long after the partition is removed its sides still count as separate (default: as exactly-once). */
  settleMarginMs?: number;
  maxEvidence?: number;
}

/** All notifications of one group state inside one partition window, within one repeat interval. */
interface Episode {
  first: NotifiedState;
  copies: NotifiedState[];
  components: Set<number>;
  withinSide: { dup: NotifiedState; entry: NotifiedState | undefined; component: number }[];
  unattributed: NotifiedState[];
  /** Copies the dedup rule cannot judge (truncated alerts, a silent log reset that may have happened). */
  ambiguous: NotifiedState[];
}

function describeComponents(components: NodeId[][]): string {
  return components.map((c) => c.join(',')).join(' | ');
}

/**
 * at-most-k: while the cluster is partitioned into k components, each side is its own cluster and
 * may notify every transition once, so a group state is delivered at most k times — at most once
 * per component. Within a component the dedup rule (needsUpdate against that component's own last
 * notification) must hold; a copy it would suppress is a within-side duplicate. The window runs
 * from `applied` until the cluster healed (removed + settle margin, or until status samples show
 * all peers again), cut at the next partition.
 */
export function checkAtMostK(history: readonly HistoryEvent[], options: AtMostKOptions = {}): CheckResult {
  const v = viewScenario(history);
  if (!v.ok) return unknownResult(AT_MOST_K, v.reason, [{ kind: 'history', message: v.reason, events: v.events }]);
  const view = v.view;
  const partitions = view.faults.filter((f) => f.applied && f.components && f.components.length > 0).sort((a, b) => a.start - b.start);
  if (partitions.length === 0) return unknownResult(AT_MOST_K, 'no partition fault (with components) was applied');

  const windows = deriveWindows(view);
  const healed = healer(view, options.settleMarginMs ?? windows.settleMarginMs);
  const groups = deliveredByGroup(view.notifications);
  const byKey = intentsByKey(view);

  const counts = { transitions: 0, notifications: 0, duplicates: 0, maxCopies: 0, withinSide: 0, violations: 0, unattributed: 0, uncertain: 0 };
  const ks: number[] = [];
  const failEvidence: Evidence[] = [];
  const otherEvidence: Evidence[] = [];

  partitions.forEach((p, i) => {
    const end = Math.min(healed(p.end), partitions[i + 1]?.start ?? Infinity);
    const components = p.components!.map((c) => [...c]);
    const listed = new Set(components.flat());
    const missing = view.nodeIds.filter((id) => !listed.has(id));
    if (missing.length > 0) {
      // A node in no component is cut off from everyone: it is a side of its own.
      for (const id of missing) components.push([id]);
      otherEvidence.push({
        kind: 'components-incomplete',
        message: `partition #${p.fault} (${p.description}) lists no component for ${missing.join(', ')}; counted as singleton components`,
        events: [p.startSeq],
      });
    }
    const k = components.length;
    ks.push(k);
    const compOf = new Map<NodeId, number>();
    components.forEach((c, ci) => c.forEach((id) => compOf.set(id, ci)));
    const label = `partition #${p.fault} (${describeComponents(components)}) ${fmtT(p.start)}–${fmtT(end)}`;

    for (const list of groups.values()) {
      const from = firstAtOrAfter(list, p.start);
      const to = firstAtOrAfter(list, end);
      if (from >= to) continue;
      const { receiver, groupKey } = list[0]!.event;
      const cfg = receiverConfig(view, receiver, list);
      const opts: WalkOptions = { sendResolved: cfg.sendResolved, repeatMs: cfg.repeatMs, byKey, resetWindowMs: windows.resolveFlushWindowMs };
      const entries = initialEntries(list, from, p.start - windows.gossipMarginMs, compOf, k);
      const episodes = new Map<string, Episode[]>();
      for (let j = from; j < to; j++) {
        const s = list[j]!;
        counts.notifications++;
        const stateKey = [...s.firing].sort().join('\u0001') + '\u0002' + (cfg.sendResolved ? [...s.resolved].sort().join('\u0001') : '');
        let eps = episodes.get(stateKey);
        if (!eps) episodes.set(stateKey, (eps = []));
        let ep = eps[eps.length - 1];
        if (!ep || s.t - ep.first.t > cfg.repeatMs) {
          ep = { first: s, copies: [], components: new Set(), withinSide: [], unattributed: [], ambiguous: [] };
          eps.push(ep);
        }
        ep.copies.push(s);
        const c = s.event.sender !== undefined ? compOf.get(s.event.sender) : undefined;
        if (c === undefined) {
          ep.unattributed.push(s);
          continue;
        }
        const d = decide(entries[c], s, opts);
        if (d.notify === false) {
          ep.withinSide.push({ dup: s, entry: entries[c], component: c });
        } else if (d.notify === 'ambiguous') {
          // Neither a legitimate send of its side nor a within-side duplicate: it cannot count as either.
          ep.ambiguous.push(s);
          entries[c] = s;
        } else {
          entries[c] = s;
          ep.components.add(c);
        }
      }

      for (const eps of episodes.values()) {
        for (const ep of eps) {
          counts.transitions++;
          counts.duplicates += ep.copies.length - 1;
          counts.maxCopies = Math.max(counts.maxCopies, ep.copies.length);
          counts.unattributed += ep.unattributed.length;
          const attributed = ep.components.size + ep.withinSide.length;
          const state = `firing [${describeKeys(ep.first.firing)}]` + (ep.first.resolved.size > 0 ? `, resolved [${describeKeys(ep.first.resolved)}]` : '');
          const copyList = ep.copies.map((x) => `${x.event.sender ?? 'unattributed'} at ${fmtT(x.t)}`).join(', ');
          const data = {
            fault: p.fault,
            k,
            receiver,
            groupKey,
            firing: [...ep.first.firing].sort(),
            resolved: [...ep.first.resolved].sort(),
            copies: ep.copies.map((x) => ({ seq: x.seq, id: x.event.id, sender: x.event.sender ?? null, t: x.t, gapMs: x.t - ep.first.t })),
          };
          for (const w of ep.withinSide) {
            counts.withinSide++;
            failEvidence.push({
              kind: 'within-side-duplicate',
              message:
                `${label}: component {${components[w.component]!.join(',')}} delivered ${state} of group ${groupKey} (receiver ${receiver}) again: ` +
                `${describeNode(view, w.dup.event.sender)} at ${fmtT(w.dup.t)}` +
                (w.entry ? ` after ${describeNode(view, w.entry.event.sender)} at ${fmtT(w.entry.t)} (+${((w.dup.t - w.entry.t) / 1000).toFixed(3)}s)` : ''),
              events: [...(w.entry ? [w.entry.seq] : []), w.dup.seq],
              data: { ...data, component: components[w.component], dupSeq: w.dup.seq, entrySeq: w.entry?.seq ?? null },
            });
          }
          if (attributed > k) {
            counts.violations++;
            failEvidence.push({
              kind: 'more-than-k',
              message: `${label}: ${state} of group ${groupKey} (receiver ${receiver}) delivered ${ep.copies.length} times with k=${k}: ${copyList}`,
              events: ep.copies.map((x) => x.seq),
              data,
            });
          } else if (ep.ambiguous.length > 0) {
            counts.uncertain++;
            otherEvidence.push({
              kind: 'ambiguous-copies',
              message: `${label}: ${state} of group ${groupKey} delivered ${ep.copies.length} times with k=${k}; ${ep.ambiguous.length} of them cannot be judged (${ep.ambiguous.map((x) => `${x.event.sender ?? 'unattributed'} at ${fmtT(x.t)}`).join(', ')}: truncated alerts or a possible silent log reset)`,
              events: ep.copies.map((x) => x.seq),
              data,
            });
          } else if (attributed + ep.unattributed.length > k) {
            counts.uncertain++;
            otherEvidence.push({
              kind: 'unattributed-copies',
              message: `${label}: ${state} of group ${groupKey} delivered ${ep.copies.length} times with k=${k}, ${ep.unattributed.length} of them by senders outside every component: ${copyList}`,
              events: ep.copies.map((x) => x.seq),
              data,
            });
          } else if (ep.copies.length > 1) {
            otherEvidence.push({
              kind: 'copies-within-k',
              message: `${label}: ${state} of group ${groupKey} delivered ${ep.copies.length} times (≤ k=${k}): ${copyList}`,
              events: ep.copies.map((x) => x.seq),
              data,
            });
          }
        }
      }
    }
  });

  const figures: CheckResult['figures'] = {
    partitions: partitions.length,
    k: ks,
    transitionsDuringPartitions: counts.transitions,
    notificationsDuringPartitions: counts.notifications,
    duplicatesDuringPartitions: counts.duplicates,
    maxCopies: counts.maxCopies,
    withinSideDuplicates: counts.withinSide,
    violations: counts.violations,
    unattributedCopies: counts.unattributed,
  };
  const { evidence, truncated } = capEvidence([...failEvidence.map((e) => ({ ...e, fails: true })), ...otherEvidence], options.maxEvidence ?? 100);
  if (truncated > 0) figures['evidenceTruncated'] = truncated;

  if (counts.violations + counts.withinSide > 0) {
    return {
      name: AT_MOST_K,
      verdict: 'fail',
      summary: `${counts.violations} transition(s) delivered more than k times and ${counts.withinSide} within-side duplicate(s) during partitions`,
      figures,
      evidence,
    };
  }
  if (counts.transitions === 0) return unknownResult(AT_MOST_K, `no notification was delivered during the ${partitions.length} partition(s)`, evidence, figures);
  if (counts.uncertain > 0) {
    return unknownResult(AT_MOST_K, `${counts.uncertain} transition(s) could not be judged: copies whose sender is in no component, or that the dedup rule cannot judge`, evidence, figures);
  }
  return {
    name: AT_MOST_K,
    verdict: 'pass',
    summary: `${counts.transitions} transition(s) during ${partitions.length} partition(s), at most one per side (max ${counts.maxCopies} copies; ${counts.duplicates} cross-side duplicates, expected)`,
    figures,
    evidence,
  };
}

/**
 * What each component's notification log holds when the partition starts: the last notification
 * delivered before `gossipBefore` (by then every node had it), or a later one sent from inside
 * the component itself (a component always knows its own sends).
 */
function initialEntries(
  list: readonly NotifiedState[],
  windowFrom: number,
  gossipBefore: number,
  compOf: Map<NodeId, number>,
  k: number,
): (NotifiedState | undefined)[] {
  const entries: (NotifiedState | undefined)[] = new Array<NotifiedState | undefined>(k).fill(undefined);
  let global: NotifiedState | undefined;
  for (let j = windowFrom - 1; j >= 0; j--) {
    const s = list[j]!;
    if (s.t < gossipBefore) {
      global = s;
      break;
    }
    const c = s.event.sender !== undefined ? compOf.get(s.event.sender) : undefined;
    if (c !== undefined && entries[c] === undefined) entries[c] = s;
  }
  return entries.map((e) => e ?? global);
}

