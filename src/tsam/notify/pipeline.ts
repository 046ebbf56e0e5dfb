/**
 * The notify pipeline (notify.PipelineBuilder), built from stage values per receiver:
 *   gossip settle → inhibit → silence → fan out over integrations, each
 *   wait(position × peer_timeout) → dedup (nflog, needsUpdate) → retry(send) → set-notifies (nflog).
 * A stage that leaves no alerts ends the pipeline successfully without notifying. The nflog is written
 * only after a successful send; a failed or timed-out send leaves it untouched, which is exactly what
 * lets a peer at a later position notify instead (and what makes duplicates during receiver outages).
 * A deliberate defect (--tsam.fault) swaps one stage for another here, nowhere else: no-wait puts a
 * pass-through where the wait stage was, no-dedup a dedup stage that always notifies.
 */
import type { Compat } from '../compat/compat.js';
import type { Config } from '../config/config.js';
import type { Faults } from '../faults/faults.js';
import type { Alert } from '../alerts/alerts.js';
import type { AlertMarker } from '../alerts/marker.js';
import type { NotifyContext, NotifyFn } from '../dispatch/dispatcher.js';
import type { Inhibitor } from '../inhibit/inhibitor.js';
import type { Logger } from '../log/logger.js';
import type { Metrics } from '../metrics/metrics.js';
import type { NotificationLog } from '../nflog/nflog.js';
import type { Silences } from '../silences/silences.js';
import { dedupStage, notifyAlways } from './stages/dedup.js';
import { undeliveredRetryStage, webhookRetryStage } from './stages/retry.js';
import { setNotifiesStage } from './stages/set-notifies.js';
import { multiStage, NotifyFailure, passThrough, type IntegrationContext, type Stage } from './stages/stage.js';
import { waitStage } from './stages/wait.js';

export { needsUpdate } from './stages/dedup.js';
export { Backoff } from './stages/retry.js';
export type { NotifyReason } from './stages/stage.js';

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
  /** Where the mute stages record each alert's suppressed/active state. */
  marker: AlertMarker;
}

/** One integration of a receiver: its nflog identity and its stage chain. */
interface Integration {
  recv: IntegrationContext['recv'];
  stages: Stage<IntegrationContext>;
}

/** notify.GossipSettleStage: nothing is sent before the cluster has settled. */
function settleStage(waitReady: PipelineDeps['waitReady']): Stage {
  return {
    name: 'settle',
    async exec(ctx, alerts) {
      try {
        await waitReady(ctx.signal);
      } catch {
        throw new NotifyFailure('canceled while waiting for the gossip to settle');
      }
      return alerts;
    },
  };
}

/** notify.MuteStage with the inhibitor, then with the silencer. */
function muteStages(deps: PipelineDeps): Stage[] {
  return [
    {
      name: 'inhibit',
      exec: async (_ctx, alerts) => {
        const now = Date.now();
        return alerts.filter((a) => {
          const muted = deps.inhibitor.mutedBy(a.labels, now).length > 0;
          if (muted) deps.marker.set(a.fingerprint, true);
          return !muted;
        });
      },
    },
    {
      name: 'silence',
      exec: async (_ctx, alerts) => {
        deps.metrics.silencesQueries++;
        return alerts.filter((a) => {
          const muted = deps.silences.mutedBy(a.labels).length > 0;
          deps.marker.set(a.fingerprint, muted);
          return !muted;
        });
      },
    },
  ];
}

/** Builds the pipeline for a config: the dispatcher calls it once per group flush. */
export function buildPipeline(cfg: Config, deps: PipelineDeps): NotifyFn {
  const log = deps.logger.with({ component: 'dispatcher' });
  // FAULT no-wait: every node notifies at once.
  const wait: Stage<IntegrationContext> = deps.faults.noWait ? passThrough('no-wait') : waitStage(deps.position, deps.peerTimeoutMs);
  // FAULT no-dedup: every flush notifies, whatever the notification log says.
  const dedupDecision = deps.faults.noDedup ? notifyAlways : undefined;
  const setNotifies = setNotifiesStage(deps.nflog);

  const byReceiver = new Map<string, Integration[]>();
  for (const r of cfg.receivers) {
    const integrations: Integration[] = r.webhookConfigs.map((conf, idx) => ({
      recv: { groupName: r.name, integration: 'webhook', idx },
      stages: multiStage('webhook', [
        wait,
        dedupStage(deps.nflog, conf.sendResolved, deps.metrics, dedupDecision),
        webhookRetryStage(conf, { compat: deps.compat, metrics: deps.metrics, externalURL: deps.externalURL, log }),
        setNotifies,
      ]),
    }));
    const counts = new Map<string, number>();
    for (const other of r.others) {
      const idx = counts.get(other.name) ?? 0;
      counts.set(other.name, idx + 1);
      const sendResolved = typeof other.fields['send_resolved'] === 'boolean' ? other.fields['send_resolved'] : true;
      integrations.push({
        recv: { groupName: r.name, integration: other.name, idx },
        stages: multiStage(other.name, [wait, dedupStage(deps.nflog, sendResolved, deps.metrics, dedupDecision), undeliveredRetryStage(other.name, deps.metrics), setNotifies]),
      });
    }
    byReceiver.set(r.name, integrations);
  }
  const head = multiStage('receiver', [settleStage(deps.waitReady), ...muteStages(deps)]);

  return async (ctx: NotifyContext, input: Alert[]): Promise<boolean> => {
    const integrations = byReceiver.get(ctx.receiver);
    if (!integrations) {
      log.error('Missing receiver', { receiver: ctx.receiver });
      return false;
    }
    let alerts: Alert[];
    try {
      alerts = await head.exec(ctx, input);
    } catch (e) {
      if (e instanceof NotifyFailure) return false;
      throw e;
    }
    if (alerts.length === 0) return true;
    // notify.FanoutStage: every integration on its own, the flush fails if any did.
    const results = await Promise.all(
      integrations.map(async (i) => {
        const ictx: IntegrationContext = { ...ctx, recv: i.recv, dedupAt: 0, firing: [], resolved: [], reason: 'none' };
        try {
          await i.stages.exec(ictx, alerts);
          return true;
        } catch (e) {
          if (e instanceof NotifyFailure) return false;
          throw e;
        }
      }),
    );
    return results.every(Boolean);
  };
}
