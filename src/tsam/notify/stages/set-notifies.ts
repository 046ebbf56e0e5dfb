/**
 * notify.SetNotifiesStage: only after a successful send does the notification log learn what this
 * integration sent (gossiped to the peers, who then stay quiet). A failed send never gets here, which
 * is what lets a peer at a later position notify instead.
 */
import type { NotificationLog } from '../../nflog/nflog.js';
import type { IntegrationContext, Stage } from './stage.js';

export function setNotifiesStage(nflog: NotificationLog): Stage<IntegrationContext> {
  return {
    name: 'set-notifies',
    async exec(ctx, alerts) {
      nflog.log(ctx.recv, ctx.groupKey, ctx.firing, ctx.resolved, 2 * ctx.repeatIntervalMs);
      return alerts;
    },
  };
}
