import { formatHostPort, parseHostPort, resolveHost } from './address.js';
import { AmchaosError } from '../errors/index.js';
import { proxyError } from './errors.js';
import { asObject, decodeCreateProxy, decodePopulate, decodeUpdateProxy, type ValidProxySpec } from './input.js';
import { LinkProxy } from './proxy.js';
import {
  copyStats,
  type CreateProxyInput,
  type CreateToxicInput,
  type ProxyJson,
  type ProxyStats,
  type ToxicJson,
  type UpdateProxyInput,
  type UpdateToxicInput,
} from './types.js';

export interface ProxyCollectionOptions {
  /** A UDP client address idle this long loses its upstream socket (default 60 s). */
  udpIdleTimeoutMs?: number;
}

/**
 * The proxies of one server and every Toxiproxy 2.12 operation on them (Toxiproxy's ProxyCollection plus
 * the operations its api.go performs), in process. The HTTP API (`api/http.ts`) and the in-process
 * `ProxyServer` both call these; neither is known here.
 *
 * Every mutating operation runs under one lock: they await sockets (listen, bind), and two of them
 * interleaving (e.g. two creates of one name) would break the checks each one makes first.
 * Errors are AmchaosErrors carrying the HTTP status Toxiproxy uses (details.httpStatus).
 */
export class ProxyCollection {
  private readonly proxies = new Map<string, LinkProxy>();
  private readonly udpIdleTimeoutMs: number;
  private tail: Promise<unknown> = Promise.resolve();
  private closedFlag = false;

  constructor(options: ProxyCollectionOptions = {}) {
    const idle = options.udpIdleTimeoutMs ?? 60_000;
    if (!Number.isFinite(idle) || idle <= 0) {
      throw new AmchaosError('AMCHAOS_BAD_ARGUMENT', `udpIdleTimeoutMs must be a positive number of ms, got ${idle}`);
    }
    this.udpIdleTimeoutMs = idle;
  }

  /** True once close() began: every operation then fails. */
  get closed(): boolean {
    return this.closedFlag;
  }

  private exclusive<T>(fn: () => Promise<T> | T): Promise<T> {
    const run = this.tail.then(() => {
      if (this.closedFlag) throw proxyError(500, 'the proxy server is shutting down');
      return fn();
    });
    this.tail = run.catch(() => undefined);
    return run;
  }

  private proxy(name: string): LinkProxy {
    const p = this.proxies.get(name);
    if (p === undefined) throw proxyError(404, 'proxy not found');
    return p;
  }

  // Proxies

  listProxies(): Record<string, ProxyJson> {
    const out: Record<string, ProxyJson> = {};
    for (const [name, p] of this.proxies) out[name] = p.toJSON();
    return out;
  }

  getProxy(name: string): ProxyJson {
    return this.proxy(name).toJSON();
  }

  createProxy(input: CreateProxyInput): Promise<ProxyJson> {
    return this.exclusive(async () => {
      const spec = decodeCreateProxy(input);
      if (this.proxies.has(spec.name)) throw proxyError(409, 'proxy already exists');
      const p = await this.startNew(spec);
      return p.toJSON();
    });
  }

  private async startNew(spec: ValidProxySpec): Promise<LinkProxy> {
    const p = new LinkProxy(spec.name, spec, { udpIdleTimeoutMs: this.udpIdleTimeoutMs });
    if (spec.enabled) await p.start(); // a failed start adds nothing (Toxiproxy)
    this.proxies.set(spec.name, p);
    return p;
  }

  /** Toxiproxy's update rule (§4.1 of the reference): a changed listen/upstream restarts the proxy. */
  updateProxy(name: string, input: UpdateProxyInput): Promise<ProxyJson> {
    return this.exclusive(async () => {
      const p = this.proxy(name);
      const body = decodeUpdateProxy(input);
      const listen = body.listen ?? p.listen;
      const upstream = body.upstream ?? p.upstream;
      const wantEnabled = body.enabled ?? p.enabled;
      if ((await canonicalListen(listen)) !== p.listen || upstream !== p.upstream) {
        p.stop();
        p.listen = listen;
        p.setUpstream(upstream);
      }
      if (body.udp !== undefined) await p.setUdp(body.udp);
      if (wantEnabled && !p.enabled) await p.start();
      else if (!wantEnabled && p.enabled) p.stop();
      return p.toJSON();
    });
  }

  deleteProxy(name: string): Promise<void> {
    return this.exclusive(() => {
      const p = this.proxy(name);
      p.stop();
      this.proxies.delete(name);
    });
  }

  /**
   * Add-or-replace, in order (§4.3): an existing proxy whose listen/upstream/udp do not differ is kept
   * untouched; one that differs is replaced by a new one (its connections close, its toxics are lost).
   * On the first failure processing stops; the error's details.proxies holds the ones handled so far.
   * Returns [] for an empty list (Toxiproxy answers null, which toxiproxy-node-client cannot read).
   */
  populate(input: readonly CreateProxyInput[]): Promise<ProxyJson[]> {
    return this.exclusive(async () => {
      let specs: ValidProxySpec[];
      try {
        specs = decodePopulate(input);
      } catch (e) {
        if (e instanceof AmchaosError) e.details['proxies'] = null;
        throw e;
      }
      const done: ProxyJson[] = [];
      try {
        for (const spec of specs) {
          const existing = this.proxies.get(spec.name);
          if (existing !== undefined) {
            const same =
              (await canonicalListen(spec.listen)) === existing.listen &&
              spec.upstream === existing.upstream &&
              spec.udp === existing.udp;
            if (same) {
              done.push(existing.toJSON());
              continue;
            }
            existing.stop();
            this.proxies.delete(spec.name);
          }
          done.push((await this.startNew(spec)).toJSON());
        }
      } catch (e) {
        if (e instanceof AmchaosError) e.details['proxies'] = done;
        throw e;
      }
      return done;
    });
  }

  /** Re-enable every proxy and remove every toxic, one at a time (§4.2). */
  reset(): Promise<void> {
    return this.exclusive(async () => {
      for (const p of this.proxies.values()) {
        if (!p.enabled) await p.start();
        for (const t of p.toxics.list()) p.toxics.remove(t.name);
      }
    });
  }

  // Toxics

  listToxics(proxyName: string): ToxicJson[] {
    return this.proxy(proxyName).toxics.toJSON();
  }

  getToxic(proxyName: string, toxicName: string): ToxicJson {
    return this.proxy(proxyName).toxics.get(toxicName).toJSON();
  }

  /** Applies to live connections at once (and to UDP from the next datagram). */
  addToxic(proxyName: string, input: CreateToxicInput): Promise<ToxicJson> {
    return this.exclusive(() => this.proxy(proxyName).toxics.add(asObject(input)).toJSON());
  }

  updateToxic(proxyName: string, toxicName: string, input: UpdateToxicInput): Promise<ToxicJson> {
    return this.exclusive(() => this.proxy(proxyName).toxics.update(toxicName, asObject(input)).toJSON());
  }

  removeToxic(proxyName: string, toxicName: string): Promise<void> {
    return this.exclusive(() => this.proxy(proxyName).toxics.remove(toxicName));
  }

  // Counters

  /** A snapshot of one proxy's counters (also in every proxy JSON as `stats`). */
  stats(proxyName: string): ProxyStats {
    return copyStats(this.proxy(proxyName).stats);
  }

  /** Snapshots of every proxy's counters, by proxy name (for run summaries). */
  allStats(): Record<string, ProxyStats> {
    const out: Record<string, ProxyStats> = {};
    for (const [name, p] of this.proxies) out[name] = copyStats(p.stats);
    return out;
  }

  /** Stop every proxy and close every socket. Idempotent. */
  async close(): Promise<void> {
    if (this.closedFlag) return;
    // Let an operation in flight finish first, so nothing binds after we closed.
    await this.tail;
    this.closedFlag = true;
    for (const p of this.proxies.values()) p.stop();
    this.proxies.clear();
  }
}

/** The string a listen address would have after binding, for Toxiproxy's "differs" comparison. */
async function canonicalListen(listen: string): Promise<string> {
  const { host, port } = parseHostPort(listen, 'listen');
  return formatHostPort(await resolveHost(host), port);
}
