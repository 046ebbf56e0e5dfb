import type { LabelSet } from '../src/history/types.js';
import { labelKey } from '../src/history/types.js';
import { longestRouteTimers, type SuiteDefinition } from '../src/run/suite.js';
import { matchersForGroup, SilenceOps } from '../src/workload/silences.js';
import { awaitDeliveries, deliveredKeys, holdFiringSince, keysOf, newAlertSource, windows } from '../src/steps/index.js';

/**
 * silences: silences are created on one node each (never on all, which is what upstream's own
 * tests do and why they never test propagation), and must be listed by every node within the
 * propagation window; alerts they match must not be notified while they hold; after they are
 * expired (on another node), those alerts must be notified — nothing is lost.
 */
/** What silences records (summary.json figures). */
export interface SilencesFigures {
  expiriesRefusedByOtherNode: number;
  silencedAlerts: number;
  silencedAlertsNotifiedAfterExpiry: number;
}

export const silences: SuiteDefinition<SilencesFigures> = {
  name: 'silences',
  summary: 'a silence made on one node reaches every node in time and mutes everywhere; expiry unmutes',
  checks: ['silence-propagation', 'no-loss', 'exactly-once', 'validity'],
  async drive(ctx) {
    const ops = new SilenceOps({ history: ctx.history, clients: ctx.nodes.map((n) => n.client) });
    const source = newAlertSource(ctx);
    try {
      const w = windows(ctx);
      // Silence every other group, each on a different node (round robin), leaving the rest as a control.
      const groups = groupsOf(ctx.alerts);
      const silenced = groups.filter((_, i) => i % 2 === 0);
      const ids: { id: string; node: string; group: LabelSet }[] = [];
      for (const [i, g] of silenced.entries()) {
        const node = ctx.nodes[i % ctx.nodes.length]!.id;
        const id = await ops.create(node, { matchers: matchersForGroup(g), comment: `amchaos ${ctx.id}` });
        ids.push({ id, node, group: g });
      }
      ctx.log(`created ${ids.length} silences on ${new Set(ids.map((s) => s.node)).size} node(s); waiting until every node lists them`);
      const listedEverywhere = () =>
        ctx.nodes.every((n) => ids.every((s) => latestActive(ctx, n.id)?.has(s.id)));
      await ctx.waitUntil(listedEverywhere, ctx.timers.silencePropagationMs + 1_000);

      const keys = keysOf(ctx.alerts);
      const isSilenced = (labels: LabelSet) => silenced.some((g) => Object.entries(g).every(([k, v]) => labels[k] === v));
      const unsilencedKeys = ctx.alerts.filter((a) => !isSilenced(a)).map(labelKey);
      const firedAt = ctx.history.clock.now();
      await source.fire(ctx.alerts.map((labels) => ({ labels })));
      ctx.log(`fired ${keys.length} alerts (${keys.length - unsilencedKeys.length} silenced)`);
      await awaitDeliveries(ctx, unsilencedKeys, 'firing', { windowMs: w.firstDelivery });
      // Stay until the group's first group_interval tick after the first flush has passed, so every
      // node had a second chance to (wrongly) notify a silenced alert.
      const { groupWaitMs, groupIntervalMs } = longestRouteTimers(ctx.config);
      const secondFlush = firedAt + groupWaitMs + groupIntervalMs + w.slack;
      const quietLeft = secondFlush - ctx.history.clock.now();
      if (quietLeft > 0) await ctx.sleep(quietLeft);

      // Expire each silence on a node other than the one that made it: the expiry must propagate too.
      let expireRefused = 0;
      for (const [i, s] of ids.entries()) {
        const other = ctx.nodes[(i + 1) % ctx.nodes.length]!.id;
        try {
          await ops.expire(other, s.id);
        } catch (e) {
          // The other node does not know the silence (it never propagated): that is evidence for
          // the checker, already in the history; expire it where it was made so the run goes on.
          expireRefused++;
          ctx.log(`expiring ${s.id} on ${other} failed (${(e as Error).message.split('\n')[0]}); expiring it on ${s.node}`);
          await ops.expire(s.node, s.id);
        }
      }
      ctx.figures['expiriesRefusedByOtherNode'] = expireRefused;
      // When every node lists the silences as no longer active: the muted alerts count as firing
      // unmuted from then on (the propagation checker judges how long that took).
      const expiryListed = () => ctx.nodes.every((n) => ids.every((s) => latestActive(ctx, n.id)?.has(s.id) === false));
      await ctx.waitUntil(expiryListed, ctx.timers.silencePropagationMs + 1_000);
      const expiredAt = ctx.history.clock.now();
      ctx.log('expired the silences on other nodes; the muted alerts must now be notified');
      await awaitDeliveries(ctx, keys, 'firing', { windowMs: ctx.timers.silencePropagationMs + groupIntervalMs + w.firstDelivery });
      const got = deliveredKeys(ctx, 'firing');
      const mutedKeys = keys.filter((k) => !unsilencedKeys.includes(k));
      ctx.figures['silencedAlerts'] = mutedKeys.length;
      ctx.figures['silencedAlertsNotifiedAfterExpiry'] = mutedKeys.filter((k) => got.has(k)).length;

      await holdFiringSince(ctx, expiredAt);
      const resolvedAt = ctx.history.clock.now();
      await source.resolve();
      await awaitDeliveries(ctx, keys, 'resolved', { since: resolvedAt, windowMs: w.resolveDelivery });
    } finally {
      await source.stop();
      await ops.stop();
    }
  },
};

/** The distinct (alertname, group) label pairs of the alert set, in first-seen order. */
function groupsOf(alerts: readonly LabelSet[]): LabelSet[] {
  const seen = new Map<string, LabelSet>();
  for (const a of alerts) {
    const g: LabelSet = {};
    for (const k of ['alertname', 'group']) if (a[k] !== undefined) g[k] = a[k]!;
    seen.set(labelKey(g), g);
  }
  return [...seen.values()];
}

/** The active silence ids in the newest silences sample of a node. */
function latestActive(ctx: Parameters<SuiteDefinition['drive']>[0], node: string): Set<string> | undefined {
  const events = ctx.history.all();
  for (let i = events.length - 1; i >= 0; i--) {
    const e = events[i]!;
    if (e.type === 'silences.sample' && e.node === node) return e.active ? new Set(e.active) : undefined;
  }
  return undefined;
}
