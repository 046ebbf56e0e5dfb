/**
 * A memberlist node that real Alertmanagers accept as one of their own: SWIM probing (ping, ack,
 * indirect ping with nack, TCP fallback), suspicion with confirmations and refutation,
 * incarnation numbers, gossip of membership and user broadcasts with retransmit limits, push/pull
 * anti-entropy, join and leave. It follows hashicorp/memberlist's memberlist.go / state.go / net.go
 * rule by rule (0.2.2 .. 0.5.x behave the same apart from labels); where it departs, a comment says why.
 *
 * The type is one class spread over four files, as Go spreads *Memberlist over several: state.ts
 * (node table and state rules) → net.ts (messages, gossip, push/pull, streams) → probe.ts (SWIM
 * probing) → this file (creation, the schedule, leave and shutdown; the public face).
 */
import { joinHostPort } from './addr.js';
import { NetTransport, type PacketFaults } from './transport.js';
import { MemberlistProbe } from './probe.js';
import { deadOrLeft, pushPullScale, type MemberlistConfig } from './state.js';
export { pushPullScale, type LogFn, type MemberNode, type MemberlistConfig, type MemberlistDelegate, type MemberlistEvents, type NodeStateName, type ProbeStats } from './state.js';

export class Memberlist extends MemberlistProbe {
  private constructor(cfg: MemberlistConfig, transport: NetTransport) {
    super(cfg, transport);
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

  /** Installs deliberate UDP loss (tests, fault switches). */
  setPacketFaults(f: PacketFaults): void {
    this.transport.faults = f;
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
