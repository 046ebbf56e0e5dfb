/**
 * Alertmanager's cluster.Peer on top of the memberlist node: the delegate that carries nflog and
 * silence state (clusterpb Part / FullState), channels with the oversize-over-TCP rule, settle,
 * position, reconnect to failed peers, periodic re-resolve of --cluster.peer, and leave.
 * Mirrors cluster/cluster.go, delegate.go and channel.go of Alertmanager 0.25 .. 0.33.
 */
import dns from 'node:dns';
import net from 'node:net';
import os from 'node:os';
import { monotonicFactory } from 'ulid';
import { AmchaosError } from '../../errors/index.js';
import {
  MAX_GOSSIP_PACKET_SIZE,
  OVERSIZED_PART_BYTES,
  decodeFullState,
  decodePart,
  encodeFullState,
  encodePart,
  wireCompat,
} from '../wire/index.js';
import { joinHostPort, splitHostPort } from './addr.js';
import { type LogFn, type MemberNode, Memberlist, type ProbeStats } from './memberlist.js';
import {
  PING_BUCKETS,
  type ClusterChannel,
  type ClusterMetrics,
  type ClusterPeer,
  type ClusterPeerOptions,
  type ClusterState,
  type ClusterStatus,
  type PeerInfo,
} from './peer-api.js';
import { TransmitLimitedQueue } from './queue.js';
import type { PacketFaults } from './transport.js';

/**
 * Go makes one ULID per process start, so names sort by start time. Several tsam peers can start in
 * one process within a millisecond (tests, embedded use); the monotonic factory keeps that order.
 */
const newPeerName = monotonicFactory();

/** Alertmanager's defaults for the timers ClusterPeerOptions leaves optional. */
export const CLUSTER_DEFAULTS = {
  probeIntervalMs: 1000,
  probeTimeoutMs: 500,
  reconnectIntervalMs: 10_000,
  reconnectTimeoutMs: 6 * 3600_000,
  tcpTimeoutMs: 10_000,
} as const;

/** cluster.DefaultRefreshInterval: re-resolve --cluster.peer and join missing addresses. */
const REFRESH_INTERVAL_MS = 15_000;
/** Failed peers are dropped after the reconnect timeout; checked this often. */
const REMOVE_FAILED_INTERVAL_MS = 5 * 60_000;
/** delegate.go: the broadcast queue is pruned to this size every 15 minutes. */
const MAX_QUEUE_SIZE = 4096;
const QUEUE_PRUNE_INTERVAL_MS = 15 * 60_000;
/** channel.go: oversized messages wait in a 200-slot channel; more are dropped. */
const OVERSIZE_QUEUE_SLOTS = 200;
/** Settle needs this many polls in a row with an unchanged member count. */
const SETTLE_OKAY_REQUIRED = 3;

const byteCompare = (a: string, b: string): number => Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));

type PeerStatus = 'alive' | 'failed';
interface TrackedPeer {
  name: string;
  address: string;
  status: PeerStatus;
  leaveTime: number;
}

/** What tests and the harness may read beyond the contract. */
export interface MemberInfo extends PeerInfo {
  state: 'alive' | 'suspect' | 'dead' | 'left';
  incarnation: number;
}

export class AlertmanagerPeer implements ClusterPeer {
  readonly name: string;
  private readonly states = new Map<string, ClusterState>();
  private readonly queue: TransmitLimitedQueue;
  private readonly peers_ = new Map<string, TrackedPeer>();
  private failedPeers: TrackedPeer[] = [];
  private readonly oversize: Uint8Array[] = [];
  private oversizeRunning = false;
  private readonly timers = new Set<NodeJS.Timeout>();
  private ready = false;
  private settling: Promise<void> | undefined;
  private stopped = false;
  private joined = false;
  private ml!: Memberlist;
  private readonly log: LogFn;

  /** Counters in the spirit of Alertmanager's metrics; read by tests. */
  readonly stats = {
    messagesReceived: 0,
    oversizedSent: 0,
    oversizedFailed: 0,
    oversizedDropped: 0,
    reconnections: 0,
    failedReconnections: 0,
    queuePruned: 0,
    peersJoined: 0,
    peersLeft: 0,
    peersUpdated: 0,
  };
  private readonly pings = new Map<string, { bucketCounts: number[]; sum: number; count: number }>();

  private constructor(
    private readonly opts: ClusterPeerOptions,
    name: string,
    retransmit: number,
    private readonly knownPeers: string[],
  ) {
    this.name = name;
    this.log = opts.log ?? (() => {});
    this.queue = new TransmitLimitedQueue(() => this.ml?.numMembers() ?? 1, retransmit);
  }

  static async create(opts: ClusterPeerOptions): Promise<AlertmanagerPeer> {
    validate(opts);
    const compat = wireCompat(opts.compat);
    const { host, port } = splitHostPort(opts.listenAddress);
    const bindIp = host === '' || host === '0.0.0.0' ? '0.0.0.0' : host === '::' ? '::' : host;
    let advertiseIp: string;
    let advertisePort: number | undefined;
    if (opts.advertiseAddress) {
      const a = splitHostPort(opts.advertiseAddress);
      advertiseIp = a.host;
      advertisePort = a.port;
    } else {
      advertiseIp = bindIp === '0.0.0.0' || bindIp === '::' ? privateIp() : bindIp;
    }
    const name = opts.name && opts.name !== '' ? opts.name : newPeerName();
    // cluster.go: retransmit = max(len(knownPeers)/2, 3), used for GossipNodes and the queue.
    const retransmit = Math.max(Math.floor(opts.knownPeers.length / 2), 3);
    // The peer is built before memberlist exists because memberlist calls back into it at once
    // (NotifyJoin for ourselves).
    const peer = new AlertmanagerPeer(opts, name, retransmit, [...opts.knownPeers]);
    const ml = await Memberlist.create({
      name,
      bindAddr: bindIp,
      bindPort: port,
      advertiseAddr: advertiseIp,
      ...(advertisePort !== undefined ? { advertisePort } : {}),
      probeIntervalMs: opts.probeIntervalMs ?? CLUSTER_DEFAULTS.probeIntervalMs,
      probeTimeoutMs: opts.probeTimeoutMs ?? CLUSTER_DEFAULTS.probeTimeoutMs,
      gossipIntervalMs: opts.gossipIntervalMs,
      gossipNodes: retransmit,
      pushPullIntervalMs: opts.pushPullIntervalMs,
      tcpTimeoutMs: opts.tcpTimeoutMs ?? CLUSTER_DEFAULTS.tcpTimeoutMs,
      udpBufferSize: MAX_GOSSIP_PACKET_SIZE,
      indirectChecks: 3,
      retransmitMult: 4,
      suspicionMult: 4,
      suspicionMaxTimeoutMult: 6,
      gossipToTheDeadTimeMs: 30_000,
      awarenessMaxMultiplier: 8,
      enableCompression: true,
      disableTcpPings: false,
      compat,
      log: peer.log,
      delegate: {
        nodeMeta: () => new Uint8Array(0),
        ackPayload: () => new Uint8Array(0),
        notifyMsg: (b) => peer.notifyMsg(b),
        getBroadcasts: (overhead, limit) => peer.queue.getBroadcasts(overhead, limit),
        localState: () => peer.localState(),
        mergeRemoteState: (b) => peer.mergeRemoteState(b),
      },
      events: {
        notifyJoin: (n) => peer.peerJoin(n),
        notifyLeave: (n) => peer.peerLeave(n),
        notifyUpdate: (n) => peer.peerUpdate(n),
        notifyPingComplete: (n, rttMs) => peer.pingComplete(n.name, rttMs / 1000),
      },
    });
    peer.ml = ml;
    peer.every(QUEUE_PRUNE_INTERVAL_MS, () => {
      const n = peer.queue.prune(MAX_QUEUE_SIZE);
      if (n > 0) {
        peer.stats.queuePruned += n;
        peer.log('warn', 'dropping messages because too many are queued', { dropped: n });
      }
    });
    peer.log('info', 'cluster peer created', { name, address: ml.address, compat: compat.version });
    return peer;
  }

  /** The advertised "ip:port" other peers dial. */
  get address(): string {
    return this.ml.address;
  }

  // ------------------------------------------------------------ timers

  private every(ms: number, fn: () => void | Promise<void>): void {
    if (ms <= 0) return;
    const run = (): void => {
      const t = setTimeout(() => {
        this.timers.delete(t);
        if (this.stopped) return;
        void Promise.resolve()
          .then(fn)
          .catch((e: unknown) => this.log('error', 'cluster: periodic task failed', { err: String(e) }))
          .finally(() => {
            if (!this.stopped) run();
          });
      }, ms);
      t.unref();
      this.timers.add(t);
    };
    run();
  }

  // ------------------------------------------------------------ delegate (delegate.go)

  private notifyMsg(b: Uint8Array): void {
    this.stats.messagesReceived++;
    let part;
    try {
      part = decodePart(b);
    } catch (e) {
      this.log('warn', 'decode broadcast', { err: String(e) });
      return;
    }
    const s = this.states.get(part.key);
    if (!s) return;
    try {
      s.merge(part.data);
    } catch (e) {
      this.log('warn', 'merge broadcast', { err: String(e), key: part.key });
    }
  }

  private localState(): Uint8Array {
    const parts = [...this.states].map(([key, s]) => ({ key, data: s.marshalBinary() }));
    return encodeFullState(parts);
  }

  private mergeRemoteState(buf: Uint8Array): void {
    let parts;
    try {
      parts = decodeFullState(buf);
    } catch (e) {
      this.log('warn', 'merge remote state', { err: String(e) });
      return;
    }
    for (const p of parts) {
      const s = this.states.get(p.key);
      if (!s) {
        this.log('warn', 'unknown state key', { len: buf.length, key: p.key });
        continue;
      }
      try {
        s.merge(p.data);
      } catch (e) {
        // Go returns here: the remaining parts are not merged.
        this.log('warn', 'merge remote state', { err: String(e), key: p.key });
        return;
      }
    }
  }

  // ------------------------------------------------------------ peer bookkeeping (cluster.go)

  private peerJoin(n: MemberNode): void {
    this.stats.peersJoined++;
    const old = this.peers_.get(n.address);
    const wasFailed = old?.status === 'failed';
    this.peers_.set(n.address, { name: n.name, address: n.address, status: 'alive', leaveTime: 0 });
    if (wasFailed) {
      this.log('debug', 'peer rejoined', { peer: n.name, addr: n.address });
      this.failedPeers = this.failedPeers.filter((p) => p.address !== n.address);
    }
  }

  private peerLeave(n: MemberNode): void {
    this.stats.peersLeft++;
    const p: TrackedPeer = { name: n.name, address: n.address, status: 'failed', leaveTime: Date.now() };
    this.peers_.set(n.address, p);
    this.failedPeers = this.failedPeers.filter((x) => x.address !== n.address);
    this.failedPeers.push(p);
    this.log('debug', 'peer left', { peer: n.name, addr: n.address });
  }

  private pingComplete(peer: string, seconds: number): void {
    let h = this.pings.get(peer);
    if (!h) {
      h = { bucketCounts: PING_BUCKETS.map(() => 0), sum: 0, count: 0 };
      this.pings.set(peer, h);
    }
    h.sum += seconds;
    h.count++;
    PING_BUCKETS.forEach((b, i) => {
      if (seconds <= b) h!.bucketCounts[i]!++;
    });
  }

  metrics(): ClusterMetrics {
    return {
      healthScore: this.ml.healthScore(),
      failedPeers: this.failedPeers.length,
      peersJoined: this.stats.peersJoined,
      peersLeft: this.stats.peersLeft,
      peersUpdated: this.stats.peersUpdated,
      reconnections: this.stats.reconnections,
      failedReconnections: this.stats.failedReconnections,
      pings: [...this.pings].map(([peer, h]) => ({ peer, bucketCounts: [...h.bucketCounts], sum: h.sum, count: h.count })),
    };
  }

  private peerUpdate(n: MemberNode): void {
    this.stats.peersUpdated++;
    const p = this.peers_.get(n.address);
    if (p) p.name = n.name;
    this.log('debug', 'peer updated', { peer: n.name });
  }

  private async reconnect(): Promise<void> {
    for (const p of [...this.failedPeers]) {
      if (this.stopped) return;
      const r = await this.ml.join([p.address]);
      if (r.joined > 0) {
        this.stats.reconnections++;
        this.log('debug', 'reconnect', { result: 'success', peer: p.name, addr: p.address });
      } else {
        this.stats.failedReconnections++;
        this.log('debug', 'reconnect', { result: 'failure', peer: p.name, addr: p.address, err: r.errors.join('; ') });
      }
    }
  }

  private removeFailedPeers(timeoutMs: number): void {
    const now = Date.now();
    this.failedPeers = this.failedPeers.filter((p) => {
      if (p.leaveTime + timeoutMs > now) return true;
      this.peers_.delete(p.address);
      this.log('debug', 'failed peer has timed out', { peer: p.name, addr: p.address });
      return false;
    });
  }

  private async resolvePeers(): Promise<string[]> {
    const out: string[] = [];
    for (const hp of this.knownPeers) {
      const { host, port } = splitHostPort(hp);
      if (net.isIP(host)) {
        out.push(joinHostPort(host, port));
        continue;
      }
      try {
        for (const a of await dns.promises.lookup(host, { all: true })) out.push(joinHostPort(a.address, port));
      } catch (e) {
        this.log('warn', 'failed to resolve peer', { peer: hp, err: String(e) });
      }
    }
    return out;
  }

  private async refresh(): Promise<void> {
    const resolved = await this.resolvePeers();
    const members = new Set(this.ml.members().map((m) => m.address));
    for (const addr of resolved) {
      if (this.stopped) return;
      if (members.has(addr)) continue;
      const r = await this.ml.join([addr]);
      if (r.joined === 0) this.log('debug', 'refresh', { result: 'failure', addr, err: r.errors.join('; ') });
      else this.log('debug', 'refresh', { result: 'success', addr });
    }
  }

  // ------------------------------------------------------------ ClusterPeer

  addState(key: string, state: ClusterState): ClusterChannel {
    this.states.set(key, state);
    return {
      broadcast: (data: Uint8Array) => {
        if (this.stopped) return;
        const part = encodePart({ key, data });
        if (part.length > OVERSIZED_PART_BYTES) {
          if (this.oversize.length >= OVERSIZE_QUEUE_SLOTS) {
            this.stats.oversizedDropped++;
            this.log('debug', 'oversized gossip channel full');
            return;
          }
          this.oversize.push(part);
          void this.drainOversize();
        } else {
          this.queue.queue(part);
        }
      },
    };
  }

  /** channel.go handleOverSizedMessages: one message at a time, to every peer in parallel. */
  private async drainOversize(): Promise<void> {
    if (this.oversizeRunning) return;
    this.oversizeRunning = true;
    try {
      for (let b = this.oversize.shift(); b && !this.stopped; b = this.oversize.shift()) {
        const targets = this.ml.members().filter((m) => m.name !== this.name);
        await Promise.all(
          targets.map(async (n) => {
            this.stats.oversizedSent++;
            try {
              await this.ml.sendReliable(n.ip, n.port, b);
            } catch (e) {
              this.stats.oversizedFailed++;
              this.log('debug', 'failed to send oversized message', { peer: n.name, err: String(e) });
            }
          }),
        );
      }
    } finally {
      this.oversizeRunning = false;
    }
  }

  async join(): Promise<void> {
    if (this.stopped) return;
    const resolved = await this.resolvePeers();
    if (this.joined) {
      // Already running the reconnect/refresh loops: just try the known peers again.
      await this.ml.join(resolved);
      return;
    }
    this.joined = true;
    // setInitialFailed: every known address starts as failed so the reconnect loop keeps trying
    // it until it shows up as a member.
    const now = Date.now();
    for (const addr of resolved) {
      if (addr === this.address || this.peers_.has(addr)) continue;
      const p: TrackedPeer = { name: '', address: addr, status: 'failed', leaveTime: now };
      this.peers_.set(addr, p);
      this.failedPeers.push(p);
    }
    const r = resolved.length > 0 ? await this.ml.join(resolved) : { joined: 0, errors: [] };
    if (resolved.length > 0 && r.joined === 0) {
      this.log('warn', 'failed to join cluster', { err: r.errors.join('; ') });
    } else {
      this.log('debug', 'joined cluster', { peers: r.joined });
    }
    const reconnectInterval = this.opts.reconnectIntervalMs ?? CLUSTER_DEFAULTS.reconnectIntervalMs;
    const reconnectTimeout = this.opts.reconnectTimeoutMs ?? CLUSTER_DEFAULTS.reconnectTimeoutMs;
    if (reconnectInterval > 0) this.every(reconnectInterval, () => this.reconnect());
    if (reconnectTimeout > 0) {
      this.every(Math.min(REMOVE_FAILED_INTERVAL_MS, reconnectTimeout), () => this.removeFailedPeers(reconnectTimeout));
    }
    this.every(REFRESH_INTERVAL_MS, () => this.refresh());
  }

  settle(signal?: AbortSignal): Promise<void> {
    this.settling ??= this.runSettle(signal);
    return this.settling;
  }

  /** Go's Peer.Settle: poll every 10 × gossip interval; 3 unchanged polls or the timeout. */
  private async runSettle(signal?: AbortSignal): Promise<void> {
    const interval = this.opts.gossipIntervalMs * 10;
    const timeoutMs = this.opts.settleTimeoutMs;
    const start = Date.now();
    this.log('info', 'Waiting for gossip to settle...', { interval: `${interval}ms` });
    let nPeers = 0;
    let nOkay = 0;
    let polls = 0;
    for (;;) {
      const remaining = start + timeoutMs - Date.now();
      if (remaining <= 0 || signal?.aborted || this.stopped) {
        this.log('info', 'gossip not settled but continuing anyway', { polls, elapsedMs: Date.now() - start });
        break;
      }
      const timedOut = await new Promise<boolean>((resolve) => {
        const wait = Math.min(interval, remaining);
        const t = setTimeout(() => {
          signal?.removeEventListener('abort', onAbort);
          resolve(wait < interval);
        }, wait);
        t.unref();
        const onAbort = (): void => {
          clearTimeout(t);
          resolve(true);
        };
        signal?.addEventListener('abort', onAbort, { once: true });
      });
      if (timedOut) {
        this.log('info', 'gossip not settled but continuing anyway', { polls, elapsedMs: Date.now() - start });
        break;
      }
      const n = this.peers().length;
      if (nOkay >= SETTLE_OKAY_REQUIRED) {
        this.log('info', 'gossip settled; proceeding', { elapsedMs: Date.now() - start });
        break;
      }
      if (n === nPeers) {
        nOkay++;
        this.log('debug', 'gossip looks settled', { elapsedMs: Date.now() - start });
      } else {
        nOkay = 0;
        this.log('info', 'gossip not settled', { polls, before: nPeers, now: n, elapsedMs: Date.now() - start });
      }
      nPeers = n;
      polls++;
    }
    this.ready = true;
  }

  status(): ClusterStatus {
    return this.ready ? 'ready' : 'settling';
  }

  peers(): PeerInfo[] {
    return this.ml
      .members()
      .sort((a, b) => byteCompare(a.name, b.name))
      .map((m) => ({ name: m.name, address: m.address }));
  }

  position(): number {
    const all = this.peers();
    let k = 0;
    for (const p of all) {
      if (p.name === this.name) break;
      k++;
    }
    return k;
  }

  /** Every node memberlist still holds, with its state (dead/left included until reaped). */
  members(): MemberInfo[] {
    return this.ml
      .allNodes()
      .sort((a, b) => byteCompare(a.name, b.name))
      .map((m) => ({ name: m.name, address: m.address, state: m.state, incarnation: m.incarnation }));
  }

  /** Drops UDP datagrams on purpose (tests and tsam fault switches); {} restores normal traffic. */
  setPacketFaults(f: PacketFaults): void {
    this.ml.setPacketFaults(f);
  }

  /** Probe counters of the memberlist node. */
  probeStats(): Readonly<ProbeStats> {
    return this.ml.stats;
  }

  /** memberlist's health score (0 = healthy); grows when probes fail or we must refute. */
  healthScore(): number {
    return this.ml.healthScore();
  }

  /** Number of alive+suspect members (Go's ClusterSize). */
  clusterSize(): number {
    return this.ml.numMembers();
  }

  async leave(timeoutMs: number): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    this.log('debug', 'leaving cluster');
    try {
      const ok = await this.ml.leave(timeoutMs);
      if (!ok) this.log('warn', 'timeout waiting for leave broadcast');
    } finally {
      await this.ml.shutdown();
    }
  }
}

function validate(opts: ClusterPeerOptions): void {
  const bad = (what: string, hint: string): never => {
    throw new AmchaosError('AMCHAOS_BAD_ARGUMENT', `cluster: ${what}`, { hint });
  };
  try {
    splitHostPort(opts.listenAddress);
  } catch (e) {
    bad((e as Error).message, 'give --cluster.listen-address as host:port, e.g. 127.0.0.1:9094');
  }
  if (opts.advertiseAddress) {
    try {
      const a = splitHostPort(opts.advertiseAddress);
      if (!net.isIP(a.host)) bad(`advertise address ${opts.advertiseAddress} is not an IP`, 'use ip:port for --cluster.advertise-address');
    } catch (e) {
      bad((e as Error).message, 'give --cluster.advertise-address as ip:port');
    }
  }
  for (const p of opts.knownPeers) {
    try {
      splitHostPort(p);
    } catch (e) {
      bad((e as Error).message, 'give every --cluster.peer as host:port');
    }
  }
  for (const [k, v] of Object.entries({
    gossipIntervalMs: opts.gossipIntervalMs,
    pushPullIntervalMs: opts.pushPullIntervalMs,
    settleTimeoutMs: opts.settleTimeoutMs,
    peerTimeoutMs: opts.peerTimeoutMs,
    probeIntervalMs: opts.probeIntervalMs ?? 1,
    probeTimeoutMs: opts.probeTimeoutMs ?? 1,
    tcpTimeoutMs: opts.tcpTimeoutMs ?? 1,
  })) {
    if (!Number.isFinite(v) || v < 0) bad(`${k} must be a non-negative number of milliseconds, got ${v}`, 'check the --cluster.* durations');
  }
  if (opts.gossipIntervalMs === 0) bad('gossipIntervalMs must be > 0', 'set --cluster.gossip-interval (default 200ms)');
  if (opts.name !== undefined && Buffer.byteLength(opts.name) > 255) bad('peer name longer than 255 bytes', 'use a shorter --cluster.peer-name');
}

/** Like Alertmanager's advertise discovery for 0.0.0.0: the first private IPv4, else loopback. */
function privateIp(): string {
  for (const addrs of Object.values(os.networkInterfaces())) {
    for (const a of addrs ?? []) {
      if (a.family === 'IPv4' && !a.internal && /^(10\.|192\.168\.|172\.(1[6-9]|2\d|3[01])\.)/.test(a.address)) return a.address;
    }
  }
  return '127.0.0.1';
}
