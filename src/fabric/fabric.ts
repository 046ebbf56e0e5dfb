import { setTimeout as sleep } from 'node:timers/promises';
import { request } from 'undici';
import { AmchaosError } from '../errors/index.js';
import type { NodeId } from '../history/types.js';
import { ProxyServer, type CreateToxicInput, type ProxyStats, type ToxicJson } from '../proxy/index.js';
import { clientLinkName, receiverBaseURL } from './names.js';
import {
  CLIENT,
  RECEIVER,
  type FabricPlan,
  type LinkInfo,
  type LinkKind,
  type LinkTraffic,
  type Redirect,
  type StatsSnapshot,
  type Transport,
} from './types.js';
import type { LinkControl } from './link-control.js';
import { cutProven, flowProven, judgeCut, judgeFlow, linkDeltas, traffic, type CutResult, type CutVerdict, type FlowResult } from './verify.js';

export type { CutResult, FlowResult } from './verify.js';

export { peerLinkName, clientLinkName, receiverLinkName, receiverBaseURL } from './names.js';

/**
 * One proxy per directed link between the harness, the nodes and the capture, all in one in-process
 * ProxyServer whose Toxiproxy-compatible HTTP API listens on 127.0.0.1 (so any Toxiproxy client can
 * poke links during a run). Created by a runtime that can give nodes their own addresses (netns)
 * before the nodes start; closed by it on destroy.
 */
export class Fabric implements LinkControl {
  private readonly linkInfo = new Map<string, LinkInfo>();
  private closed = false;

  private constructor(
    readonly plan: FabricPlan,
    private readonly server: ProxyServer,
    /** The Toxiproxy-compatible HTTP API, e.g. http://127.0.0.1:40123. */
    readonly apiURL: string,
  ) {}

  /**
   * Starts the proxies and installs every node's redirects. On failure everything started so far is
   * closed again before the error propagates.
   */
  static async create(plan: FabricPlan): Promise<Fabric> {
    const opts = plan.udpIdleTimeoutMs === undefined ? {} : { udpIdleTimeoutMs: plan.udpIdleTimeoutMs };
    const server = new ProxyServer(opts);
    let fabric: Fabric | undefined;
    try {
      const api = await server.start({ host: plan.api?.host ?? '127.0.0.1', port: plan.api?.port ?? 0 });
      fabric = new Fabric(plan, server, api.url);
      await fabric.build();
      return fabric;
    } catch (e) {
      await server.close().catch(() => undefined);
      throw e;
    }
  }

  private async add(kind: LinkKind, from: string, to: string, listen: string, upstream: string, udp: boolean): Promise<LinkInfo> {
    const name = `${from}->${to}`;
    const p = await this.server.createProxy({ name, listen, upstream, udp });
    const info: LinkInfo = { name, kind, from, to, listen: p.listen, upstream: p.upstream, udp };
    this.linkInfo.set(name, info);
    return info;
  }

  private async build(): Promise<void> {
    const { nodes, host, capture, receiverIP } = this.plan;
    const at = (listen: string) => ({ ip: listen.slice(0, listen.lastIndexOf(':')), port: Number(listen.slice(listen.lastIndexOf(':') + 1)) });
    for (const n of nodes) {
      const redirects: Redirect[] = [];
      for (const m of nodes) {
        if (m === n) continue;
        const link = await this.add('peer', n.id, m.id, `${host.listenIP}:0`, `${m.ip}:${m.clusterPort}`, true);
        const dest = { ip: m.ip, port: m.clusterPort };
        redirects.push({ proto: 'tcp', dest, to: at(link.listen) }, { proto: 'udp', dest, to: at(link.listen) });
      }
      const recv = await this.add('receiver', n.id, RECEIVER, `${host.listenIP}:0`, `${capture.host}:${capture.port}`, false);
      redirects.push({ proto: 'tcp', dest: { ip: receiverIP, port: capture.port }, to: at(recv.listen) });
      await this.add('client', CLIENT, n.id, '127.0.0.1:0', `${n.ip}:${n.webPort}`, false);
      await host.redirect(n.id, redirects);
    }
  }

  /**
   * A link from a sender on the harness's host to a node's API — `<from>-><node>`, e.g. `p1->n1`
   * for what Prometheus replica p1 sends to n1 — listening on 127.0.0.1 (the sender dials it), so
   * that "one sender cut from one node" is a link fault like any other, proven by the counters.
   */
  async addSenderLink(from: string, node: NodeId): Promise<LinkInfo> {
    const name = `${from}->${node}`;
    const existing = this.linkInfo.get(name);
    if (existing) return existing;
    return this.add('sender', from, node, '127.0.0.1:0', this.link(clientLinkName(node)).upstream, false);
  }

  get receiverBaseURL(): string {
    return receiverBaseURL(this.plan.receiverIP, this.plan.capture);
  }

  links(kind?: LinkKind): LinkInfo[] {
    return [...this.linkInfo.values()].filter((l) => kind === undefined || l.kind === kind);
  }

  link(name: string): LinkInfo {
    const l = this.linkInfo.get(name);
    if (!l) {
      throw new AmchaosError('AMCHAOS_NOT_FOUND', `no link ${JSON.stringify(name)} in this fabric`, {
        hint: `Links are named from->to: ${[...this.linkInfo.keys()].slice(0, 4).join(', ')}, ...`,
      });
    }
    return l;
  }

  /** The harness's URL for a node's API, through its `client->node` link. */
  nodeApiURL(node: NodeId): string {
    return `http://${this.link(clientLinkName(node)).listen}`;
  }

  /** A snapshot of every link's counters (or of the named ones). */
  snapshot(links?: readonly string[]): StatsSnapshot {
    const out: StatsSnapshot = {};
    for (const name of links ?? this.linkInfo.keys()) out[name] = this.server.stats(name);
    return out;
  }

  stats(link: string): ProxyStats {
    return this.server.stats(this.link(link).name);
  }

  /** Per-link traffic since the fabric started (run summaries: bytes per link). */
  traffic(): Record<string, LinkTraffic> {
    const out: Record<string, LinkTraffic> = {};
    for (const name of this.linkInfo.keys()) out[name] = traffic(this.server.stats(name));
    return out;
  }

  addToxic(link: string, toxic: CreateToxicInput): Promise<ToxicJson> {
    return this.server.addToxic(this.link(link).name, toxic);
  }

  removeToxic(link: string, toxic: string): Promise<void> {
    return this.server.removeToxic(this.link(link).name, toxic);
  }

  toxics(link: string): ToxicJson[] {
    return this.server.listToxics(this.link(link).name);
  }

  /**
   * Removes toxics from every link whose name starts with `match` (or satisfies it, if a function).
   * The nemesis names its own `amc-f…`; toxics a user added through the HTTP API survive unless
   * `match` is ''.
   */
  async removeToxics(match: string | ((name: string) => boolean)): Promise<number> {
    const wanted = typeof match === 'string' ? (name: string) => name.startsWith(match) : match;
    let n = 0;
    for (const link of this.linkInfo.keys()) {
      for (const t of this.server.listToxics(link)) {
        if (!wanted(t.name)) continue;
        await this.server.removeToxic(link, t.name).catch(() => undefined);
        n++;
      }
    }
    return n;
  }

  /**
   * One health request through each client link (a cut there holds it, a heal lets it through);
   * other links carry what the nodes send by themselves.
   */
  async exercise(links: readonly string[]): Promise<void> {
    await Promise.all(
      links
        .map((l) => this.link(l))
        .filter((l) => l.kind === 'client')
        .map(async (l) => {
          try {
            const res = await request(`http://${l.listen}/-/healthy`, { headersTimeout: 500, bodyTimeout: 500 });
            await res.body.dump();
          } catch {
            /* a cut link does not answer: that is the point */
          }
        }),
    );
  }

  /** The cut verdict right now, against a baseline (e.g. the snapshot taken when the cut went in). */
  verifyCutNow(links: readonly string[], transport: Transport, before: StatsSnapshot): CutVerdict {
    return judgeCut(linkDeltas(before, this.snapshot(links), links), transport);
  }

  /**
   * Watches `links` from `before` until the cut is proven (see cutProven: every link held an
   * attempt, or after `minObserveMs` each cut transport held one somewhere), a link leaks, or
   * `timeoutMs` passes. At the timeout, ok = no leak and at least one attempt held.
   */
  async verifyCut(
    links: readonly string[],
    transport: Transport,
    before: StatsSnapshot,
    opts: { timeoutMs: number; minObserveMs?: number; pollMs?: number },
  ): Promise<CutResult> {
    const start = Date.now();
    const minObserve = Math.min(opts.minObserveMs ?? 3_000, opts.timeoutMs);
    for (;;) {
      const deltas = linkDeltas(before, this.snapshot(links), links);
      const v = judgeCut(deltas, transport);
      const elapsedMs = Date.now() - start;
      const proven = cutProven(v, transport);
      if (v.leaked.length > 0) return { ...v, ok: false, elapsedMs, deltas };
      if (proven === 'complete' || (proven === 'quorum' && elapsedMs >= minObserve)) return { ...v, ok: true, proof: proven, elapsedMs, deltas };
      if (elapsedMs >= opts.timeoutMs) return { ...v, ok: v.held.length > 0, proof: 'timeout', elapsedMs, deltas };
      await sleep(opts.pollMs ?? 100);
    }
  }

  /**
   * Watches `links` from `before` until traffic flows again (see flowProven), or `timeoutMs`
   * passes. At the timeout, ok = no link attempted without delivering, and at least one delivered.
   */
  async verifyFlow(
    links: readonly string[],
    transport: Transport,
    before: StatsSnapshot,
    opts: { timeoutMs: number; minObserveMs?: number; pollMs?: number },
  ): Promise<FlowResult> {
    const start = Date.now();
    const minObserve = Math.min(opts.minObserveMs ?? 3_000, opts.timeoutMs);
    for (;;) {
      const deltas = linkDeltas(before, this.snapshot(links), links);
      const v = judgeFlow(deltas, transport);
      const elapsedMs = Date.now() - start;
      const proven = flowProven(v, transport);
      if (proven === 'complete' || (proven === 'quorum' && elapsedMs >= minObserve)) return { ...v, ok: true, proof: proven, elapsedMs, deltas };
      if (elapsedMs >= opts.timeoutMs) return { ...v, ok: v.blocked.length === 0 && v.flowing.length > 0, proof: 'timeout', elapsedMs, deltas };
      await sleep(opts.pollMs ?? 100);
    }
  }

  /** Stops every proxy and the HTTP API. Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.server.close();
  }
}
