import dgram, { type RemoteInfo } from 'node:dgram';
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import type { HostPort } from '../address.js';
import { formatHostPort } from '../address.js';
import { proxyError } from '../errors.js';
import { DROP, rollToxicity, type Toxic } from '../toxics/toxic.js';
import type { ProxyStats, StreamDirection, UdpDirectionStats } from '../types.js';

export interface UdpProxyContext {
  readonly upstreamAddress: HostPort;
  readonly stats: ProxyStats;
  udpToxics(direction: StreamDirection): readonly Toxic[];
}

export interface UdpRelayOptions {
  /** A client address with no datagram either way for this long loses its upstream socket. */
  idleTimeoutMs: number;
}

// Datagrams held by latency toxics across one relay. Beyond this they are dropped (and counted), as a
// router drops when its queue is full; the bound keeps a flood plus a long delay from eating memory.
const MAX_DELAYED = 65_536;
// Datagrams a new session queues while its upstream socket is still connecting.
const MAX_BACKLOG = 256;
// Larger socket buffers absorb gossip bursts (best effort: the kernel caps them at net.core.rmem_max).
const SOCKET_BUFFER_BYTES = 4 * 1024 * 1024;

/**
 * The UDP side of a proxy, bound to the same host:port as its TCP listener.
 *
 * Every client address (ip:port) gets its own upstream socket, connected to the upstream, so that the
 * upstream's replies to that socket can be routed back to that client; replies leave from the proxy's
 * listen address. The upstream socket is bound to an ephemeral port and the kernel picks its source IP
 * by route (like the TCP dial), so the upstream sees datagrams from <proxy host>:<ephemeral port>, not
 * from the client's own port. For memberlist that is fine: a ping carries SourceAddr/SourcePort and
 * acks go there (through the reverse link's proxy), not to the datagram's source.
 *
 * Toxics are applied per datagram, in chain order; toxicity is rolled per datagram (there is no
 * connection to roll it for). Delayed datagrams are scheduled independently, so jitter can reorder them,
 * as on a real network.
 */
export class UdpRelay {
  private socket: dgram.Socket | null = null;
  private readonly sessions = new Map<string, UdpSession>();
  private lastSession: UdpSession | null = null;
  private readonly delayed = new Set<NodeJS.Timeout>();
  private sweeper: NodeJS.Timeout | null = null;
  private resolved: { address: string; family: 4 | 6 } | null = null;
  private resolving: Promise<void> | null = null;
  private closed = false;

  constructor(
    private readonly ctx: UdpProxyContext,
    private readonly options: UdpRelayOptions,
  ) {}

  bind(host: string, port: number): Promise<void> {
    const sock = dgram.createSocket({ type: isIP(host) === 6 ? 'udp6' : 'udp4' });
    return new Promise<void>((resolve, reject) => {
      const onError = (err: NodeJS.ErrnoException): void => {
        sock.close();
        const why = err.code === 'EADDRINUSE' ? 'bind: address already in use' : err.message;
        reject(
          proxyError(500, `listen udp ${formatHostPort(host, port)}: ${why}`, {
            ...(err.code === 'EADDRINUSE' ? { code: 'AMCHAOS_PORT_IN_USE' as const } : {}),
            cause: err,
          }),
        );
      };
      sock.once('error', onError);
      sock.bind({ address: host, port, exclusive: true }, () => {
        sock.off('error', onError);
        sock.on('error', () => {}); // ICMP errors on an unconnected socket are no reason to stop
        tryBuffers(sock);
        sock.on('message', this.onClientDatagram);
        this.socket = sock;
        const every = Math.max(25, Math.min(5000, this.options.idleTimeoutMs / 4));
        this.sweeper = setInterval(() => this.expireIdle(), every);
        this.sweeper.unref();
        resolve();
      });
    });
  }

  private readonly onClientDatagram = (msg: Buffer, rinfo: RemoteInfo): void => {
    const counters = this.ctx.stats.udp.upstream;
    counters.packets_received++;
    counters.bytes_received += msg.length;
    // A fabric link has exactly one client (the node's cluster port), so the last session is almost
    // always the right one; checking it first skips building a key string and a map lookup per datagram.
    let session = this.lastSession;
    if (session === null || session.clientPort !== rinfo.port || session.clientAddress !== rinfo.address) {
      const key = `${rinfo.address}|${rinfo.port}`;
      session = this.sessions.get(key) ?? this.openSession(key, rinfo.address, rinfo.port) ?? null;
      if (session === null) {
        drop(counters, msg);
        return;
      }
      this.lastSession = session;
    }
    session.active = true;
    const verdict = this.decide('upstream');
    const target = session;
    if (verdict === 0) target.sendUpstream(msg);
    else if (verdict === DROP) drop(counters, msg);
    else this.later(verdict, counters, msg, () => target.sendUpstream(msg));
  };

  /** Called by a session for each reply from the upstream. */
  relayDownstream(session: UdpSession, msg: Buffer): void {
    const counters = this.ctx.stats.udp.downstream;
    counters.packets_received++;
    counters.bytes_received += msg.length;
    session.active = true;
    const verdict = this.decide('downstream');
    if (verdict === 0) this.sendToClient(session, msg);
    else if (verdict === DROP) drop(counters, msg);
    else this.later(verdict, counters, msg, () => this.sendToClient(session, msg));
  }

  private sendToClient(session: UdpSession, msg: Buffer): void {
    const counters = this.ctx.stats.udp.downstream;
    if (this.socket === null) {
      drop(counters, msg);
      return;
    }
    counters.packets_sent++;
    counters.bytes_sent += msg.length;
    this.socket.send(msg, session.clientPort, session.clientAddress);
  }

  /** 0 = send now, DROP, or a delay in ms (latency toxics add up). */
  private decide(direction: StreamDirection): number {
    const toxics = this.ctx.udpToxics(direction);
    if (toxics.length === 0) return 0;
    let delay = 0;
    for (const t of toxics) {
      if (t.toxicity < 1 && !rollToxicity(t.toxicity)) continue;
      const v = t.definition.udpVerdict?.(t) ?? 0;
      if (v === DROP) return DROP;
      delay += v;
    }
    return delay;
  }

  private later(ms: number, counters: UdpDirectionStats, msg: Buffer, send: () => void): void {
    if (this.delayed.size >= MAX_DELAYED) {
      drop(counters, msg);
      return;
    }
    const t = setTimeout(() => {
      this.delayed.delete(t);
      send();
    }, ms);
    this.delayed.add(t);
  }

  private openSession(key: string, address: string, port: number): UdpSession | undefined {
    if (this.closed) return undefined;
    const session = new UdpSession(this, this.ctx.stats.udp.upstream, address, port);
    this.sessions.set(key, session);
    this.ctx.stats.udp.sessions_total++;
    this.ctx.stats.udp.sessions_active++;
    // The upstream is resolved once per relay (Toxiproxy resolves per TCP connection; for a datagram
    // stream that would be a DNS lookup per client address, which buys nothing).
    if (this.resolved !== null) session.connect(this.resolved);
    else {
      this.resolving ??= this.resolveUpstream();
      void this.resolving.then(() => {
        if (this.resolved !== null) session.connect(this.resolved);
        else this.closeSession(key, session);
      });
    }
    return session;
  }

  private async resolveUpstream(): Promise<void> {
    const { host } = this.ctx.upstreamAddress;
    try {
      const family = isIP(host);
      if (family === 4 || family === 6) this.resolved = { address: host, family };
      else {
        const r = await lookup(host);
        this.resolved = { address: r.address, family: r.family === 6 ? 6 : 4 };
      }
    } catch {
      // Unresolvable right now: the sessions waiting on it are dropped; the next datagram tries again.
    } finally {
      this.resolving = null;
    }
  }

  get upstreamPort(): number {
    return this.ctx.upstreamAddress.port;
  }

  private closeSession(key: string, session: UdpSession): void {
    if (this.sessions.get(key) !== session) return;
    this.sessions.delete(key);
    if (this.lastSession === session) this.lastSession = null;
    this.ctx.stats.udp.sessions_active--;
    session.close();
  }

  // Sessions mark themselves active per datagram (a flag, cheaper than reading the clock); the sweeper
  // turns flags into timestamps, so a session expires between idleTimeout and idleTimeout + one sweep.
  private expireIdle(): void {
    const now = Date.now();
    const cutoff = now - this.options.idleTimeoutMs;
    for (const [key, s] of this.sessions) {
      if (s.active) {
        s.active = false;
        s.lastActive = now;
      } else if (s.lastActive <= cutoff) this.closeSession(key, s);
    }
  }

  /** Close the socket, every session, and drop delayed datagrams. Synchronous: the port is free on return. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.sweeper !== null) clearInterval(this.sweeper);
    for (const t of this.delayed) clearTimeout(t);
    this.delayed.clear();
    for (const [key, s] of [...this.sessions]) this.closeSession(key, s);
    this.socket?.close();
    this.socket = null;
  }
}

/** One client address and its connected upstream socket. */
class UdpSession {
  /** Set on every datagram either way; cleared by the relay's sweeper. */
  active = true;
  lastActive = Date.now();
  private socket: dgram.Socket | null = null;
  private connected = false;
  private closed = false;
  private backlog: Buffer[] = [];

  constructor(
    private readonly relay: UdpRelay,
    private readonly upCounters: UdpDirectionStats,
    readonly clientAddress: string,
    readonly clientPort: number,
  ) {}

  connect(target: { address: string; family: 4 | 6 }): void {
    if (this.closed) return;
    const sock = dgram.createSocket({ type: target.family === 6 ? 'udp6' : 'udp4' });
    this.socket = sock;
    // ECONNREFUSED (ICMP port unreachable while the upstream is down) and the like arrive here; the
    // datagram is already counted as sent, and UDP promises nothing more.
    sock.on('error', () => {});
    sock.on('message', (msg) => this.relay.relayDownstream(this, msg));
    sock.connect(this.relay.upstreamPort, target.address, () => {
      if (this.closed) return;
      tryBuffers(sock);
      this.connected = true;
      const queued = this.backlog;
      this.backlog = [];
      for (const m of queued) this.sendUpstream(m);
    });
  }

  sendUpstream(msg: Buffer): void {
    if (this.closed) {
      drop(this.upCounters, msg);
      return;
    }
    if (!this.connected || this.socket === null) {
      if (this.backlog.length >= MAX_BACKLOG) drop(this.upCounters, msg);
      else this.backlog.push(msg);
      return;
    }
    this.upCounters.packets_sent++;
    this.upCounters.bytes_sent += msg.length;
    this.socket.send(msg);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const m of this.backlog) drop(this.upCounters, m);
    this.backlog = [];
    try {
      this.socket?.close();
    } catch {
      // already closed
    }
  }
}

function drop(counters: UdpDirectionStats, msg: Buffer): void {
  counters.packets_dropped++;
  counters.bytes_dropped += msg.length;
}

function tryBuffers(sock: dgram.Socket): void {
  try {
    sock.setRecvBufferSize(SOCKET_BUFFER_BYTES);
    sock.setSendBufferSize(SOCKET_BUFFER_BYTES);
  } catch {
    // Best effort only.
  }
}
