import type {
  AlertIntentEvent,
  AlertsSampleEvent,
  FaultEvent,
  HistoryEvent,
  NodeEvent,
  NodeId,
  NotificationEvent,
  OpCompleteEvent,
  OpInvokeEvent,
  RouteRecord,
  ScenarioStartEvent,
  SourceEvent,
  SilencesSampleEvent,
  StatusSampleEvent,
  Timers,
} from '../history/types.js';
import { withIdentityKeys } from '../history/types.js';
import { intervalAt, mergeIntervals, type Interval } from './intervals.js';
import { longestRouteTimers, routeTree } from './routes.js';
import type { CheckResult, Evidence } from './types.js';

/**
 * One pass over a scenario's history that every checker starts from: the scenario.start facts, the
 * events split by type (sorted by time), fault and node-down windows, when the cluster was ready,
 * and the windows derived from the timers. Pure; never touches the network.
 */

/** Alertmanager defaults that are not in Timers (flags the harness does not record). */
export const AM_DEFAULTS = {
  /** --cluster.reconnect-interval: how often a node re-joins peers it lost (after a partition heals). */
  reconnectIntervalMs: 10_000,
  /** notify.MinTimeout: the pipeline context is max(group_interval, 10s) + position × peer_timeout. */
  notifyMinTimeoutMs: 10_000,
  /**
   * The RetryStage's first retry: its backoff (cenkalti/backoff defaults: 500 ms ± 50 %) waits at
   * most 750 ms before the second attempt; 1 s covers that plus the request.
   */
  firstRetryMs: 1_000,
} as const;

/** A fault of the nemesis as a time window. */
export interface FaultWindow {
  fault: number;
  kind: string;
  description: string;
  /** `applied` time (or `requested` for a fault that failed before it was verified as applied). */
  start: number;
  /** `removed` time; Infinity when it was never verified as removed. */
  end: number;
  startSeq: number;
  endSeq?: number;
  /** false when the fault was requested and then failed without ever being verified as applied. */
  applied: boolean;
  components?: NodeId[][];
  nodes?: NodeId[];
  /** The fault's spec as the nemesis recorded it at `requested` (kind, transport, links, ...). */
  spec?: Record<string, unknown>;
  /**
   * What it acts on: the Alertmanager cluster, or the alert source (a Prometheus replica killed,
   * paused or cut from a node, a suite's mistake in the replicas' config). Source faults do not
   * disturb the cluster: an HA pair must stay exactly once and lose nothing through them.
   */
  scope: 'cluster' | 'source';
}

/** A node that was not running (killed, stopped, exited, paused) between start and end. */
export interface NodeDownWindow {
  node: NodeId;
  state: string;
  start: number;
  end: number;
  startSeq: number;
  endSeq?: number;
}

export interface ScenarioView {
  start: ScenarioStartEvent;
  nodeIds: NodeId[];
  /** Number of nodes in the cluster (scenario.start). */
  n: number;
  timers: Timers;
  /** All events, sorted by (t, seq). */
  events: HistoryEvent[];
  /** Time of the last event: how far the history observed. */
  endT: number;
  /** Epoch milliseconds of scenario time 0 (to convert Alertmanager wall-clock timestamps). */
  wallOriginMs: number;
  /** When the cluster was ready (undefined when the history cannot tell). */
  readyAt: number | undefined;
  readySource: string;
  /** Start of the check/teardown phase: later events are not part of the experiment. */
  teardownAt: number | undefined;
  faults: FaultWindow[];
  nodeDown: NodeDownWindow[];
  /** Nodes that went down and never came back before teardown (expected peer count excludes them). */
  goneNodes: Set<NodeId>;
  intents: AlertIntentEvent[];
  notifications: NotificationEvent[];
  statusSamples: StatusSampleEvent[];
  silenceSamples: SilencesSampleEvent[];
  alertsSamples: AlertsSampleEvent[];
  invokes: Map<number, OpInvokeEvent>;
  completes: OpCompleteEvent[];
  nodeEvents: NodeEvent[];
  /**
   * The alert source's setups when it is real Prometheus (`source` events, in order); empty for
   * the built-in workload. Its replica labels are not part of an alert's identity: `notifications`
   * carry identity keys (alertIdentity), their `labels` stay as sent.
   */
  sources: SourceEvent[];
  /** External labels whose value differs per replica (union over the source's setups). */
  replicaLabels: Record<string, string[]>;
}

export type ViewResult = { ok: true; view: ScenarioView } | { ok: false; reason: string; events: number[] };

const DOWN_STATES = new Set(['stopping', 'stopped', 'exited', 'killed', 'paused']);

function byTime(a: HistoryEvent, b: HistoryEvent): number {
  return a.t - b.t || a.seq - b.seq;
}

/** Builds the view, or says why the history is not one scenario a checker can read. */
export function viewScenario(history: readonly HistoryEvent[]): ViewResult {
  const starts = history.filter((e): e is ScenarioStartEvent => e.type === 'scenario.start');
  if (starts.length === 0) return { ok: false, reason: 'the history has no scenario.start event', events: [] };
  if (starts.length > 1) {
    return {
      ok: false,
      reason: `the history holds ${starts.length} scenarios; check each one separately (splitScenarios)`,
      events: starts.map((s) => s.seq),
    };
  }
  const start = starts[0]!;
  const events = [...history].sort(byTime);
  const view: ScenarioView = {
    start,
    nodeIds: start.nodes.map((n) => n.id),
    n: start.nodes.length,
    timers: start.timers,
    events,
    endT: events.length > 0 ? events[events.length - 1]!.t : start.t,
    wallOriginMs: Date.parse(start.wall) - start.t,
    readyAt: undefined,
    readySource: 'none',
    teardownAt: undefined,
    faults: [],
    nodeDown: [],
    goneNodes: new Set(),
    intents: [],
    notifications: [],
    statusSamples: [],
    silenceSamples: [],
    alertsSamples: [],
    invokes: new Map(),
    completes: [],
    nodeEvents: [],
    sources: [],
    replicaLabels: {},
  };
  let drivePhase: number | undefined;
  const faultEvents: FaultEvent[] = [];
  for (const e of events) {
    switch (e.type) {
      case 'alert.fire':
      case 'alert.resolve':
        view.intents.push(e);
        break;
      case 'notification':
        view.notifications.push(e);
        break;
      case 'status.sample':
        view.statusSamples.push(e);
        break;
      case 'silences.sample':
        view.silenceSamples.push(e);
        break;
      case 'alerts.sample':
        view.alertsSamples.push(e);
        break;
      case 'op.invoke':
        view.invokes.set(e.op, e);
        break;
      case 'op.complete':
        view.completes.push(e);
        break;
      case 'node':
        view.nodeEvents.push(e);
        break;
      case 'fault':
        faultEvents.push(e);
        break;
      case 'source':
        view.sources.push(e);
        for (const [name, values] of Object.entries(e.replicaLabels)) view.replicaLabels[name] = [...new Set([...(view.replicaLabels[name] ?? []), ...values])];
        break;
      case 'phase':
        if (e.phase === 'drive' && drivePhase === undefined) drivePhase = e.t;
        if ((e.phase === 'check' || e.phase === 'teardown') && view.teardownAt === undefined) view.teardownAt = e.t;
        break;
      default:
        break;
    }
  }
  if (view.sources.length > 0) view.notifications = view.notifications.map((n) => withIdentityKeys(n, view.replicaLabels));
  view.faults = faultWindows(faultEvents);
  computeNodeDown(view);
  computeReadyAt(view, drivePhase);
  return { ok: true, view };
}

function faultWindows(events: FaultEvent[]): FaultWindow[] {
  const open = new Map<number, FaultWindow>();
  const requested = new Map<number, FaultEvent>();
  const out: FaultWindow[] = [];
  for (const e of events) {
    if (e.state === 'requested') {
      requested.set(e.fault, e);
    } else if (e.state === 'applied') {
      const w: FaultWindow = {
        fault: e.fault,
        kind: e.kind,
        description: e.description,
        start: e.t,
        end: Infinity,
        startSeq: e.seq,
        applied: true,
        scope: scopeOf(e.kind),
      };
      if (e.components) w.components = e.components;
      if (e.nodes) w.nodes = e.nodes;
      const spec = specOf(requested.get(e.fault));
      if (spec) w.spec = spec;
      open.set(e.fault, w);
      out.push(w);
    } else if (e.state === 'removed') {
      const w = open.get(e.fault);
      if (w) {
        w.end = e.t;
        w.endSeq = e.seq;
        open.delete(e.fault);
      }
    } else if (e.state === 'failed') {
      // A failure after `applied` means the removal could not be verified: the window stays open.
      // A failure before it: the fault may have partly taken effect between request and failure.
      if (!open.has(e.fault)) {
        const r = requested.get(e.fault);
        const w: FaultWindow = {
          fault: e.fault,
          kind: e.kind,
          description: e.description,
          start: r?.t ?? e.t,
          end: e.t,
          startSeq: r?.seq ?? e.seq,
          endSeq: e.seq,
          applied: false,
          scope: scopeOf(e.kind),
        };
        if (e.nodes) w.nodes = e.nodes;
        out.push(w);
      }
    }
  }
  return out;
}

/** Faults the alert source's plugin records (src/prometheus/faults.ts) act on the source, not the cluster. */
export function scopeOf(kind: string): 'cluster' | 'source' {
  return kind.startsWith('source-') ? 'source' : 'cluster';
}

function specOf(e: FaultEvent | undefined): Record<string, unknown> | undefined {
  const spec = (e?.detail as { spec?: unknown } | undefined)?.spec;
  return typeof spec === 'object' && spec !== null ? (spec as Record<string, unknown>) : undefined;
}

function computeNodeDown(view: ScenarioView): void {
  const down = new Map<NodeId, NodeDownWindow>();
  const startedAt = new Map<NodeId, NodeEvent>();
  const limit = view.teardownAt ?? Infinity;
  const close = (w: NodeDownWindow, t: number, seq: number): void => {
    w.end = t;
    w.endSeq = seq;
    down.delete(w.node);
  };
  for (const e of view.nodeEvents) {
    if (e.t >= limit) break;
    const w = down.get(e.node);
    if (DOWN_STATES.has(e.state)) {
      if (!w) {
        const nw: NodeDownWindow = { node: e.node, state: e.state, start: e.t, end: Infinity, startSeq: e.seq };
        down.set(e.node, nw);
        view.nodeDown.push(nw);
        startedAt.delete(e.node);
      }
    } else if (w && (e.state === 'ready' || e.state === 'resumed')) {
      close(w, e.t, e.seq);
    } else if (w && e.state === 'started') {
      startedAt.set(e.node, e);
    }
  }
  // A restarted node whose runtime never reported `ready`: count it back after its settle timeout.
  for (const [node, w] of down) {
    const s = startedAt.get(node);
    if (s) close(w, s.t + view.timers.settleTimeoutMs, s.seq);
    else view.goneNodes.add(node);
  }
}

function computeReadyAt(view: ScenarioView, drivePhase: number | undefined): void {
  // The harness drives only after every node reported ready with N peers, so `drive` is the best
  // witness; per-node `ready` events and status samples are fallbacks for hand-written histories.
  if (drivePhase !== undefined) {
    view.readyAt = drivePhase;
    view.readySource = 'phase drive';
    return;
  }
  const firstReady = new Map<NodeId, number>();
  for (const e of view.nodeEvents) if (e.state === 'ready' && !firstReady.has(e.node)) firstReady.set(e.node, e.t);
  if (view.nodeIds.every((id) => firstReady.has(id)) && view.n > 0) {
    view.readyAt = Math.max(...view.nodeIds.map((id) => firstReady.get(id)!));
    view.readySource = 'node ready events';
    return;
  }
  const peered = fullyPeeredIntervals(view);
  if (peered.length > 0) {
    view.readyAt = peered[0]!.start;
    view.readySource = 'status samples';
  }
}

/** Converts an Alertmanager wall-clock timestamp (ISO) into scenario time; undefined if unparsable. */
export function wallToT(view: ScenarioView, wall: unknown): number | undefined {
  if (typeof wall !== 'string' && typeof wall !== 'number') return undefined;
  const ms = typeof wall === 'number' ? wall : Date.parse(wall);
  return Number.isFinite(ms) ? ms - view.wallOriginMs : undefined;
}

/**
 * A node's own peer name at time t: its fixed --cluster.peer-name, else the name its latest status
 * sample at or before t reported (versions before 0.30 name themselves with a ULID at each start).
 */
export function peerNameAt(view: ScenarioView, node: NodeId, t: number): string | undefined {
  const fixed = view.start.nodes.find((d) => d.id === node)?.peerName;
  if (fixed) return fixed;
  let name: string | undefined;
  for (const s of view.statusSamples) {
    if (s.t > t) break;
    if (s.node === node && s.name) name = s.name;
  }
  return name;
}

/**
 * A node's cluster position at time t (Alertmanager: the index of its name among the sorted peer
 * names it sees), from its latest status sample at or before t; undefined when no sample tells.
 */
export function clusterPositionAt(view: ScenarioView, node: NodeId, t: number): number | undefined {
  const name = peerNameAt(view, node, t);
  if (!name) return undefined;
  let sample: StatusSampleEvent | undefined;
  for (const s of view.statusSamples) {
    if (s.t > t) break;
    if (s.node === node && s.clusterStatus !== 'unreachable') sample = s;
  }
  if (!sample) return undefined;
  const pos = [...sample.peers].sort().indexOf(name);
  return pos === -1 ? undefined : pos;
}

/** Nodes expected to be cluster members (all but those that went away for good). */
export function expectedMembers(view: ScenarioView): NodeId[] {
  return view.nodeIds.filter((id) => !view.goneNodes.has(id));
}

/**
 * When every expected member's latest status sample says `ready` with as many peers as there are
 * expected members. Empty when there are no status samples.
 */
export function fullyPeeredIntervals(view: ScenarioView): Interval[] {
  const members = new Set(expectedMembers(view));
  const want = members.size;
  const ok = new Map<NodeId, boolean>();
  let okCount = 0;
  const out: Interval[] = [];
  let openAt: number | undefined;
  for (const s of view.statusSamples) {
    if (!members.has(s.node)) continue;
    const now = s.clusterStatus === 'ready' && s.peers.length === want;
    const before = ok.get(s.node) ?? false;
    if (now !== before) {
      ok.set(s.node, now);
      okCount += now ? 1 : -1;
    }
    const all = okCount === want && want > 0;
    if (all && openAt === undefined) openAt = s.t;
    if (!all && openAt !== undefined) {
      out.push({ start: openAt, end: s.t });
      openAt = undefined;
    }
  }
  if (openAt !== undefined) out.push({ start: openAt, end: Infinity });
  return out;
}

/** Windows derived from the timers. Every formula is documented in src/checkers/README.md. */
export interface DerivedWindows {
  /** (N-1) × peer_timeout: how long the last node in position waits before it may send. */
  peerWaitMaxMs: number;
  /** max(group_interval, 10s): how long one flush may keep retrying (pipeline context timeout). */
  retrySlackMs: number;
  /** HTTP and scheduling slack between a flush and the capture recording the request. */
  deliveryMarginMs: number;
  /** max(group_wait, group_interval) + margin: an alert firing this long is in at least one flush. */
  flushWindowMs: number;
  /** group_interval + margin: a resolved alert is flushed within this. */
  resolveFlushWindowMs: number;
  /** flushWindow + peerWaitMax + retrySlack: the latest a firing notification may arrive. */
  fireDeadlineMs: number;
  /** resolveFlushWindow + peerWaitMax + retrySlack: the latest a resolved notification may arrive. */
  resolveDeadlineMs: number;
  /** reconnect interval + gossip margin: after a fault is removed, the cluster counts as settled. */
  settleMarginMs: number;
  /** A few gossip intervals (at least 1s): time for a broadcast to reach every peer. */
  gossipMarginMs: number;
}

/**
 * The windows of one route (its group_wait / group_interval), or — without a route — of the
 * longest-running route of the config, so that windows meant to cover every group do.
 */
export function deriveWindows(view: ScenarioView, deliveryMarginMs = 1000, route?: Pick<RouteRecord, 'groupWaitMs' | 'groupIntervalMs'>): DerivedWindows {
  const t = { ...view.timers, ...(route ?? longestRouteTimers(routeTree(view))) };
  const peerWaitMaxMs = Math.max(0, view.n - 1) * t.peerTimeoutMs;
  const retrySlackMs = Math.max(t.groupIntervalMs, AM_DEFAULTS.notifyMinTimeoutMs);
  const flushWindowMs = Math.max(t.groupWaitMs, t.groupIntervalMs) + deliveryMarginMs;
  const resolveFlushWindowMs = t.groupIntervalMs + deliveryMarginMs;
  const gossipMarginMs = Math.max(1000, 5 * t.gossipIntervalMs);
  return {
    peerWaitMaxMs,
    retrySlackMs,
    deliveryMarginMs,
    flushWindowMs,
    resolveFlushWindowMs,
    fireDeadlineMs: flushWindowMs + peerWaitMaxMs + retrySlackMs,
    resolveDeadlineMs: resolveFlushWindowMs + peerWaitMaxMs + retrySlackMs,
    settleMarginMs: AM_DEFAULTS.reconnectIntervalMs + gossipMarginMs,
    gossipMarginMs,
  };
}

/**
 * Times when the cluster was not "settled and healthy": before it was ready, during every fault
 * and node outage plus a settle margin after it (extended until status samples show every member
 * with all peers again, when there are samples), and — unless `teardown: 'healthy'` — from the
 * check/teardown phase on. Exactly-once and validity count what arrives after teardown began as
 * healthy time (the nodes were still running; a late copy is still a copy).
 */
export function disturbedIntervals(view: ScenarioView, settleMarginMs: number, opts: { teardown?: 'disturbed' | 'healthy' } = {}): Interval[] {
  const healed = healer(view, settleMarginMs);
  const list: Interval[] = [];
  list.push({ start: -Infinity, end: view.readyAt ?? Infinity });
  for (const f of view.faults) if (f.scope === 'cluster') list.push({ start: f.start, end: healed(f.end) });
  for (const d of view.nodeDown) list.push({ start: d.start, end: healed(d.end) });
  if (view.teardownAt !== undefined && opts.teardown !== 'healthy') list.push({ start: view.teardownAt, end: Infinity });
  return mergeIntervals(list);
}

/**
 * How far the history watched the running cluster: until teardown began (nodes are stopped after
 * it), else its last event. A horizon beyond this was not observed.
 */
export function observedUntil(view: ScenarioView): number {
  return view.teardownAt ?? view.endT;
}

/**
 * A group transition's horizon: the latest moment the last cluster position can still deliver a
 * copy of it. Every position flushes the same group at about the same time (the source sends to
 * every node at once), the position-k node waits k × peer_timeout before its dedup check, and a
 * failed attempt is retried: once within firstRetryMs, or — when the capture saw the group's
 * sends fail — until the pipeline gives up, max(group_interval, 10 s). From the first delivery:
 *
 *     horizon = first delivery + (N−1) × peer_timeout + retry + margin
 *
 * A copy later than this is not one a healthy cluster could still send (and would be counted
 * anyway); a history that ends before it cannot say the transition was delivered exactly once.
 */
export function transitionHorizon(view: ScenarioView, route: Pick<RouteRecord, 'groupWaitMs' | 'groupIntervalMs'>, firstT: number, retried: boolean, deliveryMarginMs = 500): number {
  const w = deriveWindows(view, deliveryMarginMs, route);
  return firstT + w.peerWaitMaxMs + (retried ? w.retrySlackMs : AM_DEFAULTS.firstRetryMs) + deliveryMarginMs;
}

/**
 * When the cluster counts as settled again after a disturbance that ended at `end`: end + the
 * settle margin, and, when there are status samples after `end`, not before they show every
 * expected member ready with all peers (plus a gossip margin). Infinity if that never happens.
 */
export function healer(view: ScenarioView, settleMarginMs: number): (end: number) => number {
  const peered = fullyPeeredIntervals(view);
  const gossip = deriveWindows(view).gossipMarginMs;
  const lastSample = view.statusSamples[view.statusSamples.length - 1]?.t ?? -Infinity;
  return (end: number): number => {
    if (end === Infinity) return Infinity;
    let healed = end + settleMarginMs;
    if (lastSample >= end) {
      const next = intervalAt(peered, end) ? end : peered.find((p) => p.start >= end)?.start;
      healed = next === undefined ? Infinity : Math.max(healed, next + gossip);
    }
    return healed;
  };
}

/** The result a checker returns when it cannot judge. */
export function unknownResult(name: string, summary: string, evidence: Evidence[] = [], figures: CheckResult['figures'] = {}): CheckResult {
  return { name, verdict: 'unknown', summary, figures, evidence };
}

/** Node names for evidence: "n2 (0.28.1)". */
export function describeNode(view: ScenarioView, id: NodeId | undefined): string {
  if (id === undefined) return 'an unattributed sender';
  const d = view.start.nodes.find((n) => n.id === id);
  return d ? `${id} (${d.version})` : id;
}

/** Nearest-rank percentile of an unsorted list (null when empty). */
export function percentile(values: readonly number[], p: number): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[rank - 1]!;
}

/** Caps evidence lists so a pathological run does not produce a 100 MB report. */
export function capEvidence(evidence: Evidence[], max: number): { evidence: Evidence[]; truncated: number } {
  if (evidence.length <= max) return { evidence, truncated: 0 };
  return { evidence: evidence.slice(0, max), truncated: evidence.length - max };
}

/** Formats scenario milliseconds for messages: "t=12.345s". */
export function fmtT(t: number): string {
  if (!Number.isFinite(t)) return t > 0 ? 't=∞' : 't=-∞';
  return `t=${(t / 1000).toFixed(3)}s`;
}
