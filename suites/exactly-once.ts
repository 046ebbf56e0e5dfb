import type { SuiteDefinition } from '../src/run/suite.js';
import { awaitDeliveries, holdFiringSince, keysOf, newAlertSource, windows } from '../src/steps/index.js';

/**
 * exactly-once: identical alerts are fired at every node (as Prometheus does in an HA setup);
 * a healthy, settled cluster must notify each group transition — firing, then resolved — exactly
 * once, and lose nothing. With --no-cluster the same nodes cannot dedup: that control must fail
 * with the duplicates as evidence, which proves the checker can fail.
 */
export const exactlyOnce: SuiteDefinition = {
  name: 'exactly-once',
  summary: 'identical alerts to every node: one notification per group transition, none lost',
  checks: ['no-loss', 'exactly-once', 'validity'],
  async drive(ctx) {
    const source = newAlertSource(ctx);
    try {
      const keys = keysOf(ctx.alerts);
      const w = windows(ctx);
      const firedAt = ctx.history.clock.now();
      await source.fire(ctx.alerts.map((labels) => ({ labels })));
      // The duplicate window with its parts, as README and `amchaos run --help` explain it.
      const n = ctx.nodes.length;
      ctx.log(
        `fired ${keys.length} alerts at ${n} nodes; waiting for deliveries, then the duplicate window: ` +
          `(N−1) × peer timeout = ${n - 1} × ${ctx.timers.peerTimeoutMs} ms + ${w.slack} ms slack = ${w.duplicateWindow} ms`,
      );
      await awaitDeliveries(ctx, keys, 'firing', { windowMs: w.firstDelivery });
      await holdFiringSince(ctx, firedAt);
      const resolvedAt = ctx.history.clock.now();
      await source.resolve();
      ctx.log(`resolved every alert; waiting for resolved notifications (group_interval + ${w.slack} ms slack = ${w.resolveDelivery} ms), then the duplicate window (${w.duplicateWindow} ms)`);
      await awaitDeliveries(ctx, keys, 'resolved', { since: resolvedAt, windowMs: w.resolveDelivery });
    } finally {
      await source.stop();
    }
  },
};
