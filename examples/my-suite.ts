import { awaitDeliveries, defineSuite, firePhase, holdFiringSince, newAlertSource, windows } from 'amchaos';

/**
 * A user's own suite, written against the same contract as the built-in ones: a warning and a
 * critical alert of one team fire at every node, stay firing long enough that each is owed a
 * notification, then resolve. Run it like a built-in suite:
 *
 *     npx amchaos run --suite ./examples/my-suite.ts --versions 0.33.1,0.25.0+tsam
 */
export default defineSuite<{ teamDuplicates: number }>({
  name: 'my-suite',
  summary: "my team's alerts: each notified once, resolved once, none lost",
  checks: ['no-loss', 'exactly-once', 'validity'],
  async drive(ctx) {
    const source = newAlertSource(ctx);
    try {
      const phase = await firePhase(ctx, source, {
        name: 'team',
        alerts: [
          { alertname: 'DiskFull', group: 'storage', team: 'mine', severity: 'warning' },
          { alertname: 'DiskFull', group: 'storage', team: 'mine', severity: 'critical' },
        ],
      });
      await holdFiringSince(ctx, phase.firedAt);
      const resolvedAt = ctx.history.clock.now();
      await source.resolve();
      await awaitDeliveries(ctx, phase.keys, 'resolved', { since: resolvedAt, windowMs: windows(ctx).resolveDelivery });
      ctx.figures.teamDuplicates = phase.count().duplicates;
    } finally {
      await source.stop();
    }
  },
});
