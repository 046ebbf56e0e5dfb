/**
 * What each toxic does to real TCP traffic through a real proxy. Bounds are generous and one-sided
 * where possible (a 100 ms latency must add at least ~100 ms): these check behaviour, not speed.
 */
import type { Socket } from 'node:net';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ProxyServer } from '../server.js';
import {
  connectTcp,
  portOf,
  readFrom,
  sleep,
  startTcpEcho,
  tcpRoundTrip,
  type TcpEcho,
} from '../../../test/support/proxy/sockets.js';
import type { CreateToxicInput } from '../types.js';

let server: ProxyServer;
let echo: TcpEcho;
let port: number;
const clients: Socket[] = [];

async function setup(onConnection?: (s: Socket) => void): Promise<void> {
  echo = await startTcpEcho(onConnection);
  const p = await server.createProxy({ name: 'p', listen: '127.0.0.1:0', upstream: `127.0.0.1:${echo.port}` });
  port = portOf(p.listen);
}

async function client(): Promise<Socket> {
  const s = await connectTcp(port);
  clients.push(s);
  return s;
}

const add = (t: CreateToxicInput): Promise<unknown> => server.addToxic('p', t);

beforeEach(() => {
  server = new ProxyServer();
});

afterEach(async () => {
  for (const c of clients.splice(0)) c.destroy();
  await server.close();
  await echo?.close();
});

describe('no toxics', () => {
  it('relays both ways and counts bytes per direction', async () => {
    await setup();
    const s = await client();
    expect(await tcpRoundTrip(s, 'hello world')).not.toBeNull();
    const st = server.stats('p');
    expect(st.tcp.upstream).toEqual({ bytes_received: 11, bytes_sent: 11, bytes_dropped: 0 });
    expect(st.tcp.downstream).toEqual({ bytes_received: 11, bytes_sent: 11, bytes_dropped: 0 });
    expect(st.tcp.connections_total).toBe(1);
    expect(st.tcp.connections_active).toBe(1);
    s.end();
    await readFrom(s, { timeoutMs: 2000 });
    // The proxy closes its two sockets once both directions ended; wait for it, not a fixed time.
    const until = Date.now() + 3000;
    while (server.stats('p').tcp.connections_active > 0 && Date.now() < until) await sleep(10);
    expect(server.stats('p').tcp.connections_active).toBe(0);
  });

  it('supports half-close: the reply to a request sent with FIN still arrives (Toxiproxy drops it)', async () => {
    await setup((sock) => {
      const parts: Buffer[] = [];
      sock.on('data', (d) => parts.push(d));
      sock.on('end', () => setTimeout(() => sock.end(Buffer.concat(parts).toString().toUpperCase()), 50));
    });
    const s = await client();
    const got = readFrom(s, { timeoutMs: 3000 });
    s.end('shout');
    const r = await got;
    expect(r.how).toBe('end');
    expect(r.data.toString()).toBe('SHOUT');
  });

  it('passes an RST on as an RST', async () => {
    let serverSide: Socket | undefined;
    await setup((sock) => {
      serverSide = sock;
    });
    const s = await client();
    s.write('x');
    // The proxy has dialled the upstream and relayed the byte (so both sockets are connected).
    const until = Date.now() + 3000;
    while ((serverSide === undefined || server.stats('p').tcp.upstream.bytes_sent < 1) && Date.now() < until) await sleep(10);
    const seen = readFrom(serverSide as Socket, { timeoutMs: 3000 });
    s.resetAndDestroy();
    expect((await seen).how).toBe('reset');
  });

  it('a dead upstream: the client connect succeeds, then the connection closes; counted as failed', async () => {
    const p = await server.createProxy({ name: 'dead', listen: '127.0.0.1:0', upstream: '127.0.0.1:9' });
    echo = await startTcpEcho();
    const s = await connectTcp(portOf(p.listen));
    clients.push(s);
    const r = await readFrom(s, { timeoutMs: 3000 });
    expect(['end', 'reset']).toContain(r.how);
    expect(server.stats('dead').tcp.connections_failed).toBe(1);
  });
});

describe('latency', () => {
  it('downstream latency adds at least its value to each round trip; upstream adds on top', async () => {
    await setup();
    await add({ type: 'latency', stream: 'downstream', attributes: { latency: 120 } });
    const s = await client();
    expect(await tcpRoundTrip(s, 'a')).toBeGreaterThanOrEqual(115);
    await add({ type: 'latency', stream: 'upstream', attributes: { latency: 80 } });
    expect(await tcpRoundTrip(s, 'b')).toBeGreaterThanOrEqual(195);
  });

  it('two latency toxics in one direction add up', async () => {
    await setup();
    await add({ type: 'latency', name: 'l1', attributes: { latency: 100 } });
    await add({ type: 'latency', name: 'l2', attributes: { latency: 60 } });
    const s = await client();
    expect(await tcpRoundTrip(s, 'a')).toBeGreaterThanOrEqual(155);
  });

  it('jitter spreads round trips over latency ± jitter and keeps bytes in order', async () => {
    await setup();
    await add({ type: 'latency', attributes: { latency: 100, jitter: 60 } });
    const s = await client();
    const rtts: number[] = [];
    for (let i = 0; i < 12; i++) rtts.push((await tcpRoundTrip(s, `m${i}`)) ?? -1);
    for (const r of rtts) {
      expect(r).toBeGreaterThanOrEqual(38);
      expect(r).toBeLessThan(1000);
    }
    expect(Math.max(...rtts) - Math.min(...rtts)).toBeGreaterThan(10);
    // Many writes in flight at once still come back in order.
    const got = readFrom(s, { count: 400, timeoutMs: 5000 });
    for (let i = 0; i < 100; i++) s.write(String(i % 10).repeat(4));
    const want = Array.from({ length: 100 }, (_, i) => String(i % 10).repeat(4)).join('');
    expect((await got).data.toString()).toBe(want);
  });

  it('toxicity 0.5 applies to some connections and not others (rolled per connection)', { timeout: 30_000 }, async () => {
    await setup();
    await add({ type: 'latency', toxicity: 0.5, attributes: { latency: 200 } });
    let slow = 0;
    for (let i = 0; i < 24; i++) {
      const s = await client();
      if (((await tcpRoundTrip(s, 'r')) ?? Infinity) >= 195) slow++;
      s.destroy();
    }
    // Binomial(24, 0.5): outside 2..22 with probability < 1e-5.
    expect(slow).toBeGreaterThanOrEqual(2);
    expect(slow).toBeLessThanOrEqual(22);
  });

  it('toxicity 0 never applies', async () => {
    await setup();
    // Faster than the toxic's latency means it did not apply (a long one: a loaded machine is slow too).
    await add({ type: 'latency', toxicity: 0, attributes: { latency: 2000 } });
    const s = await client();
    expect((await tcpRoundTrip(s, 'a')) ?? Infinity).toBeLessThan(2000);
  });
});

describe('bandwidth', () => {
  it('limits a link to rate KB/s (50 KB at 100 KB/s takes about half a second)', async () => {
    await setup();
    await add({ type: 'bandwidth', stream: 'upstream', attributes: { rate: 100 } });
    const s = await client();
    const got = readFrom(s, { count: 50_000, timeoutMs: 10_000 });
    s.write(Buffer.alloc(50_000, 7));
    const r = await got;
    expect(r.how).toBe('count');
    expect(r.elapsedMs).toBeGreaterThanOrEqual(450);
  });
});

describe('slow_close', () => {
  it('delays the FIN by `delay` ms', async () => {
    await setup((sock) => sock.end('bye'));
    await add({ type: 'slow_close', attributes: { delay: 300 } });
    const s = await client();
    const r = await readFrom(s, { timeoutMs: 5000 });
    expect(r.data.toString()).toBe('bye');
    expect(r.how).toBe('end');
    expect(r.elapsedMs).toBeGreaterThanOrEqual(280);
  });
});

describe('timeout', () => {
  it('timeout 0 drops data and keeps the connection open; removing it closes the connection', async () => {
    await setup();
    await add({ type: 'timeout', name: 'cut', stream: 'upstream', attributes: { timeout: 0 } });
    const s = await client();
    const r = readFrom(s, { timeoutMs: 400 });
    s.write('lost');
    expect((await r).how).toBe('timeout');
    expect((await r).data.length).toBe(0);
    // Counted when the proxy reads them, which a descheduled worker may do after the read window.
    await vi.waitFor(() => expect(server.stats('p').tcp.upstream.bytes_dropped).toBe(4), { timeout: 5_000, interval: 10 });
    expect(server.stats('p').tcp.upstream.bytes_sent).toBe(0);
    const closing = readFrom(s, { timeoutMs: 3000 });
    await server.removeToxic('p', 'cut');
    expect((await closing).how).toBe('end');
  });

  it('timeout > 0 closes the connection after that long without data', async () => {
    await setup();
    await add({ type: 'timeout', attributes: { timeout: 200 } });
    const s = await client();
    s.write('ping');
    const r = await readFrom(s, { timeoutMs: 5000 });
    expect(r.how).toBe('end');
    expect(r.data.length).toBe(0);
    expect(r.elapsedMs).toBeGreaterThanOrEqual(150);
  });
});

describe('reset_peer', () => {
  it('resets the connection (ECONNRESET) once data arrives', async () => {
    await setup();
    await add({ type: 'reset_peer', stream: 'upstream', attributes: { timeout: 0 } });
    const s = await client();
    const r = readFrom(s, { timeoutMs: 3000 });
    s.write('x');
    expect((await r).how).toBe('reset');
  });

  it('does nothing while no data flows in its direction', async () => {
    await setup();
    await add({ type: 'reset_peer', stream: 'upstream', attributes: { timeout: 0 } });
    const s = await client();
    expect((await readFrom(s, { timeoutMs: 300 })).how).toBe('timeout');
  });
});

describe('slicer', () => {
  it('delivers the bytes intact in many small pieces', async () => {
    const reads: number[] = [];
    await setup((sock) => sock.on('data', (d) => reads.push(d.length)));
    await add({ type: 'slicer', stream: 'upstream', attributes: { average_size: 10, size_variation: 3, delay: 2000 } });
    const s = await client();
    s.write(Buffer.alloc(200, 1));
    // About 20 slices 2 ms apart; wait for all of them rather than a fixed time (a loaded machine
    // stretches timers).
    const total = (): number => reads.reduce((a, b) => a + b, 0);
    const until = Date.now() + 5000;
    while (total() < 200 && Date.now() < until) await sleep(20);
    await sleep(50); // nothing more may follow
    expect(total()).toBe(200);
    expect(reads.length).toBeGreaterThanOrEqual(5);
    expect(Math.max(...reads)).toBeLessThan(200);
  });

  it('average_size 1 with no variation slices to single bytes and does not crash', async () => {
    await setup();
    await add({ type: 'slicer', attributes: { average_size: 1, size_variation: 0, delay: 0 } });
    const s = await client();
    const r = readFrom(s, { count: 1000, timeoutMs: 5000 });
    s.write(Buffer.alloc(1000, 2));
    expect((await r).how).toBe('count');
  });
});

describe('limit_data', () => {
  it('lets N bytes through, then closes', async () => {
    await setup();
    await add({ type: 'limit_data', attributes: { bytes: 10 } });
    const s = await client();
    const r = readFrom(s, { timeoutMs: 3000 });
    s.write('0123456');
    await sleep(50);
    s.write('789abcdef');
    const got = await r;
    expect(got.data.toString()).toBe('0123456789');
    expect(got.how).toBe('end');
    expect(server.stats('p').tcp.downstream.bytes_dropped).toBe(6);
  });

  it('bytes 0 closes on the first data, not at once', async () => {
    await setup();
    await add({ type: 'limit_data', stream: 'upstream', attributes: { bytes: 0 } });
    const s = await client();
    expect((await readFrom(s, { timeoutMs: 300 })).how).toBe('timeout');
    const r = readFrom(s, { timeoutMs: 3000 });
    s.write('x');
    expect((await r).how).toBe('end');
  });
});

describe('blackhole (extension) and noop', () => {
  it('blackhole drops every byte in its direction', async () => {
    await setup();
    await add({ type: 'blackhole', stream: 'downstream' });
    const s = await client();
    const r = readFrom(s, { timeoutMs: 300 });
    s.write('abc');
    expect((await r).data.length).toBe(0);
    // The echo's answer reaches the blackhole when it does: wait for it to be counted as dropped.
    await vi.waitFor(() => expect(server.stats('p').tcp.downstream.bytes_dropped).toBe(3), { timeout: 5_000, interval: 10 });
    const st = server.stats('p').tcp;
    expect(st.upstream.bytes_sent).toBe(3);
    expect(st.downstream.bytes_sent).toBe(0);
  });

  it('noop passes everything', async () => {
    await setup();
    await add({ type: 'noop' });
    const s = await client();
    expect(await tcpRoundTrip(s, 'same')).not.toBeNull();
  });

  it('a UDP-only toxic (loss) leaves TCP alone; transport tcp applies to TCP', async () => {
    await setup();
    await add({ type: 'loss', attributes: { probability: 1 } });
    const s = await client();
    expect(await tcpRoundTrip(s, 'tcp is not lossy')).not.toBeNull();
    await add({ type: 'latency', transport: 'tcp', attributes: { latency: 100 } });
    expect(await tcpRoundTrip(s, 'now slow')).toBeGreaterThanOrEqual(95);
  });
});
