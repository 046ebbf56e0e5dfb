import { onSuiteRoute } from '../src/checkers/expectations.js';
import { FAILURE_MODES, fewerNotificationsThanRoutes, phaseClaim } from '../src/claims/index.js';
import type { SuiteDefinition } from '../src/run/suite.js';
import { awaitDeliveries, firePhase, holdFiringSince, mark, newAlertSource, phaseMatcher, phaseRoutesConfig, windows } from '../src/steps/index.js';

/**
 * group-key-collision (reference §3 row 19): a group key is the route's matchers (and its
 * parents') plus the group labels — not which route it is. Two routes with identical matchers,
 * group_by and receiver (the second reached through `continue: true` on the first) build two
 * aggregation groups with one key, so they share one nflog entry: whichever flushes first notifies,
 * the other finds the entry and stays silent (upstream #4727, #3808, #3564). The suite's own config
 * has that pair for the `collision` alerts (the second route with a longer group_wait, so the
 * order is fixed), and for the control `distinct` the same pair with the second route's matcher
 * written `=~` — the same alerts, another key.
 *
 * The claim: an alert matched by two routes of its receiver gets fewer firing notifications than
 * routes (counted while it first fires). Measured on 0.25.0: the shared entry also lets the second
 * route's group, whose flushes are offset from the first's, send a stale firing after the first
 * route's resolved (upstream #3564: "weird when the routes have different timers") — validity
 * fails there, expected only on the suite's collision routes. Every check holds either way (one notification per receiver and alert is what no-loss
 * owes; the shared entry is Alertmanager deduplicating), which is why this mode surprises users.
 */
export interface GroupKeyCollisionFigures {
  notificationsCollision: number;
  notificationsDistinct: number;
}

export const groupKeyCollision: SuiteDefinition<GroupKeyCollisionFigures> = {
  name: 'group-key-collision',
  summary: 'two routes with identical matchers, group_by and receiver share one group key and nflog entry: one notification where the config has two routes; control: one matcher written =~',
  checks: ['no-loss', 'exactly-once', 'validity'],
  config: (t) =>
    phaseRoutesConfig(t, [
      { phase: 'collision', continue: true },
      { phase: 'collision', groupWaitMs: 2 * t.groupWaitMs },
      { phase: 'distinct', continue: true },
      { phase: 'distinct', regex: true, groupWaitMs: 2 * t.groupWaitMs },
    ]),
  knownBehaviours: [
    onSuiteRoute({
      id: 'group-key-collision-route',
      routeMatcher: phaseMatcher('collision'),
      checks: ['validity', 'exactly-once'],
      kinds: ['stale-firing', 'stale-resolved', 'duplicate'],
      reason: 'two routes share one group key and nflog entry; their groups flush at different times, so one sends a state the other already moved past (upstream #3564, #3808, #4727)',
    }),
  ],
  claim: phaseClaim({
    mode: FAILURE_MODES.groupKeyCollision,
    statement: 'an alert routed by two routes with identical matchers, group_by and receiver gets one firing notification instead of one per route',
    control: 'the same two routes with one matcher written =~ (another group key): one firing notification per route',
    faultPhases: ['collision'],
    controlPhases: ['distinct'],
    predicate: fewerNotificationsThanRoutes(),
  }),
  async drive(ctx) {
    const source = newAlertSource(ctx);
    try {
      const w = windows(ctx);
      const collision = await firePhase(ctx, source, { name: 'collision', wait: false });
      const distinct = await firePhase(ctx, source, { name: 'distinct', wait: false });
      await awaitDeliveries(ctx, [...collision.keys, ...distinct.keys], 'firing', { since: collision.firedAt, windowMs: w.firstDelivery });
      await holdFiringSince(ctx, collision.firedAt);
      const count = (p: typeof collision) => Object.values(p.count().deliveredBySender).reduce((a, b) => a + b, 0);
      ctx.figures['notificationsCollision'] = count(collision);
      ctx.figures['notificationsDistinct'] = count(distinct);
      mark(ctx, `firing notifications: ${ctx.figures['notificationsCollision']} for collision (2 routes each), ${ctx.figures['notificationsDistinct']} for distinct (2 routes each)`);
      const resolvedAt = ctx.history.clock.now();
      await source.resolve();
      await awaitDeliveries(ctx, [...collision.keys, ...distinct.keys], 'resolved', { since: resolvedAt, windowMs: w.resolveDelivery });
    } finally {
      await source.stop();
    }
  },
};
