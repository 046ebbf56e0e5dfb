import net, { type Socket } from 'node:net';
import type { HostPort } from '../address.js';
import { formatHostPort } from '../address.js';
import { proxyError } from '../errors.js';
import type { Toxic } from '../toxics/toxic.js';
import type { ProxyStats, StreamDirection } from '../types.js';
import { TcpConnection } from './connection.js';
import { adoptAccepted, SocketReader } from './reader.js';

/** What the TCP side needs from its proxy. Read on every accept, so changes apply to new connections. */
export interface TcpProxyContext {
  readonly upstreamAddress: HostPort;
  readonly stats: ProxyStats;
  tcpToxics(direction: StreamDirection): readonly Toxic[];
}

// Toxiproxy dials with no timeout, inside its accept loop, so one blackholed upstream stalls every later
// client (§7.1). Here each dial is independent and gives up after this long.
const DIAL_TIMEOUT_MS = 10_000;

/** The TCP listener of one proxy and the connections it accepted. */
export class TcpListener {
  private readonly server: net.Server;
  private readonly connections = new Set<TcpConnection>();
  private readonly dialing = new Set<{ client: Socket; upstream: Socket }>();
  private closed = false;

  constructor(private readonly ctx: TcpProxyContext) {
    this.server = net.createServer({ allowHalfOpen: true, pauseOnConnect: true, noDelay: true }, (client) =>
      this.accept(client),
    );
  }

  /** Binds and returns the real port. Errors are 500s, as in Toxiproxy (they are the OS's, not the request's). */
  listen(host: string, port: number): Promise<number> {
    return new Promise((resolve, reject) => {
      const onError = (err: NodeJS.ErrnoException): void => {
        const where = formatHostPort(host, port);
        const why = err.code === 'EADDRINUSE' ? 'bind: address already in use' : err.message;
        reject(
          proxyError(500, `listen tcp ${where}: ${why}`, {
            ...(err.code === 'EADDRINUSE' ? { code: 'AMCHAOS_PORT_IN_USE' as const } : {}),
            hint: err.code === 'EADDRINUSE' ? 'pick another port, or 0 for an ephemeral one' : 'check the listen address',
            cause: err,
          }),
        );
      };
      this.server.once('error', onError);
      this.server.listen({ host, port, exclusive: true }, () => {
        this.server.off('error', onError);
        // After listening, accept errors (EMFILE...) must not crash the process; the client just fails.
        this.server.on('error', () => {});
        const addr = this.server.address();
        resolve(typeof addr === 'object' && addr !== null ? addr.port : port);
      });
    });
  }

  private accept(accepted: Socket): void {
    const { stats } = this.ctx;
    stats.tcp.connections_total++;
    stats.tcp.connections_active++;
    if (this.closed) {
      accepted.destroy();
      stats.tcp.connections_active--;
      return;
    }
    const clientReader = new SocketReader();
    const client = adoptAccepted(accepted, clientReader, true);
    const upstreamReader = new SocketReader();
    const { host, port } = this.ctx.upstreamAddress;
    const upstream = net.connect({ host, port, noDelay: true, allowHalfOpen: true, onread: upstreamReader.onread });
    const pending = { client, upstream };
    this.dialing.add(pending);
    upstream.setTimeout(DIAL_TIMEOUT_MS, () => upstream.destroy(new Error(`dial ${host}:${port} timed out`)));

    const cleanupDial = (): void => {
      this.dialing.delete(pending);
      upstream.setTimeout(0);
      upstream.off('connect', onConnect);
      upstream.off('error', onDialError);
      client.off('error', onClientGone);
      client.off('close', onClientGone);
    };
    const onConnect = (): void => {
      cleanupDial();
      const conn = new TcpConnection(
        client,
        clientReader,
        upstream,
        upstreamReader,
        stats.tcp,
        { upstream: this.ctx.tcpToxics('upstream'), downstream: this.ctx.tcpToxics('downstream') },
        (c) => {
          this.connections.delete(c);
          stats.tcp.connections_active--;
        },
      );
      this.connections.add(conn);
      conn.start();
    };
    // As in Toxiproxy the client's connect already succeeded (the kernel accepted it); a failed dial
    // closes it, so the client sees EOF rather than ECONNREFUSED.
    const onDialError = (): void => {
      cleanupDial();
      stats.tcp.connections_failed++;
      stats.tcp.connections_active--;
      upstream.destroy();
      client.destroy();
    };
    const onClientGone = (): void => {
      cleanupDial();
      stats.tcp.connections_active--;
      upstream.destroy();
      client.destroy();
    };
    upstream.once('connect', onConnect);
    upstream.once('error', onDialError);
    client.once('error', onClientGone);
    client.once('close', onClientGone);
  }

  forEachConnection(fn: (c: TcpConnection) => void): void {
    for (const c of this.connections) fn(c);
  }

  /** Close the listener and every connection (Toxiproxy's stop). Synchronous: the port is released by return. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.server.close();
    for (const c of [...this.connections]) c.destroy();
    for (const { client, upstream } of [...this.dialing]) {
      upstream.destroy();
      client.destroy();
    }
  }
}
