import { duplicates, FAILURE_MODES, phaseClaim } from '../src/claims/index.js';
import { duringInjectedFault } from '../src/checkers/expectations.js';
import { deriveWindows } from '../src/checkers/scenario.js';
import type { SuiteDefinition } from '../src/run/suite.js';
import { awaitDeliveries, countDuplicates, firePhase, holdFiringSince, mark, newAlertSource, windows } from '../src/steps/index.js';

export const RECEIVER_OUTAGE_UPSTREAM =
  'receiver failing longer than peer_timeout: the nflog is written only after a successful send, so every position finds no entry, retries, and delivers on recovery (upstream #4108, #3865)';

/**
 * receiver-outage: the receiver answers 503, then goes down (connections refused), for longer
 * than the peer timeout, then recovers (reference §2.5, §3 row 1). Alertmanager writes its nflog
 * only after a send succeeded, so while position 0 retries, position 1 and 2 find no entry when
 * their wait ends and start retrying too; when the receiver is back, each delivers — duplicates
 * (upstream #4108, #3865). The suite proves the receiver was failing for every position (figure
 * `retryingSenders`: every node made undelivered attempts), counts the duplicates after recovery
 * (`duplicatesAfterRecovery`), and proves no loss: every alert keeps firing for a whole flush window
 * after the recovery, so the no-loss checker owes a firing and a resolved notification for each.
 *
 * Timing: the 503 phase lasts until every node has made an undelivered attempt for the outage's
 * groups (at least one peer timeout: the last position starts after (N−1) × peer_timeout), the
 * down phase one peer timeout more; recovery thus comes while position 0 is still inside its
 * retry budget (max(group_interval, 10 s) after its flush), which is the case the upstream issues
 * describe. A baseline group notified before the outage is the in-suite control (0 duplicates)
 * and the healthy transition exactly-once judges; the outage's own copies fall in the fault
 * windows (the checker's `duplicatesDuringFaults`). Should exactly-once still fail (a copy landing
 * after the settle margin), that is this upstream behaviour — expected only for duplicates whose
 * copies all fall inside the receiver faults plus the retry tail (decided from the evidence);
 * anything else fails. Which control proves the checks can fail: the baseline for the count; for the
 * checkers, src/checkers/{exactly-once,no-loss}.test.ts. Uses only receiver faults (the capture's
 * switches), so it runs on every runtime.
 */
/** What receiver-outage records (summary.json figures). */
export interface ReceiverOutageFigures {
  duplicatesBaseline: number;
  outageMs: number;
  retryingSenders: string[];
  undeliveredAttempts: number;
  duplicatesAfterRecovery: number;
  transitionsAfterRecovery: number;
  maxCopiesAfterRecovery: number;
  deliveredBySenderAfterRecovery: Record<string, number>;
}

export const receiverOutage: SuiteDefinition<ReceiverOutageFigures> = {
  name: 'receiver-outage',
  summary: 'the receiver answers 5xx, then is down, longer than the peer timeout, then recovers: every position retries (duplicates counted), none lost',
  checks: ['no-loss', 'exactly-once', 'validity'],
  claim: phaseClaim({
    mode: FAILURE_MODES.receiverOutage,
    statement: 'a receiver failing (5xx, then down) longer than the peer timeout gets more than one copy of a transition once it recovers',
    control: 'the baseline notified before the outage, with the receiver healthy: each transition once',
    faultPhases: ['outage'],
    controlPhases: ['baseline'],
    predicate: duplicates({ what: 'after the receiver outage' }),
  }),
  knownBehaviours: [
    duringInjectedFault({
      id: 'receiver-outage',
      faults: ['receiver'],
      // After recovery every position still retrying delivers: within its pipeline's retry budget
      // (max(group_interval, 10 s)) after its wait, or at the next flush when that budget ran out.
      tailMs: (view) => {
        const w = deriveWindows(view);
        return w.retrySlackMs + view.timers.groupIntervalMs + w.peerWaitMaxMs + w.deliveryMarginMs;
      },
      reason: RECEIVER_OUTAGE_UPSTREAM,
    }),
  ],
  async drive(ctx) {
    const source = newAlertSource(ctx);
    try {
      const w = windows(ctx);
      const pt = ctx.timers.peerTimeoutMs;

      // --- baseline: a healthy receiver gets one notification per group ---
      const baseline = await firePhase(ctx, source, { name: 'baseline' });
      ctx.figures['duplicatesBaseline'] = baseline.count().duplicates;
      await holdFiringSince(ctx, baseline.firedAt);

      // --- 503 until every position is retrying ---
      const failing = await ctx.nemesis.apply({ kind: 'receiver', mode: 'status', status: 503 });
      // Fired without waiting: nothing can be delivered while the receiver fails.
      const outage = await firePhase(ctx, source, { name: 'outage', wait: false });
      const outageKeys = outage.keys;
      const firedAt = outage.firedAt;
      mark(ctx, 'receiver answers 503');
      const everyoneRetrying = () => ctx.nodes.every((x) => (countDuplicates(ctx, outageKeys, { from: firedAt }).undeliveredBySender[x.id] ?? 0) > 0);
      const allTried = await ctx.waitUntil(everyoneRetrying, w.firstDelivery + w.duplicateWindow + pt);
      if (!allTried) mark(ctx, 'not every node attempted a delivery during the 503 phase (figure retryingSenders shows which did)');
      const minPhase = firedAt + pt - ctx.history.clock.now();
      if (minPhase > 0) await ctx.sleep(minPhase);
      await ctx.nemesis.remove(failing);

      // --- down (connections refused) for longer than the peer timeout ---
      const down = await ctx.nemesis.apply({ kind: 'receiver', mode: 'down' });
      mark(ctx, `receiver down for ${pt + 500} ms`);
      await ctx.sleep(pt + 500);
      await ctx.nemesis.remove(down);
      const recoveredAt = ctx.history.clock.now();
      ctx.figures['outageMs'] = Math.round(recoveredAt - failing.installedAt);
      mark(ctx, 'receiver recovered; waiting for the retries to land');

      // Retries back off (up to a few seconds at this point), then each position delivers.
      await awaitDeliveries(ctx, outageKeys, 'firing', { since: firedAt, windowMs: w.firstDelivery + w.duplicateWindow });
      const count = outage.count();
      ctx.figures['retryingSenders'] = Object.keys(count.undeliveredBySender).sort();
      ctx.figures['undeliveredAttempts'] = Object.values(count.undeliveredBySender).reduce((a, b) => a + b, 0);
      ctx.figures['duplicatesAfterRecovery'] = count.duplicates;
      ctx.figures['transitionsAfterRecovery'] = count.transitions;
      ctx.figures['maxCopiesAfterRecovery'] = count.maxCopies;
      ctx.figures['deliveredBySenderAfterRecovery'] = count.deliveredBySender;
      mark(ctx, `after recovery: ${count.duplicates} duplicate(s) over ${count.transitions} transition(s); senders that retried: ${Object.keys(count.undeliveredBySender).join(', ')}`);

      // --- every alert fires a whole flush window past the recovery, then resolves ---
      await holdFiringSince(ctx, recoveredAt);
      const resolvedAt = ctx.history.clock.now();
      await source.resolve();
      await awaitDeliveries(ctx, [...baseline.keys, ...outageKeys], 'resolved', { since: resolvedAt, windowMs: w.resolveDelivery });
    } finally {
      await source.stop();
    }
  },
};
