import type { HistoryEvent, RouteRecord } from '../history/types.js';
import { routeTree } from './routes.js';
import { clusterPositionAt, deriveWindows, fmtT, viewScenario, type FaultWindow, type ScenarioView } from './scenario.js';
import type { CheckResult, Evidence } from './types.js';

/**
 * Known behaviour of Alertmanager, as predicates on the evidence — never on names. A failing
 * check is an *expected failure* only when EVERY piece of its failing evidence is explained by a
 * fault the suite itself injected (`expected: true`), e.g. "both copies of this duplicated
 * transition fall inside the UDP cut the suite made, plus the push/pull tail". Duplicates outside
 * the predicate (healthy time, a baseline, the final resolve) stay unexplained: the check fails.
 *
 * Behaviour that comes from the user's config or version mix (`expected: false`: timers that let
 * a flush outlive the next tick, group keys built differently by two versions) never makes a
 * failure expected: the check fails — a user's CI must go red when their config makes
 * Alertmanager send duplicates — and its message names the upstream issue and the config line.
 */
export interface KnownBehaviour {
  /** Stable id, shown in the evidence (`explainedBy.behaviour`). */
  id: string;
  /** The checks whose failing evidence it may explain. */
  checks: readonly string[];
  /** true: a fault the suite injected (the failure is expected). false: config / version mix (still a fail). */
  expected: boolean;
  /** The reason for one failing evidence item, or undefined when the item is not this behaviour. */
  explain(view: ScenarioView, evidence: Evidence): string | undefined;
}

/** The time span a failing evidence item covers: its first and last notification. */
export function evidenceSpan(e: Evidence): { first: number; last: number } | undefined {
  const d = e.data ?? {};
  const copies = d['copies'];
  if (Array.isArray(copies) && copies.length > 0) {
    const ts = (copies as { t?: unknown }[]).map((c) => c.t).filter((t): t is number => typeof t === 'number');
    if (ts.length > 0) return { first: Math.min(...ts), last: Math.max(...ts) };
  }
  if (typeof d['firstT'] === 'number' && typeof d['lastT'] === 'number') return { first: d['firstT'], last: d['lastT'] };
  return undefined;
}

export interface InjectedFaultOptions {
  id: string;
  /** Which injected faults: their kinds, and optionally a test on the recorded spec. */
  faults: readonly string[];
  matchSpec?: (spec: Record<string, unknown> | undefined) => boolean;
  checks?: readonly string[];
  /** How long after the fault's removal its consequences may still arrive (documented per behaviour). */
  tailMs: (view: ScenarioView) => number;
  /** What happens and the upstream issue(s). */
  reason: string;
}

/**
 * A fault the suite injected explains a failing item when the item's first and last notification
 * both fall inside one window of such a fault: [applied, removed + tail].
 */
export function duringInjectedFault(o: InjectedFaultOptions): KnownBehaviour {
  return {
    id: o.id,
    checks: o.checks ?? ['exactly-once', 'validity'],
    expected: true,
    explain(view, e) {
      const span = evidenceSpan(e);
      if (!span) return undefined;
      const tail = o.tailMs(view);
      const w = view.faults.find(
        (f: FaultWindow) => f.applied && o.faults.includes(f.kind) && (!o.matchSpec || o.matchSpec(f.spec)) && f.start <= span.first && span.last <= f.end + tail,
      );
      if (!w) return undefined;
      return `${o.reason} — inside the injected fault #${w.fault} "${w.description}" (+${(tail / 1000).toFixed(1)} s tail)`;
    },
  };
}

export interface SourceMistakeOptions {
  id: string;
  /** The `mistake` of the `source-config` fault (src/prometheus) this behaviour belongs to. */
  mistake: string;
  checks: readonly string[];
  /** The evidence kinds the mistake causes (validity's `duplicate-alert`, no-loss's `lost-firing`, ...); default any. */
  kinds?: readonly string[];
  /** How long after the mistake was undone its consequences may still arrive. */
  tailMs: (view: ScenarioView) => number;
  /** What the mistake makes Alertmanager do. */
  reason: string;
  /** A further condition on the evidence (e.g. "every node the replicas sent to was down"). */
  requires?: (view: ScenarioView, mistake: FaultWindow, e: Evidence) => boolean;
}

/**
 * A classic mistake in the alert source's setup that the suite itself set up — a `source-config`
 * fault of the Prometheus source (replica label not dropped, every replica sending to one node, an
 * evaluation offset) — explains a failing item that lies inside it (plus its tail). For no-loss
 * items the transition (the intent) must have happened while the mistake was in place; for the
 * others the failing notification itself (the copy, the stale state, the extra label set) must
 * have arrived then: a mistake can make Alertmanager repeat or contradict what it said before the
 * mistake began (a replica given an offset re-evaluates the past).
 */
export function duringSourceMistake(o: SourceMistakeOptions): KnownBehaviour {
  return {
    id: o.id,
    checks: o.checks,
    expected: true,
    explain(view, e) {
      if (o.kinds && !o.kinds.includes(e.kind)) return undefined;
      const intentT = e.data?.['intentT'];
      const items = evidenceSpan(e);
      const at = typeof intentT === 'number' ? intentT : items?.last;
      if (at === undefined) return undefined;
      const span = { first: at, last: at };
      const tail = o.tailMs(view);
      const w = view.faults.find(
        (f) =>
          f.applied &&
          f.kind === 'source-config' &&
          f.spec?.['mistake'] === o.mistake &&
          f.start <= span.first &&
          span.last <= (typeof intentT === 'number' ? f.end : f.end + tail) &&
          (!o.requires || o.requires(view, f, e)),
      );
      if (!w) return undefined;
      return `${o.reason} — inside the mistake the suite set up, #${w.fault} "${w.description}" (+${(tail / 1000).toFixed(1)} s tail)`;
    },
  };
}

/**
 * A fault the suite injected on particular nodes (a skewed clock, other flags) explains a failing
 * item when the offending notification it names — the last one: the stale state, the copy, the
 * notification despite a silence — was sent by a node that fault acted on, while it was in place
 * (plus a tail): the misbehaviour is that node's, under the condition the suite gave it.
 */
export function fromInjectedNode(o: InjectedFaultOptions): KnownBehaviour {
  return {
    id: o.id,
    checks: o.checks ?? ['exactly-once', 'validity'],
    expected: true,
    explain(view, e) {
      const notes = e.events.map((seq) => view.events.find((x) => x.seq === seq)).filter((x): x is Extract<(typeof view.events)[number], { type: 'notification' }> => x?.type === 'notification');
      if (notes.length === 0) return undefined;
      const tail = o.tailMs(view);
      const windows = view.faults.filter((f) => f.applied && o.faults.includes(f.kind) && (!o.matchSpec || o.matchSpec(f.spec)));
      const suspect = notes[notes.length - 1]!;
      const w = windows.find((f) => suspect.sender !== undefined && (f.nodes ?? []).includes(suspect.sender) && f.start <= suspect.t && suspect.t <= f.end + tail);
      if (!w) return undefined;
      return `${o.reason} — sent by ${suspect.sender} inside the injected fault #${w.fault} "${w.description}" (+${(tail / 1000).toFixed(1)} s tail)`;
    },
  };
}

export interface RestartedTimerPhaseOptions {
  id: string;
  /** The injected faults that stop a node's timers: its process killed and started again, paused. */
  faults: readonly string[];
}

/**
 * The least gap between two nodes' flushes of one group that says their group timers are out of
 * phase. A healthy cluster's nodes get each alert from the source within milliseconds of each
 * other, so their aggregation groups — and every later tick of them — start within that; a node
 * restarted or resumed ticks anywhere in the group interval against its peers.
 */
export const OUT_OF_PHASE_GAP_MS = 250;

/**
 * Upstream #3551 (a suite's own fault: expected): a node the suite restarted or paused runs its
 * group timers out of phase with its peers' from then on — a restarted node makes its aggregation
 * groups anew when the alerts next reach it, a resumed one's timer fires late — until the group is
 * gone. The position wait (position × peer_timeout after the flush) keeps nodes from notifying the
 * same thing only while their flushes coincide; out of phase, two things go wrong, and the
 * restarted node may be either one of the pair:
 *
 * - **a stale state** (validity): a node takes its snapshot before a change reaches it while a peer
 *   flushes after the change and notifies it; after its position wait the node's dedup stage sees a
 *   log entry that differs from its snapshot and sends the older state (a firing after the
 *   resolved, or the reverse). Explained only when the sender's flush (arrival − position ×
 *   peer_timeout, positions from the status samples) came before the change's post reached it, and
 *   the newer notification's flush came at least OUT_OF_PHASE_GAP_MS later.
 * - **a duplicate** (exactly-once): a node's dedup check falls just after a peer sent the same
 *   transition, before that peer's log entry could reach it by gossip. Explained only when every
 *   later copy arrived within the gossip margin after the first, and its flush came at least
 *   OUT_OF_PHASE_GAP_MS after the first copy's flush.
 *
 * Both also need a fault of the given kinds to have acted on one of the two senders before the
 * earlier flush. Timers in phase flush within milliseconds of each other and cannot do either.
 */
export function outOfPhaseAfterRestart(o: RestartedTimerPhaseOptions): KnownBehaviour {
  const pt = (view: ScenarioView) => view.timers.peerTimeoutMs;
  const flushOf = (view: ScenarioView, node: string, t: number): { flush: number; position: number } | undefined => {
    const position = clusterPositionAt(view, node, t);
    return position === undefined ? undefined : { flush: t - position * pt(view), position };
  };
  const faultOn = (view: ScenarioView, nodes: readonly string[], before: number): FaultWindow | undefined =>
    view.faults.find((f) => f.applied && o.faults.includes(f.kind) && (f.nodes ?? []).some((x) => nodes.includes(x)) && f.start <= before);
  const where = (w: FaultWindow, nodes: readonly string[]) => `the injected fault #${w.fault} "${w.description}" left on ${(w.nodes ?? []).filter((x) => nodes.includes(x)).join(', ')}`;

  const stale = (view: ScenarioView, e: Evidence): string | undefined => {
    const d = e.data ?? {};
    const newer = d['newer'] as { t?: unknown; sender?: unknown } | undefined;
    const sender = d['sender'];
    const t = d['t'];
    const changeT = e.kind === 'stale-firing' ? d['resolveT'] : d['refireT'];
    if (typeof sender !== 'string' || typeof t !== 'number' || typeof changeT !== 'number' || typeof newer?.t !== 'number' || typeof newer.sender !== 'string') return undefined;
    const mine = flushOf(view, sender, t);
    const theirs = flushOf(view, newer.sender, newer.t);
    const reached = postReachedAfter(view, sender, changeT);
    if (!mine || !theirs || reached === undefined || mine.flush > reached || theirs.flush - mine.flush < OUT_OF_PHASE_GAP_MS) return undefined;
    const w = faultOn(view, [sender, newer.sender], mine.flush);
    if (!w) return undefined;
    return (
      `upstream #3551: a node the suite restarted or paused ticks out of phase with its peers, and a snapshot older than a peer's notification is sent after its position wait` +
      ` — inside the phase shift ${where(w, [sender, newer.sender])}: ${sender} flushed at ${fmtT(mine.flush)} (position ${mine.position}),` +
      ` before the change reached it at ${fmtT(reached)}; ${newer.sender} flushed at ${fmtT(theirs.flush)}`
    );
  };

  const duplicate = (view: ScenarioView, e: Evidence): string | undefined => {
    const copies = e.data?.['copies'];
    if (!Array.isArray(copies) || copies.length < 2) return undefined;
    const list = (copies as { t?: unknown; sender?: unknown }[]).filter((c): c is { t: number; sender: string } => typeof c.t === 'number' && typeof c.sender === 'string');
    if (list.length !== copies.length) return undefined;
    const [first, ...later] = [...list].sort((a, b) => a.t - b.t);
    const firstFlush = flushOf(view, first!.sender, first!.t);
    if (!firstFlush) return undefined;
    const margin = deriveWindows(view).gossipMarginMs;
    const senders = new Set<string>([first!.sender]);
    let lastFlush = firstFlush.flush;
    for (const c of later) {
      const f = flushOf(view, c.sender, c.t);
      if (!f || c.sender === first!.sender || c.t - first!.t > margin || f.flush - firstFlush.flush < OUT_OF_PHASE_GAP_MS) return undefined;
      senders.add(c.sender);
      lastFlush = f.flush;
    }
    const w = faultOn(view, [...senders], firstFlush.flush);
    if (!w) return undefined;
    const last = later[later.length - 1]!;
    return (
      `upstream #3551: a node the suite restarted or paused ticks out of phase with its peers, and one checks the notification log just after a peer sent, before the peer's entry can reach it by gossip` +
      ` — inside the phase shift ${where(w, [...senders])}: ${first!.sender} flushed at ${fmtT(firstFlush.flush)} and sent at ${fmtT(first!.t)};` +
      ` ${last.sender} sent again at ${fmtT(last.t)} (within the gossip margin of ${(margin / 1000).toFixed(1)} s), from a flush ${((lastFlush - firstFlush.flush) / 1000).toFixed(3)} s later`
    );
  };

  return {
    id: o.id,
    checks: ['validity', 'exactly-once'],
    expected: true,
    explain(view, e) {
      if (e.kind === 'stale-firing' || e.kind === 'stale-resolved') return stale(view, e);
      if (e.kind === 'duplicate') return duplicate(view, e);
      return undefined;
    },
  };
}

/** When the first alerts post the harness made to `node` at or after `from` was accepted. */
function postReachedAfter(view: ScenarioView, node: string, from: number): number | undefined {
  for (const c of view.completes) {
    if (c.t < from || c.node !== node || c.kind !== 'alerts.post' || c.ok !== true) continue;
    const inv = view.invokes.get(c.op);
    if (inv && inv.t >= from) return c.t;
  }
  return undefined;
}

export interface SuiteRouteOptions {
  id: string;
  /** The matcher (as the route records it, e.g. `amchaos_phase="flap"`) that marks the suite's own route. */
  routeMatcher: string;
  checks: readonly string[];
  /** The evidence on that route the behaviour covers: another known behaviour that must explain it too, or evidence kinds. */
  explainedBy?: KnownBehaviour;
  kinds?: readonly string[];
  reason: string;
}

/**
 * A condition the suite set up in its own config (a route with timers that cannot be exactly-once,
 * a repeat_interval the nflog outlives): evidence on that route — and only of the kinds, or
 * explained by the behaviour, the suite names — is expected, because the suite injected it. The
 * same evidence on any other route stays a failure (CONFIG_BEHAVIOURS still explain it there).
 */
export function onSuiteRoute(o: SuiteRouteOptions): KnownBehaviour {
  return {
    id: o.id,
    checks: o.checks,
    expected: true,
    explain(view, e) {
      // An ambiguous group (one receiver on several matching routes) names them all ("root.0|root.1"): every one must be the suite's.
      const id = e.data?.['route'];
      const tree = routeTree(view);
      const routes = typeof id === 'string' ? id.split('|').map((part) => tree.all.find((r) => r.id === part)) : [routeOfEvidence(view, e)];
      if (routes.length === 0 || routes.some((r) => !r || !r.matchers.includes(o.routeMatcher))) return undefined;
      const route = routes[0]!;
      if (o.kinds && !o.kinds.includes(e.kind)) return undefined;
      if (o.explainedBy) {
        const inner = o.explainedBy.explain(view, e);
        if (!inner) return undefined;
        return `${o.reason} — inside the suite's own route ${String(id ?? route.id)} (${o.routeMatcher}): ${inner}`;
      }
      return `${o.reason} — inside the suite's own route ${String(id ?? route.id)} (${o.routeMatcher})`;
    },
  };
}

/**
 * Upstream #3551 / #4008 (not expected: it comes from the timers): with group_interval ≤ (N−1) ×
 * peer_timeout, the last position's flush is still waiting when the next group_interval tick
 * starts, so it can send a state the cluster already moved past — a copy that arrives at least
 * one group_interval after the first, or a stale firing after the resolved.
 */
export const timerOverlap: KnownBehaviour = {
  id: 'timer-overlap',
  checks: ['exactly-once', 'validity'],
  expected: false,
  explain(view, e) {
    const route = routeOfEvidence(view, e);
    if (!route) return undefined;
    const lastWait = Math.max(0, view.n - 1) * view.timers.peerTimeoutMs;
    if (route.groupIntervalMs > lastWait) return undefined;
    // The evidence shape of the overlap: a stale state (validity), or a duplicate whose copies came
    // from flushes of different group_interval ticks — a copy's flush is its arrival minus its
    // sender's position × peer_timeout. Copies flushed at the same tick are not this behaviour
    // (a cluster that dedups sends one of them), nor are copies whose positions are unknown.
    const isStale = e.kind === 'stale-firing' || e.kind === 'stale-resolved';
    if (!isStale) {
      const copies = e.data?.['copies'];
      if (!Array.isArray(copies) || copies.length < 2) return undefined;
      const flushes: number[] = [];
      for (const c of copies as { t?: unknown; position?: unknown }[]) {
        if (typeof c.t !== 'number' || typeof c.position !== 'number') return undefined;
        flushes.push(c.t - c.position * view.timers.peerTimeoutMs);
      }
      const margin = deriveWindows(view, 500, route).deliveryMarginMs;
      if (Math.max(...flushes) - Math.min(...flushes) < route.groupIntervalMs - margin) return undefined;
    }
    const where = route.sources?.groupInterval ?? `group_interval of route ${route.id}`;
    return (
      `upstream #3551/#4008: group_interval ${fmtDuration(route.groupIntervalMs)} (${where}) ≤ (N−1) × peer_timeout = ${fmtDuration(lastWait)}: ` +
      `the last position's flush outlives the next group_interval tick and sends a state the cluster already moved past; raise group_interval above ${fmtDuration(lastWait)}`
    );
  },
};

/**
 * 0.25 and 0.28+ write some group keys differently (prometheus/common's label-set ordering,
 * reference memberlist-wire.md §10.5): in a mixed cluster the nflog entries of one group do not
 * match across versions, so each version notifies it. Not expected: it comes from the version mix.
 */
export const mixedVersionGroupKeys: KnownBehaviour = {
  id: 'mixed-version-group-keys',
  checks: ['exactly-once'],
  expected: false,
  explain(view, e) {
    const copies = e.data?.['copies'];
    if (!Array.isArray(copies)) return undefined;
    const keys = new Set<string>();
    const versions = new Set<string>();
    for (const c of copies as { sender?: string | null; groupKey?: string }[]) {
      const node = view.start.nodes.find((n) => n.id === c.sender);
      if (node) versions.add(node.version);
      if (typeof c.groupKey === 'string') keys.add(c.groupKey);
    }
    if (keys.size < 2 || versions.size < 2) return undefined;
    return `the versions of this mixed cluster (${[...versions].join(', ')}) build this group's key differently (${[...keys].join(' vs ')}), so their notification logs do not dedup it (prometheus/common label-set ordering changed between 0.25 and 0.28)`;
  },
};

/** What the runner always applies, whatever the suite: behaviour a user's config or version mix causes. */
export const CONFIG_BEHAVIOURS: readonly KnownBehaviour[] = [mixedVersionGroupKeys, timerOverlap];

function routeOfEvidence(view: ScenarioView, e: Evidence): RouteRecord | undefined {
  const id = e.data?.['route'];
  const tree = routeTree(view);
  if (typeof id === 'string') {
    const hit = tree.all.find((r) => r.id === id);
    if (hit) return hit;
  }
  return tree.all.length === 1 ? tree.all[0] : undefined;
}

function fmtDuration(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`;
}

/**
 * Marks each failing evidence item of each failing check with what explains it, then: a check
 * all of whose failing items are explained by injected faults is an expected failure (verdict
 * stays `fail`); otherwise it stays a plain fail, and the upstream issues that explain some of
 * it are listed in `knownIssues` and its summary. Evidence truncated away cannot be checked, so a
 * check whose failing evidence was truncated is never an expected failure.
 */
export function applyKnownBehaviours(history: readonly HistoryEvent[], results: readonly CheckResult[], suiteBehaviours: readonly KnownBehaviour[]): CheckResult[] {
  const v = viewScenario(history);
  if (!v.ok) return [...results];
  const view = v.view;
  const behaviours = [...suiteBehaviours, ...CONFIG_BEHAVIOURS];
  return results.map((r) => {
    if (r.verdict !== 'fail') return r;
    const failing = r.evidence.filter((e) => e.fails);
    const evidence = r.evidence.map((e) => {
      if (!e.fails) return e;
      for (const b of behaviours) {
        if (!b.checks.includes(r.name)) continue;
        const reason = b.explain(view, e);
        if (reason) return { ...e, explainedBy: { behaviour: b.id, expected: b.expected, reason } };
      }
      return e;
    });
    const explained = evidence.filter((e) => e.fails);
    const truncated = typeof r.figures['evidenceTruncated'] === 'number' && r.figures['evidenceTruncated'] > 0 && r.evidence[r.evidence.length - 1]?.fails === true;
    const allExpected = failing.length > 0 && !truncated && explained.every((e) => e.explainedBy?.expected === true);
    if (allExpected) {
      const reasons = [...new Set(explained.map((e) => e.explainedBy!.reason.split(' — inside')[0]!))];
      return { ...r, evidence, expectedFailure: reasons.join('; ') };
    }
    const known = [...new Set(explained.filter((e) => e.explainedBy && !e.explainedBy.expected).map((e) => e.explainedBy!.reason))];
    const unexplained = explained.filter((e) => !e.explainedBy).length;
    const { expectedFailure: _dropped, ...rest } = r;
    return {
      ...rest,
      evidence,
      ...(known.length > 0
        ? { knownIssues: known, summary: `${r.summary} — ${known.join('; ')}${unexplained > 0 ? ` (${unexplained} more not explained by it)` : ''}` }
        : {}),
    };
  });
}
