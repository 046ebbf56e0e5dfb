import { labelKey, type LabelSet } from '../history/types.js';
import type { ScenarioContext } from '../run/suite.js';
import { AlertSource } from '../workload/alert-source.js';
import type { ScenarioSource } from '../workload/types.js';
import { windows } from './deliveries.js';

/**
 * The run's alert source (stop it in `finally`): the built-in workload — a Prometheus-like source
 * on every node, re-sending every resend interval — or, with --source prometheus, the scenario's
 * real Prometheus replicas. A context without `newSource` (built by hand) gets the workload.
 */
export function newAlertSource(ctx: Pick<ScenarioContext, 'history' | 'nodes' | 'timers'> & Partial<Pick<ScenarioContext, 'newSource'>>): ScenarioSource {
  if (ctx.newSource) return ctx.newSource();
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
