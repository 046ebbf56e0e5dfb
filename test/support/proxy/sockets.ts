/**
 * Real-socket helpers for the link proxy's tests (the *.test.ts files under src/proxy): loopback echo
 * servers (TCP and UDP), a TCP connect, and small readers that say how reading stopped.
 */
import dgram, { type RemoteInfo } from 'node:dgram';
import net, { type Socket } from 'node:net';
import { performance } from 'node:perf_hooks';

export interface TcpEcho {
  port: number;
  /** Every accepted server-side socket, in order. */
  sockets: Socket[];
  close(): Promise<void>;
}

/** A TCP server on 127.0.0.1:0 that echoes (or calls `onConnection` instead). Half-close aware. */
export function startTcpEcho(onConnection?: (s: Socket) => void): Promise<TcpEcho> {
  const sockets: Socket[] = [];
  const server = net.createServer({ allowHalfOpen: true, noDelay: true }, (s) => {
    sockets.push(s);
    s.on('error', () => {});
    if (onConnection) onConnection(s);
    else {
      s.on('data', (d) => s.write(d));
      s.on('end', () => s.end());
    }
  });
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as net.AddressInfo).port;
      resolve({
        port,
        sockets,
        close: () =>
          new Promise<void>((r) => {
            for (const s of sockets) s.destroy();
            server.close(() => r());
          }),
      });
    });
  });
}

export interface UdpEcho {
  port: number;
  /** Source address of every datagram received. */
  received: { data: Buffer; from: RemoteInfo }[];
  /** When false, datagrams are recorded but not answered. */
  reply: boolean;
  close(): Promise<void>;
}

export function startUdpEcho(port = 0): Promise<UdpEcho> {
  const sock = dgram.createSocket('udp4');
  const echo: UdpEcho = {
    port: 0,
    received: [],
    reply: true,
    close: () => new Promise<void>((r) => sock.close(() => r())),
  };
  sock.on('message', (data, from) => {
    echo.received.push({ data, from });
    if (echo.reply) sock.send(data, from.port, from.address);
  });
  return new Promise((resolve, reject) => {
    sock.once('error', reject);
    sock.bind(port, '127.0.0.1', () => {
      echo.port = sock.address().port;
      resolve(echo);
    });
  });
}

export function connectTcp(port: number, host = '127.0.0.1'): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ port, host, noDelay: true, allowHalfOpen: true });
    s.once('connect', () => {
      s.off('error', reject);
      resolve(s);
    });
    s.once('error', reject);
  });
}

export interface ReadResult {
  data: Buffer;
  /** How reading stopped. */
  how: 'count' | 'end' | 'reset' | 'error' | 'timeout';
  /** ms from the call until it stopped. */
  elapsedMs: number;
  /** Socket reads seen (how the bytes were split). */
  reads: number;
}

/**
 * Reads until `count` bytes arrived (if given), EOF, an error, or `timeoutMs`. Leaves the socket
 * paused-free and listener-free afterwards.
 */
export function readFrom(s: Socket, opts: { count?: number; timeoutMs: number }): Promise<ReadResult> {
  const start = performance.now();
  return new Promise((resolve) => {
    const parts: Buffer[] = [];
    let size = 0;
    let reads = 0;
    const finish = (how: ReadResult['how']): void => {
      clearTimeout(timer);
      s.off('data', onData);
      s.off('end', onEnd);
      s.off('error', onError);
      s.off('close', onClose);
      resolve({ data: Buffer.concat(parts), how, elapsedMs: performance.now() - start, reads });
    };
    const onData = (d: Buffer): void => {
      parts.push(d);
      size += d.length;
      reads++;
      if (opts.count !== undefined && size >= opts.count) finish('count');
    };
    const onEnd = (): void => finish('end');
    const onError = (e: NodeJS.ErrnoException): void => finish(e.code === 'ECONNRESET' ? 'reset' : 'error');
    const onClose = (): void => finish('end');
    const timer = setTimeout(() => finish('timeout'), opts.timeoutMs);
    s.on('data', onData);
    s.once('end', onEnd);
    s.once('error', onError);
    s.once('close', onClose);
  });
}

/** Write `msg` and wait for as many bytes back; returns the round trip in ms (or null on timeout). */
export async function tcpRoundTrip(s: Socket, msg: Buffer | string, timeoutMs = 5000): Promise<number | null> {
  const buf = typeof msg === 'string' ? Buffer.from(msg) : msg;
  const start = performance.now();
  const done = readFrom(s, { count: buf.length, timeoutMs });
  s.write(buf);
  const r = await done;
  return r.how === 'count' ? performance.now() - start : null;
}

export interface UdpClient {
  sock: dgram.Socket;
  port: number;
  /** Datagrams received, with arrival time. */
  inbox: { data: Buffer; from: RemoteInfo; at: number }[];
  send(data: Buffer | string, port: number): void;
  /** Wait until `n` datagrams are in the inbox or the timeout passes; returns the inbox length. */
  waitFor(n: number, timeoutMs: number): Promise<number>;
  close(): Promise<void>;
}

export function udpClient(): Promise<UdpClient> {
  const sock = dgram.createSocket('udp4');
  const inbox: UdpClient['inbox'] = [];
  sock.on('message', (data, from) => inbox.push({ data, from, at: performance.now() }));
  return new Promise((resolve) => {
    sock.bind(0, '127.0.0.1', () => {
      resolve({
        sock,
        port: sock.address().port,
        inbox,
        send: (data, port) => sock.send(typeof data === 'string' ? Buffer.from(data) : data, port, '127.0.0.1'),
        waitFor: async (n, timeoutMs) => {
          const until = performance.now() + timeoutMs;
          while (inbox.length < n && performance.now() < until) await sleep(5);
          return inbox.length;
        },
        close: () => new Promise<void>((r) => sock.close(() => r())),
      });
    });
  });
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Port of a `host:port` listen string. */
export function portOf(listen: string): number {
  return Number(listen.slice(listen.lastIndexOf(':') + 1));
}
