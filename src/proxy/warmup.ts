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
    // The whole cycle a client goes through, a few times over, so that the shared stream code has met
    // the API's sockets (kept alive, as fetch and Go clients keep them, and closed after one request, as
    // curl does) and the relay's alike when it is compiled; otherwise the first real request
    // deoptimises it and the compiler threads run again under the first real round trips.
    for (let cycle = 0; cycle < CYCLES; cycle++) {
      await closingRequest(api.port, 'GET', '/version');
      const client = await ApiClient.connect(api.port);
      try {
        await client.request('GET', '/version');
        const created = await client.request('POST', '/proxies', { name: 'warm-up', listen: `${HOST}:0`, upstream: `${HOST}:${echoPort}` });
        await client.request('GET', '/proxies/warm-up');
        const listen = (JSON.parse(created) as { listen: string }).listen;
        const port = Number(listen.slice(listen.lastIndexOf(':') + 1));
        await exchange(port, Math.ceil(roundTrips / CYCLES), 64);
        await exchange(port, 1, Math.ceil(bulkBytes / CYCLES));
        await client.request('DELETE', '/proxies/warm-up');
      } finally {
        client.close();
      }
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

function requestText(method: string, path: string, body: unknown, close: boolean): string {
  const payload = body === undefined ? '' : JSON.stringify(body);
  return (
    `${method} ${path} HTTP/1.1\r\nHost: ${HOST}\r\nUser-Agent: amchaos-warm-up\r\n${close ? 'Connection: close\r\n' : ''}` +
    `Content-Type: application/json\r\nContent-Length: ${Buffer.byteLength(payload)}\r\n\r\n${payload}`
  );
}

function failed(method: string, path: string, head: string): Error {
  return new Error(`proxy warm-up: ${method} ${path} answered ${head.split('\r\n')[0] ?? ''}`);
}

/** One request on its own connection, closed after the answer (as curl does); resolves with the body. */
function closingRequest(port: number, method: string, path: string, body?: unknown): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ port, host: HOST });
    const parts: Buffer[] = [];
    s.on('error', reject);
    s.on('data', (d: Buffer) => parts.push(d));
    s.on('end', () => {
      const text = Buffer.concat(parts).toString('utf8');
      const split = text.indexOf('\r\n\r\n');
      if (Number(text.slice(9, 12)) >= 300) reject(failed(method, path, text));
      else resolve(text.slice(split + 4));
    });
    s.end(requestText(method, path, body, true));
  });
}

/**
 * Requests one after another on one kept-alive connection (as fetch and Go's client send them), over a
 * plain socket: no HTTP client code is loaded for this. Our API always sends Content-Length or 204.
 */
class ApiClient {
  private buffered: Buffer = Buffer.alloc(0);
  private waiting: ((text: Buffer) => void) | null = null;

  private constructor(private readonly socket: net.Socket) {
    socket.on('data', (d: Buffer) => {
      this.buffered = Buffer.concat([this.buffered, d]);
      this.waiting?.(this.buffered);
    });
  }

  static connect(port: number): Promise<ApiClient> {
    return new Promise((resolve, reject) => {
      const s = net.connect({ port, host: HOST }, () => {
        s.off('error', reject);
        s.on('error', () => {});
        resolve(new ApiClient(s));
      });
      s.once('error', reject);
    });
  }

  request(method: string, path: string, body?: unknown): Promise<string> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting = null;
        reject(new Error(`proxy warm-up: ${method} ${path} got no answer`));
      }, 10_000);
      const tryParse = (buf: Buffer): void => {
        const split = buf.indexOf('\r\n\r\n');
        if (split < 0) return;
        const head = buf.subarray(0, split).toString('latin1');
        const length = Number(/\r\ncontent-length: *(\d+)/i.exec(head)?.[1] ?? '0');
        if (buf.length < split + 4 + length) return;
        clearTimeout(timer);
        this.waiting = null;
        this.buffered = buf.subarray(split + 4 + length);
        if (Number(head.slice(9, 12)) >= 300) reject(failed(method, path, head));
        else resolve(buf.subarray(split + 4, split + 4 + length).toString('utf8'));
      };
      this.waiting = tryParse;
      this.socket.write(requestText(method, path, body, false));
    });
  }

  close(): void {
    this.socket.destroy();
  }
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
