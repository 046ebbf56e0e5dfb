/**
 * The relay's reading and writing rest on how Node behaves underneath: an accepted socket can be moved
 * onto `onread`, and a write that returns with `writableLength === 0` has been handed to the kernel (so
 * the read buffer may be reused). These tests pin that behaviour on the running Node, on real sockets.
 */
import net, { type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { adoptAccepted, MAX_READ_BUFFER, MIN_READ_BUFFER, SocketReader } from './reader.js';
import { connectTcp, readFrom, sleep } from '../../../test/support/proxy/sockets.js';

const cleanup: (() => void)[] = [];
afterEach(() => {
  for (const f of cleanup.splice(0)) f();
});

/** A server whose accepted sockets are adopted onto a reader; resolves with the port and the first one. */
async function adoptingServer(): Promise<{ port: number; server: net.Server; accepted: Promise<{ socket: Socket; reader: SocketReader }> }> {
  let deliver: (v: { socket: Socket; reader: SocketReader }) => void = () => {};
  const accepted = new Promise<{ socket: Socket; reader: SocketReader }>((r) => (deliver = r));
  const server = net.createServer({ allowHalfOpen: true, pauseOnConnect: true, noDelay: true }, (s) => {
    const reader = new SocketReader();
    const socket = adoptAccepted(s, reader, true);
    socket.on('error', () => {});
    cleanup.push(() => socket.destroy());
    deliver({ socket, reader });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  cleanup.push(() => server.close());
  return { port: (server.address() as net.AddressInfo).port, server, accepted };
}

async function client(port: number): Promise<Socket> {
  const s = await connectTcp(port);
  s.on('error', () => {});
  cleanup.push(() => s.destroy());
  return s;
}

describe('adoptAccepted', () => {
  it('moves an accepted socket onto onread: data both ways, half-close, and the server can close', async () => {
    const { port, server, accepted } = await adoptingServer();
    const c = await client(port);
    const { socket, reader } = await accepted;
    const got: Buffer[] = [];
    reader.attach((n, buf) => got.push(Buffer.from(buf.subarray(0, n))));
    let ended = false;
    socket.on('end', () => (ended = true));
    socket.resume();
    c.write('hello');
    const back = readFrom(c, { count: 5, timeoutMs: 2000 });
    socket.write('world');
    expect((await back).data.toString()).toBe('world');
    c.end(); // half-close: the adopted socket sees 'end' and can still write
    const until = Date.now() + 2000;
    while (!ended && Date.now() < until) await sleep(5);
    expect(ended).toBe(true);
    expect(Buffer.concat(got).toString()).toBe('hello');
    const tail = readFrom(c, { timeoutMs: 2000 });
    socket.end('bye');
    const t = await tail;
    expect(t.how).toBe('end');
    expect(t.data.toString()).toBe('bye');
    // The old wrapper released the server's connection count: close() completes once we are done.
    const closed = new Promise<void>((r) => server.close(() => r()));
    socket.destroy();
    await closed;
  });

  it('a paused adopted socket reads nothing until resumed', async () => {
    const { port, accepted } = await adoptingServer();
    const c = await client(port);
    const { socket, reader } = await accepted;
    let reads = 0;
    reader.attach(() => reads++);
    c.write('x');
    await sleep(100);
    expect(reads).toBe(0);
    socket.resume();
    const until = Date.now() + 2000;
    while (reads === 0 && Date.now() < until) await sleep(5);
    expect(reads).toBe(1);
  });
});

describe('SocketReader', () => {
  it('after renew() the kept bytes are never read into again', async () => {
    const { port, accepted } = await adoptingServer();
    const c = await client(port);
    const { socket, reader } = await accepted;
    const kept: Buffer[] = [];
    reader.attach((n, buf) => {
      kept.push(buf.subarray(0, n)); // a view, as a pending write holds it
      reader.renew();
    });
    socket.resume();
    const sent: Buffer[] = [];
    for (let i = 0; i < 50; i++) {
      const m = Buffer.alloc(100, i);
      sent.push(m);
      c.write(m);
      await sleep(2); // mostly one read per message
    }
    const until = Date.now() + 3000;
    while (kept.reduce((n, b) => n + b.length, 0) < 5000 && Date.now() < until) await sleep(5);
    expect(Buffer.concat(kept).equals(Buffer.concat(sent))).toBe(true);
    expect(kept.length).toBeGreaterThan(1);
  });

  it('without renew() the buffer is reused (what makes renew necessary)', async () => {
    const { port, accepted } = await adoptingServer();
    const c = await client(port);
    const { socket, reader } = await accepted;
    const views: Buffer[] = [];
    reader.attach((n, buf) => views.push(buf.subarray(0, n)));
    socket.resume();
    for (const m of ['aaaa', 'bbbb']) {
      c.write(m);
      const until = Date.now() + 2000;
      const want = views.length + 1;
      while (views.length < want && Date.now() < until) await sleep(5);
    }
    expect(views.length).toBe(2);
    expect((views[0] as Buffer).buffer).toBe((views[1] as Buffer).buffer);
    expect((views[0] as Buffer).toString()).toBe('bbbb');
  });

  it('grows its buffer on full reads, up to the maximum', async () => {
    const { port, accepted } = await adoptingServer();
    const c = await client(port);
    const { socket, reader } = await accepted;
    let largest = 0;
    let total = 0;
    reader.attach((n) => {
      largest = Math.max(largest, n);
      total += n;
    });
    expect(reader.bufferSize).toBe(MIN_READ_BUFFER);
    const size = 32 * 1024 * 1024;
    const block = Buffer.alloc(1024 * 1024, 1);
    for (let i = 0; i < size / block.length; i++) c.write(block);
    socket.resume();
    const until = Date.now() + 10_000;
    while (total < size && Date.now() < until) await sleep(10);
    expect(total).toBe(size);
    expect(largest).toBeGreaterThan(MIN_READ_BUFFER);
    expect(reader.bufferSize).toBeLessThanOrEqual(MAX_READ_BUFFER);
  });
});

describe('what the fast path assumes of socket.write', () => {
  it('a write the kernel took leaves writableLength at 0 by the time write() returns', async () => {
    const { port, accepted } = await adoptingServer();
    const c = await client(port);
    const { socket } = await accepted;
    socket.resume();
    for (let i = 0; i < 100; i++) {
      c.write(Buffer.alloc(64, i));
      expect(c.writableLength).toBe(0);
    }
  });

  it('a write to a peer that does not read stays pending (writableLength > 0), so its buffer is kept', async () => {
    const { port, accepted } = await adoptingServer();
    const c = await client(port);
    await accepted; // never resumed: the peer reads nothing
    const block = Buffer.alloc(1024 * 1024, 2);
    let pending = false;
    for (let i = 0; i < 64 && !pending; i++) {
      c.write(block);
      pending = c.writableLength > 0;
    }
    expect(pending).toBe(true);
  });
});
