import type { History } from '../history/history.js';
import { labelKey, type LabelSet, type SourceSampleEvent } from '../history/types.js';
import type { PrometheusReplica } from './replica.js';

export interface SourceSamplerOptions {
  history: History;
  replicas: readonly PrometheusReplica[];
  /** An alert's identity (labels without the replica labels). */
  identityOf: (labels: LabelSet) => LabelSet;
  /** Default 500 ms. */
  intervalMs?: number;
  /** Rule health is read every this many rounds. Default 4. */
  rulesEvery?: number;
}

type Sample = Omit<SourceSampleEvent, 'seq' | 't' | 'wall' | 'type'>;

/**
 * Samples what each Prometheus replica says about itself — its active alerts (/api/v1/alerts),
 * unhealthy rules (/api/v1/rules) and the Alertmanagers it sends to (/api/v1/alertmanagers) — and
 * appends a `source.sample` when that changed, so the history shows when each replica really had
 * an alert pending or firing, without a sample every tick. A replica that does not answer (killed,
 * paused) is sampled as `up: false`; a round still running for a replica is not started again.
 */
export class SourceSampler {
  private readonly last = new Map<string, string>();
  private readonly ruleErrors = new Map<string, Sample['ruleErrors']>();
  private readonly busy = new Set<string>();
  private round = 0;
  private timer: NodeJS.Timeout | undefined;
  private readonly inFlight = new Set<Promise<void>>();
  private stopped = false;

  constructor(private readonly o: SourceSamplerOptions) {}

  start(): void {
    if (this.timer || this.stopped) return;
    void this.sampleNow();
    this.timer = setInterval(() => void this.sampleNow(), this.o.intervalMs ?? 500);
  }

  sampleNow(): Promise<void> {
    const withRules = this.round++ % (this.o.rulesEvery ?? 4) === 0;
    const all: Promise<void>[] = [];
    for (const r of this.o.replicas) {
      if (this.busy.has(r.id)) continue;
      this.busy.add(r.id);
      const p = this.sampleOne(r, withRules).finally(() => this.busy.delete(r.id));
      this.inFlight.add(p);
      void p.finally(() => this.inFlight.delete(p));
      all.push(p);
    }
    return Promise.all(all).then(() => undefined);
  }

  private async sampleOne(r: PrometheusReplica, withRules: boolean): Promise<void> {
    let sample: Sample;
    if (!r.running || r.paused) {
      sample = { replica: r.id, up: false };
    } else {
      try {
        const [alerts, alertmanagers, groups] = await Promise.all([r.alerts(), r.alertmanagers(), withRules ? r.ruleGroups() : Promise.resolve(undefined)]);
        if (groups) {
          this.ruleErrors.set(
            r.id,
            groups.flatMap((g) => g.rules.filter((x) => x.health !== 'ok' && x.health !== 'unknown').map((x) => ({ group: g.name, rule: x.name, health: x.health, ...(x.lastError ? { error: x.lastError } : {}) }))),
          );
        }
        sample = {
          replica: r.id,
          up: true,
          alerts: alerts
            .map((a) => ({ alert: labelKey(this.o.identityOf(a.labels)), state: a.state, ...(a.activeAt ? { activeAt: a.activeAt } : {}) }))
            .sort((a, b) => a.alert.localeCompare(b.alert)),
          ruleErrors: this.ruleErrors.get(r.id) ?? [],
          alertmanagers: [...alertmanagers].sort(),
        };
      } catch {
        sample = { replica: r.id, up: false };
      }
    }
    if (this.stopped) return;
    const text = JSON.stringify(sample);
    if (this.last.get(r.id) === text) return;
    this.last.set(r.id, text);
    this.o.history.append({ type: 'source.sample', ...sample });
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
  }
}
