import { createConnection, createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';

/**
 * One load-balanced address in front of Alertmanager nodes, as a TCP balancer without health
 * checks does it: each new connection goes to the next backend in turn and stays there. Prometheus
 * keeps its connection alive, so all of a replica's sends go to one node until that connection
 * breaks; a connection to a backend that refuses is dropped, and the next one tries the next
 * backend. (The classic mistake: Prometheus pointed at one address instead of every node.)
 */
export class RoundRobinBalancer {
  private server: Server | undefined;
  private next = 0;
  private readonly sockets = new Set<Socket>();
  /** Connections per backend index, for the figures. */
  readonly connections: number[];

  constructor(private readonly backends: readonly string[]) {
    this.connections = backends.map(() => 0);
  }

  async start(): Promise<string> {
    const server = createServer((client) => {
      const i = this.next++ % this.backends.length;
      this.connections[i]!++;
      const [host, port] = splitHostPort(this.backends[i]!);
      const upstream = createConnection({ host, port });
      this.track(client);
      this.track(upstream);
      client.pipe(upstream);
      upstream.pipe(client);
      const drop = () => {
        client.destroy();
        upstream.destroy();
      };
      client.on('error', drop);
      upstream.on('error', drop);
      client.on('close', drop);
      upstream.on('close', drop);
    });
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ host: '127.0.0.1', port: 0 }, () => resolve());
    });
    return `127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  private track(s: Socket): void {
    this.sockets.add(s);
    s.on('close', () => this.sockets.delete(s));
  }

  async stop(): Promise<void> {
    const s = this.server;
    this.server = undefined;
    for (const c of this.sockets) c.destroy();
    if (!s) return;
    await new Promise<void>((resolve) => s.close(() => resolve()));
  }
}

function splitHostPort(addr: string): [string, number] {
  const i = addr.lastIndexOf(':');
  return [addr.slice(0, i), Number(addr.slice(i + 1))];
}
