import { formatHostPort, parseHostPort, resolveHost, type HostPort } from './address.js';
import { isAmchaosError } from '../errors/index.js';
import { TcpListener } from './tcp/listener.js';
import { ToxicCollection } from './toxics/collection.js';
import type { Toxic } from './toxics/toxic.js';
import { copyStats, emptyStats, type ProxyJson, type ProxyStats, type StreamDirection } from './types.js';
import { UdpRelay } from './udp/relay.js';

export interface LinkProxyOptions {
  udpIdleTimeoutMs: number;
}

// With listen port 0 and UDP on, TCP picks the port and UDP must get the same one; another process may
// hold that UDP port, so try a few ephemeral ports before giving up.
const EPHEMERAL_ATTEMPTS = 20;

/**
 * One proxy: a listen address (TCP, and UDP when `udp` is on), an upstream, toxics, counters.
 * State changes (start, stop, updates) are serialised by ProxyServer; this class assumes one at a time.
 */
export class LinkProxy {
  /** The requested listen address until started, then the real bound address (Toxiproxy rewrites it). */
  listen: string;
  upstream: string;
  upstreamAddress: HostPort;
  enabled = false;
  udp: boolean;
  readonly stats: ProxyStats = emptyStats();
  readonly toxics: ToxicCollection;
  private tcpListener: TcpListener | null = null;
  private udpRelay: UdpRelay | null = null;

  constructor(
    readonly name: string,
    spec: { listen: string; upstream: string; udp: boolean },
    private readonly options: LinkProxyOptions,
  ) {
    this.listen = spec.listen;
    this.upstream = spec.upstream;
    this.upstreamAddress = parseHostPort(spec.upstream, 'upstream');
    this.udp = spec.udp;
    this.toxics = new ToxicCollection({
      added: (t) => this.tcpListener?.forEachConnection((c) => c.link(t.direction).addToxic(t)),
      updated: (t) => this.tcpListener?.forEachConnection((c) => c.link(t.direction).updateToxic(t)),
      removed: (t) => this.tcpListener?.forEachConnection((c) => c.link(t.direction).removeToxic(t)),
    });
  }

  // Context for the TCP listener and UDP relay (read per connection / per datagram).
  tcpToxics(direction: StreamDirection): readonly Toxic[] {
    return this.toxics.tcp(direction);
  }

  udpToxics(direction: StreamDirection): readonly Toxic[] {
    return this.toxics.udp(direction);
  }

  /** Bind and start accepting. Throws a 500 AmchaosError if the OS refuses; the proxy stays disabled. */
  async start(): Promise<void> {
    if (this.enabled) return;
    const requested = parseHostPort(this.listen, 'listen');
    const ip = await resolveHost(requested.host);
    const attempts = requested.port === 0 && this.udp ? EPHEMERAL_ATTEMPTS : 1;
    for (let attempt = 1; ; attempt++) {
      const tcp = new TcpListener(this);
      const port = await tcp.listen(ip, requested.port);
      let relay: UdpRelay | null = null;
      if (this.udp) {
        relay = new UdpRelay(this, { idleTimeoutMs: this.options.udpIdleTimeoutMs });
        try {
          await relay.bind(ip, port);
        } catch (e) {
          tcp.close();
          if (attempt < attempts && isAmchaosError(e, 'AMCHAOS_PORT_IN_USE')) continue;
          throw e;
        }
      }
      this.tcpListener = tcp;
      this.udpRelay = relay;
      this.listen = formatHostPort(ip, port);
      this.enabled = true;
      return;
    }
  }

  /** Close the listener(s) and every connection and UDP session. Toxics are kept. */
  stop(): void {
    this.tcpListener?.close();
    this.udpRelay?.close();
    this.tcpListener = null;
    this.udpRelay = null;
    this.enabled = false;
  }

  /** Turn UDP relaying on or off without touching TCP connections. */
  async setUdp(on: boolean): Promise<void> {
    if (on === this.udp) return;
    if (!this.enabled) {
      this.udp = on;
      return;
    }
    if (!on) {
      this.udpRelay?.close();
      this.udpRelay = null;
      this.udp = false;
      return;
    }
    const { host, port } = parseHostPort(this.listen, 'listen');
    const relay = new UdpRelay(this, { idleTimeoutMs: this.options.udpIdleTimeoutMs });
    await relay.bind(host, port); // on failure UDP stays off and the error (500) goes to the caller
    this.udpRelay = relay;
    this.udp = true;
  }

  setUpstream(upstream: string): void {
    this.upstreamAddress = parseHostPort(upstream, 'upstream');
    this.upstream = upstream;
  }

  toJSON(): ProxyJson {
    return {
      name: this.name,
      listen: this.listen,
      upstream: this.upstream,
      enabled: this.enabled,
      Logger: {},
      toxics: this.toxics.toJSON(),
      udp: this.udp,
      stats: copyStats(this.stats),
    };
  }
}
