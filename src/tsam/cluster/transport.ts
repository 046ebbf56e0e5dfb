/**
 * memberlist's NetTransport for Node: one UDP socket and one TCP listener on the same ip:port.
 * Packets go out from the bound UDP socket (peers see our cluster port as the source); TCP is
 * dialled without a local bind, as Go does.
 */
import dgram from 'node:dgram';
import net from 'node:net';
import { AmchaosError } from '../../errors/index.js';

export interface PacketSource {
  address: string;
  port: number;
}

/**
 * Deliberate loss, for tests and tsam's fault switches: return true to drop the datagram.
 * Outgoing TCP is never filtered; incoming TCP can be refused as a whole.
 */
export interface PacketFaults {
  dropInbound?: (from: PacketSource) => boolean;
  dropOutbound?: (to: PacketSource) => boolean;
  /** Close inbound TCP connections at once (push/pull, TCP pings, reliable messages all fail). */
  refuseInboundStreams?: boolean;
}

export class NetTransport {
  private closed = false;
  private readonly sockets = new Set<net.Socket>();
  faults: PacketFaults = {};

  private constructor(
    readonly ip: string,
    readonly port: number,
    private readonly udp: dgram.Socket,
    private readonly tcp: net.Server,
  ) {
    tcp.on('connection', (s) => {
      if (this.closed || this.faults.refuseInboundStreams) {
        s.destroy();
        return;
      }
      this.track(s);
      this.onStream(s);
    });
    udp.on('message', (msg, rinfo) => {
      if (this.faults.dropInbound?.(rinfo)) return;
      if (!this.closed) this.onPacket(new Uint8Array(msg.buffer, msg.byteOffset, msg.byteLength), rinfo);
    });
    // Errors on a bound UDP socket are per-send (ICMP unreachable etc.); never fatal for the node.
    udp.on('error', () => {});
    tcp.on('error', () => {});
  }

  /** Set by the owner: called for every datagram. */
  onPacket: (buf: Uint8Array, from: PacketSource) => void = () => {};
  /** Set by the owner: called for every accepted TCP connection. */
  onStream: (socket: net.Socket) => void = (s) => s.destroy();

  /**
   * Binds TCP first (so port 0 picks a free port), then UDP on the same number. If UDP finds the
   * port taken, both are released and another port is tried, as memberlist's NewNetTransport does.
   */
  static async bind(ip: string, port: number): Promise<NetTransport> {
    const family = net.isIPv6(ip) ? 'udp6' : 'udp4';
    const attempts = port === 0 ? 10 : 1;
    let lastErr: unknown;
    for (let i = 0; i < attempts; i++) {
      const tcp = net.createServer({ noDelay: true });
      try {
        await new Promise<void>((resolve, reject) => {
          tcp.once('error', reject);
          tcp.listen({ host: ip, port, exclusive: true }, () => {
            tcp.off('error', reject);
            resolve();
          });
        });
      } catch (e) {
        lastErr = e;
        tcp.close();
        continue;
      }
      const bound = (tcp.address() as net.AddressInfo).port;
      const udp = dgram.createSocket({ type: family, reuseAddr: false });
      try {
        await new Promise<void>((resolve, reject) => {
          udp.once('error', reject);
          udp.bind({ address: ip, port: bound, exclusive: true }, () => {
            udp.off('error', reject);
            resolve();
          });
        });
      } catch (e) {
        lastErr = e;
        udp.close();
        await new Promise<void>((r) => tcp.close(() => r()));
        continue;
      }
      try {
        // Go asks for a 2 MB receive buffer; the kernel may cap it, which is fine.
        udp.setRecvBufferSize(2 * 1024 * 1024);
      } catch {
        /* best effort */
      }
      return new NetTransport(ip, bound, udp, tcp);
    }
    const code = (lastErr as NodeJS.ErrnoException | undefined)?.code;
    throw new AmchaosError(
      code === 'EADDRINUSE' ? 'AMCHAOS_PORT_IN_USE' : 'AMCHAOS_NODE_START_FAILED',
      `cannot bind the cluster listener on ${ip}:${port}: ${String((lastErr as Error | undefined)?.message ?? lastErr)}`,
      { hint: 'pick a free --cluster.listen-address (port 0 picks one) on an address this host has', cause: lastErr },
    );
  }

  sendPacket(buf: Uint8Array, ip: string, port: number): void {
    if (this.closed) return;
    if (this.faults.dropOutbound?.({ address: ip, port })) return;
    this.udp.send(buf, port, ip);
  }

  /** Opens a TCP connection; rejects after timeoutMs. The socket is closed on transport close. */
  dial(ip: string, port: number, timeoutMs: number): Promise<net.Socket> {
    if (this.closed) return Promise.reject(new Error('transport closed'));
    return new Promise((resolve, reject) => {
      const s = net.connect({ host: ip, port, noDelay: true });
      this.track(s);
      const timer = setTimeout(() => {
        s.destroy();
        reject(new Error(`dial ${ip}:${port}: i/o timeout`));
      }, Math.max(1, timeoutMs));
      s.once('connect', () => {
        clearTimeout(timer);
        resolve(s);
      });
      s.once('error', (e) => {
        clearTimeout(timer);
        reject(e);
      });
    });
  }

  private track(s: net.Socket): void {
    this.sockets.add(s);
    s.once('close', () => this.sockets.delete(s));
    // Socket errors surface through whoever reads the socket; never as an uncaught exception.
    s.on('error', () => {});
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const s of this.sockets) s.destroy();
    await Promise.all([
      new Promise<void>((r) => this.tcp.close(() => r())),
      new Promise<void>((r) => this.udp.close(() => r())),
    ]);
  }
}
