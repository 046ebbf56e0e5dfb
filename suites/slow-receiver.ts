import { duringInjectedFault } from '../src/checkers/expectations.js';
import { deriveWindows } from '../src/checkers/scenario.js';
import { duplicates, FAILURE_MODES, phaseClaim } from '../src/claims/index.js';
import type { SuiteDefinition } from '../src/run/suite.js';
import { awaitDeliveries, firePhase, holdFiringSince, mark, newAlertSource, windows } from '../src/steps/index.js';

export const SLOW_RECEIVER_UPSTREAM =
  'a send slower than peer_timeout: the next position finds no nflog entry when its wait ends (the entry is written only after the receiver answered) and sends too (upstream #3999, #3678)';

/**
 * slow-receiver (reference §3 row 2): the receiver answers, but late. Three phases of fresh groups:
 *
 * - `fast` — the control: answers at once, one notification per transition;
 * - `slow` — every answer held 1.5 × peer_timeout: position 0's send is still open when position 1's
 *   wait ends, so position 1 finds no entry and sends too (2 copies; position 2 waits 2 ×
 *   peer_timeout, by then the entry is there);
 * - `slower` — held group_interval + peer_timeout (still under the pipeline's own timeout,
 *   max(group_interval, 10 s) + position × peer_timeout, so nothing is cancelled): every position
 *   sends (N copies). Sends the sender gave up on (the capture records them as `slow`) are counted
 *   as cancelled (`cancelledSends`).
 *
 * The claim: more than one delivered copy of a transition when the receiver is slower than the
 * peer timeout; the control must show none. The copies fall inside the receiver fault, so the
 * exactly-once checker counts them among `duplicatesDuringFaults`; a validity or exactly-once
 * failure is expected only for evidence inside the fault plus its retry tail. Any runtime.
 */
export interface SlowReceiverFigures {
  slowDelayMs: number;
  slowerDelayMs: number;
  duplicatesFast: number;
  duplicatesSlow: number;
  duplicatesSlower: number;
  maxCopiesSlow: number;
  maxCopiesSlower: number;
  cancelledSends: number;
}

export const slowReceiver: SuiteDefinition<SlowReceiverFigures> = {
  name: 'slow-receiver',
  summary: 'the receiver answers slower than the peer timeout, then slower than group_interval: duplicates and cancelled sends counted, none lost (control: a fast receiver)',
  checks: ['no-loss', 'exactly-once', 'validity'],
  knownBehaviours: [
    duringInjectedFault({
      id: 'slow-receiver',
      faults: ['receiver'],
      matchSpec: (spec) => spec?.['mode'] === 'slow',
      tailMs: (view) => {
        const w = deriveWindows(view);
        return w.retrySlackMs + w.peerWaitMaxMs + w.deliveryMarginMs;
      },
      reason: SLOW_RECEIVER_UPSTREAM,
    }),
  ],
  claim: phaseClaim({
    mode: FAILURE_MODES.slowReceiver,
    statement: 'a receiver slower than the peer timeout gets more than one copy of a group transition',
    control: 'the same cluster with the receiver answering at once notifies each transition once',
    faultPhases: ['slow', 'slower'],
    controlPhases: ['fast'],
    predicate: duplicates({ what: 'receiver answering late' }),
  }),
  async drive(ctx) {
    const source = newAlertSource(ctx);
    try {
      const w = windows(ctx);
      const pt = ctx.timers.peerTimeoutMs;
      const slowDelay = Math.round(1.5 * pt);
      const slowerDelay = ctx.timers.groupIntervalMs + pt;
      ctx.figures['slowDelayMs'] = slowDelay;
      ctx.figures['slowerDelayMs'] = slowerDelay;

      // --- control: a fast receiver ---
      const fast = await firePhase(ctx, source, { name: 'fast' });
      ctx.figures['duplicatesFast'] = fast.count().duplicates;
      const keys = [...fast.keys];
      // no-loss owes a firing notification only for a whole flush window outside faults.
      await holdFiringSince(ctx, fast.firedAt);

      for (const [name, delayMs] of [
        ['slow', slowDelay],
        ['slower', slowerDelay],
      ] as const) {
        const fault = await ctx.nemesis.apply({ kind: 'receiver', mode: 'slow', delayMs });
        mark(ctx, `receiver answers after ${delayMs} ms (peer timeout ${pt} ms, group_interval ${ctx.timers.groupIntervalMs} ms)`);
        // Answers land delayMs after each send; the last position sends (N−1) × peer_timeout after
        // the first: wait for the first answers, the duplicate window, and one more delay.
        const phase = await firePhase(ctx, source, { name, windowMs: w.firstDelivery + delayMs });
        keys.push(...phase.keys);
        await ctx.sleep(delayMs);
        await ctx.nemesis.remove(fault);
        const c = phase.count();
        if (name === 'slow') {
          ctx.figures['duplicatesSlow'] = c.duplicates;
          ctx.figures['maxCopiesSlow'] = c.maxCopies;
        } else {
          ctx.figures['duplicatesSlower'] = c.duplicates;
          ctx.figures['maxCopiesSlower'] = c.maxCopies;
        }
        mark(ctx, `${name}: ${c.duplicates} duplicate(s) over ${c.transitions} transition(s), up to ${c.maxCopies} copies`);
      }
      ctx.figures['cancelledSends'] = ctx.notifications().filter((n) => n.answered === 'slow').length;

      // --- everything resolves with the receiver fast again: no loss ---
      const resolvedAt = ctx.history.clock.now();
      await source.resolve();
      await awaitDeliveries(ctx, keys, 'resolved', { since: resolvedAt, windowMs: w.resolveDelivery });
    } finally {
      await source.stop();
    }
  },
};
