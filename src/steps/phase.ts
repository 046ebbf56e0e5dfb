import type { LabelSet } from '../history/types.js';
import type { ScenarioContext } from '../run/suite.js';
import type { ScenarioSource } from '../workload/types.js';
import { phaseAlerts, keysOf } from './alerts.js';
import { awaitDeliveries, countDuplicates, windows, type DuplicateCount } from './deliveries.js';

/** A marker in the history (the report's timeline shows notes), so each phase can be found. */
export function mark(ctx: ScenarioContext, message: string): void {
  ctx.history.append({ type: 'note', level: 'info', message: `${ctx.suite}: ${message}` });
  ctx.log(message);
}

export interface Phase {
  name: string;
  alerts: LabelSet[];
  keys: string[];
  /** Scenario time the source had fired the phase's alerts (fire() resolved). */
  firedAt: number;
  /** Every alert of the phase was delivered firing within the window. */
  delivered: boolean;
  /** Duplicates among the phase's notifications so far (from firedAt, or `to`). */
  count(to?: number): DuplicateCount;
}

/**
 * One phase of a suite, the step every fault suite repeats: the scenario's alerts moved into
 * groups of their own (phaseAlerts), fired at every node, marked in the history, then waited for —
 * every one delivered firing, plus the duplicate window. `count()` replays the dedup rule over what
 * arrived since (the suite's figures). `windowMs` defaults to the first-delivery window.
 */
export async function firePhase(
  ctx: ScenarioContext,
  source: ScenarioSource,
  o: { name: string; alerts?: readonly LabelSet[]; windowMs?: number; wait?: boolean },
): Promise<Phase> {
  const alerts = phaseAlerts(o.alerts ?? ctx.alerts, o.name);
  const keys = keysOf(alerts);
  await source.fire(alerts.map((labels) => ({ labels })));
  // After fire(): a source resolves it once it really sends the alerts (Prometheus: a scrape and an evaluation later).
  const firedAt = ctx.history.clock.now();
  mark(ctx, `${o.name}: fired ${alerts.length} alerts at ${ctx.nodes.length} nodes`);
  const delivered = o.wait === false ? false : await awaitDeliveries(ctx, keys, 'firing', { since: firedAt, windowMs: o.windowMs ?? windows(ctx).firstDelivery });
  return { name: o.name, alerts, keys, firedAt, delivered, count: (to) => countDuplicates(ctx, keys, { from: firedAt, ...(to !== undefined ? { to } : {}) }) };
}
