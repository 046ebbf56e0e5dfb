/**
 * A memberlist node that real Alertmanagers accept as one of their own: SWIM probing (ping, ack,
 * indirect ping with nack, TCP fallback), suspicion with confirmations and refutation,
 * incarnation numbers, gossip of membership and user broadcasts with retransmit limits, push/pull
 * anti-entropy, join and leave. It follows hashicorp/memberlist's state.go / net.go rule by rule
 * (0.2.2 .. 0.5.x behave the same apart from labels); where it departs, a comment says why.
 */
import dns from 'node:dns';
import net from 'node:net';
import {
  ALERTMANAGER_VSN,
  COMPOUND_HEADER_OVERHEAD,
  COMPOUND_OVERHEAD,
  LabelRejectedError,
  MessageType,
  NodeStateType,
  USER_MSG_OVERHEAD,
  type Alive,
  type Dead,
  type IndirectPingReq,
  type NodeStateValue,
  type Ping,
  type PushNodeState,
  type Suspect,
  type WireCompat,
  decodeBody,
  decodePacket,
  encodeAckResp,
  encodeAckStream,
  encodeAlive,
  encodeDead,
  encodeErrStream,
  encodeIndirectPingReq,
  encodeNackResp,
  encodePacket,
  encodePing,
  encodePingStream,
  encodePushPull,
  encodeSuspect,
  encodeUserStream,
  frameStreamMessage,
  makeCompound,
  makeCompounds,
  readAckResp,
  readAlive,
  readDead,
  readIndirectPingReq,
  readNackResp,
  readPing,
  readSuspect,
} from '../wire/index.js';
import { bytesToIp, ipToBytes, joinHostPort, splitHostPort } from './addr.js';
import { Awareness, Suspicion, suspicionTimeout } from './failure.js';
import { TransmitLimitedQueue } from './queue.js';
import { StreamClosedError, endAndWait, readStreamMessage, writeAll } from './stream-io.js';
import { NetTransport, type PacketFaults, type PacketSource } from './transport.js';

export type LogFn = (level: 'debug' | 'info' | 'warn' | 'error', msg: string, fields?: Record<string, unknown>) => void;

export type NodeStateName = 'alive' | 'suspect' | 'dead' | 'left';
const STATE_NAMES: Record<number, NodeStateName> = { 0: 'alive', 1: 'suspect', 2: 'dead', 3: 'left' };

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

interface NodeState {
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
const META_MAX_SIZE = 512;
/** memberlist's maxPushPullRequests (concurrent inbound push/pulls). */
const MAX_PUSH_PULL_REQUESTS = 128;

interface AckHandler {
  ack: (payload: Uint8Array | null) => void;
  nack: (() => void) | undefined;
  timer: NodeJS.Timeout;
  /** Ends a waiting probe at shutdown. */
  cancel?: () => void;
}

const deadOrLeft = (s: NodeStateValue): boolean => s === NodeStateType.dead || s === NodeStateType.left;

function bytesEqual(a: Uint8Array | null, b: Uint8Array | null): boolean {
  // Go's bytes.Equal treats nil and empty alike.
  const x = a ?? new Uint8Array(0);
  const y = b ?? new Uint8Array(0);
  return x.length === y.length && x.every((v, i) => v === y[i]);
}

function shuffle<T>(a: T[]): T[] {
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

export class Memberlist {
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
  private readonly nodes: NodeState[] = [];
  private readonly nodeMap = new Map<string, NodeState>();
  private readonly nodeTimers = new Map<string, Suspicion>();
  private readonly broadcasts: TransmitLimitedQueue;
  private readonly awareness: Awareness;
  private readonly ackHandlers = new Map<number, AckHandler>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private seqNo = 0;
  private incarnation = 0;
  private probeIndex = 0;
  private probing = false;
  private leaving = false;
  private shut = false;
  private pushPullReq = 0;
  private leaveResolve: (() => void) | undefined;
  private readonly leaveBroadcast: Promise<void>;
  private readonly advertiseIp: string;
  private readonly advertisePort: number;

  private constructor(
    private readonly cfg: MemberlistConfig,
    private readonly transport: NetTransport,
  ) {
    this.name = cfg.name;
    this.advertiseIp = cfg.advertiseAddr ?? transport.ip;
    this.advertisePort = cfg.advertisePort ?? transport.port;
    this.broadcasts = new TransmitLimitedQueue(() => this.estNumNodes(), cfg.retransmitMult);
    this.awareness = new Awareness(cfg.awarenessMaxMultiplier);
    this.leaveBroadcast = new Promise((r) => (this.leaveResolve = r));
    transport.onPacket = (buf, from) => this.ingestPacket(buf, from);
    transport.onStream = (s) => void this.handleConn(s);
  }

  /** Binds the sockets, declares ourselves alive and starts probing, gossip and push/pull. */
  static async create(cfg: MemberlistConfig): Promise<Memberlist> {
    const transport = await NetTransport.bind(cfg.bindAddr, cfg.bindPort);
    const m = new Memberlist(cfg, transport);
    m.setAlive();
    m.schedule();
    return m;
  }

  get bindPort(): number {
    return this.transport.port;
  }

  get address(): string {
    return joinHostPort(this.advertiseIp, this.advertisePort);
  }

  // ---------------------------------------------------------------- membership views

  private view(n: NodeState): MemberNode {
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

  /** Installs deliberate UDP loss (tests, fault switches). */
  setPacketFaults(f: PacketFaults): void {
    this.transport.faults = f;
  }

  healthScore(): number {
    return this.awareness.getHealthScore();
  }

  // ---------------------------------------------------------------- timers

  private timeout(ms: number, fn: () => void): NodeJS.Timeout {
    const t = setTimeout(() => {
      this.timers.delete(t);
      fn();
    }, Math.max(0, ms));
    t.unref();
    this.timers.add(t);
    return t;
  }

  private clearTimer(t: NodeJS.Timeout | undefined): void {
    if (!t) return;
    clearTimeout(t);
    this.timers.delete(t);
  }

  /** Go's triggerFunc: random stagger, then a ticker. Async work never overlaps itself. */
  private every(intervalMs: number, fn: () => void): void {
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

  private schedule(): void {
    const c = this.cfg;
    if (c.probeIntervalMs > 0) {
      this.every(c.probeIntervalMs, () => {
        if (this.probing) return;
        this.probing = true;
        this.probe()
          .catch((e: unknown) => this.cfg.log('error', 'memberlist: probe failed', { err: String(e) }))
          .finally(() => (this.probing = false));
      });
    }
    if (c.pushPullIntervalMs > 0) {
      const loop = (): void => {
        if (this.shut) return;
        this.timeout(pushPullScale(c.pushPullIntervalMs, this.estNumNodes()), () => {
          void this.pushPull().finally(loop);
        });
      };
      this.timeout(Math.random() * c.pushPullIntervalMs, () => void this.pushPull().finally(loop));
    }
    if (c.gossipIntervalMs > 0 && c.gossipNodes > 0) this.every(c.gossipIntervalMs, () => this.gossip());
  }

  // ---------------------------------------------------------------- sending

  private nextSeqNo(): number {
    this.seqNo = (this.seqNo + 1) >>> 0;
    return this.seqNo;
  }

  private nextIncarnation(): number {
    this.incarnation = (this.incarnation + 1) >>> 0;
    return this.incarnation;
  }

  private skipIncarnation(offset: number): number {
    this.incarnation = (this.incarnation + offset) >>> 0;
    return this.incarnation;
  }

  private selfAddrBytes(): Uint8Array {
    return ipToBytes(this.advertiseIp);
  }

  private encodeAndBroadcast(node: string, msg: Uint8Array, notify?: () => void): void {
    this.broadcasts.queue(msg, node, notify);
  }

  /** memberlist getBroadcasts: our own broadcasts first, then the delegate's user messages. */
  private getBroadcasts(overhead: number, limit: number): Uint8Array[] {
    const toSend = this.broadcasts.getBroadcasts(overhead, limit);
    let used = 0;
    for (const m of toSend) used += m.length + overhead;
    const avail = limit - used;
    if (avail > overhead + USER_MSG_OVERHEAD) {
      for (const u of this.cfg.delegate.getBroadcasts(overhead + USER_MSG_OVERHEAD, avail)) {
        const framed = new Uint8Array(u.length + 1);
        framed[0] = MessageType.user;
        framed.set(u, 1);
        toSend.push(framed);
      }
    }
    return toSend;
  }

  /**
   * memberlist rawSendMsgPacket. When no node is given Go looks the *IP string* up in a map keyed
   * by name, which fails for ULID names; so pings, acks and nacks go without CRC, gossip with.
   */
  private rawSendMsgPacket(ip: string, port: number, node: NodeState | undefined, msg: Uint8Array): void {
    if (this.shut) return;
    const target = node ?? this.nodeMap.get(ip);
    const pmax = target?.vsn[1] ?? 0;
    const out = encodePacket(msg, { compress: this.cfg.enableCompression, crc: target !== undefined && pmax >= 5 });
    this.transport.sendPacket(out, ip, port);
  }

  /** memberlist sendMsg: piggy-backs queued broadcasts onto pings, acks and nacks. */
  private sendMsg(ip: string, port: number, msg: Uint8Array): void {
    const avail = this.cfg.udpBufferSize - msg.length - COMPOUND_HEADER_OVERHEAD;
    const extra = this.getBroadcasts(COMPOUND_OVERHEAD, avail);
    if (extra.length === 0) {
      this.rawSendMsgPacket(ip, port, undefined, msg);
      return;
    }
    this.rawSendMsgPacket(ip, port, undefined, makeCompound([msg, ...extra]));
  }

  private nodeIp(n: NodeState): string {
    return bytesToIp(n.addr);
  }

  // ---------------------------------------------------------------- packet handling

  private ingestPacket(buf: Uint8Array, from: PacketSource): void {
    const d = decodePacket(buf, this.cfg.compat);
    for (const p of d.problems) this.cfg.log('warn', `memberlist: ${p}`, { from: `${from.address}:${from.port}` });
    for (const m of d.messages) {
      try {
        this.handleCommand(m.type, m.body, from);
      } catch (e) {
        this.cfg.log('error', 'memberlist: failed to handle message', { type: m.type, err: String(e), from: `${from.address}:${from.port}` });
      }
    }
  }

  private handleCommand(type: number, body: Uint8Array, from: PacketSource): void {
    switch (type) {
      case MessageType.ping:
        return this.handlePing(decodeBody(body, 'ping', readPing), from);
      case MessageType.indirectPing:
        return this.handleIndirectPing(decodeBody(body, 'indirectPingReq', readIndirectPingReq), from);
      case MessageType.ackResp: {
        const a = decodeBody(body, 'ackResp', readAckResp);
        this.ackHandlers.get(a.seqNo)?.ack(a.payload);
        return;
      }
      case MessageType.nackResp: {
        const n = decodeBody(body, 'nackResp', readNackResp);
        this.stats.nacksReceived++;
        this.ackHandlers.get(n.seqNo)?.nack?.();
        return;
      }
      case MessageType.suspect:
        return this.suspectNode(decodeBody(body, 'suspect', readSuspect));
      case MessageType.alive: {
        const a = decodeBody(body, 'alive', readAlive);
        if (a.port === 0) a.port = this.transport.port;
        return this.aliveNode(a, undefined, false);
      }
      case MessageType.dead:
        return this.deadNode(decodeBody(body, 'dead', readDead));
      case MessageType.user:
        if (body.length > 0) this.cfg.delegate.notifyMsg(body.slice());
        return;
      default:
        this.cfg.log('error', `memberlist: msg type (${type}) not supported`, { from: `${from.address}:${from.port}` });
    }
  }

  private handlePing(p: Ping, from: PacketSource): void {
    // A ping for another name means the sender knows a previous process at this address.
    if (p.node !== '' && p.node !== this.name) {
      this.cfg.log('warn', 'memberlist: got ping for unexpected node', { node: p.node, from: `${from.address}:${from.port}` });
      return;
    }
    const ack = encodeAckResp({ seqNo: p.seqNo, payload: this.cfg.delegate.ackPayload() });
    if (p.sourceAddr && p.sourceAddr.length > 0 && p.sourcePort > 0) this.sendMsg(bytesToIp(p.sourceAddr), p.sourcePort, ack);
    else this.sendMsg(from.address, from.port, ack);
  }

  private handleIndirectPing(ind: IndirectPingReq, from: PacketSource): void {
    this.stats.relayRequests++;
    const port = ind.port === 0 ? this.transport.port : ind.port;
    const localSeq = this.nextSeqNo();
    const ping = encodePing({
      seqNo: localSeq,
      node: ind.node,
      sourceAddr: this.selfAddrBytes(),
      sourcePort: this.advertisePort,
      sourceNode: this.name,
    });
    const reply =
      ind.sourceAddr && ind.sourceAddr.length > 0 && ind.sourcePort > 0
        ? { ip: bytesToIp(ind.sourceAddr), port: ind.sourcePort }
        : { ip: from.address, port: from.port };
    let nackTimer: NodeJS.Timeout | undefined;
    const timer = this.timeout(this.cfg.probeTimeoutMs, () => this.ackHandlers.delete(localSeq));
    this.ackHandlers.set(localSeq, {
      ack: () => {
        this.clearTimer(timer);
        this.clearTimer(nackTimer);
        this.ackHandlers.delete(localSeq);
        this.stats.relayedAcks++;
        this.sendMsg(reply.ip, reply.port, encodeAckResp({ seqNo: ind.seqNo, payload: null }));
      },
      nack: undefined,
      timer,
    });
    if (ind.target && ind.target.length > 0) this.sendMsg(bytesToIp(ind.target), port, ping);
    if (ind.nack) {
      nackTimer = this.timeout(this.cfg.probeTimeoutMs, () => {
        this.stats.relayedNacks++;
        this.sendMsg(reply.ip, reply.port, encodeNackResp({ seqNo: ind.seqNo }));
      });
    }
  }

  // ---------------------------------------------------------------- state machine (state.go)

  private setAlive(): void {
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

  private aliveNode(a: Alive, notify: (() => void) | undefined, bootstrap: boolean): void {
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

  private suspectNode(s: Suspect): void {
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

  private deadNode(d: Dead): void {
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

  private refute(me: NodeState, accusedInc: number): void {
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

  private mergeState(remote: PushNodeState[]): void {
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
  private verifyProtocol(remote: PushNodeState[]): void {
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

  // ---------------------------------------------------------------- probing (SWIM)

  private async probe(): Promise<void> {
    let numCheck = 0;
    for (;;) {
      if (this.shut || numCheck >= this.nodes.length) return;
      if (this.probeIndex >= this.nodes.length) {
        this.resetNodes();
        this.probeIndex = 0;
        numCheck++;
        continue;
      }
      const node = this.nodes[this.probeIndex]!;
      this.probeIndex++;
      if (node.name === this.name || deadOrLeft(node.state)) {
        numCheck++;
        continue;
      }
      await this.probeNode({ ...node });
      return;
    }
  }

  /** Drops nodes dead or left for longer than GossipToTheDeadTime, then shuffles. */
  private resetNodes(): void {
    const now = Date.now();
    const keep: NodeState[] = [];
    for (const n of this.nodes) {
      if (deadOrLeft(n.state) && now - n.stateChange > this.cfg.gossipToTheDeadTimeMs) {
        this.nodeMap.delete(n.name);
        this.nodeTimers.get(n.name)?.stop();
        this.nodeTimers.delete(n.name);
      } else {
        keep.push(n);
      }
    }
    this.nodes.length = 0;
    this.nodes.push(...shuffle(keep));
  }

  private kRandomNodes(k: number, exclude: (n: NodeState) => boolean): NodeState[] {
    return shuffle(this.nodes.filter((n) => !exclude(n))).slice(0, k);
  }

  private async probeNode(node: NodeState): Promise<void> {
    const probeInterval = this.awareness.scaleTimeout(this.cfg.probeIntervalMs);
    const seq = this.nextSeqNo();
    this.stats.probes++;
    const ping: Ping = {
      seqNo: seq,
      node: node.name,
      sourceAddr: this.selfAddrBytes(),
      sourcePort: this.advertisePort,
      sourceNode: this.name,
    };
    let nacks = 0;
    // Resolves true on the first ack, false when the probe interval is over (Go's ackCh).
    let settle!: (ok: boolean) => void;
    const acked = new Promise<boolean>((r) => (settle = r));
    const timer = this.timeout(probeInterval, () => {
      this.ackHandlers.delete(seq);
      settle(false);
    });
    this.ackHandlers.set(seq, {
      ack: () => {
        this.clearTimer(timer);
        this.ackHandlers.delete(seq);
        settle(true);
      },
      nack: () => nacks++,
      timer,
      cancel: () => settle(false),
    });
    const sent = Date.now();
    const deadline = sent + probeInterval;
    const ip = this.nodeIp(node);
    let awarenessDelta = 0;
    try {
      if (node.state === NodeStateType.alive) {
        this.sendMsg(ip, node.port, encodePing(ping));
      } else {
        const suspect = encodeSuspect({ incarnation: node.incarnation, node: node.name, from: this.name });
        this.rawSendMsgPacket(ip, node.port, node, makeCompound([encodePing(ping), suspect]));
      }
      awarenessDelta = -1;
      let probeTimer: NodeJS.Timeout | undefined;
      const first = await Promise.race([
        acked,
        new Promise<null>((r) => (probeTimer = this.timeout(this.cfg.probeTimeoutMs, () => r(null)))),
      ]);
      this.clearTimer(probeTimer);
      if (first === true || this.shut) return;
      this.stats.directFailures++;
      this.cfg.log('debug', 'memberlist: failed UDP ping (timeout reached)', { node: node.name });

      const peers = this.kRandomNodes(
        this.cfg.indirectChecks,
        (n) => n.name === this.name || n.name === node.name || n.state !== NodeStateType.alive,
      );
      let expectedNacks = 0;
      for (const peer of peers) {
        const nack = (peer.vsn[1] ?? 0) >= 4;
        if (nack) expectedNacks++;
        const ind: IndirectPingReq = {
          seqNo: seq,
          target: node.addr,
          port: node.port,
          node: node.name,
          nack,
          sourceAddr: this.selfAddrBytes(),
          sourcePort: this.advertisePort,
          sourceNode: this.name,
        };
        this.sendMsg(this.nodeIp(peer), peer.port, encodeIndirectPingReq(ind));
      }
      const fallback: Promise<boolean> =
        !this.cfg.disableTcpPings && (node.vsn[1] ?? 0) >= 3
          ? this.sendPingAndWaitForAck(ip, node.port, ping, deadline).catch((e: unknown) => {
              this.cfg.log('error', 'memberlist: failed fallback ping', { node: node.name, err: String(e) });
              return false;
            })
          : Promise.resolve(false);
      if (await acked) {
        this.stats.indirectAcks++;
        return;
      }
      if (await fallback) {
        this.stats.tcpFallbackSuccesses++;
        this.cfg.log('warn', `memberlist: was able to connect to ${node.name} over TCP but UDP probes failed, network may be misconfigured`);
        return;
      }
      if (this.shut) return;
      awarenessDelta = 0;
      if (expectedNacks > 0) {
        if (nacks < expectedNacks) awarenessDelta += expectedNacks - nacks;
      } else {
        awarenessDelta += 1;
      }
      this.cfg.log('info', `memberlist: suspect ${node.name} has failed, no acks received`);
      this.suspectNode({ incarnation: node.incarnation, node: node.name, from: this.name });
    } finally {
      this.awareness.applyDelta(awarenessDelta);
    }
  }

  /** The TCP fallback ping: true if the node answered with an ack for this sequence number. */
  private async sendPingAndWaitForAck(ip: string, port: number, ping: Ping, deadline: number): Promise<boolean> {
    let sock: net.Socket;
    try {
      sock = await this.transport.dial(ip, port, deadline - Date.now());
    } catch {
      // A dead node refusing the connection is the expected outcome, not an error.
      return false;
    }
    try {
      await writeAll(sock, frameStreamMessage(encodePingStream(ping), this.cfg.enableCompression));
      const reply = await readStreamMessage(sock, { compat: this.cfg.compat, serverSide: false }, deadline);
      if (reply.kind !== 'ack') throw new Error(`unexpected msgType (${reply.kind}) from ping`);
      if (reply.ack.seqNo !== ping.seqNo) throw new Error(`sequence number from ack (${reply.ack.seqNo}) doesn't match ping (${ping.seqNo})`);
      return true;
    } finally {
      sock.destroy();
    }
  }

  // ---------------------------------------------------------------- gossip

  private gossip(): void {
    const now = Date.now();
    const targets = this.kRandomNodes(this.cfg.gossipNodes, (n) => {
      if (n.name === this.name) return true;
      if (n.state === NodeStateType.alive || n.state === NodeStateType.suspect) return false;
      if (n.state === NodeStateType.dead) return now - n.stateChange > this.cfg.gossipToTheDeadTimeMs;
      return true;
    });
    const bytesAvail = this.cfg.udpBufferSize - COMPOUND_HEADER_OVERHEAD;
    for (const node of targets) {
      const msgs = this.getBroadcasts(COMPOUND_OVERHEAD, bytesAvail);
      if (msgs.length === 0) return;
      const ip = this.nodeIp(node);
      if (msgs.length === 1) this.rawSendMsgPacket(ip, node.port, node, msgs[0]!);
      else for (const c of makeCompounds(msgs)) this.rawSendMsgPacket(ip, node.port, node, c);
    }
  }

  // ---------------------------------------------------------------- push/pull and streams

  private localStateMessage(join: boolean): Uint8Array {
    const nodes: PushNodeState[] = this.nodes.map((n) => ({
      name: n.name,
      addr: n.addr,
      port: n.port,
      meta: n.meta,
      incarnation: n.incarnation,
      state: n.state,
      vsn: n.vsn.length === 6 ? n.vsn : Uint8Array.from(ALERTMANAGER_VSN),
    }));
    const user = this.cfg.delegate.localState(join);
    const raw = encodePushPull(join, nodes, user.length > 0 ? user : null, this.cfg.compat.msgpackInts);
    return frameStreamMessage(raw, this.cfg.enableCompression);
  }

  private mergeRemoteState(join: boolean, nodes: PushNodeState[], userState: Uint8Array | null): void {
    for (const n of nodes) if (n.port === 0) n.port = this.transport.port;
    this.verifyProtocol(nodes);
    this.mergeState(nodes);
    if (userState !== null) this.cfg.delegate.mergeRemoteState(userState, join);
  }

  /** Push our state to `ip:port` and merge what it sends back. */
  async pushPullNode(ip: string, port: number, join: boolean): Promise<void> {
    const sock = await this.transport.dial(ip, port, this.cfg.tcpTimeoutMs);
    const deadline = Date.now() + this.cfg.tcpTimeoutMs;
    let reply;
    try {
      await writeAll(sock, this.localStateMessage(join));
      reply = await readStreamMessage(sock, { compat: this.cfg.compat, serverSide: false }, deadline);
    } finally {
      sock.destroy();
    }
    if (reply.kind === 'err') throw new Error(`remote error: ${reply.err.error}`);
    if (reply.kind !== 'pushPull') throw new Error(`received invalid msgType (${reply.kind}), expected pushPull`);
    this.mergeRemoteState(join, reply.nodes, reply.userState);
  }

  private async pushPull(): Promise<void> {
    if (this.shut) return;
    const [node] = this.kRandomNodes(1, (n) => n.name === this.name || n.state !== NodeStateType.alive);
    if (!node) return;
    try {
      await this.pushPullNode(this.nodeIp(node), node.port, false);
    } catch (e) {
      this.cfg.log('error', `memberlist: push/pull with ${node.name} failed`, { err: String(e) });
    }
  }

  /**
   * Joins through each "host:port": resolves it, pushes/pulls with Join=true. Returns how many
   * addresses answered and the errors of the others.
   */
  async join(existing: readonly string[]): Promise<{ joined: number; errors: string[] }> {
    let joined = 0;
    const errors: string[] = [];
    for (const hp of existing) {
      let targets: { ip: string; port: number }[];
      try {
        const { host, port } = splitHostPort(hp);
        const ips = net.isIP(host) ? [host] : (await dns.promises.lookup(host, { all: true })).map((a) => a.address);
        targets = ips.map((ip) => ({ ip, port }));
      } catch (e) {
        errors.push(`failed to resolve ${hp}: ${String(e)}`);
        continue;
      }
      for (const t of targets) {
        try {
          await this.pushPullNode(t.ip, t.port, true);
          joined++;
        } catch (e) {
          const msg = `failed to join ${joinHostPort(t.ip, t.port)}: ${(e as Error).message ?? String(e)}`;
          this.cfg.log('debug', `memberlist: ${msg}`);
          errors.push(msg);
        }
      }
    }
    return { joined, errors };
  }

  /** Sends a user message over TCP (memberlist SendReliable). */
  async sendReliable(ip: string, port: number, payload: Uint8Array): Promise<void> {
    const sock = await this.transport.dial(ip, port, this.cfg.tcpTimeoutMs);
    try {
      await writeAll(sock, frameStreamMessage(encodeUserStream(payload, this.cfg.compat.msgpackInts), this.cfg.enableCompression));
      await endAndWait(sock, this.cfg.tcpTimeoutMs);
    } finally {
      sock.destroy();
    }
  }

  /** One inbound TCP connection = one request (net.go handleConn). */
  private async handleConn(sock: net.Socket): Promise<void> {
    const from = `${sock.remoteAddress}:${sock.remotePort}`;
    const deadline = Date.now() + this.cfg.tcpTimeoutMs;
    try {
      let msg;
      try {
        msg = await readStreamMessage(sock, { compat: this.cfg.compat, serverSide: true }, deadline);
      } catch (e) {
        if (e instanceof StreamClosedError && e.message === 'EOF') return;
        if (e instanceof LabelRejectedError) {
          this.cfg.log('error', `memberlist: ${e.message}`, { from });
          return;
        }
        this.cfg.log('error', 'memberlist: failed to receive', { err: String(e), from });
        if (!sock.destroyed) await writeAll(sock, frameStreamMessage(encodeErrStream({ error: (e as Error).message }), this.cfg.enableCompression)).catch(() => {});
        return;
      }
      switch (msg.kind) {
        case 'ping': {
          if (msg.ping.node !== '' && msg.ping.node !== this.name) {
            this.cfg.log('warn', 'memberlist: got ping for unexpected node', { node: msg.ping.node, from });
            return;
          }
          await writeAll(sock, frameStreamMessage(encodeAckStream({ seqNo: msg.ping.seqNo, payload: null }), this.cfg.enableCompression));
          return;
        }
        case 'pushPull': {
          this.pushPullReq++;
          try {
            if (this.pushPullReq >= MAX_PUSH_PULL_REQUESTS) {
              this.cfg.log('error', 'memberlist: too many pending push/pull requests', { from });
              return;
            }
            // Reply with our state as it was before merging theirs, as Go does.
            await writeAll(sock, this.localStateMessage(msg.header.join));
            try {
              this.mergeRemoteState(msg.header.join, msg.nodes, msg.userState);
            } catch (e) {
              this.cfg.log('error', 'memberlist: failed push/pull merge', { err: String(e), from });
            }
          } finally {
            this.pushPullReq--;
          }
          return;
        }
        case 'user':
          if (msg.payload.length > 0) this.cfg.delegate.notifyMsg(msg.payload);
          return;
        default:
          this.cfg.log('error', `memberlist: received invalid msgType (${msg.kind === 'unknown' ? msg.type : msg.kind})`, { from });
      }
    } catch (e) {
      this.cfg.log('error', 'memberlist: stream handling failed', { err: String(e), from });
    } finally {
      sock.end();
      setTimeout(() => sock.destroy(), 1000).unref();
    }
  }

  // ---------------------------------------------------------------- leave and shutdown

  private anyAlive(): boolean {
    return this.nodes.some((n) => n.name !== this.name && !deadOrLeft(n.state));
  }

  /**
   * Broadcasts dead{self, From: self} and waits until it was gossiped out (retransmit limit
   * reached) or `timeoutMs` passes. Returns false on timeout.
   */
  async leave(timeoutMs: number): Promise<boolean> {
    if (this.shut) return true;
    if (this.leaving) return true;
    this.leaving = true;
    const me = this.nodeMap.get(this.name);
    if (!me) return true;
    this.deadNode({ incarnation: me.incarnation, node: me.name, from: me.name });
    if (!this.anyAlive()) return true;
    let t: NodeJS.Timeout | undefined;
    const timedOut = await Promise.race([
      this.leaveBroadcast.then(() => false),
      new Promise<boolean>((r) => (t = this.timeout(timeoutMs, () => r(true)))),
    ]);
    this.clearTimer(t);
    return !timedOut;
  }

  get hasLeft(): boolean {
    return this.leaving;
  }

  /** Stops every timer and closes the sockets. Safe to call twice. */
  async shutdown(): Promise<void> {
    if (this.shut) return;
    this.shut = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    for (const s of this.nodeTimers.values()) s.stop();
    this.nodeTimers.clear();
    for (const h of this.ackHandlers.values()) {
      clearTimeout(h.timer);
      h.cancel?.();
    }
    this.ackHandlers.clear();
    this.broadcasts.reset();
    this.leaveResolve?.();
    await this.transport.close();
  }

  get isShutdown(): boolean {
    return this.shut;
  }
}
