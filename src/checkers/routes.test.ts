import { describe, expect, it } from 'vitest';
import type { RouteRecord, ScenarioStartEvent } from '../history/types.js';
import { ANY_RECEIVER, routeOfGroup, routesFor, routeTree } from './routes.js';
import { historyBuilder, TEST_TIMERS } from '../../test/support/checkers/history-builder.js';

const r = (id: string, receiver: string, extra: Partial<RouteRecord> = {}): RouteRecord => ({
  id,
  ...(id === 'root' ? {} : { parent: id.split('.').slice(0, -1).join('.') }),
  receiver,
  matchers: [],
  continue: false,
  groupBy: ['alertname'],
  groupWaitMs: 1_000,
  groupIntervalMs: 2_000,
  repeatIntervalMs: 3_600_000,
  ...extra,
});

function treeOf(routes: RouteRecord[] | undefined) {
  const start = historyBuilder().start(routes ? { routes } : {}).build()[0] as ScenarioStartEvent;
  return routeTree({ start, timers: start.timers });
}

describe('route tree (Alertmanager Route.Match)', () => {
  const routes = [
    r('root', 'default'),
    r('root.0', 'pager', { matchers: ['severity="critical"'], continue: true }),
    r('root.1', 'db', { matchers: ['team=~"db|storage"'] }),
    r('root.1.0', 'db-night', { matchers: ['shift="night"'], groupIntervalMs: 30_000 }),
    r('root.2', 'web', { matchers: ['team="web"'] }),
  ];
  const tree = treeOf(routes);
  const receivers = (labels: Record<string, string>) => routesFor(tree, labels).routes.map((x) => x.receiver);

  it('a parent is a match only when none of its children matched', () => {
    expect(receivers({ alertname: 'X' })).toEqual(['default']);
    expect(receivers({ alertname: 'X', team: 'web' })).toEqual(['web']);
  });

  it('continue: true goes on to the next siblings; the first other match stops', () => {
    expect(receivers({ alertname: 'X', severity: 'critical', team: 'db' })).toEqual(['pager', 'db']);
    expect(receivers({ alertname: 'X', severity: 'critical' })).toEqual(['pager']);
    expect(receivers({ alertname: 'X', team: 'storage', shift: 'night' })).toEqual(['db-night']);
  });

  it('finds a group\'s route by receiver, and by the group key\'s depth when one receiver sits on several', () => {
    const n = (receiver: string, groupKey: string, labels: Record<string, string>) =>
      routeOfGroup(tree, { receiver, groupKey, alerts: [{ labels, status: 'firing', key: '', fingerprint: '', startsAt: '', endsAt: '' }], groupLabels: {} });
    expect(n('db-night', '{}/{team=~"db|storage"}/{shift="night"}:{alertname="X"}', { alertname: 'X', team: 'db', shift: 'night' }).route.groupIntervalMs).toBe(30_000);
    expect(n('pager', '{}/{severity="critical"}:{alertname="X"}', { alertname: 'X', severity: 'critical', team: 'db' })).toMatchObject({ route: { id: 'root.0' }, ambiguous: false });
  });

  it('a history without recorded routes has one route for any receiver, with the scenario timers', () => {
    const old = treeOf(undefined);
    expect(old.recorded).toBe(false);
    expect(routesFor(old, { alertname: 'X' }).routes.map((x) => [x.receiver, x.groupIntervalMs])).toEqual([[ANY_RECEIVER, TEST_TIMERS.groupIntervalMs]]);
  });

  it('a matcher that cannot be compiled faithfully makes routing through it undecidable, not wrong', () => {
    const bad = treeOf([r('root', 'default'), r('root.0', 'odd', { matchers: ['x=~"(?U)a+"'] })]);
    expect(bad.unusable).toEqual(['root.0']);
    expect(routesFor(bad, { alertname: 'X', x: 'aa' }).undecidable).toBe(true);
  });
});
