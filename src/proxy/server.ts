import type { Server } from 'node:http';
import { formatHostPort } from './address.js';
import { AmchaosError } from '../errors/index.js';
import { startApiServer } from './api/http.js';
import { ProxyCollection, type ProxyCollectionOptions } from './collection.js';
import { warmUpRelay, type WarmUpOptions } from './warmup.js';
import type {
  CreateProxyInput,
  CreateToxicInput,
  ProxyJson,
  ProxyStats,
  ToxicJson,
  UpdateProxyInput,
  UpdateToxicInput,
} from './types.js';

export type ProxyServerOptions = ProxyCollectionOptions;

export interface ApiAddress {
  host: string;
  port: number;
  /** e.g. http://127.0.0.1:8474, what `new Toxiproxy(url)` wants. */
  url: string;
}

export { API_VERSION } from './version.js';

/**
 * The amchaos link proxy server: it owns the collection of proxies (`collection.ts`, every Toxiproxy
 * 2.12 operation) and, after start(), serves it over the Toxiproxy HTTP API (`api/http.ts`), as
 * Toxiproxy's ApiServer owns its ProxyCollection. In process (the fabric creates one proxy per directed
 * link) the same operations are called directly; the methods below are the collection's.
 * Errors are AmchaosErrors carrying the HTTP status Toxiproxy uses (details.httpStatus).
 */
export class ProxyServer {
  readonly collection: ProxyCollection;
  private http: Server | null = null;
  private apiAddress: ApiAddress | null = null;

  constructor(options: ProxyServerOptions = {}) {
    this.collection = new ProxyCollection(options);
  }

  /** Start the HTTP API (default 127.0.0.1:8474; port 0 picks a free one). */
  async start(listen: { host?: string; port?: number } = {}): Promise<ApiAddress> {
    if (this.http !== null) throw new AmchaosError('AMCHAOS_BAD_ARGUMENT', 'the proxy API is already started');
    if (this.collection.closed) throw new AmchaosError('AMCHAOS_BAD_ARGUMENT', 'the proxy server is closed');
    const host = listen.host ?? '127.0.0.1';
    const port = listen.port ?? 8474;
    const { server, port: bound } = await startApiServer(this.collection, host, port);
    this.http = server;
    this.apiAddress = { host, port: bound, url: `http://${formatHostPort(host, bound)}` };
    return this.apiAddress;
  }

  /**
   * Runs the TCP relay on loopback for a moment (see warmup.ts), so that the first real round trips
   * through this process are not run by the interpreter. `amchaos proxy` does it before its API
   * answers; in process it is optional (about 0.1–0.3 s of CPU).
   */
  warmUp(options?: WarmUpOptions): Promise<void> {
    return warmUpRelay(options);
  }

  /** Where the HTTP API listens, once started. */
  get address(): ApiAddress | null {
    return this.apiAddress;
  }

  // The collection's operations, for in-process callers (same shapes and errors as the HTTP API).

  listProxies(): Record<string, ProxyJson> {
    return this.collection.listProxies();
  }

  getProxy(name: string): ProxyJson {
    return this.collection.getProxy(name);
  }

  createProxy(input: CreateProxyInput): Promise<ProxyJson> {
    return this.collection.createProxy(input);
  }

  /** Toxiproxy's update rule: a changed listen/upstream restarts the proxy. */
  updateProxy(name: string, input: UpdateProxyInput): Promise<ProxyJson> {
    return this.collection.updateProxy(name, input);
  }

  deleteProxy(name: string): Promise<void> {
    return this.collection.deleteProxy(name);
  }

  /** Add-or-replace, in order; see ProxyCollection.populate. */
  populate(input: readonly CreateProxyInput[]): Promise<ProxyJson[]> {
    return this.collection.populate(input);
  }

  /** Re-enable every proxy and remove every toxic. */
  reset(): Promise<void> {
    return this.collection.reset();
  }

  listToxics(proxyName: string): ToxicJson[] {
    return this.collection.listToxics(proxyName);
  }

  getToxic(proxyName: string, toxicName: string): ToxicJson {
    return this.collection.getToxic(proxyName, toxicName);
  }

  /** Applies to live connections at once (and to UDP from the next datagram). */
  addToxic(proxyName: string, input: CreateToxicInput): Promise<ToxicJson> {
    return this.collection.addToxic(proxyName, input);
  }

  updateToxic(proxyName: string, toxicName: string, input: UpdateToxicInput): Promise<ToxicJson> {
    return this.collection.updateToxic(proxyName, toxicName, input);
  }

  removeToxic(proxyName: string, toxicName: string): Promise<void> {
    return this.collection.removeToxic(proxyName, toxicName);
  }

  /** A snapshot of one proxy's counters (also in every proxy JSON as `stats`). */
  stats(proxyName: string): ProxyStats {
    return this.collection.stats(proxyName);
  }

  /** Snapshots of every proxy's counters, by proxy name (for run summaries). */
  allStats(): Record<string, ProxyStats> {
    return this.collection.allStats();
  }

  /** Stop every proxy, close every socket and the HTTP API. Idempotent. */
  async close(): Promise<void> {
    await this.collection.close();
    const http = this.http;
    this.http = null;
    if (http !== null) {
      await new Promise<void>((resolve) => {
        http.close(() => resolve());
        http.closeAllConnections();
      });
    }
  }
}
