import { AmchaosError } from '../errors/index.js';
import type { History } from '../history/history.js';
import { labelKey, type LabelSet, type NodeId } from '../history/types.js';
import type { AlertmanagerClient } from '../client/client.js';
import { failedOutcome, OpRecorder } from '../client/recording.js';
import type { PostableAlert } from '../client/types.js';
import type { AlertSpec, ScenarioSource } from './types.js';

export interface AlertSourceOptions {
  history: History;
  /** The nodes this source may send to (each client knows its node id). */
  clients: readonly AlertmanagerClient[];
  /** Prometheus' resend delay: every firing alert is re-sent to its targets this often. */
  resendIntervalMs: number;
  /** How many times a resolution is sent (the first at resolve(), then one per tick). Default 4. */
  resolvedResends?: number;
  /** Timeout of one POST. Default 10 000 ms (Prometheus' notifier default). */
  postTimeoutMs?: number;
  /** Alerts per POST; more are split over several POSTs. Default 256 (Prometheus' batch size). */
  maxBatch?: number;
  generatorURL?: string;
  /** Shares op ids and counting with other recorders of the same history; default a new one. */
  recorder?: OpRecorder;
}

export interface AlertSourceStats {
  posts: number;
  ok: number;
  failed: number;
  indeterminate: number;
  /** Ticks skipped for a node because its previous tick's POST was still in flight. */
  skipped: number;
}

interface Tracked {
  key: string;
  labels: LabelSet;
  annotations: LabelSet | undefined;
  targets: NodeId[];
  startsAt: string;
  state: 'firing' | 'resolved';
  /** Resolution time, fixed at resolve() (Prometheus keeps sending the same endsAt). */
  resolvedAt?: string;
  resendsLeft: number;
}

/**
 * A Prometheus-like alert source. fire() starts an alert (startsAt fixed at that moment) and sends
 * it at once; every resend interval each firing alert is re-sent to every target node with
 * endsAt = now + 4 × interval; resolve() sends endsAt = now, and that resolution is re-sent on the
 * next ticks until `resolvedResends` sends were made. Intent events (alert.fire / alert.resolve)
 * and one op.invoke / op.complete per POST go to the history. Node failures never throw: they are
 * recorded (and counted in stats()) and the source keeps going, as Prometheus does.
 */
export class AlertSource implements ScenarioSource {
  readonly kind = 'workload' as const;
  private readonly history: History;
  private readonly clients = new Map<NodeId, AlertmanagerClient>();
  private readonly resendIntervalMs: number;
  private readonly resolvedResends: number;
  private readonly postTimeoutMs: number;
  private readonly maxBatch: number;
  private readonly generatorURL: string | undefined;
  private readonly recorder: OpRecorder;
  private readonly tracked = new Map<string, Tracked>();
  private readonly inFlight = new Set<Promise<void>>();
  private readonly tickBusy = new Set<NodeId>();
  private readonly abort = new AbortController();
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private readonly counts: AlertSourceStats = { posts: 0, ok: 0, failed: 0, indeterminate: 0, skipped: 0 };

  constructor(opts: AlertSourceOptions) {
    if (!(opts.resendIntervalMs > 0)) {
      throw new AmchaosError('AMCHAOS_BAD_ARGUMENT', `alert source: resendIntervalMs must be > 0, got ${opts.resendIntervalMs}`, {
        hint: 'set the resend interval (timers.resendIntervalMs), e.g. 2000',
      });
    }
    if (opts.clients.length === 0) {
      throw new AmchaosError('AMCHAOS_BAD_ARGUMENT', 'alert source: no nodes to send to', { hint: 'pass one client per node' });
    }
    this.history = opts.history;
    for (const c of opts.clients) this.clients.set(c.node, c);
    this.resendIntervalMs = opts.resendIntervalMs;
    this.resolvedResends = Math.max(1, opts.resolvedResends ?? 4);
    this.postTimeoutMs = opts.postTimeoutMs ?? 10_000;
    this.maxBatch = Math.max(1, opts.maxBatch ?? 256);
    this.generatorURL = opts.generatorURL;
    this.recorder = opts.recorder ?? new OpRecorder(opts.history);
  }

  /** Starts the resend loop (idempotent). fire()/resolve() work with or without it. */
  start(): void {
    this.assertRunning();
    if (this.timer) return;
    this.timer = setInterval(() => this.tick(), this.resendIntervalMs);
  }

  /**
   * Fires alerts not already firing (an alert already firing is left as it is): appends
   * alert.fire for each and sends them at once. Resolves when those POSTs completed (failed or not).
   */
  async fire(specs: AlertSpec | readonly AlertSpec[], opts: { targets?: NodeId[] } = {}): Promise<void> {
    this.assertRunning();
    const list = Array.isArray(specs) ? (specs as readonly AlertSpec[]) : [specs as AlertSpec];
    const now = this.nowWall();
    const started: Tracked[] = [];
    // Validate everything before recording anything, so a bad target leaves no half-fired intent.
    const prepared = list.map((s) => ({ spec: s, targets: this.resolveTargets(opts.targets ?? s.targets, s.labels) }));
    for (const { spec, targets } of prepared) {
      const key = labelKey(spec.labels);
      const existing = this.tracked.get(key);
      if (existing && existing.state === 'firing') continue;
      const t: Tracked = { key, labels: spec.labels, annotations: spec.annotations, targets, startsAt: now, state: 'firing', resendsLeft: 0 };
      this.tracked.set(key, t);
      this.history.append({ type: 'alert.fire', alert: key, labels: spec.labels, targets });
      started.push(t);
    }
    await this.send(started, false);
  }

  /**
   * Resolves firing alerts (all of them when `which` is omitted; alerts given by spec or by
   * labelKey otherwise; alerts not firing are ignored): appends alert.resolve and sends endsAt = now.
   */
  async resolve(which?: readonly (AlertSpec | string)[]): Promise<void> {
    this.assertRunning();
    const keys = which === undefined ? [...this.tracked.keys()] : which.map((w) => (typeof w === 'string' ? w : labelKey(w.labels)));
    const now = this.nowWall();
    const resolved: Tracked[] = [];
    for (const key of keys) {
      const t = this.tracked.get(key);
      if (!t || t.state !== 'firing') continue;
      t.state = 'resolved';
      t.resolvedAt = now;
      // This send counts as the first of `resolvedResends`.
      t.resendsLeft = this.resolvedResends - 1;
      this.history.append({ type: 'alert.resolve', alert: key, labels: t.labels, targets: t.targets });
      resolved.push(t);
    }
    await this.send(resolved, false);
    // Identity check: a fire() of the same alert while we awaited replaced the entry; keep that one.
    for (const t of resolved) if (t.resendsLeft === 0 && this.tracked.get(t.key) === t) this.tracked.delete(t.key);
  }

  /** labelKeys of the alerts currently firing. */
  firing(): string[] {
    return [...this.tracked.values()].filter((t) => t.state === 'firing').map((t) => t.key);
  }

  stats(): AlertSourceStats {
    return { ...this.counts };
  }

  /**
   * One resend round now (what the interval does): every firing alert and every resolution with
   * sends left, to its targets. Nodes whose previous round is still in flight are skipped.
   */
  async resend(): Promise<void> {
    this.assertRunning();
    const active = [...this.tracked.values()];
    const done = this.send(active, true);
    for (const t of active) {
      if (t.state === 'resolved') {
        t.resendsLeft--;
        if (t.resendsLeft <= 0) this.tracked.delete(t.key);
      }
    }
    await done;
  }

  /**
   * Stops the loop and waits for POSTs in flight; with `abort`, aborts them instead (they are
   * recorded as indeterminate). Further fire/resolve/resend calls throw.
   */
  async stop(opts: { abort?: boolean } = {}): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    if (opts.abort) this.abort.abort();
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
  }

  // --- internals ----------------------------------------------------------------------------

  private tick(): void {
    if (this.stopped) return;
    void this.resend();
  }

  private send(alerts: readonly Tracked[], isTick: boolean): Promise<void> {
    if (alerts.length === 0) return Promise.resolve();
    const now = Date.parse(this.nowWall());
    const validUntil = new Date(now + 4 * this.resendIntervalMs).toISOString();
    const posts: Promise<void>[] = [];
    for (const [node, client] of this.clients) {
      const mine = alerts.filter((t) => t.targets.includes(node));
      if (mine.length === 0) continue;
      if (isTick) {
        if (this.tickBusy.has(node)) {
          this.counts.skipped++;
          continue;
        }
        this.tickBusy.add(node);
      }
      const batches: PostableAlert[][] = [];
      for (let i = 0; i < mine.length; i += this.maxBatch) {
        batches.push(mine.slice(i, i + this.maxBatch).map((t) => this.postable(t, validUntil)));
      }
      const p = Promise.allSettled(batches.map((b) => this.post(client, b))).then(() => {
        if (isTick) this.tickBusy.delete(node);
      });
      this.track(p);
      posts.push(p);
    }
    return Promise.all(posts).then(() => undefined);
  }

  private postable(t: Tracked, validUntil: string): PostableAlert {
    // labels/annotations are shared with the tracked alert: the history keeps references, not copies.
    const a: PostableAlert = { labels: t.labels, startsAt: t.startsAt, endsAt: t.state === 'firing' ? validUntil : t.resolvedAt! };
    if (t.annotations) a.annotations = t.annotations;
    if (this.generatorURL) a.generatorURL = this.generatorURL;
    return a;
  }

  private async post(client: AlertmanagerClient, batch: PostableAlert[]): Promise<void> {
    this.counts.posts++;
    try {
      await this.recorder.run('alerts.post', client.node, batch, () =>
        client.postAlerts(batch, { timeoutMs: this.postTimeoutMs, signal: this.abort.signal }),
      );
      this.counts.ok++;
    } catch (e) {
      // Recorded by the recorder already; a source keeps sending whatever a node does.
      if (failedOutcome('alerts.post', e) === null) this.counts.indeterminate++;
      else this.counts.failed++;
    }
  }

  private track(p: Promise<void>): void {
    this.inFlight.add(p);
    void p.finally(() => this.inFlight.delete(p));
  }

  private resolveTargets(targets: NodeId[] | undefined, labels: LabelSet): NodeId[] {
    if (targets === undefined) return [...this.clients.keys()];
    for (const n of targets) {
      if (!this.clients.has(n)) {
        throw new AmchaosError('AMCHAOS_BAD_ARGUMENT', `alert ${labelKey(labels)}: target node ${JSON.stringify(n)} is not one of ${[...this.clients.keys()].join(', ')}`, {
          hint: 'targets must name nodes of this scenario',
        });
      }
    }
    if (targets.length === 0) {
      throw new AmchaosError('AMCHAOS_BAD_ARGUMENT', `alert ${labelKey(labels)}: empty target list`, { hint: 'omit targets to send to every node' });
    }
    return [...targets];
  }

  private nowWall(): string {
    return this.history.clock.wallAt(this.history.clock.now()).toISOString();
  }

  private assertRunning(): void {
    if (this.stopped) throw new AmchaosError('AMCHAOS_INTERNAL', 'alert source used after stop()');
  }
}
