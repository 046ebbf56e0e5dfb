/**
 * The history: one append-only log of everything that happened in a scenario. Checkers read only
 * this; the report renders only this (plus summary.json). Every event carries a monotonic time
 * (`t`, milliseconds since the scenario's clock started, from performance.now) and a wall-clock
 * time (`wall`, ISO 8601), because Alertmanager's own timestamps are wall-clock.
 *
 * Serialised as JSONL: one event per line, in append order (which is also `seq` order). `t` does
 * not go backwards in append order, with one exception: with Prometheus as the source, intents
 * (alert.fire / alert.resolve) carry when the transition happened in Prometheus, which the send
 * tap learns from the POST a moment — or, when that replica's sends were held up, seconds — later.
 * Readers that need time order sort by (t, seq), as the checkers do.
 */

export type NodeId = string; // "n1", "n2", ... in start order; stable across restarts of the node

export type LabelSet = Record<string, string>;

interface EventBase {
  /** Position in the log, from 0, gap-free. */
  seq: number;
  /** Milliseconds since the scenario clock's origin (monotonic). */
  t: number;
  /** Wall-clock time of the same instant, ISO 8601 with milliseconds. */
  wall: string;
}

/** The scenario began: what ran, with which seed and timers. First event of every history. */
export interface ScenarioStartEvent extends EventBase {
  type: 'scenario.start';
  scenario: string;
  suite: string;
  seed: number;
  runtime: string;
  nodes: NodeDescriptor[];
  timers: Timers;
  /** Receivers whose route has send_resolved on (so resolutions are required too). */
  sendResolved: Record<string, boolean>;
  /** repeat_interval per receiver in ms: the smallest of the routes that use it (older histories' only source). */
  repeatIntervalMs: Record<string, number>;
  /**
   * The route tree the cluster really runs, flattened in tree order (root first), with each route's
   * effective timers (inherited ones filled in). Checkers route every alert and group through it,
   * so windows come from the timers that group really runs. Absent in histories before schema 2.
   */
  routes?: RouteRecord[];
}

/** One route of the Alertmanager config as it runs, timers inherited and defaults filled in. */
export interface RouteRecord {
  /** Position in the tree: "root", "root.0", "root.0.1" (the i-th child of its parent). */
  id: string;
  /** The parent's id; absent for the root. */
  parent?: string;
  receiver: string;
  /** Matchers in Alertmanager's syntax (`name="v"`, `name=~"re"`), from matchers:, match: and match_re:. */
  matchers: string[];
  continue: boolean;
  /** group_by label names; ["..."] groups by every label. */
  groupBy: string[];
  groupWaitMs: number;
  groupIntervalMs: number;
  repeatIntervalMs: number;
  /**
   * Where each timer's value comes from, for messages a user can act on: "am.yml:7" (set on this
   * route), "am.yml:4 (inherited)", "--group-interval 3s", "Alertmanager default".
   */
  sources?: { groupWait: string; groupInterval: string; repeatInterval: string };
}

export interface NodeDescriptor {
  id: NodeId;
  /** What the user asked for: "0.25.0", "tsam", "tsam:no-dedup", "/path/to/alertmanager". */
  version: string;
  /** What the binary itself reports (`--version`), e.g. "0.28.1+ds". */
  reportedVersion?: string;
  impl: 'alertmanager' | 'tsam';
  /** The externalURL this node puts in its webhooks: how a notification is attributed to a sender. */
  externalURL: string;
  apiURL: string;
  /** Cluster peer name (deterministic where the version supports --cluster.peer-name). */
  peerName?: string;
  /** Where the version came from (provider name and path), for the report. */
  source?: string;
}

/** The timers that bound how long things take; checkers derive windows from these. */
export interface Timers {
  peerTimeoutMs: number;
  gossipIntervalMs: number;
  pushPullIntervalMs: number;
  settleTimeoutMs: number;
  groupWaitMs: number;
  groupIntervalMs: number;
  repeatIntervalMs: number;
  resendIntervalMs: number;
  /** How long a silence may take to be listed by every node before the checker calls it late. */
  silencePropagationMs: number;
}

export type Phase = 'resolve' | 'start' | 'drive' | 'quiesce' | 'check' | 'teardown';

export interface PhaseEvent extends EventBase {
  type: 'phase';
  phase: Phase;
}

export type NodeLifecycle = 'starting' | 'started' | 'ready' | 'stopping' | 'stopped' | 'exited' | 'killed' | 'paused' | 'resumed';

export interface NodeEvent extends EventBase {
  type: 'node';
  node: NodeId;
  state: NodeLifecycle;
  pid?: number;
  /** Exit code or signal, for exited/stopped/killed. */
  exit?: { code: number | null; signal: string | null };
  message?: string;
}

/**
 * A client operation, Jepsen-style: an `invoke` and later exactly one `complete` with the same
 * `op` id. `ok: false` means the operation definitely failed; `ok: null` means indeterminate
 * (timeout: it may or may not have taken effect).
 */
export type OpKind =
  | 'alerts.post'
  | 'silence.create'
  | 'silence.expire'
  | 'silences.list'
  | 'alerts.list'
  | 'status';

export interface OpInvokeEvent extends EventBase {
  type: 'op.invoke';
  op: number;
  kind: OpKind;
  node: NodeId;
  /** Who sent it, when not the harness itself: the Prometheus replica ("p1") whose POST the send tap saw. */
  from?: string;
  /** For alerts.post: the alerts as posted. For silence.create: the silence. Etc. */
  value?: unknown;
}

export interface OpCompleteEvent extends EventBase {
  type: 'op.complete';
  op: number;
  kind: OpKind;
  node: NodeId;
  ok: boolean | null;
  /** silence.create → { silenceID }; lists → the list; failures → { error } */
  value?: unknown;
  error?: string;
}

/**
 * A logical alert transition of the workload (the intent, independent of which nodes it was sent
 * to): the no-loss checker expects a notification for each. With the built-in workload it is
 * appended when the harness fires or resolves the alert; with Prometheus as the source it is
 * appended when an alert really began firing (or resolved) in Prometheus: at the first POST of the
 * new state any replica sent (the send tap sees it before any Alertmanager can), with the alert's
 * identity (its labels without the replicas' own external labels, see SourceEvent).
 */
export interface AlertIntentEvent extends EventBase {
  type: 'alert.fire' | 'alert.resolve';
  /** Stable identity of the alert: its label set, serialised with sorted keys (see labelKey). */
  alert: string;
  labels: LabelSet;
  /** Nodes the workload sends this alert to. */
  targets: NodeId[];
}

/** One alert inside a captured notification. */
export interface NotifiedAlert {
  status: 'firing' | 'resolved';
  labels: LabelSet;
  /** labelKey(labels): the identity checkers use (implementation-independent). */
  key: string;
  fingerprint: string;
  startsAt: string;
  endsAt: string;
}

/** One webhook request the capture received. */
export interface NotificationEvent extends EventBase {
  type: 'notification';
  /** Capture-assigned id, unique within the scenario. */
  id: number;
  receiver: string;
  groupKey: string;
  status: 'firing' | 'resolved';
  /** The sending node, from externalURL; undefined if the URL matched no node (reported as evidence). */
  sender?: NodeId;
  externalURL: string;
  userAgent: string;
  alerts: NotifiedAlert[];
  groupLabels: LabelSet;
  truncatedAlerts: number;
  /**
   * What the capture answered: the HTTP status it sent (200 normally; the fault's code when the
   * receiver is faulted); 'dropped' = connection destroyed without an answer (drop fault, or the
   * receiver went down while holding it); 'slow' = a slow answer was held and the sender hung up
   * before it was sent. The event is appended once this is known, so `t` is the answer time.
   */
  answered: number | 'dropped' | 'slow';
  /** Only a 2xx answer counts as delivered: Alertmanager writes its nflog only after success. */
  delivered: boolean;
  /** Scenario time the request arrived (differs from `t` only for slow answers). */
  receivedT?: number;
}

/** A periodic sample of one node's /api/v2/status. */
export interface StatusSampleEvent extends EventBase {
  type: 'status.sample';
  node: NodeId;
  /** "ready" | "settling" | "disabled", or "unreachable" when the API did not answer. */
  clusterStatus: string;
  /** Peer names (self included), sorted. */
  peers: string[];
  /** The node's own peer name (a ULID on versions without --cluster.peer-name); absent when unknown. */
  name?: string;
}

/** A periodic sample of the silences one node lists. */
export interface SilencesSampleEvent extends EventBase {
  type: 'silences.sample';
  node: NodeId;
  /** IDs with state active or pending; undefined when the node did not answer. */
  active?: string[];
  expired?: string[];
}

/**
 * A periodic sample of the alerts one node holds suppressed (GET /api/v2/alerts?active=false):
 * inhibited or silenced, with what suppresses them. The no-loss checker exempts an inhibited alert
 * only on this evidence (inhibit rules are the node's to evaluate, not the harness's).
 */
export interface AlertsSampleEvent extends EventBase {
  type: 'alerts.sample';
  node: NodeId;
  /** Suppressed alerts by labelKey; undefined when the node did not answer. */
  suppressed?: { alert: string; inhibitedBy: string[]; silencedBy: string[] }[];
}

/** A fault of the nemesis. A fault counts only from `applied` to `removed` (both verified). */
export interface FaultEvent extends EventBase {
  type: 'fault';
  fault: number;
  state: 'requested' | 'applied' | 'removed' | 'failed';
  kind: string;
  /** Human-readable: "isolate n1", "latency 200ms±50 on n1->n2", ... */
  description: string;
  /** For partitions: the components (each a list of node ids). Used by at-most-k. */
  components?: NodeId[][];
  nodes?: NodeId[];
  detail?: unknown;
}

/** One Prometheus replica of the alert source, as a SourceEvent describes it. */
export interface SourceReplica {
  /** "p1", "p2", ... */
  id: string;
  /** The Prometheus version asked for ("2.42.0") and where it came from. */
  version: string;
  source?: string;
  externalLabels: LabelSet;
  /** The Alertmanager nodes this replica sends to (through its send taps). */
  targets: NodeId[];
  /** How it reaches them: every node directly, or one load-balanced address. */
  via: 'direct' | 'load-balancer';
  /** Whether its alert_relabel_configs drop the replica label. */
  dropsReplicaLabel: boolean;
  evaluationIntervalMs: number;
  /** A rule evaluation offset this replica runs with (a suite's mistake), in ms. */
  evaluationOffsetMs?: number;
  /** A `for:` this replica's rules run with instead of the rules' own (a suite's mistake), in ms. */
  forMs?: number;
}

/**
 * The scenario's alert source when it is not the built-in workload: Prometheus replicas evaluating
 * the same rules, each sending to Alertmanager nodes. Appended when the source is configured, and
 * again at every reconfiguration (a suite setting up a classic mistake, and restoring the healthy
 * setup). Checkers read `replicaLabels` to find an alert's identity: the same alert sent by two
 * replicas that did not drop their replica label arrives as two label sets.
 */
export interface SourceEvent extends EventBase {
  type: 'source';
  kind: 'prometheus';
  state: 'configured' | 'reconfigured';
  replicas: SourceReplica[];
  /** External labels whose value differs per replica, with every replica's value: not part of an alert's identity. */
  replicaLabels: Record<string, string[]>;
  /** Prometheus's resend period (ms): how often a firing alert reaches each target again. */
  resendIntervalMs: number;
  description?: string;
}

/**
 * What one Prometheus replica said about itself (its /api/v1/alerts, /api/v1/rules and
 * /api/v1/alertmanagers), appended when it changed. `up: false` = the replica did not answer.
 */
export interface SourceSampleEvent extends EventBase {
  type: 'source.sample';
  replica: string;
  up: boolean;
  /** Its active alerts: identity key, state, and when it became active (pending) in Prometheus. */
  alerts?: { alert: string; state: string; activeAt?: string }[];
  /** Rule groups' health: unhealthy rules with their error. */
  ruleErrors?: { group: string; rule: string; health: string; error?: string }[];
  /** Alertmanagers it currently sends to (URLs as it lists them). */
  alertmanagers?: string[];
}

/** The harness's exporter changed an alert's gauge (1 = the condition holds, 0 = it no longer does). */
export interface SourceFlipEvent extends EventBase {
  type: 'source.flip';
  alert: string;
  labels: LabelSet;
  value: 0 | 1;
}

/** A Prometheus replica's process: started, ready (API answers, targets discovered), killed, paused... */
export interface ReplicaEvent extends EventBase {
  type: 'replica';
  replica: string;
  state: NodeLifecycle;
  pid?: number;
  exit?: { code: number | null; signal: string | null };
}

/** Free-form log lines worth keeping next to evidence (node log excerpts, harness notes). */
export interface NoteEvent extends EventBase {
  type: 'note';
  node?: NodeId;
  level: 'info' | 'warn' | 'error';
  message: string;
}

export type HistoryEvent =
  | ScenarioStartEvent
  | PhaseEvent
  | NodeEvent
  | OpInvokeEvent
  | OpCompleteEvent
  | AlertIntentEvent
  | NotificationEvent
  | StatusSampleEvent
  | SilencesSampleEvent
  | AlertsSampleEvent
  | FaultEvent
  | SourceEvent
  | SourceSampleEvent
  | SourceFlipEvent
  | ReplicaEvent
  | NoteEvent;

export type HistoryEventType = HistoryEvent['type'];

/** Distributes Omit over the union, so callers can pass one event without seq/t/wall. */
export type DistributiveOmit<T, K extends keyof never> = T extends unknown ? Omit<T, K> : never;
export type NewEvent = DistributiveOmit<HistoryEvent, 'seq' | 't' | 'wall'>;

/** The implementation-independent identity of an alert: its labels, sorted by name. */
export function labelKey(labels: LabelSet): string {
  const names = Object.keys(labels).sort();
  return '{' + names.map((n) => `${n}=${JSON.stringify(labels[n])}`).join(',') + '}';
}

/**
 * An alert's identity: its labels without the per-replica external labels of the alert source
 * (`replicaLabels`, label → the replicas' values; a label is left out only when its value is one
 * of those). Two HA Prometheus replicas that do not drop their replica label send one alert as two
 * label sets; both have the same identity.
 */
export function alertIdentity(labels: LabelSet, replicaLabels: Readonly<Record<string, readonly string[]>> | undefined): LabelSet {
  if (!replicaLabels) return labels;
  let out: LabelSet | undefined;
  for (const [name, values] of Object.entries(replicaLabels)) {
    const v = labels[name];
    if (v === undefined || !values.includes(v)) continue;
    out ??= { ...labels };
    delete out[name];
  }
  return out ?? labels;
}

/**
 * A notification whose alerts' `key` is their identity (alertIdentity) instead of their full label
 * set; the same object when no alert carries a replica label. `labels` stay as sent.
 */
export function withIdentityKeys(n: NotificationEvent, replicaLabels: Readonly<Record<string, readonly string[]>> | undefined): NotificationEvent {
  if (!replicaLabels || Object.keys(replicaLabels).length === 0) return n;
  let changed = false;
  const alerts = n.alerts.map((a) => {
    const id = alertIdentity(a.labels, replicaLabels);
    if (id === a.labels) return a;
    changed = true;
    return { ...a, key: labelKey(id) };
  });
  return changed ? { ...n, alerts } : n;
}
