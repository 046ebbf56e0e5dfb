/**
 * notify.DedupStage: hash the alerts into firing and resolved, ask the notification log what this
 * integration last sent for the group, and go on only when needsUpdate says so (the reason travels on
 * in the context). This is where a cluster avoids duplicate notifications.
 */
import { resolvedAt } from '../../alerts/alerts.js';
import type { Metrics } from '../../metrics/metrics.js';
import type { NotificationLog } from '../../nflog/nflog.js';
import type { NflogEntry } from '../../statepb/statepb.js';
import { goTimeToMs } from '../../statepb/statepb.js';
import { hashAlert } from '../hash.js';
import type { IntegrationContext, NotifyReason, Stage } from './stage.js';

function isSubset(set: readonly bigint[], subset: ReadonlySet<bigint>): boolean {
  const s = new Set(set);
  for (const x of subset) if (!s.has(x)) return false;
  return true;
}

/** DedupStage.needsUpdate, reasons as 0.32+ names them (older versions make the same decisions). */
export function needsUpdate(
  entry: NflogEntry | undefined,
  firing: ReadonlySet<bigint>,
  resolved: ReadonlySet<bigint>,
  sendResolved: boolean,
  repeatIntervalMs: number,
  nowMs: number,
): NotifyReason {
  if (!entry) return firing.size > 0 ? 'first notification' : 'none';
  if (!isSubset(entry.firingAlerts, firing)) {
    return entry.firingAlerts.length === 0 ? 'first notification' : 'new alerts added';
  }
  if (firing.size === 0) return entry.firingAlerts.length > 0 ? 'all alerts resolved' : 'none';
  if (sendResolved && !isSubset(entry.resolvedAlerts, resolved)) return 'some alerts resolved';
  const ts = entry.timestamp === undefined ? Number.NEGATIVE_INFINITY : goTimeToMs(entry.timestamp);
  return ts < nowMs - repeatIntervalMs ? 'repeat interval elapsed' : 'none';
}

/** How the dedup stage decides; `notifyAlways` is the no-dedup fault's replacement. */
export type DedupDecision = (entry: NflogEntry | undefined, reason: NotifyReason) => NotifyReason;

const asLogged: DedupDecision = (_entry, reason) => reason;

/** FAULT no-dedup: notify on every flush, as if the log were empty. */
export const notifyAlways: DedupDecision = (entry, reason) =>
  reason !== 'none' ? reason : entry && entry.firingAlerts.length > 0 ? 'repeat interval elapsed' : 'first notification';

export function dedupStage(nflog: NotificationLog, sendResolved: boolean, metrics: Metrics, decide: DedupDecision = asLogged): Stage<IntegrationContext> {
  return {
    name: 'dedup',
    async exec(ctx, alerts) {
      const nowMs = Date.now();
      const firing: bigint[] = [];
      const resolved: bigint[] = [];
      const firingSet = new Set<bigint>();
      const resolvedSet = new Set<bigint>();
      for (const a of alerts) {
        const h = hashAlert(a.labels);
        if (resolvedAt(a, nowMs)) {
          resolved.push(h);
          resolvedSet.add(h);
        } else {
          firing.push(h);
          firingSet.add(h);
        }
      }
      metrics.nflogQueries++;
      const entry = nflog.query(ctx.groupKey, ctx.recv);
      const reason = decide(entry, needsUpdate(entry, firingSet, resolvedSet, sendResolved, ctx.repeatIntervalMs, nowMs));
      ctx.dedupAt = nowMs;
      ctx.firing = firing;
      ctx.resolved = resolved;
      ctx.reason = reason;
      return reason === 'none' ? [] : alerts;
    },
  };
}
