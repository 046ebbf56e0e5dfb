/**
 * Toxics added, updated and removed while connections are open: they must take effect on those
 * connections, and switching between the no-toxic fast path and the toxic chain must never lose,
 * duplicate or reorder a byte.
 */
import { randomBytes } from 'node:crypto';
import net, { type Socket } from 'node:net';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ProxyServer } from '../server.js';
import { connectTcp, portOf, readFrom, sleep, startTcpEcho, tcpRoundTrip, type TcpEcho } from '../../../test/support/proxy/sockets.js';

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

beforeEach(() => {
  server = new ProxyServer();
});
afterEach(async () => {
  for (const c of clients.splice(0)) c.destroy();
  await server.close();
  await echo?.close();
});

describe('toxics on live connections', () => {
  it('latency added mid-connection applies to the next round trip; removing it restores', async () => {
    // "Without the toxic" means: faster than the toxic's latency. A 1 s latency keeps that apart from
    // a loaded machine's slow round trip (a 250 ms bound failed when the worker was descheduled).
    const LATENCY = 1000;
    await setup();
    const s = await client();
    expect((await tcpRoundTrip(s, 'before')) ?? Infinity).toBeLessThan(LATENCY);
    await server.addToxic('p', { type: 'latency', name: 'l', attributes: { latency: LATENCY } });
    expect(await tcpRoundTrip(s, 'during')).toBeGreaterThanOrEqual(LATENCY - 10);
    await server.updateToxic('p', 'l', { attributes: { latency: 0 } });
    expect((await tcpRoundTrip(s, 'updated')) ?? Infinity).toBeLessThan(LATENCY);
    await server.updateToxic('p', 'l', { attributes: { latency: LATENCY } });
    expect(await tcpRoundTrip(s, 'again')).toBeGreaterThanOrEqual(LATENCY - 10);
    await server.removeToxic('p', 'l');
    expect((await tcpRoundTrip(s, 'after')) ?? Infinity).toBeLessThan(LATENCY);
  });

  it('removing a latency toxic flushes what it holds at once, in order', async () => {
    await setup();
    const s = await client();
    await server.addToxic('p', { type: 'latency', name: 'l', attributes: { latency: 5000 } });
    const got = readFrom(s, { count: 6, timeoutMs: 4000 });
    s.write('abc');
    await sleep(100);
    s.write('def');
    await sleep(100);
    await server.removeToxic('p', 'l');
    const r = await got;
    expect(r.how).toBe('count');
    expect(r.data.toString()).toBe('abcdef');
    expect(r.elapsedMs).toBeLessThan(3000);
  });

  it('timeout added to a live connection cuts it; the counters prove no byte crossed', async () => {
    await setup();
    const s = await client();
    await tcpRoundTrip(s, 'warm');
    await server.addToxic('p', { type: 'timeout', name: 'cut', stream: 'upstream', attributes: { timeout: 0 } });
    const before = server.stats('p').tcp;
    const r = readFrom(s, { timeoutMs: 300 });
    s.write('x'.repeat(100));
    expect((await r).data.length).toBe(0);
    // The proxy counts the bytes when it reads them: wait for that (the 300 ms read window can end
    // first when the worker was descheduled), then none may have been sent on.
    await vi.waitFor(() => expect(server.stats('p').tcp.upstream.bytes_dropped - before.upstream.bytes_dropped).toBe(100), { timeout: 5_000, interval: 20 });
    const after = server.stats('p').tcp;
    expect(after.upstream.bytes_sent - before.upstream.bytes_sent).toBe(0);
  });

  it('no byte is lost, duplicated or reordered while toxics come and go mid-stream (cf. Toxiproxy TestNoDataDropped)', { timeout: 60_000 }, async () => {
    await setup();
    const s = await client();
    const total = 65_535 * 2;
    const payload = Buffer.alloc(total);
    for (let i = 0; i < 65_535; i++) payload.writeUInt16BE(i, i * 2);
    const got = readFrom(s, { count: total, timeoutMs: 20_000 });

    let stop = false;
    let rounds = 0;
    const churn = (async () => {
      const kinds = [
        { type: 'latency', attributes: { latency: 20, jitter: 10 } },
        { type: 'noop', attributes: {} },
        { type: 'slicer', attributes: { average_size: 500, size_variation: 100, delay: 50 } },
        { type: 'bandwidth', attributes: { rate: 5000 } },
      ];
      for (let round = 0; !stop; round++) {
        const k = kinds[round % kinds.length] as { type: string; attributes: Record<string, number> };
        const stream = round % 2 === 0 ? 'upstream' : 'downstream';
        const name = `t${round}`;
        await server.addToxic('p', { ...k, name, stream });
        await sleep(15);
        if (k.type === 'latency') await server.updateToxic('p', name, { attributes: { latency: 5 } });
        await sleep(15);
        await server.removeToxic('p', name);
        rounds++;
        await sleep(5);
      }
    })();

    // Write in slices so the stream spans many toxic changes.
    for (let off = 0; off < total; off += 512) {
      s.write(payload.subarray(off, Math.min(total, off + 512)));
      await sleep(2);
    }
    const r = await got;
    stop = true;
    await churn;
    expect(rounds).toBeGreaterThanOrEqual(8);
    expect(r.how).toBe('count');
    expect(r.data.length).toBe(total);
    expect(r.data.equals(payload)).toBe(true);
    const st = server.stats('p').tcp;
    expect(st.upstream.bytes_dropped + st.downstream.bytes_dropped).toBe(0);
  });
});

describe('toxic operations never wait for peers (Toxiproxy issues #412, #558, #210)', () => {
  it('removing a toxic that holds data for a peer that does not read returns at once, and the data is not lost', async () => {
    let upstreamSide: Socket | undefined;
    await setup((sock) => {
      upstreamSide = sock;
      sock.pause();
    });
    await server.addToxic('p', { type: 'latency', name: 'l', stream: 'upstream', attributes: { latency: 60_000 } });
    await server.addToxic('p', { type: 'bandwidth', name: 'b', stream: 'upstream', attributes: { rate: 1 } });
    const s = await client();
    s.write(Buffer.alloc(4 * 1024 * 1024, 1));
    await sleep(300);
    const t0 = Date.now();
    await server.removeToxic('p', 'b');
    await server.removeToxic('p', 'l');
    // A hang here would be the bug; 5 s is a hang detector, not a speed bound.
    expect(Date.now() - t0).toBeLessThan(5000);
    upstreamSide?.resume();
    let n = 0;
    upstreamSide?.on('data', (d: Buffer) => (n += d.length));
    const until = Date.now() + 10_000;
    while (n < 4 * 1024 * 1024 && Date.now() < until) await sleep(20);
    expect(n).toBe(4 * 1024 * 1024);
  });
});

describe('proxy changes on live connections', () => {
  it('disable closes open connections and refuses new ones; enable restores the same address', async () => {
    await setup();
    const s = await client();
    await tcpRoundTrip(s, 'x');
    const closed = readFrom(s, { timeoutMs: 3000 });
    await server.updateProxy('p', { enabled: false });
    expect(['end', 'reset']).toContain((await closed).how);
    await expect(connectTcp(port)).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    await server.updateProxy('p', { enabled: true });
    const s2 = await client();
    expect(await tcpRoundTrip(s2, 'back')).not.toBeNull();
  });

  it('moving listen closes open connections and serves on the new address only', async () => {
    await setup();
    const s = await client();
    await tcpRoundTrip(s, 'x');
    const closed = readFrom(s, { timeoutMs: 3000 });
    const moved = await server.updateProxy('p', { listen: '127.0.0.1:0' });
    expect(['end', 'reset']).toContain((await closed).how);
    expect(moved.enabled).toBe(true);
    expect(portOf(moved.listen)).not.toBe(port);
    await expect(connectTcp(port)).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    port = portOf(moved.listen);
    const s2 = await client();
    expect(await tcpRoundTrip(s2, 'new home')).not.toBeNull();
  });

  it('IPv6: listen on [::1] and relay to an IPv6 upstream (skipped without IPv6 loopback)', async (ctx) => {
    const probe = net.createServer();
    const has6 = await new Promise<boolean>((r) => {
      probe.once('error', () => r(false));
      probe.listen(0, '::1', () => probe.close(() => r(true)));
    });
    if (!has6) ctx.skip();
    const up6 = net.createServer((sock) => sock.pipe(sock));
    await new Promise<void>((r) => up6.listen(0, '::1', r));
    try {
      echo = await startTcpEcho();
      const p = await server.createProxy({ name: 'v6', listen: '[::1]:0', upstream: `[::1]:${(up6.address() as net.AddressInfo).port}` });
      expect(p.listen).toMatch(/^\[::1\]:\d+$/);
      const s = await connectTcp(portOf(p.listen), '::1');
      clients.push(s);
      expect(await tcpRoundTrip(s, 'six')).not.toBeNull();
    } finally {
      up6.close();
    }
  });

  it('delete closes open connections', async () => {
    await setup();
    const s = await client();
    await tcpRoundTrip(s, 'x');
    const closed = readFrom(s, { timeoutMs: 3000 });
    await server.deleteProxy('p');
    expect(['end', 'reset']).toContain((await closed).how);
  });

  it('toxics survive disable/enable and apply to new connections', async () => {
    await setup();
    await server.addToxic('p', { type: 'latency', attributes: { latency: 150 } });
    await server.updateProxy('p', { enabled: false });
    await server.updateProxy('p', { enabled: true });
    const s = await client();
    expect(await tcpRoundTrip(s, 'x')).toBeGreaterThanOrEqual(145);
  });
});

describe('backpressure', () => {
  for (const withToxic of [false, true]) {
    it(`a destination that does not read stops the proxy from reading its source (${withToxic ? 'toxic chain' : 'fast path'})`, async () => {
      let upstreamSide: Socket | undefined;
      await setup((sock) => {
        upstreamSide = sock;
        sock.pause(); // never reads
      });
      if (withToxic) await server.addToxic('p', { type: 'noop', stream: 'upstream' });
      const s = await client();
      const chunk = Buffer.alloc(1024 * 1024);
      for (let i = 0; i < 64; i++) s.write(chunk);
      // Wait until the proxy stops reading — its count holds still for 300 ms — instead of reading
      // it after a fixed 700 ms (too soon on a loaded machine to tell a stall from a slow copy).
      let last = -1;
      let still = 0;
      await vi.waitFor(
        () => {
          const now = server.stats('p').tcp.upstream.bytes_received;
          still = now > 0 && now === last ? still + 1 : 0;
          last = now;
          expect(still).toBeGreaterThanOrEqual(3);
        },
        { timeout: 20_000, interval: 100 },
      );
      const received = server.stats('p').tcp.upstream.bytes_received;
      // The kernel buffers a few MiB on each hop; without backpressure the proxy would read all 64 MiB.
      expect(received).toBeLessThan(24 * 1024 * 1024);
      expect(received).toBeGreaterThan(0);
      // Reading again lets everything through.
      upstreamSide?.resume();
      let n = 0;
      upstreamSide?.on('data', (d: Buffer) => (n += d.length));
      const until = Date.now() + 20_000;
      while (n < 64 * 1024 * 1024 && Date.now() < until) await sleep(20);
      expect(n).toBe(64 * 1024 * 1024);
    });
  }

  // The no-toxic path writes straight from its read buffer and must not read into it again while a
  // write is still pending; the chain path hands large reads over to the stages. A destination that
  // reads in bursts makes writes stay pending again and again: any reuse of a kept buffer would show up
  // as changed bytes.
  for (const [mode, piece] of [
    ['fast path, large writes', 1024 * 1024],
    // Small reads whose writes stay pending while write() still returns true (under the 16 KiB
    // high-water mark): the reader must move to a fresh buffer, since it keeps reading.
    ['fast path, small writes', 4 * 1024],
    ['noop toxic', 1024 * 1024],
    ['latency toxic', 1024 * 1024],
  ] as const) {
    it(`bytes arrive intact through a destination that reads in bursts (${mode})`, { timeout: 60_000 }, async () => {
      const got: Buffer[] = [];
      let received = 0;
      const timers: NodeJS.Timeout[] = [];
      await setup((sock) => {
        sock.on('data', (d: Buffer) => {
          got.push(d);
          received += d.length;
        });
        // Long pauses, short reads: the kernel's buffers toward it fill, and the proxy's writes stay pending.
        const cycle = (): void => {
          sock.pause();
          timers.push(
            setTimeout(() => {
              sock.resume();
              timers.push(setTimeout(cycle, 10));
            }, 60),
          );
        };
        cycle();
      });
      try {
        if (mode === 'noop toxic') await server.addToxic('p', { type: 'noop', stream: 'upstream' });
        if (mode === 'latency toxic') await server.addToxic('p', { type: 'latency', stream: 'upstream', attributes: { latency: 5 } });
        const s = await client();
        const payload = randomBytes(32 * 1024 * 1024);
        for (let off = 0; off < payload.length; off += piece) {
          s.write(payload.subarray(off, off + piece));
          // Small pieces one by one, so that the proxy reads them as small reads.
          if (piece < 64 * 1024) await new Promise((r) => setImmediate(r));
        }
        const until = Date.now() + 45_000;
        while (received < payload.length && Date.now() < until) await sleep(20);
        expect(received).toBe(payload.length);
        expect(Buffer.concat(got).equals(payload)).toBe(true);
        const st = server.stats('p').tcp.upstream;
        expect(st.bytes_received).toBe(payload.length);
        expect(st.bytes_sent).toBe(payload.length);
        expect(st.bytes_dropped).toBe(0);
      } finally {
        for (const t of timers) clearTimeout(t);
      }
    });
  }
});
