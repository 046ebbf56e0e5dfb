import net from 'node:net';
import { startApiServer } from './api/http.js';
import { ProxyCollection } from './collection.js';

export interface WarmUpOptions {
  /** 64-byte round trips through the relay (default 3000). */
  roundTrips?: number;
  /** Bytes sent one way and echoed back, to run the large-read and backpressure paths (default 8 MiB). */
  bulkBytes?: number;
}

const HOST = '127.0.0.1';
const CYCLES = 3;

/**
 * Runs the TCP relay on loopback before real traffic arrives: a throwaway proxy in front of an
 * in-process echo, some thousand small round trips and a few MiB of bulk through it, then a pause for
 * the compiler threads to finish. A fresh Node process runs its first few thousand relays in the
 * interpreter while V8 compiles the hot functions on background threads; on a machine with two cores
 * that made the first round trips through a new proxy process the slowest ones (p99 several times
 * the steady state). Afterwards the relay functions are compiled, so the first real round trip is as
 * fast as the thousandth. Takes about 0.1–0.3 s; nothing stays open.
 */
export async function warmUpRelay(options: WarmUpOptions = {}): Promise<void> {
  const roundTrips = options.roundTrips ?? 3000;
  const bulkBytes = options.bulkBytes ?? 8 * 1024 * 1024;
  const echo = net.createServer({ noDelay: true, allowHalfOpen: true }, (s) => {
    s.on('error', () => {});
    s.on('data', (d) => s.write(d));
    s.on('end', () => s.end());
  });
  await new Promise<void>((resolve, reject) => {
    echo.once('error', reject);
    echo.listen(0, HOST, () => resolve());
  });
  const echoPort = (echo.address() as net.AddressInfo).port;
  // Proxies are made through a private HTTP API, as clients make theirs.
  const collection = new ProxyCollection();
  const api = await startApiServer(collection, HOST, 0);
  try {
    // The whole cycle a client goes through, a few times over: the shared stream code then has met the
    // API's sockets and the relay's alike when it is compiled, and nothing deoptimises it afterwards.
    for (let cycle = 0; cycle < CYCLES; cycle++) {
      await httpRequest(api.port, 'GET', '/version');
      const created = await httpRequest(api.port, 'POST', '/proxies', { name: 'warm-up', listen: `${HOST}:0`, upstream: `${HOST}:${echoPort}` });
      await httpRequest(api.port, 'GET', '/proxies/warm-up');
      const listen = (JSON.parse(created) as { listen: string }).listen;
      const port = Number(listen.slice(listen.lastIndexOf(':') + 1));
      await exchange(port, Math.ceil(roundTrips / CYCLES), 64);
      await exchange(port, 1, Math.ceil(bulkBytes / CYCLES));
      await httpRequest(api.port, 'DELETE', '/proxies/warm-up');
    }
  } finally {
    await collection.close();
    await new Promise<void>((resolve) => {
      api.server.close(() => resolve());
      api.server.closeAllConnections();
    });
    await new Promise<void>((resolve) => echo.close(() => resolve()));
  }
  // Let the concurrent compiler jobs started above finish before real traffic competes with them.
  await new Promise((resolve) => setTimeout(resolve, 100));
}

/** One HTTP/1.1 request over a plain socket (no HTTP client code to load); resolves with the body. */
function httpRequest(port: number, method: string, path: string, body?: unknown): Promise<string> {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? '' : JSON.stringify(body);
    const s = net.connect({ port, host: HOST });
    const parts: Buffer[] = [];
    s.on('error', reject);
    s.on('data', (d: Buffer) => parts.push(d));
    s.on('end', () => {
      const text = Buffer.concat(parts).toString('utf8');
      const status = Number(text.slice(9, 12));
      if (status >= 300) reject(new Error(`proxy warm-up: ${method} ${path} answered ${text.split('\r\n')[0]}`));
      else resolve(text.slice(text.indexOf('\r\n\r\n') + 4));
    });
    s.end(
      `${method} ${path} HTTP/1.1\r\nHost: ${HOST}\r\nUser-Agent: amchaos-warm-up\r\nConnection: close\r\n` +
        `Content-Type: application/json\r\nContent-Length: ${Buffer.byteLength(payload)}\r\n\r\n${payload}`,
    );
  });
}

/** `rounds` times: write `size` bytes and wait until as many came back. */
function exchange(port: number, rounds: number, size: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const block = Buffer.alloc(Math.min(size, 1024 * 1024), 0x5a);
    const s = net.connect({ port, host: HOST, noDelay: true });
    let round = 0;
    let got = 0;
    const send = (): void => {
      for (let sent = 0; sent < size; sent += block.length) s.write(sent + block.length <= size ? block : block.subarray(0, size - sent));
    };
    const timer = setTimeout(() => s.destroy(new Error('proxy warm-up stalled')), 30_000);
    s.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    s.on('connect', send);
    s.on('data', (d: Buffer) => {
      got += d.length;
      if (got < size) return;
      got -= size;
      if (++round < rounds) {
        send();
        return;
      }
      clearTimeout(timer);
      s.destroy();
      resolve();
    });
  });
}
