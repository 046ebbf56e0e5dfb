import type {
  HistoryEvent,
  LabelSet,
  NewEvent,
  NodeDescriptor,
  NodeId,
  NodeLifecycle,
  NotifiedAlert,
  Phase,
  RouteRecord,
  Timers,
} from '../../../src/history/types.js';
import { labelKey } from '../../../src/history/types.js';

/**
 * A fluent builder for hand-made scenario histories, so a checker test reads like the scenario it
 * describes:
 *
 *   historyBuilder().start({ nodes: 3 }).ready(0)
 *     .fire({ alertname: 'A' }, 1_000)
 *     .notify({ t: 2_100, sender: 'n1', firing: [{ alertname: 'A' }] })
 *     .build();
 *
 * Times are scenario milliseconds. build() sorts events by time (ties keep call order) and numbers
 * them with gap-free seqs, as History does. Wall-clock times derive from BUILDER_ORIGIN_MS.
 */

export const BUILDER_ORIGIN_MS = Date.parse('2026-01-01T00:00:00.000Z');

/** ISO wall-clock time of scenario time t in built histories (for silence startsAt/endsAt). */
export function wallAt(t: number): string {
  return new Date(BUILDER_ORIGIN_MS + t).toISOString();
}

/** Small timers, as a fast test cluster would use. */
export const TEST_TIMERS: Timers = {
  peerTimeoutMs: 2_000,
  gossipIntervalMs: 200,
  pushPullIntervalMs: 5_000,
  settleTimeoutMs: 0,
  groupWaitMs: 1_000,
  groupIntervalMs: 2_000,
  repeatIntervalMs: 3_600_000,
  resendIntervalMs: 1_000,
  silencePropagationMs: 3_000,
};

export const DEFAULT_RECEIVER = 'webhook';

export interface StartOptions {
  /** A count (n1..nN) or explicit ids. */
  nodes?: number | NodeId[];
  /** Per-node versions, default "0.25.0". */
  versions?: string[];
  timers?: Partial<Timers>;
  sendResolved?: Record<string, boolean>;
  repeatIntervalMs?: Record<string, number>;
  /** The route tree (scenario.start.routes); omitted: no routes recorded, as in older histories. */
  routes?: RouteRecord[];
  t?: number;
  scenario?: string;
}

export interface NotifyOptions {
  t: number;
  sender?: NodeId;
  firing?: LabelSet[];
  resolved?: LabelSet[];
  receiver?: string;
  groupKey?: string;
  /** Default { alertname: <first alert's alertname> }. */
  groupLabels?: LabelSet;
  /** false: the capture answered 5xx (Alertmanager did not log it). Default true. */
  delivered?: boolean;
  truncatedAlerts?: number;
  externalURL?: string;
}

export interface SilenceOptions {
  /** Invoke time. */
  t: number;
  node: NodeId;
  /** API v2 matcher objects or strings like 'alertname="A"'. */
  matchers: unknown[];
  id?: string;
  /** Completion: true (default), false, or null (indeterminate). */
  ok?: boolean | null;
  /** Completion time, default t + 10. */
  completeT?: number;
  startsAtT?: number;
  /** endsAt = startsAt + duration, default 1 h. */
  durationMs?: number;
}

export interface FaultOptions {
  /** Applied (verified) at t. */
  t: number;
  /** Removed (verified) at `until`; omit for a fault never removed. */
  until?: number;
  kind?: string;
  description?: string;
  components?: NodeId[][];
  nodes?: NodeId[];
  /** The fault's spec, as the nemesis records it at `requested` (known behaviours read it). */
  spec?: Record<string, unknown>;
}

/** A Prometheus source as prometheusSource() records it. */
export interface PrometheusSourceOptions {
  t: number;
  replicas?: string[];
  /** The replica label (default "replica"; each replica's value is its id). */
  replicaLabel?: string;
  targets?: NodeId[];
  dropsReplicaLabel?: boolean;
  /** Prometheus's resend period (default 2000 ms: a 2 s evaluation). */
  resendIntervalMs?: number;
  state?: 'configured' | 'reconfigured';
}

/** What one Prometheus replica sends over a stretch of time (see prometheusSends). */
export interface PrometheusSendOptions {
  replica: string;
  /** The nodes its POSTs reach (each gets its own op). */
  nodes: NodeId[];
  alerts: LabelSet[];
  /** First evaluation that fires the alerts (their startsAt), and then every `everyMs`. */
  from: number;
  /** Last evaluation that sends anything. */
  to: number;
  /** Default 2000 ms (evaluation interval, with a shorter resend delay). */
  everyMs?: number;
  /** endsAt of a firing alert = evaluation + this (Prometheus: 4 × max(evaluation, resend delay)); default 8000. */
  validityMs?: number;
  /** The evaluation that resolves them: from then on they are sent with endsAt = resolvedAt. */
  resolvedAt?: number;
  /** Nodes whose POSTs fail (refused), e.g. the node is down. */
  failing?: NodeId[];
}

type Pending = { t: number; order: number; event: NewEvent };

export class HistoryBuilder {
  private readonly pending: Pending[] = [];
  private nodeIds: NodeId[] = [];
  private nextOp = 1;
  private nextFault = 1;
  private nextNotification = 1;

  private push(t: number, event: NewEvent): this {
    this.pending.push({ t, order: this.pending.length, event });
    return this;
  }

  peerName(id: NodeId): string {
    return `peer-${id}`;
  }

  start(o: StartOptions = {}): this {
    const ids = Array.isArray(o.nodes) ? o.nodes : Array.from({ length: o.nodes ?? 3 }, (_, i) => `n${i + 1}`);
    this.nodeIds = ids;
    const nodes: NodeDescriptor[] = ids.map((id, i) => ({
      id,
      version: o.versions?.[i] ?? '0.25.0',
      impl: 'alertmanager',
      externalURL: `http://${id}.amchaos.test/`,
      apiURL: `http://127.0.0.1:${19093 + i}`,
      peerName: this.peerName(id),
    }));
    return this.push(o.t ?? 0, {
      type: 'scenario.start',
      scenario: o.scenario ?? 'hand-made',
      suite: 'checkers',
      seed: 1,
      runtime: 'process',
      nodes,
      timers: { ...TEST_TIMERS, ...o.timers },
      sendResolved: o.sendResolved ?? { [DEFAULT_RECEIVER]: true },
      repeatIntervalMs: o.repeatIntervalMs ?? { [DEFAULT_RECEIVER]: o.timers?.repeatIntervalMs ?? TEST_TIMERS.repeatIntervalMs },
      ...(o.routes ? { routes: o.routes } : {}),
    });
  }

  phase(phase: Phase, t: number): this {
    return this.push(t, { type: 'phase', phase });
  }

  /** The harness stops watching: teardown begins at t (horizons up to t were observed). */
  end(t: number): this {
    return this.phase('teardown', t);
  }

  /** Every node reports ready, then the drive phase starts (what the harness records). */
  ready(t: number): this {
    for (const id of this.nodeIds) this.node(id, 'ready', t);
    return this.phase('drive', t);
  }

  node(node: NodeId, state: NodeLifecycle, t: number): this {
    return this.push(t, { type: 'node', node, state });
  }

  fire(labels: LabelSet, t: number, targets?: NodeId[]): this {
    return this.push(t, { type: 'alert.fire', alert: labelKey(labels), labels, targets: targets ?? this.nodeIds });
  }

  resolve(labels: LabelSet, t: number, targets?: NodeId[]): this {
    return this.push(t, { type: 'alert.resolve', alert: labelKey(labels), labels, targets: targets ?? this.nodeIds });
  }

  notify(o: NotifyOptions): this {
    const alert = (labels: LabelSet, status: 'firing' | 'resolved'): NotifiedAlert => ({
      status,
      labels,
      key: labelKey(labels),
      fingerprint: labelKey(labels),
      startsAt: wallAt(0),
      endsAt: status === 'resolved' ? wallAt(o.t) : '0001-01-01T00:00:00Z',
    });
    const alerts = [...(o.firing ?? []).map((l) => alert(l, 'firing')), ...(o.resolved ?? []).map((l) => alert(l, 'resolved'))];
    const firstName = alerts[0]?.labels['alertname'] ?? 'none';
    const delivered = o.delivered ?? true;
    return this.push(o.t, {
      type: 'notification',
      id: this.nextNotification++,
      receiver: o.receiver ?? DEFAULT_RECEIVER,
      groupKey: o.groupKey ?? `{}:{alertname="${firstName}"}`,
      status: (o.firing ?? []).length > 0 ? 'firing' : 'resolved',
      ...(o.sender !== undefined ? { sender: o.sender } : {}),
      externalURL: o.externalURL ?? (o.sender ? `http://${o.sender}.amchaos.test/` : 'http://unknown/'),
      userAgent: 'Alertmanager/0.25.0',
      alerts,
      groupLabels: o.groupLabels ?? { alertname: firstName },
      truncatedAlerts: o.truncatedAlerts ?? 0,
      answered: delivered ? 200 : 503,
      delivered,
    });
  }

  /** A silence.create op (invoke + complete with { silenceID }). */
  silence(o: SilenceOptions): this {
    const op = this.nextOp++;
    const startsAtT = o.startsAtT ?? o.t;
    this.push(o.t, {
      type: 'op.invoke',
      op,
      kind: 'silence.create',
      node: o.node,
      value: {
        matchers: o.matchers,
        startsAt: wallAt(startsAtT),
        endsAt: wallAt(startsAtT + (o.durationMs ?? 3_600_000)),
        createdBy: 'amchaos',
        comment: 'hand-made',
      },
    });
    const ok = o.ok === undefined ? true : o.ok;
    return this.push(o.completeT ?? o.t + 10, {
      type: 'op.complete',
      op,
      kind: 'silence.create',
      node: o.node,
      ok,
      ...(ok === true ? { value: { silenceID: o.id ?? `sil-${op}` } } : { error: ok === false ? 'HTTP 400' : 'timeout' }),
    });
  }

  /** A silence.expire op. */
  expire(o: { t: number; node: NodeId; id: string; ok?: boolean | null; completeT?: number }): this {
    const op = this.nextOp++;
    this.push(o.t, { type: 'op.invoke', op, kind: 'silence.expire', node: o.node, value: { silenceID: o.id } });
    const ok = o.ok === undefined ? true : o.ok;
    return this.push(o.completeT ?? o.t + 10, { type: 'op.complete', op, kind: 'silence.expire', node: o.node, ok });
  }

  /**
   * An alerts.post op to `node` (invoke at t, complete at t + 5), as the alert source records it:
   * each alert with its endsAt in scenario ms (a firing alert's "valid until").
   */
  post(node: NodeId, t: number, alerts: { labels: LabelSet; endsAtT: number }[], ok: boolean | null = true): this {
    const op = this.nextOp++;
    this.push(t, {
      type: 'op.invoke',
      op,
      kind: 'alerts.post',
      node,
      value: alerts.map((a) => ({ labels: a.labels, startsAt: wallAt(0), endsAt: wallAt(a.endsAtT) })),
    });
    return this.push(t + 5, { type: 'op.complete', op, kind: 'alerts.post', node, ok, ...(ok === true ? {} : { error: ok === false ? 'HTTP 400' : 'timeout' }) });
  }

  /** The alert source is real Prometheus: its replicas, their labels and targets (a `source` event). */
  prometheusSource(o: PrometheusSourceOptions): this {
    const replicas = o.replicas ?? ['p1', 'p2'];
    const label = o.replicaLabel ?? 'replica';
    return this.push(o.t, {
      type: 'source',
      kind: 'prometheus',
      state: o.state ?? 'configured',
      replicas: replicas.map((id) => ({
        id,
        version: '2.42.0',
        externalLabels: { [label]: id },
        targets: o.targets ?? this.nodeIds,
        via: 'direct',
        dropsReplicaLabel: o.dropsReplicaLabel ?? true,
        evaluationIntervalMs: o.resendIntervalMs ?? 2_000,
      })),
      replicaLabels: { [label]: replicas },
      resendIntervalMs: o.resendIntervalMs ?? 2_000,
    });
  }

  /**
   * What one Prometheus replica POSTs, as its send taps record it: at every evaluation from `from`
   * to `to`, one alerts.post per node (from = the replica), firing alerts with startsAt = `from`
   * and endsAt = evaluation + validity, then — from `resolvedAt` on — resolved ones with endsAt =
   * resolvedAt (Prometheus keeps re-sending a resolution).
   */
  prometheusSends(o: PrometheusSendOptions): this {
    const every = o.everyMs ?? 2_000;
    const validity = o.validityMs ?? 8_000;
    for (let t = o.from; t <= o.to; t += every) {
      const resolved = o.resolvedAt !== undefined && t >= o.resolvedAt;
      const value = o.alerts.map((labels) => ({ labels, startsAt: wallAt(o.from), endsAt: wallAt(resolved ? o.resolvedAt! : t + validity) }));
      for (const node of o.nodes) {
        const op = this.nextOp++;
        const ok = !(o.failing ?? []).includes(node);
        this.push(t, { type: 'op.invoke', op, kind: 'alerts.post', node, from: o.replica, value });
        this.push(t + 3, { type: 'op.complete', op, kind: 'alerts.post', node, ok, ...(ok ? {} : { error: 'connect ECONNREFUSED' }) });
      }
    }
    return this;
  }

  /** An alerts.list op whose answer shows alerts (optionally inhibited). */
  alertsList(node: NodeId, t: number, alerts: { labels: LabelSet; inhibitedBy?: string[]; silencedBy?: string[] }[]): this {
    const op = this.nextOp++;
    this.push(t, { type: 'op.invoke', op, kind: 'alerts.list', node });
    return this.push(t + 5, {
      type: 'op.complete',
      op,
      kind: 'alerts.list',
      node,
      ok: true,
      value: alerts.map((a) => ({
        labels: a.labels,
        status: {
          state: (a.inhibitedBy ?? []).length + (a.silencedBy ?? []).length > 0 ? 'suppressed' : 'active',
          inhibitedBy: a.inhibitedBy ?? [],
          silencedBy: a.silencedBy ?? [],
        },
      })),
    });
  }

  /** silences.sample; `active` undefined means the node did not answer. */
  silencesSample(node: NodeId, t: number, active: string[] | undefined, expired?: string[]): this {
    return this.push(t, {
      type: 'silences.sample',
      node,
      ...(active !== undefined ? { active } : {}),
      ...(expired !== undefined ? { expired } : {}),
    });
  }

  /** alerts.sample: the alerts a node lists as suppressed (inhibited/silenced); undefined: no answer. */
  alertsSample(node: NodeId, t: number, suppressed: { labels: LabelSet; inhibitedBy?: string[]; silencedBy?: string[] }[] | undefined): this {
    return this.push(t, {
      type: 'alerts.sample',
      node,
      ...(suppressed
        ? { suppressed: suppressed.map((a) => ({ alert: labelKey(a.labels), inhibitedBy: a.inhibitedBy ?? [], silencedBy: a.silencedBy ?? [] })) }
        : {}),
    });
  }

  /** status.sample; `peers` is a count (the first k nodes' peer names) or explicit names. */
  statusSample(node: NodeId, t: number, peers?: number | string[], clusterStatus = 'ready'): this {
    const list = Array.isArray(peers) ? peers : this.nodeIds.slice(0, peers ?? this.nodeIds.length).map((id) => this.peerName(id));
    return this.push(t, { type: 'status.sample', node, clusterStatus, peers: clusterStatus === 'unreachable' ? [] : list, name: this.peerName(node) });
  }

  /**
   * A status and a silences sample of every node at t (all peers, the given active silences);
   * `except` overrides single nodes (active: null = the node did not answer).
   */
  sampleAll(
    t: number,
    active: string[] = [],
    peers?: number,
    except: Record<NodeId, { peers?: number; active?: string[] | null; clusterStatus?: string }> = {},
  ): this {
    for (const id of this.nodeIds) {
      const o = except[id] ?? {};
      this.statusSample(id, t, o.peers ?? peers, o.clusterStatus);
      this.silencesSample(id, t, o.active === null ? undefined : (o.active ?? active));
    }
    return this;
  }

  /** A fault applied at t and removed at `until` (if given). */
  fault(o: FaultOptions): this {
    const fault = this.nextFault++;
    const kind = o.kind ?? (o.components ? 'partition' : 'kill');
    const description = o.description ?? (o.components ? `partition ${o.components.map((c) => c.join(',')).join(' | ')}` : kind);
    const base = {
      type: 'fault' as const,
      fault,
      kind,
      description,
      ...(o.components ? { components: o.components } : {}),
      ...(o.nodes ? { nodes: o.nodes } : {}),
    };
    if (o.spec) this.push(o.t, { ...base, state: 'requested', detail: { spec: { kind, ...o.spec } } });
    this.push(o.t, { ...base, state: 'applied' });
    if (o.until !== undefined) this.push(o.until, { ...base, state: 'removed' });
    return this;
  }

  note(t: number, message: string, level: 'info' | 'warn' | 'error' = 'info'): this {
    return this.push(t, { type: 'note', level, message });
  }

  /** Any other event, as-is. */
  raw(t: number, event: NewEvent): this {
    return this.push(t, event);
  }

  build(): HistoryEvent[] {
    const sorted = [...this.pending].sort((a, b) => a.t - b.t || a.order - b.order);
    return sorted.map((p, seq) => ({ seq, t: p.t, wall: wallAt(p.t), ...p.event }) as HistoryEvent);
  }
}

export function historyBuilder(): HistoryBuilder {
  return new HistoryBuilder();
}

/** The seq of the n-th (from 0) event of a type in a built history (for asserting on evidence). */
export function seqOf(history: readonly HistoryEvent[], type: HistoryEvent['type'], index = 0): number {
  const e = history.filter((x) => x.type === type)[index];
  if (!e) throw new Error(`no ${type} event #${index}`);
  return e.seq;
}
