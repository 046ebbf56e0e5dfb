import type { Transport } from '../fabric/types.js';
import type { NodeId } from '../history/types.js';

/**
 * Fault specifications: plain JSON, so schedules can be written to a file, printed in a report and
 * replayed. Everything a fault does is decided by its spec (random choices happen when a schedule
 * is generated, from its seed), so the same schedule does the same thing on every run.
 */

/**
 * Which peer links a link fault acts on:
 * - 'all': every peer link (n·(n−1) directed links);
 * - { between: [A, B] }: every link from a node of A to a node of B and back;
 * - { links: ['n1->n2', ...] }: exactly these directed links.
 */
export type LinkSelection = 'all' | { between: [NodeId[], NodeId[]] } | { links: string[] };

/**
 * A partition, as groups: two nodes can talk iff some group holds both. Groups may overlap (a
 * bridge node sits in both halves; a majorities ring is a ring of overlapping windows). A node in
 * no group is alone. `isolate`, `bisect`, `bridge` and `majorities-ring` are shorthands that
 * expand to groups over `order` (default: the cluster's node order).
 */
export type PartitionSpec =
  | { kind: 'partition'; mode: 'groups'; groups: NodeId[][]; transport?: Transport }
  | { kind: 'partition'; mode: 'isolate'; node: NodeId; transport?: Transport }
  | { kind: 'partition'; mode: 'bisect' | 'bridge' | 'majorities-ring'; order?: NodeId[]; transport?: Transport };

export type ReceiverFaultSpec =
  | { kind: 'receiver'; mode: 'status'; status: number }
  | { kind: 'receiver'; mode: 'slow'; delayMs: number }
  | { kind: 'receiver'; mode: 'drop' }
  | { kind: 'receiver'; mode: 'down' };

export type FaultSpec =
  | PartitionSpec
  /** Cut links on one transport or both (UDP-only cut: transport 'udp'). */
  | { kind: 'link-cut'; links: LinkSelection; transport: Transport }
  /** Delay every byte and datagram crossing the links by latency ± jitter (both streams of each link). */
  | { kind: 'latency'; links: LinkSelection; latencyMs: number; jitterMs?: number }
  /** Drop each UDP datagram on the links with `probability` (TCP has no loss: it shows as latency). */
  | { kind: 'loss'; links: LinkSelection; probability: number }
  /** The harness cannot reach these nodes' APIs (alerts reach only the others). */
  | { kind: 'client-cut'; nodes: NodeId[] }
  /** These nodes cannot reach the receiver (the others can). */
  | { kind: 'receiver-cut'; nodes: NodeId[] }
  | ReceiverFaultSpec
  /** SIGKILL; the node is started again (same storage) when the fault is removed. */
  | { kind: 'kill'; node: NodeId }
  /** SIGTERM (graceful: snapshot and memberlist Leave); started again on removal. */
  | { kind: 'terminate'; node: NodeId }
  /** SIGSTOP; SIGCONT on removal. */
  | { kind: 'pause'; node: NodeId }
  /** Stop (SIGTERM or SIGKILL), optionally wipe storage, and start again when removed. */
  | { kind: 'restart'; node: NodeId; signal?: 'SIGTERM' | 'SIGKILL'; wipe?: boolean }
  /** Take the node off its network (docker network disconnect); reconnected at its own address on removal (docker runtime). */
  | { kind: 'disconnect'; node: NodeId }
  /**
   * One step of a rolling upgrade: stop the node (SIGTERM, storage kept), start it as `version`
   * (a version resolved before the run, e.g. --upgrade-to); applied once it runs again. Removing
   * the fault ends the step: the node stays upgraded.
   */
  | { kind: 'upgrade'; node: NodeId; version: string }
  /** Restart the node (SIGTERM, storage kept) with these extra flags; removal restarts it with its own flags again. */
  | { kind: 'node-flags'; node: NodeId; flags: string[] }
  | SourceFaultSpec;

export type FaultKind = FaultSpec['kind'];

/**
 * Faults of the alert source (src/prometheus: Prometheus replicas and their paths to the nodes),
 * planned by the plugin the source gives the nemesis (`Nemesis.use`). `source-config` is a suite's
 * classic mistake: the replicas reconfigured (no labeldrop, one target, an evaluation offset, ...)
 * until it is removed. None of them disturbs the Alertmanager cluster itself.
 */
export type SourceFaultSpec =
  | { kind: 'source-kill'; replica: string }
  | { kind: 'source-pause'; replica: string }
  | { kind: 'source-cut'; replica: string; node: NodeId }
  | { kind: 'source-config'; mistake: string; description: string; setup: Record<string, unknown> };

export const SOURCE_FAULT_KINDS: ReadonlySet<string> = new Set(['source-kill', 'source-pause', 'source-cut', 'source-config']);

/** Faults that need per-link control (the netns runtime). */
export const LINK_FAULT_KINDS: ReadonlySet<FaultKind> = new Set(['partition', 'link-cut', 'latency', 'loss', 'client-cut', 'receiver-cut']);

/** One entry of a schedule: start `atMs` after the schedule starts, keep it `durationMs`. */
export interface ScheduledFault {
  atMs: number;
  durationMs: number;
  fault: FaultSpec;
}

export interface Schedule {
  /** The seed it was generated from (or 0 for a hand-written schedule): reports print it. */
  seed: number;
  faults: ScheduledFault[];
}

/**
 * The receiver switches the nemesis needs. The capture (src/capture, CaptureReceiver) has exactly
 * these; anything else with the same methods plugs in.
 */
export interface ReceiverControl {
  setFault(fault: { kind: 'status'; status: number } | { kind: 'slow'; delayMs: number; status?: number } | { kind: 'drop' }): void;
  clearFaults(): void;
  down(): Promise<void>;
  up(): Promise<void>;
}

export interface VerifyOptions {
  /** How long a cut may take to be proven (attempted traffic held on every cut link). Default 15 s. */
  applyTimeoutMs?: number;
  /** How long links may take to carry traffic again after removal. Default 30 s. */
  removeTimeoutMs?: number;
}
