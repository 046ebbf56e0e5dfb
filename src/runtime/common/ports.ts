import { createSocket } from 'node:dgram';
import { createServer } from 'node:net';

/**
 * Hands out loopback ports that were free a moment ago. There is always a window between closing
 * our probe socket and the node binding it; runtimes detect a lost race from the node's log
 * ("address already in use") and retry with fresh ports. Ports handed out in this process are
 * never handed out twice, so two nodes of one run cannot race each other.
 */
const handedOut = new Set<number>();

function probeTcp(host: string, port: number): Promise<number | undefined> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.once('error', () => resolve(undefined));
    srv.listen({ host, port, exclusive: true }, () => {
      const p = (srv.address() as { port: number }).port;
      srv.close(() => resolve(p));
    });
  });
}

function probeUdp(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createSocket('udp4');
    s.once('error', () => {
      s.close();
      resolve(false);
    });
    s.bind({ address: host, port, exclusive: true }, () => s.close(() => resolve(true)));
  });
}

/** A TCP port (and, with `udp`, the same UDP port: memberlist binds both) free on `host`. */
export async function freePort(host = '127.0.0.1', opts: { udp?: boolean } = {}): Promise<number> {
  for (let attempt = 0; attempt < 200; attempt++) {
    const port = await probeTcp(host, 0);
    if (port === undefined || handedOut.has(port)) continue;
    if (opts.udp && !(await probeUdp(host, port))) continue;
    handedOut.add(port);
    return port;
  }
  throw new Error(`no free port on ${host} after 200 attempts`);
}

/** Returns a port to the pool (after the node that used it has exited). */
export function releasePort(port: number): void {
  handedOut.delete(port);
}

/** True if something is listening on host:port (TCP), i.e. binding it would fail. */
export async function portInUse(host: string, port: number): Promise<boolean> {
  return (await probeTcp(host, port)) === undefined;
}
