/**
 * The notify pipeline (notify.PipelineBuilder), per receiver:
 *   gossip settle → inhibit → silence → fan out over integrations, each
 *   wait(position × peer_timeout) → dedup (nflog, needsUpdate) → retry(send) → nflog.Log.
 * A stage that leaves no alerts ends the pipeline successfully without notifying. The nflog is written
 * only after a successful send; a failed or timed-out send leaves it untouched, which is exactly what
 * lets a peer at a later position notify instead (and what makes duplicates during receiver outages).
 */
import type { Compat } from '../compat/compat.js';
import type { Config, WebhookConfig } from '../config/config.js';
import type { Faults } from '../faults/faults.js';
import { resolvedAt, type Alert } from '../alerts/alerts.js';
import type { NotifyContext, NotifyFn } from '../dispatch/dispatcher.js';
import type { Inhibitor } from '../inhibit/inhibitor.js';
import type { Logger } from '../log/logger.js';
import type { Metrics } from '../metrics/metrics.js';
import type { NotificationLog } from '../nflog/nflog.js';
import type { Silences } from '../silences/silences.js';
import type { NflogEntry, NflogReceiver } from '../statepb/statepb.js';
import { goTimeToMs } from '../statepb/statepb.js';
import { hashAlert } from './hash.js';
import { postWebhook, webhookBody } from './webhook.js';

export type NotifyReason =
  | 'none'
  | 'first notification'
  | 'new alerts added'
  | 'some alerts resolved'
  | 'all alerts resolved'
  | 'repeat interval elapsed';

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

/** cenkalti/backoff ExponentialBackOff defaults: 500 ms, ×1.5, ±50 %, capped at 60 s. */
export class Backoff {
  private interval = 500;
  next(): number {
    const delta = 0.5 * this.interval;
    const d = this.interval - delta + Math.random() * (2 * delta);
    this.interval = Math.min(this.interval * 1.5, 60_000);
    return d;
  }
}

export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) {
      reject(signal.reason);
      return;
    }
    const t = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = (): void => {
      clearTimeout(t);
      reject(signal.reason);
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

export interface PipelineDeps {
  compat: Compat;
  faults: Faults;
  logger: Logger;
  nflog: NotificationLog;
  silences: Silences;
  inhibitor: Inhibitor;
  /** This node's position among the cluster peers (0 when clustering is off). */
  position: () => number;
  peerTimeoutMs: number;
  /** Resolves once gossip has settled (at once when clustering is off). */
  waitReady: (signal: AbortSignal) => Promise<void>;
  externalURL: string;
  metrics: Metrics;
}

interface Integration {
  conf: WebhookConfig;
  recv: NflogReceiver;
}

/** Builds the pipeline for a config: the dispatcher calls it once per group flush. */
export function buildPipeline(cfg: Config, deps: PipelineDeps): NotifyFn {
  const byReceiver = new Map<string, Integration[]>();
  for (const r of cfg.receivers) {
    byReceiver.set(
      r.name,
      r.webhookConfigs.map((conf, idx) => ({ conf, recv: { groupName: r.name, integration: 'webhook', idx } })),
    );
  }
  const log = deps.logger.with({ component: 'dispatcher' });

  return async (ctx: NotifyContext, input: Alert[]): Promise<boolean> => {
    const integrations = byReceiver.get(ctx.receiver);
    if (!integrations) {
      log.error('Missing receiver', { receiver: ctx.receiver });
      return false;
    }
    try {
      await deps.waitReady(ctx.signal);
    } catch {
      return false;
    }
    const now = Date.now();
    let alerts = input.filter((a) => deps.inhibitor.mutedBy(a.labels, now).length === 0);
    if (alerts.length === 0) return true;
    alerts = alerts.filter((a) => deps.silences.mutedBy(a.labels).length === 0);
    if (alerts.length === 0) return true;
    const results = await Promise.all(integrations.map((i) => runIntegration(i, ctx, alerts, deps, log)));
    return results.every(Boolean);
  };
}

async function runIntegration(
  integ: Integration,
  ctx: NotifyContext,
  alerts: Alert[],
  deps: PipelineDeps,
  log: Logger,
): Promise<boolean> {
  const l = log.with({ receiver: integ.recv.groupName, integration: `webhook[${integ.recv.idx}]`, aggrGroup: ctx.groupKey });
  // Wait stage: position × peer timeout gives lower positions the chance to notify and gossip first.
  // FAULT no-wait: every node notifies at once.
  const wait = deps.faults.noWait ? 0 : deps.position() * deps.peerTimeoutMs;
  try {
    if (wait > 0) await sleep(wait, ctx.signal);
  } catch {
    return false;
  }

  // Dedup stage.
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
  const entry = deps.nflog.query(ctx.groupKey, integ.recv);
  let reason = needsUpdate(entry, firingSet, resolvedSet, integ.conf.sendResolved, ctx.repeatIntervalMs, nowMs);
  // FAULT no-dedup: notify on every flush, as if the log were empty.
  if (deps.faults.noDedup && reason === 'none') reason = entry && entry.firingAlerts.length > 0 ? 'repeat interval elapsed' : 'first notification';
  if (reason === 'none') return true;

  // Retry stage.
  deps.metrics.notificationsTotal++;
  let sent = alerts;
  if (!integ.conf.sendResolved) {
    // Only resolved alerts and send_resolved off: nothing to send, but still logged below.
    if (firing.length === 0) {
      deps.nflog.log(integ.recv, ctx.groupKey, firing, resolved, 2 * ctx.repeatIntervalMs);
      return true;
    }
    sent = alerts.filter((a) => !resolvedAt(a, nowMs));
  }
  const body = webhookBody({
    receiver: ctx.receiver,
    alerts: sent,
    groupLabels: ctx.groupLabels,
    groupKey: ctx.groupKey,
    externalURL: deps.externalURL,
    maxAlerts: integ.conf.maxAlerts,
    notificationReason: deps.compat.webhookNotificationReason ? reason : undefined,
    now: nowMs,
  });
  const backoff = new Backoff();
  let attempts = 0;
  let lastErr: string | undefined;
  for (;;) {
    if (ctx.signal.aborted) {
      deps.metrics.notificationsFailedTotal++;
      l.error('Notify for alerts failed', {
        num_alerts: alerts.length,
        err: `${integ.recv.groupName}/webhook[${integ.recv.idx}]: notify retry canceled after ${attempts} attempts: ${lastErr ?? (ctx.signal.reason as Error)?.message}`,
      });
      return false;
    }
    attempts++;
    deps.metrics.notificationRequestsTotal++;
    const res = await postWebhook(integ.conf, body, deps.compat, ctx.signal);
    if (!res.ok) deps.metrics.notificationRequestsFailedTotal++;
    if (res.ok) {
      if (attempts > 1) l.info('Notify success', { attempts });
      else l.debug('Notify success', { attempts });
      break;
    }
    if (!res.retry) {
      deps.metrics.notificationsFailedTotal++;
      l.error('Notify for alerts failed', {
        num_alerts: alerts.length,
        err: `${integ.recv.groupName}/webhook[${integ.recv.idx}]: notify retry canceled due to unrecoverable error after ${attempts} attempts: ${res.error}`,
      });
      return false;
    }
    if (!ctx.signal.aborted) {
      if (res.error !== lastErr) l.warn('Notify attempt failed, will retry later', { attempts, err: res.error });
      lastErr = res.error;
    }
    try {
      await sleep(backoff.next(), ctx.signal);
    } catch {
      // Loop once more to report the cancellation.
    }
  }

  // SetNotifies stage: only now, after success, does the log learn about it.
  deps.nflog.log(integ.recv, ctx.groupKey, firing, resolved, 2 * ctx.repeatIntervalMs);
  return true;
}
