import type { AlertIntentEvent } from '../history/types.js';
import { mergeIntervals, subtractIntervals, type Interval } from './intervals.js';
import type { ScenarioView } from './scenario.js';

/**
 * The workload's intents (alert.fire / alert.resolve) per alert key, as firing intervals:
 * [fire, next resolve). A repeated fire while firing (a resend) or a resolve while not firing
 * changes nothing.
 */
export interface KeyIntents {
  key: string;
  intents: AlertIntentEvent[];
  /** Merged firing intervals; the last one ends at Infinity when the alert was never resolved. */
  firing: Interval[];
}

export function intentsByKey(view: ScenarioView): Map<string, KeyIntents> {
  const out = new Map<string, KeyIntents>();
  for (const e of view.intents) {
    let k = out.get(e.alert);
    if (!k) out.set(e.alert, (k = { key: e.alert, intents: [], firing: [] }));
    k.intents.push(e);
  }
  for (const k of out.values()) {
    let openAt: number | undefined;
    const list: Interval[] = [];
    for (const e of k.intents) {
      if (e.type === 'alert.fire' && openAt === undefined) openAt = e.t;
      else if (e.type === 'alert.resolve' && openAt !== undefined) {
        list.push({ start: openAt, end: e.t });
        openAt = undefined;
      }
    }
    if (openAt !== undefined) list.push({ start: openAt, end: Infinity });
    k.firing = mergeIntervals(list);
  }
  return out;
}

/**
 * The longest stretch inside [from, to] during which none of `keys` was firing according to the
 * workload, or undefined when some key has no intents at all (its state is unknown).
 */
export function longestAllResolvedStretch(
  byKey: ReadonlyMap<string, KeyIntents>,
  keys: Iterable<string>,
  from: number,
  to: number,
): number | undefined {
  if (!(to > from)) return 0;
  const firing: Interval[] = [];
  for (const key of keys) {
    const k = byKey.get(key);
    if (!k) return undefined;
    for (const i of k.firing) {
      if (i.end <= from) continue;
      if (i.start >= to) break;
      firing.push(i);
    }
  }
  let best = 0;
  for (const piece of subtractIntervals({ start: from, end: to }, mergeIntervals(firing))) {
    best = Math.max(best, piece.end - piece.start);
  }
  return best;
}
