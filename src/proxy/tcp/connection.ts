import type { Socket } from 'node:net';
import type { StreamDirection, TcpDirectionStats } from '../types.js';
import type { Toxic } from '../toxics/toxic.js';
import { TcpLink, type LinkOwner } from './link.js';
import type { SocketReader } from './reader.js';

// How long a graceful close waits for our FIN to be flushed before the socket is destroyed anyway
// (a peer that never reads must not keep a closed connection's memory alive).
const CLOSE_GRACE_MS = 2000;

/**
 * One proxied TCP connection: the client socket, the upstream socket, and a link per direction.
 *
 * Unlike Toxiproxy (which closes both sockets as soon as either direction ends, §7.4 of the reference)
 * this supports half-close: a FIN travels through the toxics like data and only that direction ends,
 * so a client that shuts down its write side still gets the reply. An RST from either side is passed on
 * as an RST (Toxiproxy turns it into FIN).
 */
export class TcpConnection implements LinkOwner {
  private readonly up: TcpLink;
  private readonly down: TcpLink;
  private done = false;
  private closedSockets = 0;

  /** `client` and `server` read through their readers (see reader.ts); `client` is still paused. */
  constructor(
    private readonly client: Socket,
    clientReader: SocketReader,
    private readonly server: Socket,
    serverReader: SocketReader,
    counters: { upstream: TcpDirectionStats; downstream: TcpDirectionStats },
    toxics: { upstream: readonly Toxic[]; downstream: readonly Toxic[] },
    private readonly onClosed: (c: TcpConnection) => void,
  ) {
    this.up = new TcpLink(client, clientReader, server, counters.upstream, this, toxics.upstream);
    this.down = new TcpLink(server, serverReader, client, counters.downstream, this, toxics.downstream);
  }

  start(): void {
    for (const [sock, other] of [
      [this.client, this.server],
      [this.server, this.client],
    ] as const) {
      sock.on('error', (err: NodeJS.ErrnoException) => this.onSocketError(other, err));
      sock.on('close', () => this.onSocketClose(other));
    }
    this.up.start();
    this.down.start();
    this.client.resume();
  }

  link(direction: StreamDirection): TcpLink {
    return direction === 'upstream' ? this.up : this.down;
  }

  private onSocketError(other: Socket, err: NodeJS.ErrnoException): void {
    if (this.done) return;
    this.finish();
    if (err.code === 'ECONNRESET') resetSocket(other);
    else other.destroy();
  }

  private onSocketClose(other: Socket): void {
    this.closedSockets++;
    if (this.closedSockets === 2) {
      this.finish();
      this.onClosed(this);
      return;
    }
    // One side is fully closed without an error (both its directions finished). The other side has
    // then finished too unless it still has queued writes; let it flush, then make sure it goes.
    if (!other.destroyed) {
      const t = setTimeout(() => other.destroy(), CLOSE_GRACE_MS);
      t.unref();
      other.once('close', () => clearTimeout(t));
    }
  }

  /** Stop both links; held data is counted as dropped. */
  private finish(): void {
    if (this.done) return;
    this.done = true;
    this.up.dispose();
    this.down.dispose();
  }

  /** A toxic ended the connection: flush what was already handed to the sockets, send FIN, close. */
  closeGracefully(): void {
    if (this.done) return;
    this.finish();
    for (const sock of [this.client, this.server]) {
      if (sock.destroyed) continue;
      // Keep reading (the disposed links discard it) so unread input does not turn our close into an RST.
      sock.resume();
      sock.end();
      const t = setTimeout(() => sock.destroy(), CLOSE_GRACE_MS);
      t.unref();
      sock.once('finish', () => {
        clearTimeout(t);
        sock.destroy();
      });
    }
  }

  /** reset_peer: RST both sockets now. */
  reset(): void {
    if (this.done) {
      // A removed-but-triggered reset_peer can fire after the connection already ended: nothing to do.
      return;
    }
    this.finish();
    resetSocket(this.client);
    resetSocket(this.server);
  }

  /** The proxy is stopping (disable, delete, listen/upstream change): close at once. */
  destroy(): void {
    this.finish();
    this.client.destroy();
    this.server.destroy();
  }
}

function resetSocket(sock: Socket): void {
  if (sock.destroyed) return;
  try {
    sock.resetAndDestroy();
  } catch {
    sock.destroy();
  }
}
