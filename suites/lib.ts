import { labelKey, type NotificationEvent } from '../src/history/types.js';
import { deliveryWindows, type ScenarioContext } from '../src/run/suite.js';
import { AlertSource } from '../src/workload/alert-source.js';

/**
 * Shared steps of the suites: fire alerts at every node and wait for their deliveries, then
 * give every later cluster position its turn to send a (wrong) duplicate before moving on.
 */
export function newAlertSource(ctx: ScenarioContext): AlertSource {
  const source = new AlertSource({
    history: ctx.history,
    clients: ctx.nodes.map((n) => n.client),
    resendIntervalMs: ctx.timers.resendIntervalMs,
  });
  source.start();
  return source;
}

export function windows(ctx: ScenarioContext) {
  return deliveryWindows(ctx.timers, ctx.nodes.length, ctx.config);
}

/** Keys of alerts that reached the receiver (delivered, 2xx) with this status. */
export function deliveredKeys(notifications: readonly NotificationEvent[], status: 'firing' | 'resolved'): Set<string> {
  const keys = new Set<string>();
  for (const n of notifications) {
    if (!n.delivered) continue;
    for (const a of n.alerts) if (a.status === status) keys.add(a.key);
  }
  return keys;
}

/**
 * Waits until every alert in `keys` was delivered with `status` (or the window passes), then the
 * duplicate window: a cluster that dedups correctly sends nothing more in it.
 */
export async function awaitDeliveriesThenDuplicates(
  ctx: ScenarioContext,
  keys: readonly string[],
  status: 'firing' | 'resolved',
  windowMs: number,
): Promise<boolean> {
  const w = windows(ctx);
  const all = await ctx.waitUntil(() => {
    const got = deliveredKeys(ctx.notifications(), status);
    return keys.every((k) => got.has(k));
  }, windowMs + w.duplicateWindow);
  if (!all) ctx.log(`not every ${status} alert was delivered within ${windowMs + w.duplicateWindow} ms (the checkers will say which)`);
  await ctx.sleep(w.duplicateWindow);
  return all;
}

export function keysOf(ctx: ScenarioContext): string[] {
  return ctx.alerts.map((labels) => labelKey(labels));
}

/**
 * Keeps alerts firing until they have been firing (unmuted, from `since` on the scenario clock)
 * for a whole flush window — max(group_wait, group_interval) + margin — so that the no-loss
 * checker holds the cluster to a firing notification for each; an alert resolved sooner may
 * legitimately never be notified as firing.
 */
export async function holdFiringSince(ctx: ScenarioContext, since: number): Promise<void> {
  const flushWindow = windows(ctx).flushWindow + 100;
  const left = since + flushWindow - ctx.history.clock.now();
  if (left > 0) await ctx.sleep(left);
}
