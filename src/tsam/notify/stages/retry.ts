/**
 * notify.RetryStage: send to the integration until it succeeds, fails for good, or the flush's deadline
 * ends it (exponential backoff from 500 ms). Counts attempts, requests, failures by reason and latency
 * under the integration's label. Integrations tsam does not deliver to fail at once (reason "other"):
 * what a real node that cannot reach them would count, without the retries.
 */
import { resolvedAt } from '../../alerts/alerts.js';
import type { Compat } from '../../compat/compat.js';
import type { WebhookConfig } from '../../config/config.js';
import type { Logger } from '../../log/logger.js';
import type { FailureReason, Metrics } from '../../metrics/metrics.js';
import { postWebhook, webhookBody } from '../webhook.js';
import type { IntegrationContext, Stage } from './stage.js';
import { NotifyFailure } from './stage.js';
import { sleep } from './wait.js';

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

export interface WebhookRetryDeps {
  compat: Compat;
  metrics: Metrics;
  externalURL: string;
  log: Logger;
}

/** The reason a context ended: the deadline or a cancellation (dispatcher stop, reload). */
function contextReason(signal: AbortSignal): FailureReason {
  return (signal.reason as Error | undefined)?.name === 'TimeoutError' ? 'contextDeadlineExceeded' : 'contextCanceled';
}

export function webhookRetryStage(conf: WebhookConfig, deps: WebhookRetryDeps): Stage<IntegrationContext> {
  const counters = deps.metrics.integration('webhook');
  return {
    name: 'retry',
    async exec(ctx, alerts) {
      const l = deps.log.with({ receiver: ctx.recv.groupName, integration: `webhook[${ctx.recv.idx}]`, aggrGroup: ctx.groupKey });
      counters.notifications++;
      let sent = alerts;
      if (!conf.sendResolved) {
        // Only resolved alerts and send_resolved off: nothing to send, but still logged (set-notifies).
        if (ctx.firing.length === 0) return alerts;
        sent = alerts.filter((a) => !resolvedAt(a, ctx.dedupAt));
      }
      const body = webhookBody({
        receiver: ctx.receiver,
        alerts: sent,
        groupLabels: ctx.groupLabels,
        groupKey: ctx.groupKey,
        externalURL: deps.externalURL,
        maxAlerts: conf.maxAlerts,
        notificationReason: deps.compat.webhookNotificationReason ? ctx.reason : undefined,
        now: ctx.dedupAt,
      });
      const backoff = new Backoff();
      let attempts = 0;
      let lastErr: string | undefined;
      let lastReason: FailureReason | undefined;
      for (;;) {
        if (ctx.signal.aborted) {
          counters.failed[lastReason ?? contextReason(ctx.signal)]++;
          const err = `${ctx.recv.groupName}/webhook[${ctx.recv.idx}]: notify retry canceled after ${attempts} attempts: ${lastErr ?? (ctx.signal.reason as Error)?.message}`;
          l.error('Notify for alerts failed', { num_alerts: alerts.length, err });
          throw new NotifyFailure(err);
        }
        attempts++;
        counters.requests++;
        const started = performance.now();
        const res = await postWebhook(conf, body, deps.compat, ctx.signal);
        counters.latency.observe((performance.now() - started) / 1000);
        if (res.ok) {
          if (attempts > 1) l.info('Notify success', { attempts });
          else l.debug('Notify success', { attempts });
          return alerts;
        }
        counters.requestsFailed++;
        lastReason = res.status === undefined ? 'other' : res.status >= 500 ? 'serverError' : 'clientError';
        if (!res.retry) {
          counters.failed[lastReason]++;
          const err = `${ctx.recv.groupName}/webhook[${ctx.recv.idx}]: notify retry canceled due to unrecoverable error after ${attempts} attempts: ${res.error}`;
          l.error('Notify for alerts failed', { num_alerts: alerts.length, err });
          throw new NotifyFailure(err);
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
    },
  };
}

/** An integration tsam accepts but does not deliver to: every notification fails (reason "other"). */
export function undeliveredRetryStage(integration: string, metrics: Metrics): Stage<IntegrationContext> {
  const counters = metrics.integration(integration);
  return {
    name: 'retry',
    async exec(ctx) {
      counters.notifications++;
      counters.failed.other++;
      throw new NotifyFailure(`${ctx.recv.groupName}/${integration}[${ctx.recv.idx}]: tsam does not deliver to ${integration}`);
    },
  };
}
