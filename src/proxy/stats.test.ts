/** Counters as the harness uses them: snapshots, deltas, and proving a cut and its removal. */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ProxyServer, statsDelta } from './index.js';
import { connectTcp, portOf, startTcpEcho, startUdpEcho, tcpRoundTrip, udpClient, type TcpEcho, type UdpEcho } from '../../test/support/proxy/sockets.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

describe('statsDelta', () => {
  it('subtracts counters and keeps gauges', () => {
    const a = { tcp: { connections_total: 1, connections_active: 1, connections_failed: 0, upstream: { bytes_received: 10, bytes_sent: 10, bytes_dropped: 0 }, downstream: { bytes_received: 5, bytes_sent: 5, bytes_dropped: 0 } }, udp: { sessions_total: 0, sessions_active: 0, upstream: { packets_received: 0, packets_sent: 0, packets_dropped: 0, bytes_received: 0, bytes_sent: 0, bytes_dropped: 0 }, downstream: { packets_received: 0, packets_sent: 0, packets_dropped: 0, bytes_received: 0, bytes_sent: 0, bytes_dropped: 0 } } };
    const b = structuredClone(a);
    b.tcp.connections_total = 3;
    b.tcp.connections_active = 2;
    b.tcp.upstream.bytes_received = 25;
    const d = statsDelta(a, b);
    expect(d.tcp.connections_total).toBe(2);
    expect(d.tcp.connections_active).toBe(2);
    expect(d.tcp.upstream).toEqual({ bytes_received: 15, bytes_sent: 0, bytes_dropped: 0 });
  });
});

describe('proving a cut with counters', () => {
  it('during a blackhole on both transports nothing is sent while traffic is offered; after removal it flows', async () => {
    const tcp: TcpEcho = await startTcpEcho();
    const udp: UdpEcho = await startUdpEcho(tcp.port);
    const server = new ProxyServer();
    cleanups.push(() => tcp.close(), () => udp.close(), () => server.close());
    const p = await server.createProxy({ name: 'i->j', listen: '127.0.0.1:0', upstream: `127.0.0.1:${tcp.port}`, udp: true });
    const port = portOf(p.listen);
    const s = await connectTcp(port);
    cleanups.push(async () => void s.destroy());
    const c = await udpClient();
    cleanups.push(() => c.close());

    await server.addToxic('i->j', { type: 'blackhole', name: 'cut', stream: 'upstream' });
    const before = server.stats('i->j');
    s.write('tcp offered');
    for (let i = 0; i < 10; i++) c.send('udp offered', port);
    // Offered = read by the proxy: wait until it has read all of it (a fixed 300 ms raced the
    // reads), then nothing of it may have been sent on.
    await vi.waitFor(() => {
      const d = statsDelta(before, server.stats('i->j'));
      expect([d.tcp.upstream.bytes_received, d.udp.upstream.packets_received]).toEqual([11, 10]);
    }, { timeout: 5_000, interval: 10 });
    const cut = statsDelta(before, server.stats('i->j'));
    expect(cut.tcp.upstream.bytes_sent).toBe(0);
    expect(cut.udp.upstream.packets_sent).toBe(0);

    await server.removeToxic('i->j', 'cut');
    const healed0 = server.stats('i->j');
    const s2 = await connectTcp(port);
    cleanups.push(async () => void s2.destroy());
    expect(await tcpRoundTrip(s2, 'tcp again')).not.toBeNull();
    c.send('udp again', port);
    expect(await c.waitFor(1, 2000)).toBe(1);
    const healed = statsDelta(healed0, server.stats('i->j'));
    expect(healed.tcp.upstream.bytes_sent).toBe(9);
    expect(healed.udp.upstream.packets_sent).toBe(1);
    expect(Object.keys(server.allStats())).toEqual(['i->j']);
  });
});
