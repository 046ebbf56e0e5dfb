import type { HistoryEvent, NodeId, SilencesSampleEvent, StatusSampleEvent } from '../history/types.js';
import type { ScenarioContext } from '../run/suite.js';

/**
 * A live view of the sampler's samples (the scenario runner samples every node's status and
 * silences every 200 ms into the history): the latest of each per node, and every status sample
 * inside windows the suite opens. Subscribe at the start of drive, close in `finally`.
 */
export class ClusterWatch {
  private readonly status = new Map<NodeId, StatusSampleEvent>();
  private readonly silences = new Map<NodeId, SilencesSampleEvent>();
  private readonly windows = new Map<string, StatusSampleEvent[]>();
  private readonly off: () => void;

  constructor(private readonly ctx: ScenarioContext) {
    // Seed from what is already in the history, then follow it.
    for (const e of ctx.history.all()) this.see(e);
    this.off = ctx.history.subscribe((e) => this.see(e));
  }

  private see(e: HistoryEvent): void {
    if (e.type === 'status.sample') {
      this.status.set(e.node, e);
      for (const w of this.windows.values()) w.push(e);
    } else if (e.type === 'silences.sample') {
      this.silences.set(e.node, e);
    }
  }

  close(): void {
    this.off();
  }

  latestStatus(node: NodeId): StatusSampleEvent | undefined {
    return this.status.get(node);
  }

  /** Active silence IDs in the node's latest sample (undefined if it did not answer). */
  activeSilences(node: NodeId): Set<string> | undefined {
    const s = this.silences.get(node);
    return s?.active ? new Set(s.active) : undefined;
  }

  /** Starts keeping every status sample under `name` until the window is taken. */
  openWindow(name: string): void {
    this.windows.set(name, []);
  }

  takeWindow(name: string): StatusSampleEvent[] {
    const w = this.windows.get(name) ?? [];
    this.windows.delete(name);
    return w;
  }

  /**
   * Waits until every node's latest status sample, taken after `since`, says ready with the peer
   * count `want(node)` gives. Returns the scenario time it first held, or undefined on timeout.
   */
  async waitPeers(want: (node: NodeId) => number, timeoutMs: number, since = this.ctx.history.clock.now()): Promise<number | undefined> {
    let at: number | undefined;
    await this.ctx.waitUntil(() => {
      const ok = this.ctx.nodes.every((n) => {
        const s = this.status.get(n.id);
        return s !== undefined && s.t >= since && s.clusterStatus === 'ready' && s.peers.length === want(n.id);
      });
      if (ok) at = Math.max(...this.ctx.nodes.map((n) => this.status.get(n.id)!.t));
      return ok;
    }, timeoutMs);
    return at;
  }

  /** Waits until every node is ready with all peers (a formed, healed cluster). */
  waitFormed(timeoutMs: number, since?: number): Promise<number | undefined> {
    const n = this.ctx.nodes.length;
    return this.waitPeers(() => n, timeoutMs, since);
  }
}

/** What a set of status samples showed, per node: statuses seen, and the fewest and most peers. */
export function summariseStatus(samples: readonly StatusSampleEvent[]): Record<string, { samples: number; statuses: string[]; minPeers: number; maxPeers: number }> {
  const out: Record<string, { samples: number; statuses: string[]; minPeers: number; maxPeers: number }> = {};
  for (const s of samples) {
    const o = (out[s.node] ??= { samples: 0, statuses: [], minPeers: Infinity, maxPeers: 0 });
    o.samples++;
    if (!o.statuses.includes(s.clusterStatus)) o.statuses.push(s.clusterStatus);
    o.minPeers = Math.min(o.minPeers, s.peers.length);
    o.maxPeers = Math.max(o.maxPeers, s.peers.length);
  }
  return out;
}
