import { AmchaosError } from '../errors/index.js';
import type { History } from '../history/history.js';
import { labelKey, type NodeId } from '../history/types.js';
import type { AlertmanagerClient } from '../client/client.js';

export interface ClusterSamplerOptions {
  history: History;
  clients: readonly AlertmanagerClient[];
  /** How often each node is sampled. */
  intervalMs: number;
  /** Timeout of one sample request. Default max(500, intervalMs). */
  timeoutMs?: number;
  /** Suppressed alerts are sampled every this many rounds (they change at flushes, not per gossip tick). Default 5. */
  alertsEvery?: number;
}

/**
 * Polls every node's /api/v2/status and /api/v2/silences each interval and appends one
 * status.sample and one silences.sample per node and round. A node that does not answer (refused,
 * timeout, HTTP error) gives clusterStatus "unreachable" with no peers, and a silences sample with
 * `active`/`expired` undefined. A node whose previous round is still running is skipped, so a
 * paused node does not pile up requests.
 */
export class ClusterSampler {
  private readonly history: History;
  private readonly clients: readonly AlertmanagerClient[];
  private readonly intervalMs: number;
  private readonly timeoutMs: number;
  private readonly alertsEvery: number;
  private round = 0;
  private readonly busy = new Set<NodeId>();
  private readonly inFlight = new Set<Promise<void>>();
  private readonly abort = new AbortController();
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(opts: ClusterSamplerOptions) {
    if (!(opts.intervalMs > 0)) {
      throw new AmchaosError('AMCHAOS_BAD_ARGUMENT', `sampler: intervalMs must be > 0, got ${opts.intervalMs}`, { hint: 'e.g. 500' });
    }
    this.history = opts.history;
    this.clients = opts.clients;
    this.intervalMs = opts.intervalMs;
    this.timeoutMs = opts.timeoutMs ?? Math.max(500, opts.intervalMs);
    this.alertsEvery = Math.max(1, opts.alertsEvery ?? 5);
  }

  /** Samples now, then every interval (idempotent). */
  start(): void {
    if (this.stopped) throw new AmchaosError('AMCHAOS_INTERNAL', 'sampler started after stop()');
    if (this.timer) return;
    void this.sampleNow();
    this.timer = setInterval(() => void this.sampleNow(), this.intervalMs);
  }

  /** One round over every node not still busy; resolves when its samples are appended. */
  sampleNow(): Promise<void> {
    if (this.stopped) return Promise.resolve();
    const rounds: Promise<void>[] = [];
    const withAlerts = this.round++ % this.alertsEvery === 0;
    for (const c of this.clients) {
      if (this.busy.has(c.node)) continue;
      this.busy.add(c.node);
      const p = this.sampleNode(c, withAlerts).finally(() => this.busy.delete(c.node));
      this.inFlight.add(p);
      void p.finally(() => this.inFlight.delete(p));
      rounds.push(p);
    }
    return Promise.all(rounds).then(() => undefined);
  }

  /** Stops sampling; waits for samples in flight, or aborts them with `abort` (no sample is appended for those). */
  async stop(opts: { abort?: boolean } = {}): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    if (opts.abort) this.abort.abort();
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
  }

  private async sampleNode(c: AlertmanagerClient, withAlerts: boolean): Promise<void> {
    const req = { timeoutMs: this.timeoutMs, signal: this.abort.signal };
    const [status, silences, alerts] = await Promise.allSettled([
      c.status(req),
      c.getSilences(undefined, req),
      // Only the suppressed ones (active=false): small, and what no-loss needs to excuse an inhibition.
      withAlerts ? c.getAlerts({ active: false, silenced: true, inhibited: true, unprocessed: false }, req) : Promise.resolve(undefined),
    ]);
    // An abort at stop() says nothing about the node: append nothing rather than "unreachable".
    if (this.abort.signal.aborted) return;
    if (status.status === 'fulfilled') {
      const peers = (status.value.cluster.peers ?? []).map((p) => p.name).sort();
      const name = status.value.cluster.name;
      this.history.append({ type: 'status.sample', node: c.node, clusterStatus: status.value.cluster.status, peers, ...(name ? { name } : {}) });
    } else {
      this.history.append({ type: 'status.sample', node: c.node, clusterStatus: 'unreachable', peers: [] });
    }
    if (silences.status === 'fulfilled') {
      const active: string[] = [];
      const expired: string[] = [];
      for (const s of silences.value) (s.status.state === 'expired' ? expired : active).push(s.id);
      this.history.append({ type: 'silences.sample', node: c.node, active: active.sort(), expired: expired.sort() });
    } else {
      this.history.append({ type: 'silences.sample', node: c.node });
    }
    if (!withAlerts) return;
    if (alerts.status === 'fulfilled' && alerts.value) {
      const suppressed = alerts.value.map((a) => ({
        alert: labelKey(a.labels),
        inhibitedBy: [...(a.status.inhibitedBy ?? [])].sort(),
        silencedBy: [...(a.status.silencedBy ?? [])].sort(),
      }));
      this.history.append({ type: 'alerts.sample', node: c.node, suppressed });
    } else {
      this.history.append({ type: 'alerts.sample', node: c.node });
    }
  }
}
