import { describe, expect, it } from 'vitest';
import type { NotificationEvent, RouteRecord, ScenarioStartEvent } from '../history/types.js';
import type { ScenarioSummary } from '../summary/summary.js';
import { historyBuilder } from '../../test/support/checkers/history-builder.js';
import { routesOf } from './model.js';

const route = (id: string, extra: Partial<RouteRecord> = {}): RouteRecord => ({
  id,
  ...(id === 'root' ? {} : { parent: 'root' }),
  receiver: 'capture',
  matchers: [],
  continue: false,
  groupBy: ['alertname'],
  groupWaitMs: 1_000,
  groupIntervalMs: 6_000,
  repeatIntervalMs: 3_600_000,
  ...extra,
});

describe('the report’s per-route table', () => {
  it('gives a group two identical routes could have made a row of its own, named by both (group-key-collision: the report once crashed here)', () => {
    // Two routes with the same matchers and receiver, the first with continue: Alertmanager builds two groups.
    const routes = [route('root'), route('root.0', { matchers: ['x="1"'], continue: true }), route('root.1', { matchers: ['x="1"'] })];
    const events = historyBuilder()
      .start({ routes })
      .ready(0)
      .fire({ alertname: 'A', x: '1' }, 1_000)
      .notify({ t: 2_100, sender: 'n1', receiver: 'capture', groupKey: '{}/{x="1"}:{alertname="A"}', firing: [{ alertname: 'A', x: '1' }] })
      .note(30_000, 'end')
      .build();
    const start = events.find((e): e is ScenarioStartEvent => e.type === 'scenario.start')!;
    const notifications = events.filter((e): e is NotificationEvent => e.type === 'notification');
    const sc = { summary: {} as ScenarioSummary, events, start, bySeq: new Map(events.map((e) => [e.seq, e])) };
    const model = routesOf(sc, notifications)!;
    const row = model.rows.find((r) => r.route === 'root.0|root.1');
    expect(row, JSON.stringify(model.rows.map((r) => r.route))).toBeDefined();
    expect(row!.notifications).toBe(1);
    expect(row!.receiver).toBe('capture');
  });
});
