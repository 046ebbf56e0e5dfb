/**
 * UDP relaying on the proxy's TCP listen address: datagrams both ways, per-client upstream sockets,
 * per-direction toxics, enable/disable, idle expiry, and the counters a harness uses to prove a cut.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ProxyServer } from '../server.js';
import {
  connectTcp,
  portOf,
  sleep,
  startTcpEcho,
  startUdpEcho,
  tcpRoundTrip,
  udpClient,
  type TcpEcho,
  type UdpClient,
  type UdpEcho,
} from '../../../test/support/proxy/sockets.js';

let server: ProxyServer;
let udpEcho: UdpEcho;
let tcpEcho: TcpEcho | undefined;
let port: number;
const closers: (() => Promise<void>)[] = [];

async function setup(opts: { idleMs?: number; sharedPort?: boolean } = {}): Promise<void> {
  server = new ProxyServer(opts.idleMs === undefined ? {} : { udpIdleTimeoutMs: opts.idleMs });
  if (opts.sharedPort) {
    // A real memberlist node: TCP and UDP on one port.
    tcpEcho = await startTcpEcho();
    udpEcho = await startUdpEcho(tcpEcho.port);
  } else {
    udpEcho = await startUdpEcho();
  }
  const p = await server.createProxy({ name: 'u', listen: '127.0.0.1:0', upstream: `127.0.0.1:${udpEcho.port}`, udp: true });
  port = portOf(p.listen);
}

async function client(): Promise<UdpClient> {
  const c = await udpClient();
  closers.push(() => c.close());
  return c;
}

beforeEach(() => {
  tcpEcho = undefined;
});
afterEach(async () => {
  for (const c of closers.splice(0)) await c();
  await server.close();
  await udpEcho.close();
  await tcpEcho?.close();
});

describe('relaying', () => {
  it('relays datagrams both ways on the same host:port as TCP, and TCP still works', async () => {
    await setup({ sharedPort: true });
    const c = await client();
    c.send('ping', port);
    expect(await c.waitFor(1, 2000)).toBe(1);
    expect(c.inbox[0]?.data.toString()).toBe('ping');
    // The reply comes from the proxy's listen address, which is what the client sent to.
    expect(c.inbox[0]?.from.port).toBe(port);
    const s = await connectTcp(port);
    expect(await tcpRoundTrip(s, 'tcp too')).not.toBeNull();
    s.destroy();
    const st = server.stats('u').udp;
    expect(st.upstream).toMatchObject({ packets_received: 1, packets_sent: 1, packets_dropped: 0, bytes_sent: 4 });
    expect(st.downstream).toMatchObject({ packets_received: 1, packets_sent: 1, packets_dropped: 0 });
    expect(st.sessions_active).toBe(1);
  });

  it('each client address gets its own upstream socket, and replies go back to the right client', async () => {
    await setup();
    const a = await client();
    const b = await client();
    for (let i = 0; i < 5; i++) {
      a.send(`a${i}`, port);
      b.send(`b${i}`, port);
    }
    expect(await a.waitFor(5, 2000)).toBe(5);
    expect(await b.waitFor(5, 2000)).toBe(5);
    expect(a.inbox.every((m) => m.data.toString().startsWith('a'))).toBe(true);
    expect(b.inbox.every((m) => m.data.toString().startsWith('b'))).toBe(true);
    // The upstream sees two stable source ports, neither of them a client's own port.
    const sources = new Set(udpEcho.received.map((r) => r.from.port));
    expect(sources.size).toBe(2);
    expect(sources.has(a.port)).toBe(false);
    expect(sources.has(b.port)).toBe(false);
    expect(server.stats('u').udp.sessions_total).toBe(2);
  });

  it('a proxy without udp:true relays no UDP', async () => {
    await setup();
    const p = await server.createProxy({ name: 'tcponly', listen: '127.0.0.1:0', upstream: `127.0.0.1:${udpEcho.port}` });
    const c = await client();
    c.send('nobody', portOf(p.listen));
    expect(await c.waitFor(1, 300)).toBe(0);
    expect(udpEcho.received).toHaveLength(0);
  });

  it('idle mappings expire: the next datagram gets a new upstream socket', async () => {
    await setup({ idleMs: 150 });
    const c = await client();
    c.send('1', port);
    await c.waitFor(1, 2000);
    // The mapping expires on its own timer (150 ms idle): wait for it rather than for a fixed 500 ms.
    await vi.waitFor(() => expect(server.stats('u').udp.sessions_active).toBe(0), { timeout: 5_000, interval: 20 });
    c.send('2', port);
    expect(await c.waitFor(2, 2000)).toBe(2);
    expect(server.stats('u').udp.sessions_total).toBe(2);
    expect(new Set(udpEcho.received.map((r) => r.from.port)).size).toBe(2);
  });
});

describe('UDP toxics', () => {
  it('latency delays each direction; both add up', async () => {
    await setup();
    const c = await client();
    await server.addToxic('u', { type: 'latency', stream: 'upstream', attributes: { latency: 100 } });
    await server.addToxic('u', { type: 'latency', stream: 'downstream', attributes: { latency: 50 } });
    const t0 = performance.now();
    c.send('slow', port);
    expect(await c.waitFor(1, 3000)).toBe(1);
    expect((c.inbox[0]?.at ?? 0) - t0).toBeGreaterThanOrEqual(145);
  });

  it('loss with probability 1 drops everything; 0.5 drops some but not all', async () => {
    await setup();
    const c = await client();
    await server.addToxic('u', { type: 'loss', name: 'loss', stream: 'upstream', attributes: { probability: 1 } });
    for (let i = 0; i < 20; i++) c.send(`x${i}`, port);
    // Counted as the proxy reads them: wait for all 20 (not a fixed window), then none came back.
    await vi.waitFor(() => expect(server.stats('u').udp.upstream).toMatchObject({ packets_received: 20, packets_sent: 0, packets_dropped: 20 }), { timeout: 5_000, interval: 10 });
    expect(c.inbox).toHaveLength(0);
    await server.updateToxic('u', 'loss', { attributes: { probability: 0.5 } });
    for (let i = 0; i < 400; i++) c.send(`y${i}`, port);
    // Every datagram read by the proxy, then the echoes in: wait until the inbox holds still (a
    // fixed 700 ms counted a loaded machine's late echoes as lost).
    await vi.waitFor(() => expect(server.stats('u').udp.upstream.packets_received).toBe(420), { timeout: 10_000, interval: 10 });
    let last = -1;
    let still = 0;
    await vi.waitFor(
      () => {
        still = c.inbox.length === last ? still + 1 : 0;
        last = c.inbox.length;
        expect(still).toBeGreaterThanOrEqual(3);
      },
      { timeout: 10_000, interval: 100 },
    );
    expect(c.inbox.length).toBeGreaterThan(80);
    expect(c.inbox.length).toBeLessThan(320);
  });

  it('blackhole downstream: the upstream gets the datagrams, the client gets no reply', async () => {
    await setup();
    const c = await client();
    await server.addToxic('u', { type: 'blackhole', stream: 'downstream' });
    for (let i = 0; i < 5; i++) c.send('q', port);
    // Wait for the five echoes to reach the blackhole (a fixed 300 ms raced them), then none came back.
    await vi.waitFor(() => expect(server.stats('u').udp.downstream).toMatchObject({ packets_received: 5, packets_sent: 0, packets_dropped: 5 }), { timeout: 5_000, interval: 10 });
    expect(udpEcho.received).toHaveLength(5);
    expect(c.inbox).toHaveLength(0);
  });

  it('timeout drops every datagram on UDP (there is no connection to close)', async () => {
    await setup();
    const c = await client();
    await server.addToxic('u', { type: 'timeout', name: 'to', stream: 'upstream', attributes: { timeout: 100 } });
    c.send('gone', port);
    await sleep(300);
    expect(udpEcho.received).toHaveLength(0);
    await server.removeToxic('u', 'to');
    c.send('back', port);
    expect(await c.waitFor(1, 2000)).toBe(1);
  });

  it('transport selects TCP or UDP: a tcp-only blackhole lets UDP through, a udp-only one lets TCP through', async () => {
    await setup({ sharedPort: true });
    const c = await client();
    await server.addToxic('u', { type: 'blackhole', name: 'tcpcut', stream: 'upstream', transport: 'tcp' });
    c.send('udp ok', port);
    expect(await c.waitFor(1, 2000)).toBe(1);
    const s = await connectTcp(port);
    expect(await tcpRoundTrip(s, 'tcp cut', 300)).toBeNull();
    s.destroy();
    await server.removeToxic('u', 'tcpcut');
    await server.addToxic('u', { type: 'blackhole', name: 'udpcut', stream: 'upstream', transport: 'udp' });
    c.send('udp cut', port);
    expect(await c.waitFor(2, 300)).toBe(1);
    const s2 = await connectTcp(port);
    expect(await tcpRoundTrip(s2, 'tcp ok')).not.toBeNull();
    s2.destroy();
  });

  it('toxicity 0 never applies to datagrams', async () => {
    await setup();
    const c = await client();
    await server.addToxic('u', { type: 'blackhole', stream: 'upstream', toxicity: 0 });
    c.send('through', port);
    expect(await c.waitFor(1, 2000)).toBe(1);
  });
});

describe('enable, disable, toggling udp', () => {
  it('disabled: nothing is relayed; re-enabled: relaying resumes on the same port', async () => {
    await setup();
    const c = await client();
    await server.updateProxy('u', { enabled: false });
    c.send('off', port);
    await sleep(200);
    expect(udpEcho.received).toHaveLength(0);
    await server.updateProxy('u', { enabled: true });
    c.send('on', port);
    expect(await c.waitFor(1, 2000)).toBe(1);
    expect(c.inbox[0]?.data.toString()).toBe('on');
  });

  it('udp can be switched off and on without touching TCP connections', async () => {
    await setup({ sharedPort: true });
    const s = await connectTcp(port);
    const c = await client();
    const p = await server.updateProxy('u', { udp: false });
    expect(p.udp).toBe(false);
    c.send('nope', port);
    await sleep(200);
    expect(c.inbox).toHaveLength(0);
    await server.updateProxy('u', { udp: true });
    c.send('yes', port);
    expect(await c.waitFor(1, 2000)).toBe(1);
    expect(await tcpRoundTrip(s, 'still open')).not.toBeNull();
    s.destroy();
  });
});
