/**
 * The contract between tsam's Alertmanager layer (nflog, silences, notify pipeline) and its
 * memberlist implementation. It mirrors Alertmanager's Go `cluster.Peer` on purpose, so the code
 * above it can follow the real binary's logic one to one.
 */

/** Replicated state (nflog, silences): Go's `cluster.State`. */
export interface ClusterState {
  /** Full state for push/pull (memberlist LocalState): the same bytes the Go node's MarshalBinary gives. */
  marshalBinary(): Uint8Array;
  /** Merges a full state or a single broadcast part from a peer. */
  merge(data: Uint8Array): void;
}

/** Go's `cluster.Channel`: broadcasts one marshalled part (a MeshEntry, a MeshSilence...) to peers. */
export interface ClusterChannel {
  /** Small parts go by UDP gossip; parts over the oversize limit go by TCP to every peer. */
  broadcast(data: Uint8Array): void;
}

export interface PeerInfo {
  name: string;
  /** "ip:port" */
  address: string;
}

export type ClusterStatus = 'ready' | 'settling' | 'disabled';

export interface ClusterPeerOptions {
  /** --cluster.listen-address "host:port" (port 0 = pick one). */
  listenAddress: string;
  /** --cluster.advertise-address; defaults to the bound address. */
  advertiseAddress?: string;
  /** --cluster.peer, repeated. */
  knownPeers: string[];
  /** --cluster.peer-name, else a ULID made at start (so that names sort by start time, like Go). */
  name?: string;
  peerTimeoutMs: number;
  gossipIntervalMs: number;
  pushPullIntervalMs: number;
  settleTimeoutMs: number;
  probeIntervalMs?: number;
  probeTimeoutMs?: number;
  reconnectIntervalMs?: number;
  reconnectTimeoutMs?: number;
  tcpTimeoutMs?: number;
  /** Compatibility target ("0.25.0" | "0.28.1" | "0.33.1"), for wire differences. */
  compat?: string;
  log?: (level: 'debug' | 'info' | 'warn' | 'error', msg: string, fields?: Record<string, unknown>) => void;
}

export interface ClusterPeer {
  readonly name: string;
  /** The address other peers should dial. */
  readonly address: string;
  /** Registers replicated state under a key ("nfl", "sil") and returns the channel to broadcast on. */
  addState(key: string, state: ClusterState): ClusterChannel;
  /** Joins the known peers (retrying per reconnect rules) and starts probing/gossip/push-pull. */
  join(): Promise<void>;
  /** Waits for gossip to settle (Go's Peer.Settle) or the settle timeout; then status() is "ready". */
  settle(signal?: AbortSignal): Promise<void>;
  status(): ClusterStatus;
  /** Alive and suspect members, self included, sorted by name (as /api/v2/status shows them). */
  peers(): PeerInfo[];
  /** Index of self among peers() sorted by name: the notify wait is position × peer timeout. */
  position(): number;
  /** Graceful leave (broadcast dead-self, wait up to timeoutMs), then stop all sockets and timers. */
  leave(timeoutMs: number): Promise<void>;
  /** What the alertmanager_cluster_* metrics show (optional: test doubles may leave it out). */
  metrics?(): ClusterMetrics;
}

/** The cluster figures Alertmanager exports, as a snapshot. */
export interface ClusterMetrics {
  healthScore: number;
  failedPeers: number;
  peersJoined: number;
  peersLeft: number;
  peersUpdated: number;
  reconnections: number;
  failedReconnections: number;
  /** Direct probe round trips per peer name, in seconds, bucketed at PING_BUCKETS. */
  pings: { peer: string; bucketCounts: number[]; sum: number; count: number }[];
}

/** alertmanager_cluster_pings_seconds buckets. */
export const PING_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5];

/** Implemented in src/tsam/cluster/ (memberlist). */
export type CreateClusterPeer = (opts: ClusterPeerOptions) => Promise<ClusterPeer>;
