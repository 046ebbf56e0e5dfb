/**
 * Alerts as Alertmanager's types.Alert and its in-memory provider (provider/mem): one alert per label
 * fingerprint, merged on re-post when the activity ranges overlap (Alert.Merge), subscribers told of
 * every put, resolved alerts dropped by GC. Alerts are not replicated: every node gets them from the
 * clients, exactly like the real binary.
 * Times are epoch milliseconds; 0 stands for Go's zero time ("not set").
 */
import { timeBefore, type TimeDetail } from '../gojson/gojson.js';
import { fingerprint, type LabelSet } from '../labels/labelset.js';

export interface Alert {
  labels: LabelSet;
  annotations: LabelSet;
  startsAt: number;
  /** 0 = not set. */
  endsAt: number;
  updatedAt: number;
  /** The client's offset and sub-millisecond part of startsAt/endsAt, when they had any. */
  startsAtDetail?: TimeDetail;
  endsAtDetail?: TimeDetail;
  generatorURL: string;
  /** Set when the client gave no endsAt: endsAt is then now + resolve_timeout. */
  timeout: boolean;
  fingerprint: string;
}

export function newAlert(a: Omit<Alert, 'fingerprint'>): Alert {
  return { ...a, fingerprint: fingerprint(a.labels) };
}

/** Alert.ResolvedAt(t): endsAt set and not after t. */
export function resolvedAt(a: Alert, t: number): boolean {
  return a.endsAt !== 0 && a.endsAt <= t;
}

export function resolved(a: Alert): boolean {
  return resolvedAt(a, Date.now());
}

/** types.Alert.Merge: the younger alert wins, keeping the earliest start and the right end. */
export function mergeAlerts(a: Alert, o: Alert): Alert {
  if (o.updatedAt < a.updatedAt) return mergeAlerts(o, a);
  const res: Alert = { ...o };
  if (timeBefore(a.startsAt, a.startsAtDetail, o.startsAt, o.startsAtDetail)) {
    res.startsAt = a.startsAt;
    // Touch the detail only when there is one: an explicit undefined would widen every merged alert.
    if (a.startsAtDetail !== undefined || res.startsAtDetail !== undefined) res.startsAtDetail = a.startsAtDetail;
  }
  const now = Date.now();
  const aEndsLater = timeBefore(o.endsAt, o.endsAtDetail, a.endsAt, a.endsAtDetail);
  if (resolvedAt(o, now) ? resolvedAt(a, now) && aEndsLater : aEndsLater && !a.timeout) {
    res.endsAt = a.endsAt;
    if (a.endsAtDetail !== undefined || res.endsAtDetail !== undefined) res.endsAtDetail = a.endsAtDetail;
  }
  return res;
}

export type AlertListener = (a: Alert) => void;

export class AlertStore {
  private readonly alerts = new Map<string, Alert>();
  private readonly listeners: AlertListener[] = [];

  subscribe(fn: AlertListener): void {
    this.listeners.push(fn);
  }

  /** provider/mem Put: merge with an overlapping stored alert, store, tell subscribers. */
  put(alerts: readonly Alert[]): void {
    for (let alert of alerts) {
      const old = this.alerts.get(alert.fingerprint);
      if (
        old &&
        ((timeBefore(old.startsAt, old.startsAtDetail, alert.endsAt, alert.endsAtDetail) &&
          timeBefore(alert.endsAt, alert.endsAtDetail, old.endsAt, old.endsAtDetail)) ||
          (timeBefore(old.startsAt, old.startsAtDetail, alert.startsAt, alert.startsAtDetail) &&
            timeBefore(alert.startsAt, alert.startsAtDetail, old.endsAt, old.endsAtDetail)))
      ) {
        alert = mergeAlerts(old, alert);
      }
      this.alerts.set(alert.fingerprint, alert);
      for (const fn of this.listeners) fn(alert);
    }
  }

  get(fp: string): Alert | undefined {
    return this.alerts.get(fp);
  }

  list(): IterableIterator<Alert> {
    return this.alerts.values();
  }

  size(): number {
    return this.alerts.size;
  }

  /** Drops resolved alerts (the provider's GC, every --alerts.gc-interval). */
  gc(now = Date.now()): number {
    let n = 0;
    for (const [fp, a] of this.alerts) {
      if (resolvedAt(a, now)) {
        this.alerts.delete(fp);
        n++;
      }
    }
    return n;
  }
}
