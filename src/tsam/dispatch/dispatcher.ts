/**
 * The dispatcher (dispatch.Dispatcher): every alert goes to the aggregation group of each route it
 * matches, keyed by its group labels. A group first flushes group_wait after creation (at once if the
 * alert already started more than group_wait ago and the group never flushed), then every
 * group_interval. A flush hands a snapshot of the group (firing alerts with endsAt cleared, sorted as
 * types.AlertSlice) to the notify pipeline under a deadline of timeout(group_interval); when the
 * pipeline succeeds the resolved alerts that were not updated meanwhile are dropped from the group.
 * Like Go's timer channel, a tick that fires during a flush is kept (one at most) and runs right after.
 */
import type { Compat } from '../compat/compat.js';
import { resolvedAt, type Alert } from '../alerts/alerts.js';
import { compareGo } from '../labels/gostring.js';
import { fingerprint, labelSetBefore, labelSetEqual, labelSetString, type LabelSet } from '../labels/labelset.js';
import type { Logger } from '../log/logger.js';
import type { Route } from './route.js';

export interface NotifyContext {
  /** Aborts at the pipeline deadline or when the dispatcher stops. */
  signal: AbortSignal;
  /** The tick time of this flush. */
  now: number;
  groupKey: string;
  groupLabels: LabelSet;
  receiver: string;
  repeatIntervalMs: number;
}

/** The notify pipeline: true when every integration succeeded (or had nothing to do). */
export type NotifyFn = (ctx: NotifyContext, alerts: Alert[]) => Promise<boolean>;

/** types.AlertSlice.Less: job, then instance, then LabelSet.Before. */
export function alertLess(a: Alert, b: Alert): boolean {
  for (const k of ['job', 'instance']) {
    const av = a.labels[k];
    const bv = b.labels[k];
    if (av === undefined && bv === undefined) continue;
    if (av === undefined) return false;
    if (bv === undefined) return true;
    if (av !== bv) return compareGo(av, bv) < 0;
  }
  return labelSetBefore(a.labels, b.labels);
}

export function sortAlerts(xs: Alert[]): Alert[] {
  // Array.prototype.sort is stable, like sort.Stable.
  return xs.sort((a, b) => (alertLess(a, b) ? -1 : alertLess(b, a) ? 1 : 0));
}

export class DeadlineError extends Error {
  constructor() {
    super('context deadline exceeded');
  }
}

export class AggrGroup {
  readonly labels: LabelSet;
  readonly route: Route;
  readonly groupKey: string;
  readonly alerts = new Map<string, Alert>();
  private timer: NodeJS.Timeout | undefined;
  private hasFlushed = false;
  private running = false;
  private pendingTick: number | undefined;
  private stopped = false;
  private readonly stopCtl = new AbortController();

  constructor(
    labels: LabelSet,
    route: Route,
    compat: Compat,
    private readonly notify: NotifyFn,
    private readonly timeoutMs: (groupIntervalMs: number) => number,
    private readonly logger: Logger,
  ) {
    this.labels = labels;
    this.route = route;
    this.groupKey = `${route.key}:${labelSetString(labels, compat.labelSetSortsFormatted)}`;
  }

  start(): void {
    this.reset(this.route.opts.groupWaitMs);
  }

  private reset(ms: number): void {
    if (this.stopped) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => this.tick(), ms);
  }

  insert(a: Alert): void {
    this.alerts.set(a.fingerprint, a);
    if (!this.hasFlushed && a.startsAt + this.route.opts.groupWaitMs < Date.now()) this.reset(0);
  }

  empty(): boolean {
    return this.alerts.size === 0;
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.stopCtl.abort(new Error('context canceled'));
  }

  private tick(): void {
    const now = Date.now();
    if (this.running) {
      this.pendingTick = now;
      return;
    }
    void this.run(now);
  }

  private async run(now: number): Promise<void> {
    if (this.stopped) return;
    this.running = true;
    const opts = this.route.opts;
    this.reset(opts.groupIntervalMs);
    this.hasFlushed = true;
    const deadline = new AbortController();
    const t = setTimeout(() => deadline.abort(new DeadlineError()), this.timeoutMs(opts.groupIntervalMs));
    const signal = AbortSignal.any([deadline.signal, this.stopCtl.signal]);
    try {
      await this.flush({
        signal,
        now,
        groupKey: this.groupKey,
        groupLabels: this.labels,
        receiver: opts.receiver,
        repeatIntervalMs: opts.repeatIntervalMs,
      });
    } catch (e) {
      this.logger.error('flush failed', { aggrGroup: this.groupKey, err: e });
    } finally {
      clearTimeout(t);
      this.running = false;
    }
    if (this.pendingTick !== undefined && !this.stopped) {
      const next = this.pendingTick;
      this.pendingTick = undefined;
      void this.run(next);
    }
  }

  private async flush(ctx: NotifyContext): Promise<void> {
    if (this.empty()) return;
    const now = Date.now();
    const slice: Alert[] = [];
    const resolvedSlice: Alert[] = [];
    for (const a of this.alerts.values()) {
      const copy = { ...a };
      // Ensure that alerts don't resolve as time moves forward during the pipeline.
      if (resolvedAt(copy, now)) resolvedSlice.push(copy);
      else copy.endsAt = 0;
      slice.push(copy);
    }
    sortAlerts(slice);
    const ok = await this.notify(ctx, slice);
    if (!ok) return;
    // DeleteIfNotModified: keep a resolved alert that was updated (maybe re-fired) during the flush.
    for (const r of resolvedSlice) {
      const cur = this.alerts.get(r.fingerprint);
      if (cur && cur.updatedAt === r.updatedAt) this.alerts.delete(r.fingerprint);
    }
  }
}

export interface GroupView {
  labels: LabelSet;
  receiver: string;
  groupKey: string;
  alerts: Alert[];
}

export class Dispatcher {
  private readonly groups = new Map<Route, Map<string, AggrGroup>>();
  private readonly maintenance: NodeJS.Timeout;

  constructor(
    readonly route: Route,
    private readonly compat: Compat,
    private readonly notify: NotifyFn,
    private readonly timeoutMs: (groupIntervalMs: number) => number,
    private readonly logger: Logger,
    maintenanceIntervalMs = 30_000,
  ) {
    this.maintenance = setInterval(() => this.doMaintenance(), maintenanceIntervalMs);
    this.maintenance.unref();
  }

  process(a: Alert): void {
    for (const r of this.route.match(a.labels)) this.processAlert(a, r);
  }

  private processAlert(a: Alert, r: Route): void {
    const labels = r.groupLabels(a.labels);
    const fp = fingerprint(labels);
    let byFp = this.groups.get(r);
    if (!byFp) {
      byFp = new Map();
      this.groups.set(r, byFp);
    }
    const existing = byFp.get(fp);
    if (existing) {
      existing.insert(a);
      return;
    }
    const ag = new AggrGroup(labels, r, this.compat, this.notify, this.timeoutMs, this.logger);
    byFp.set(fp, ag);
    // Timer first (newAggrGroup arms group_wait), then insert, which may cut it to 0.
    ag.start();
    ag.insert(a);
  }

  private doMaintenance(): void {
    for (const byFp of this.groups.values()) {
      for (const [fp, ag] of byFp) {
        if (ag.empty()) {
          ag.stop();
          byFp.delete(fp);
        }
      }
    }
  }

  /** Dispatcher.Groups: groups with the alerts passing the filter, plus each alert's receivers. */
  /** alertmanager_dispatcher_aggregation_groups. */
  groupCount(): number {
    let n = 0;
    for (const byFp of this.groups.values()) n += byFp.size;
    return n;
  }

  /**
   * Dispatcher.Groups: the groups of the routes that pass `routeFilter`, with the alerts that pass
   * `filter`; an alert's receivers are those of the listed groups only (so `?receiver=` narrows them).
   */
  listGroups(
    filter: (a: Alert) => boolean,
    routeFilter: (receiver: string) => boolean = () => true,
  ): { groups: GroupView[]; receivers: Map<string, string[]> } {
    const groups: GroupView[] = [];
    const receivers = new Map<string, string[]>();
    for (const [route, byFp] of this.groups) {
      if (!routeFilter(route.opts.receiver)) continue;
      for (const ag of byFp.values()) {
        const receiver = route.opts.receiver;
        const alerts: Alert[] = [];
        for (const a of ag.alerts.values()) {
          if (!filter(a)) continue;
          const rs = receivers.get(a.fingerprint);
          if (rs) rs.push(receiver);
          else receivers.set(a.fingerprint, [receiver]);
          alerts.push(a);
        }
        if (alerts.length === 0) continue;
        groups.push({ labels: ag.labels, receiver, groupKey: ag.groupKey, alerts });
      }
    }
    groups.sort((a, b) => {
      if (labelSetEqual(a.labels, b.labels)) return compareGo(a.receiver, b.receiver);
      return labelSetBefore(a.labels, b.labels) ? -1 : labelSetBefore(b.labels, a.labels) ? 1 : 0;
    });
    for (const g of groups) sortAlerts(g.alerts);
    for (const rs of receivers.values()) rs.sort(compareGo);
    return { groups, receivers };
  }

  stop(): void {
    clearInterval(this.maintenance);
    for (const byFp of this.groups.values()) for (const ag of byFp.values()) ag.stop();
    this.groups.clear();
  }
}
