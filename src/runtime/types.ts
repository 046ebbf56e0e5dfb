import type { LinkControl } from '../fabric/link-control.js';
import type { NodeId, Timers } from '../history/types.js';
import type { ResolvedVersion } from '../versions/types.js';

/**
 * A runtime is where nodes live: `process` (loopback, rootless), `netns` (one network namespace and
 * IP per node, root), `docker` (containers in pods, no host root). Runtimes start and stop nodes and give each node an identity; they never
 * decide verdicts. The core (run/, nemesis/) talks only to these interfaces.
 */
export type RuntimeName = 'process' | 'netns' | 'docker';

export interface RuntimeCapabilities {
  /** Per-link faults (partitions, latency, loss, UDP/TCP cuts) between nodes. */
  linkFaults: boolean;
  /** SIGSTOP/SIGCONT (or docker pause). */
  pause: boolean;
  /** RuntimeNode.respec: a stopped node starts next as another version or with other flags (upgrades, flag faults). */
  respec?: boolean;
  /** Taking a node off its network and back (docker network disconnect/connect): RuntimeNode.disconnect/reconnect. */
  disconnect?: boolean;
}

/**
 * What the runtime observed that proves a node operation took effect (the nemesis records it):
 * `verification` says how it was seen, the rest what was seen. Operations resolve only once the
 * proof is in, the way testcontainers' StartedTestContainer offers operations rather than pids.
 */
export interface NodeProof {
  verification: string;
  pid?: number;
  /** The process state letter from the kernel (T = stopped), where that is the proof. */
  procState?: string;
  exit?: { code: number | null; signal: string | null };
  [more: string]: unknown;
}

/** What a node runs next time it starts, when a fault changes it (RuntimeNode.respec). */
export interface NodeRespec {
  /** Another version (a rolling upgrade). */
  version?: ResolvedVersion;
  /** Replaces the node's extra flags (spec.extraArgs). */
  extraArgs?: string[];
}

/** What the core asks a runtime to run for one node. */
export interface NodeSpec {
  id: NodeId;
  /** 0-based start position. */
  index: number;
  version: ResolvedVersion;
  /** The alertmanager.yml content for this node (the runtime writes it where the node can read it). */
  config: string;
  /** Whether the node joins the cluster; false = `--cluster.listen-address=` (the no-cluster control). */
  clustered: boolean;
  /** Deterministic peer name, passed as --cluster.peer-name where the version supports it. */
  peerName: string;
  timers: Timers;
  logLevel: 'debug' | 'info';
  /** Extra flags for this node, after the harness's own. */
  extraArgs: string[];
}

export interface ClusterSpec {
  runId: string;
  /** Scenario-unique label used in names of every resource (netns, iptables comments, containers). */
  scenarioId: string;
  nodes: NodeSpec[];
  /** A directory the runtime owns for this cluster (configs, storage, logs); removed by the core. */
  workDir: string;
  /** host:port of the capture receiver as the harness listens on it (loopback). */
  captureAddress: { host: string; port: number };
}

export interface RuntimeNode {
  readonly id: NodeId;
  readonly spec: NodeSpec;
  /** Base URL the harness uses for this node's HTTP API (may go through a proxy). */
  readonly apiURL: string;
  /** --web.external-url of this node: the capture attributes notifications by it. */
  readonly externalURL: string;
  /** host:port the node's cluster listener is bound to (what peers dial). */
  readonly clusterAddress: string;
  /** The node's log file on the host (both log formats). */
  readonly logFile: string;
  readonly storageDir: string;
  /** pid of the node's main process while running. */
  readonly pid: number | undefined;
  readonly running: boolean;

  /** Starts the process (again). Resolves once the web API answers; cluster readiness is the core's job. */
  start(): Promise<void>;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves once the runtime has seen the node exit. */
  stop(opts?: { graceMs?: number }): Promise<NodeProof>;
  /** SIGKILL; resolves once the runtime has seen the node exit. */
  kill(): Promise<NodeProof>;
  /** Freezes the node; resolves once the runtime has verified it is frozen (throws FAULT_NOT_VERIFIED otherwise). */
  pause(): Promise<NodeProof>;
  /** Thaws it; resolves once verified running again. */
  resume(): Promise<NodeProof>;
  /** Takes the node off the cluster network; resolves once verified (only where capabilities.disconnect). */
  disconnect?(): Promise<NodeProof>;
  /** Puts it back at its own address; resolves once verified. */
  reconnect?(): Promise<NodeProof>;
  /** Deletes the node's storage (for restart-with-wiped-storage). Only while stopped. */
  wipeStorage(): Promise<void>;
  /**
   * Changes what the node runs at its next start — another version, other extra flags — keeping
   * its id, addresses and storage. Only while stopped; only where capabilities.respec.
   */
  respec?(change: NodeRespec): Promise<void>;
  /** Resolves when the process exits (for crash detection). */
  onExit(listener: (exit: { code: number | null; signal: string | null }) => void): () => void;
  /** The last `n` lines of the node's log. */
  logTail(n: number): Promise<string[]>;
}

export interface RuntimeCluster {
  readonly runtime: RuntimeName;
  readonly capabilities: RuntimeCapabilities;
  readonly nodes: RuntimeNode[];
  /**
   * The fault fabric (one proxy per directed link, counters, toxics, a Toxiproxy-compatible API),
   * as the nemesis drives it. Present exactly when capabilities.linkFaults is true (netns, docker).
   */
  readonly fabric?: LinkControl;
  /**
   * Proves that gossip goes only through the fabric (where there is one): every node advertises and
   * is reached at the address the fabric controls, and nothing tried to skip the proxies. The link
   * fault package calls it before its first fault. Throws FAULT_NOT_VERIFIED otherwise.
   */
  verifyRouting?(): Promise<Record<string, unknown>>;
  /** Starts every node (in index order, so ULID names sort by position on old versions). */
  startAll(): Promise<void>;
  /** Stops every node and removes everything this cluster created (processes, namespaces, rules). */
  destroy(): Promise<void>;
}

export interface Runtime {
  readonly name: RuntimeName;
  readonly capabilities: RuntimeCapabilities;
  /** Throws AmchaosError (NEEDS_ROOT, RUNTIME_UNSUPPORTED) if this runtime cannot run here, before anything starts. */
  preflight(spec: ClusterSpec): Promise<void>;
  createCluster(spec: ClusterSpec): Promise<RuntimeCluster>;
  /**
   * The base URL node configs must use to reach the capture at `captureAddress`, when it differs
   * from `http://host:port` (netns: a fixed address every namespace routes through its own
   * receiver proxy). Call it before generating configs; absent = use the capture's own URL.
   */
  receiverBaseURL?(captureAddress: { host: string; port: number }): string;
  /** Removes what a killed earlier run left (resources carry the run id prefix). */
  sweep(): Promise<string[]>;
}
