import type { HistoryEvent } from '../history/types.js';
import { checkExactlyOnce } from './exactly-once.js';
import { checkNoLoss } from './no-loss.js';
import { checkValidity } from './validity.js';

/**
 * Until when a scenario must keep watching before teardown so that its checks can decide: the
 * latest horizon of any healthy transition (exactly-once), of any alert's last notified state
 * (validity), and the latest deadline of a notification still owed (no-loss). The scenario runner
 * waits for it in the quiesce phase; a scenario torn down earlier would leave those checks
 * `unknown`. Undefined when nothing is pending. Pure: it runs the checkers on the history so far.
 */
export function observationHorizon(history: readonly HistoryEvent[], options: { deliveryMarginMs?: number } = {}): number | undefined {
  const times: number[] = [];
  const eo = checkExactlyOnce(history);
  if (typeof eo.figures['latestHorizon'] === 'number') times.push(eo.figures['latestHorizon']);
  const va = checkValidity(history);
  if (typeof va.figures['latestHorizon'] === 'number') times.push(va.figures['latestHorizon']);
  const nl = checkNoLoss(history, options.deliveryMarginMs !== undefined ? { deliveryMarginMs: options.deliveryMarginMs } : {});
  for (const e of nl.evidence) {
    const d = e.data?.['deadline'];
    if (e.kind === 'pending' && typeof d === 'number' && Number.isFinite(d)) times.push(d);
  }
  return times.length > 0 ? Math.max(...times) : undefined;
}
