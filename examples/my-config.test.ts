import { describe } from 'vitest';
import { expect, test } from 'amchaos/vitest';

// A user's test: their own alertmanager.yml on a mixed cluster of a real Alertmanager and tsam.
// (Assumes `npx amchaos versions --fetch 0.33.1` ran, as .ci/setup does.)
describe('my alertmanager.yml on a mixed cluster', () => {
  test('identical alerts from every node are notified exactly once, and none is lost', { timeout: 120_000 }, async ({ amchaos }) => {
    const cluster = await amchaos.startCluster({ versions: ['0.33.1', '0.33.1', 'tsam'], config: 'fixtures/configs/two-routes.yml' });
    const alerts = [
      { alertname: 'DiskFull', group: 'a', team: 'web', instance: 'web-1:9100' },
      { alertname: 'JobLate', group: 'c', team: 'batch', instance: 'batch-1:9100' },
    ];
    const firedAt = cluster.now();
    await cluster.fire(alerts);
    expect(await cluster.awaitDelivery(alerts, { since: firedAt, timeoutMs: 15_000 })).toBe(true);
    await cluster.resolve();
    const [exactlyOnce, validity] = await cluster.check(['exactly-once', 'validity']);
    expect(exactlyOnce).toHaveVerdict('pass');
    expect(validity).toHaveVerdict('pass');
    // Three nodes got every alert; the receiver got one notification per group.
    expect(cluster.notifications().filter((n) => n.delivered && n.status === 'firing')).toHaveLength(2);
  });
});
