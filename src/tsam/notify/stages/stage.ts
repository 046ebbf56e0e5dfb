/**
 * The contract every notify stage keeps (Alertmanager's notify.Stage): take the alerts, pass on the ones
 * the next stage should see. An empty result ends the pipeline successfully (nothing to notify); a
 * failure throws NotifyFailure, which the fan-out turns into "this flush failed" so the group retries.
 * Per-integration stages share an IntegrationContext, the way Go's stages share context values
 * (the dedup stage leaves the hashes and the reason there for retry and set-notifies).
 */
import type { Alert } from '../../alerts/alerts.js';
import type { NotifyContext } from '../../dispatch/dispatcher.js';
import type { NflogReceiver } from '../../statepb/statepb.js';

export type NotifyReason =
  | 'none'
  | 'first notification'
  | 'new alerts added'
  | 'some alerts resolved'
  | 'all alerts resolved'
  | 'repeat interval elapsed';

/** What one integration's stages share during one flush. */
export interface IntegrationContext extends NotifyContext {
  recv: NflogReceiver;
  /** Set by dedup: the time the firing/resolved split was made, the hashes, and why to notify. */
  dedupAt: number;
  firing: bigint[];
  resolved: bigint[];
  reason: NotifyReason;
}

export interface Stage<C extends NotifyContext = NotifyContext> {
  readonly name: string;
  exec(ctx: C, alerts: Alert[]): Promise<Alert[]>;
}

export class NotifyFailure extends Error {}

/** notify.MultiStage: stages in order; stops as soon as one leaves no alerts. */
export function multiStage<C extends NotifyContext>(name: string, stages: readonly Stage<C>[]): Stage<C> {
  return {
    name,
    async exec(ctx, alerts) {
      let current = alerts;
      for (const s of stages) {
        current = await s.exec(ctx, current);
        if (current.length === 0) return current;
      }
      return current;
    },
  };
}

/** A stage that passes everything on: what a fault switch puts where it removes a stage. */
export function passThrough<C extends NotifyContext>(name: string): Stage<C> {
  return { name, exec: async (_ctx, alerts) => alerts };
}
