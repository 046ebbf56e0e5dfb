import { labelKey, type LabelSet } from '../history/types.js';
import type { ScenarioContext } from '../run/suite.js';
import { AlertSource } from '../workload/alert-source.js';
import { windows } from './deliveries.js';

/** A Prometheus-like alert source on every node of the scenario, re-sending every resend interval (stop it in `finally`). */
export function newAlertSource(ctx: Pick<ScenarioContext, 'history' | 'nodes' | 'timers'>): AlertSource {
  const source = new AlertSource({
    history: ctx.history,
    clients: ctx.nodes.map((n) => n.client),
    resendIntervalMs: ctx.timers.resendIntervalMs,
  });
  source.start();
  return source;
}

/**
 * The scenario's alerts, moved into groups of their own for one phase of a suite: the `group`
 * label (which the default route groups by) gets the phase as suffix and an `amchaos_phase`
 * label marks them, so each phase's transitions are separate groups and can be counted apart.
 */
export function phaseAlerts(alerts: readonly LabelSet[], phase: string): LabelSet[] {
  return alerts.map((a) => ({ ...a, group: `${a['group'] ?? 'g'}-${phase}`, amchaos_phase: phase }));
}

/** The identities (labelKey) of alerts. */
export function keysOf(alerts: readonly LabelSet[]): string[] {
  return alerts.map(labelKey);
}

/**
 * Keeps alerts firing until they have been firing (unmuted, from `since` on the scenario clock)
 * for a whole flush window of the slowest route — max(group_wait, group_interval) + margin — so
 * that the no-loss checker holds the cluster to a firing notification for each; an alert resolved
 * sooner may legitimately never be notified as firing.
 */
export async function holdFiringSince(ctx: ScenarioContext, since: number): Promise<void> {
  const left = since + windows(ctx).flushWindow + 100 - ctx.history.clock.now();
  if (left > 0) await ctx.sleep(left);
}
