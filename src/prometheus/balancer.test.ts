import { createConnection, createServer, type Server } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { RoundRobinBalancer } from './balancer.js';

/** A TCP server answering every connection with its name. */
async function named(name: string): Promise<{ server: Server; addr: string }> {
  const server = createServer((s) => s.end(name));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, addr: `127.0.0.1:${(server.address() as { port: number }).port}` };
}

function ask(addr: string): Promise<string> {
  const [host, port] = [addr.slice(0, addr.lastIndexOf(':')), Number(addr.slice(addr.lastIndexOf(':') + 1))];
  return new Promise((resolve) => {
    const s = createConnection({ host, port });
    let got = '';
    s.on('data', (d) => (got += d.toString()));
    s.on('close', () => resolve(got));
    s.on('error', () => resolve(got));
  });
}

const open: { stop(): Promise<void> }[] = [];
afterAll(async () => {
  for (const o of open) await o.stop();
});

describe('RoundRobinBalancer: one address in front of several nodes, no health checks', () => {
  it('each connection goes to the next backend; one to a backend that is gone is dropped, and the next goes on', async () => {
    const a = await named('a');
    const b = await named('b');
    open.push({ stop: () => new Promise<void>((r) => a.server.close(() => r())) }, { stop: () => new Promise<void>((r) => b.server.close(() => r())) });
    const lb = new RoundRobinBalancer([a.addr, b.addr]);
    open.push(lb);
    const addr = await lb.start();
    expect([await ask(addr), await ask(addr), await ask(addr)]).toEqual(['a', 'b', 'a']);
    await new Promise<void>((r) => a.server.close(() => r()));
    // The balancer does not know a is gone: that connection is dropped (nothing answers), the next reaches b.
    expect(await ask(addr)).toBe('b');
    expect(await ask(addr)).toBe('');
    expect(await ask(addr)).toBe('b');
    expect(lb.connections).toEqual([3, 3]);
  });
});
