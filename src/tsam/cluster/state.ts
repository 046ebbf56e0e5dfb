/**
 * memberlist's node table and its rules (hashicorp keeps them in state.go): the nodes with their
 * incarnations and states, the timers, the broadcast queue, and alive/suspect/dead with refutation,
 * push/pull merge and protocol checks. The base of the one Memberlist type, which is spread over
 * state.ts → net.ts → probe.ts → memberlist.ts the way Go spreads *Memberlist's methods over
 * state.go, net.go and memberlist.go: each layer calls only into the ones below it.
 */
import {
  ALERTMANAGER_VSN,
  NodeStateType,
  type Alive,
  type Dead,
  type NodeStateValue,
  type PushNodeState,
  type Suspect,
  type WireCompat,
  encodeAlive,
  encodeDead,
  encodeSuspect,
} from '../wire/index.js';
import { bytesToIp, ipToBytes, joinHostPort } from './addr.js';
import { Awareness, Suspicion, suspicionTimeout } from './failure.js';
import { TransmitLimitedQueue } from './queue.js';
import { NetTransport } from './transport.js';

export type LogFn = (level: 'debug' | 'info' | 'warn' | 'error', msg: string, fields?: Record<string, unknown>) => void;

export type NodeStateName = 'alive' | 'suspect' | 'dead' | 'left';
export const STATE_NAMES: Record<number, NodeStateName> = { 0: 'alive', 1: 'suspect', 2: 'dead', 3: 'left' };

/** A member as callers see it (a copy). */
export interface MemberNode {
  name: string;
  ip: string;
  port: number;
  /** "ip:port", as Go's Node.Address(). */
  address: string;
  meta: Uint8Array | null;
  vsn: Uint8Array;
  incarnation: number;
  state: NodeStateName;
}

export interface NodeState {
  name: string;
  addr: Uint8Array;
  port: number;
  meta: Uint8Array | null;
  vsn: Uint8Array;
  incarnation: number;
  state: NodeStateValue;
  /** Date.now() of the last state change. */
  stateChange: number;
}

/** memberlist's Delegate + PingDelegate, as Alertmanager implements them. */
export interface MemberlistDelegate {
  nodeMeta(limit: number): Uint8Array;
  notifyMsg(payload: Uint8Array): void;
  getBroadcasts(overhead: number, limit: number): Uint8Array[];
  localState(join: boolean): Uint8Array;
  mergeRemoteState(buf: Uint8Array, join: boolean): void;
  ackPayload(): Uint8Array;
}

export interface MemberlistEvents {
  notifyJoin(n: MemberNode): void;
  notifyLeave(n: MemberNode): void;
  notifyUpdate(n: MemberNode): void;
  /** PingDelegate.NotifyPingComplete: a direct probe was acked after rttMs. */
  notifyPingComplete?(n: MemberNode, rttMs: number): void;
}

export interface MemberlistConfig {
  name: string;
  bindAddr: string;
  bindPort: number;
  advertiseAddr?: string;
  advertisePort?: number;
  probeIntervalMs: number;
  probeTimeoutMs: number;
  gossipIntervalMs: number;
  gossipNodes: number;
  pushPullIntervalMs: number;
  tcpTimeoutMs: number;
  udpBufferSize: number;
  indirectChecks: number;
  retransmitMult: number;
  suspicionMult: number;
  suspicionMaxTimeoutMult: number;
  gossipToTheDeadTimeMs: number;
  awarenessMaxMultiplier: number;
  /** Go default true: streams always compressed, packets when it makes them shorter. */
  enableCompression: boolean;
  disableTcpPings: boolean;
  compat: WireCompat;
  delegate: MemberlistDelegate;
  events: MemberlistEvents;
  log: LogFn;
}

/** memberlist's MetaMaxSize. */
export const META_MAX_SIZE = 512;
/** memberlist's maxPushPullRequests (concurrent inbound push/pulls). */
export const MAX_PUSH_PULL_REQUESTS = 128;

export interface AckHandler {
  ack: (payload: Uint8Array | null) => void;
  nack: (() => void) | undefined;
  timer: NodeJS.Timeout;
  /** Ends a waiting probe at shutdown. */
  cancel?: () => void;
}

export const deadOrLeft = (s: NodeStateValue): boolean => s === NodeStateType.dead || s === NodeStateType.left;

export function bytesEqual(a: Uint8Array | null, b: Uint8Array | null): boolean {
  // Go's bytes.Equal treats nil and empty alike.
  const x = a ?? new Uint8Array(0);
  const y = b ?? new Uint8Array(0);
  return x.length === y.length && x.every((v, i) => v === y[i]);
}

export function shuffle<T>(a: T[]): T[] {
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [a[i], a[j]] = [a[j]!, a[i]!];
  }
  return a;
}

/** memberlist's pushPullScale: slower anti-entropy above 32 nodes. */
export function pushPullScale(intervalMs: number, n: number): number {
  if (n <= 32) return intervalMs;
  const multiplier = Math.ceil(Math.log2(n) - Math.log2(32)) + 1;
  return intervalMs * multiplier;
}

/** Counters about probing, for tests and reports (memberlist has metrics for most of these). */
export interface ProbeStats {
  probes: number;
  /** Probes whose direct UDP ping got no ack within the probe timeout. */
  directFailures: number;
  /** Probes rescued by an ack that came after the direct timeout (an indirect ping relayed it). */
  indirectAcks: number;
  nacksReceived: number;
  tcpFallbackSuccesses: number;
  suspicionsRaised: number;
  refutations: number;
  /** Indirect ping requests we relayed for others, and the acks we passed back. */
  relayRequests: number;
  relayedAcks: number;
  relayedNacks: number;
}

export abstract class MemberlistState {
  readonly name: string;
  readonly stats: ProbeStats = {
    probes: 0,
    directFailures: 0,
    indirectAcks: 0,
    nacksReceived: 0,
    tcpFallbackSuccesses: 0,
    suspicionsRaised: 0,
    refutations: 0,
    relayRequests: 0,
    relayedAcks: 0,
    relayedNacks: 0,
  };
  protected readonly nodes: NodeState[] = [];
  protected readonly nodeMap = new Map<string, NodeState>();
  protected readonly nodeTimers = new Map<string, Suspicion>();
  protected readonly broadcasts: TransmitLimitedQueue;
  protected readonly awareness: Awareness;
  protected readonly ackHandlers = new Map<number, AckHandler>();
  protected readonly timers = new Set<NodeJS.Timeout>();
  protected seqNo = 0;
  protected incarnation = 0;
  protected probeIndex = 0;
  protected probing = false;
  protected leaving = false;
  protected shut = false;
  protected pushPullReq = 0;
  protected leaveResolve: (() => void) | undefined;
  protected readonly leaveBroadcast: Promise<void>;
  protected readonly advertiseIp: string;
  protected readonly advertisePort: number;

  protected constructor(
    protected readonly cfg: MemberlistConfig,
    protected readonly transport: NetTransport,
  ) {
    this.name = cfg.name;
    this.advertiseIp = cfg.advertiseAddr ?? transport.ip;
    this.advertisePort = cfg.advertisePort ?? transport.port;
    this.broadcasts = new TransmitLimitedQueue(() => this.estNumNodes(), cfg.retransmitMult);
    this.awareness = new Awareness(cfg.awarenessMaxMultiplier);
    this.leaveBroadcast = new Promise((r) => (this.leaveResolve = r));
  }

  protected view(n: NodeState): MemberNode {
    const ip = bytesToIp(n.addr);
    return {
      name: n.name,
      ip,
      port: n.port,
      address: joinHostPort(ip, n.port),
      meta: n.meta,
      vsn: n.vsn,
      incarnation: n.incarnation,
      state: STATE_NAMES[n.state] ?? 'dead',
    };
  }

  /** Alive and suspect nodes, self included (memberlist Members()). */
  members(): MemberNode[] {
    return this.nodes.filter((n) => !deadOrLeft(n.state)).map((n) => this.view(n));
  }

  /** Every node still in the table, dead and left ones included (until reaped). */
  allNodes(): MemberNode[] {
    return this.nodes.map((n) => this.view(n));
  }

  numMembers(): number {
    let c = 0;
    for (const n of this.nodes) if (!deadOrLeft(n.state)) c++;
    return c;
  }

  /** memberlist estNumNodes: every node in the table. */
  estNumNodes(): number {
    return this.nodes.length;
  }

  localNode(): MemberNode | undefined {
    const n = this.nodeMap.get(this.name);
    return n && this.view(n);
  }

  healthScore(): number {
    return this.awareness.getHealthScore();
  }

  protected timeout(ms: number, fn: () => void): NodeJS.Timeout {
    const t = setTimeout(() => {
      this.timers.delete(t);
      fn();
    }, Math.max(0, ms));
    t.unref();
    this.timers.add(t);
    return t;
  }

  protected clearTimer(t: NodeJS.Timeout | undefined): void {
    if (!t) return;
    clearTimeout(t);
    this.timers.delete(t);
  }

  /** Go's triggerFunc: random stagger, then a ticker. Async work never overlaps itself. */
  protected every(intervalMs: number, fn: () => void): void {
    const tick = (): void => {
      if (this.shut) return;
      try {
        fn();
      } catch (e) {
        // One bad round must not stop the loop for good.
        this.cfg.log('error', 'memberlist: periodic task failed', { err: String(e) });
      }
      this.timeout(intervalMs, tick);
    };
    this.timeout(Math.random() * intervalMs, tick);
  }

  protected nextSeqNo(): number {
    this.seqNo = (this.seqNo + 1) >>> 0;
    return this.seqNo;
  }

  protected nextIncarnation(): number {
    this.incarnation = (this.incarnation + 1) >>> 0;
    return this.incarnation;
  }

  protected skipIncarnation(offset: number): number {
    this.incarnation = (this.incarnation + offset) >>> 0;
    return this.incarnation;
  }

  protected selfAddrBytes(): Uint8Array {
    return ipToBytes(this.advertiseIp);
  }

  protected encodeAndBroadcast(node: string, msg: Uint8Array, notify?: () => void): void {
    this.broadcasts.queue(msg, node, notify);
  }

  protected nodeIp(n: NodeState): string {
    return bytesToIp(n.addr);
  }

  protected kRandomNodes(k: number, exclude: (n: NodeState) => boolean): NodeState[] {
    return shuffle(this.nodes.filter((n) => !exclude(n))).slice(0, k);
  }

  protected setAlive(): void {
    const a: Alive = {
      incarnation: this.nextIncarnation(),
      node: this.name,
      addr: this.selfAddrBytes(),
      port: this.advertisePort,
      meta: this.cfg.delegate.nodeMeta(META_MAX_SIZE),
      vsn: Uint8Array.from(ALERTMANAGER_VSN),
    };
    this.aliveNode(a, undefined, true);
  }

  protected aliveNode(a: Alive, notify: (() => void) | undefined, bootstrap: boolean): void {
    if (this.leaving && a.node === this.name) return;
    if (a.vsn.length >= 3) {
      const [pmin, pmax] = [a.vsn[0]!, a.vsn[1]!];
      if (pmin === 0 || pmax === 0 || pmin > pmax) {
        this.cfg.log('warn', 'memberlist: ignoring an alive message with bad protocol versions', { node: a.node });
        return;
      }
    }
    // Alertmanager installs an AliveDelegate; with one, memberlist ignores short version vectors.
    if (a.vsn.length < 6) {
      this.cfg.log('warn', 'memberlist: ignoring an alive message without a full version vector', { node: a.node });
      return;
    }
    const isLocal = a.node === this.name;
    // Go stores what it decoded: an empty Meta from the wire becomes nil.
    const meta = isLocal ? a.meta : a.meta && a.meta.length > 0 ? a.meta : null;
    let state = this.nodeMap.get(a.node);
    let updatesNode = false;
    if (!state) {
      state = {
        name: a.node,
        addr: a.addr,
        port: a.port,
        meta,
        vsn: a.vsn,
        incarnation: 0,
        state: NodeStateType.dead,
        stateChange: Date.now(),
      };
      this.nodeMap.set(a.node, state);
      // Random position, so that probe order differs between nodes.
      const n = this.nodes.length;
      const offset = Math.floor(Math.random() * (n + 1));
      this.nodes.push(state);
      [this.nodes[offset], this.nodes[n]] = [this.nodes[n]!, this.nodes[offset]!];
    } else if (!bytesEqual(state.addr, a.addr) || state.port !== a.port) {
      if (state.state === NodeStateType.left) {
        this.cfg.log('info', 'memberlist: updating address for left node', { node: a.node });
        updatesNode = true;
      } else {
        this.cfg.log('error', 'memberlist: conflicting address', {
          node: a.node,
          mine: joinHostPort(bytesToIp(state.addr), state.port),
          theirs: joinHostPort(bytesToIp(a.addr), a.port),
        });
        return;
      }
    }
    if (a.incarnation <= state.incarnation && !isLocal && !updatesNode) return;
    if (a.incarnation < state.incarnation && isLocal) return;

    const timer = this.nodeTimers.get(a.node);
    timer?.stop();
    this.nodeTimers.delete(a.node);
    const oldState = state.state;
    const oldMeta = state.meta;

    if (!bootstrap && isLocal) {
      if (a.incarnation === state.incarnation && bytesEqual(a.meta, state.meta) && bytesEqual(a.vsn, state.vsn)) return;
      this.refute(state, a.incarnation);
      this.cfg.log('warn', 'memberlist: refuting an alive message', { incarnation: a.incarnation });
    } else {
      this.encodeAndBroadcast(a.node, encodeAlive({ ...a, meta }), notify);
      state.vsn = a.vsn;
      state.incarnation = a.incarnation;
      state.meta = meta;
      state.addr = a.addr;
      state.port = a.port;
      if (state.state !== NodeStateType.alive) {
        state.state = NodeStateType.alive;
        state.stateChange = Date.now();
      }
    }
    if (oldState === NodeStateType.dead || oldState === NodeStateType.left) {
      if (state.state === NodeStateType.alive) this.cfg.events.notifyJoin(this.view(state));
    } else if (!bytesEqual(oldMeta, state.meta)) {
      this.cfg.events.notifyUpdate(this.view(state));
    }
  }

  protected suspectNode(s: Suspect): void {
    const state = this.nodeMap.get(s.node);
    if (!state) return;
    if (s.incarnation < state.incarnation) return;
    const timer = this.nodeTimers.get(s.node);
    if (timer) {
      if (timer.confirm(s.from)) this.encodeAndBroadcast(s.node, encodeSuspect(s));
      return;
    }
    if (state.state !== NodeStateType.alive) return;
    if (state.name === this.name) {
      this.refute(state, s.incarnation);
      this.cfg.log('warn', 'memberlist: refuting a suspect message', { from: s.from });
      return;
    }
    this.encodeAndBroadcast(s.node, encodeSuspect(s));
    state.incarnation = s.incarnation;
    state.state = NodeStateType.suspect;
    this.stats.suspicionsRaised++;
    const changeTime = Date.now();
    state.stateChange = changeTime;
    this.cfg.log('info', 'memberlist: marked node suspect', { node: s.node, from: s.from });

    // Expect k confirmations so that the nominal timeout lands two probe intervals early;
    // tiny clusters cannot provide them.
    let k = this.cfg.suspicionMult - 2;
    const n = this.estNumNodes();
    if (n - 2 < k) k = 0;
    const min = suspicionTimeout(this.cfg.suspicionMult, n, this.cfg.probeIntervalMs);
    const max = this.cfg.suspicionMaxTimeoutMult * min;
    this.nodeTimers.set(
      s.node,
      new Suspicion(s.from, k, min, max, (confirmations) => {
        if (this.shut) return;
        const st = this.nodeMap.get(s.node);
        if (st && st.state === NodeStateType.suspect && st.stateChange === changeTime) {
          this.cfg.log('info', 'memberlist: marking node as failed, suspect timeout reached', { node: s.node, confirmations });
          this.deadNode({ incarnation: st.incarnation, node: st.name, from: this.name });
        }
      }),
    );
  }

  protected deadNode(d: Dead): void {
    const state = this.nodeMap.get(d.node);
    if (!state) return;
    if (d.incarnation < state.incarnation) return;
    this.nodeTimers.get(d.node)?.stop();
    this.nodeTimers.delete(d.node);
    if (deadOrLeft(state.state)) return;
    if (state.name === this.name) {
      if (!this.leaving) {
        this.refute(state, d.incarnation);
        this.cfg.log('warn', 'memberlist: refuting a dead message', { from: d.from });
        return;
      }
      this.encodeAndBroadcast(d.node, encodeDead(d), () => this.leaveResolve?.());
    } else {
      this.encodeAndBroadcast(d.node, encodeDead(d));
    }
    state.incarnation = d.incarnation;
    state.state = d.node === d.from ? NodeStateType.left : NodeStateType.dead;
    state.stateChange = Date.now();
    this.cfg.log('info', d.node === d.from ? 'memberlist: node left' : 'memberlist: node marked dead', { node: d.node, from: d.from });
    this.cfg.events.notifyLeave(this.view(state));
  }

  protected refute(me: NodeState, accusedInc: number): void {
    let inc = this.nextIncarnation();
    if (accusedInc >= inc) inc = this.skipIncarnation(accusedInc - inc + 1);
    me.incarnation = inc;
    this.stats.refutations++;
    this.awareness.applyDelta(1);
    const a: Alive = { incarnation: inc, node: me.name, addr: me.addr, port: me.port, meta: me.meta, vsn: me.vsn };
    // Go queues refutations under the address string; naming them by node lets a newer refutation
    // replace an older one, which is all that name is for.
    this.encodeAndBroadcast(me.name, encodeAlive(a));
  }

  protected mergeState(remote: PushNodeState[]): void {
    for (const r of remote) {
      switch (r.state) {
        case NodeStateType.alive:
          this.aliveNode(
            { incarnation: r.incarnation, node: r.name, addr: r.addr, port: r.port, meta: r.meta, vsn: r.vsn },
            undefined,
            false,
          );
          break;
        case NodeStateType.left:
          this.deadNode({ incarnation: r.incarnation, node: r.name, from: r.name });
          break;
        case NodeStateType.dead:
        // Someone else's "dead" is only a suspicion to us.
        case NodeStateType.suspect:
          this.suspectNode({ incarnation: r.incarnation, node: r.name, from: this.name });
          break;
        default:
          break;
      }
    }
  }

  /** memberlist verifyProtocol: every version must sit inside what all alive nodes speak. */
  protected verifyProtocol(remote: PushNodeState[]): void {
    let maxpmin = 0;
    let minpmax = 255;
    let maxdmin = 0;
    let mindmax = 255;
    for (const rn of remote) {
      if (rn.state !== NodeStateType.alive || rn.vsn.length === 0) continue;
      maxpmin = Math.max(maxpmin, rn.vsn[0] ?? 0);
      minpmax = Math.min(minpmax, rn.vsn[1] ?? 0);
      maxdmin = Math.max(maxdmin, rn.vsn[3] ?? 0);
      mindmax = Math.min(mindmax, rn.vsn[4] ?? 0);
    }
    for (const n of this.nodes) {
      if (n.state !== NodeStateType.alive) continue;
      maxpmin = Math.max(maxpmin, n.vsn[0] ?? 0);
      minpmax = Math.min(minpmax, n.vsn[1] ?? 0);
      maxdmin = Math.max(maxdmin, n.vsn[3] ?? 0);
      mindmax = Math.min(mindmax, n.vsn[4] ?? 0);
    }
    const check = (name: string, vsn: Uint8Array): void => {
      const pcur = vsn.length > 0 ? vsn[2] ?? 0 : 0;
      const dcur = vsn.length > 0 ? vsn[5] ?? 0 : 0;
      if (pcur < maxpmin || pcur > minpmax) {
        throw new Error(`Node '${name}' protocol version (${pcur}) is incompatible: [${maxpmin}, ${minpmax}]`);
      }
      if (dcur < maxdmin || dcur > mindmax) {
        throw new Error(`Node '${name}' delegate protocol version (${dcur}) is incompatible: [${maxdmin}, ${mindmax}]`);
      }
    };
    for (const r of remote) check(r.name, r.vsn);
    for (const n of this.nodes) check(n.name, n.vsn);
  }
}
