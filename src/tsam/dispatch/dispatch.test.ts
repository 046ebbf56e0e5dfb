import { afterEach, describe, expect, it, vi } from 'vitest';
import { newAlert, type Alert } from '../alerts/alerts.js';
import { parseCompat } from '../compat/compat.js';
import { parseConfig } from '../config/config.js';
import { Logger } from '../log/logger.js';
import { Dispatcher, sortAlerts, type NotifyContext } from './dispatcher.js';
import { Route } from './route.js';

const c025 = parseCompat('0.25.0');
const c033 = parseCompat('0.33.1');
const quiet = new Logger({ level: 'error', format: 'logfmt', compat: c033, write: () => undefined });

// The route of memberlist-wire.md §10.5's verified example.
const ROUTES = `
route:
  receiver: 'null'
  routes:
    - matchers: ['team="x y"']
      match_re: {service: 'foo|bar'}
      group_by: [alertname, a, a1]
      receiver: 'null'
    - matchers: ['env="prod"']
      receiver: first
      continue: true
    - matchers: ['env="prod"']
      receiver: second
    - matchers: ['env="prod"']
      receiver: never
receivers:
  - name: 'null'
  - name: first
  - name: second
  - name: never
`;

function alert(labels: Record<string, string>, startsAt = Date.now()): Alert {
  return newAlert({ labels, annotations: {}, startsAt, endsAt: 0, updatedAt: Date.now(), generatorURL: '', timeout: true });
}

describe('routes and group keys', () => {
  it('builds group keys byte-exact per version (verified example)', () => {
    const labels = { alertname: 'Foo', a: '1', a1: '2', team: 'x y', service: 'foo', instance: 'h"1' };
    for (const [compat, want] of [
      [c025, '{}/{service=~"^(?:foo|bar)$",team="x y"}:{a1="2", a="1", alertname="Foo"}'],
      [c033, '{}/{service=~"^(?:foo|bar)$",team="x y"}:{a="1", a1="2", alertname="Foo"}'],
    ] as const) {
      const route = Route.fromConfig(parseConfig(ROUTES, compat).route, compat);
      const [r] = route.match(labels);
      expect(r!.key).toBe('{}/{service=~"^(?:foo|bar)$",team="x y"}');
      const d = new Dispatcher(route, compat, async () => true, () => 10_000, quiet);
      d.process(alert(labels));
      const { groups } = d.listGroups(() => true);
      d.stop();
      expect(groups[0]!.groupKey).toBe(want);
    }
  });

  it('stops at the first matching child unless it has continue', () => {
    const route = Route.fromConfig(parseConfig(ROUTES, c033).route, c033);
    expect(route.match({ env: 'prod' }).map((r) => r.opts.receiver)).toEqual(['first', 'second']);
    expect(route.match({ env: 'dev' }).map((r) => r.opts.receiver)).toEqual(['null']);
    expect(route.key).toBe('{}');
  });

  it('inherits options from the parent', () => {
    const cfg = parseConfig(
      `route:\n  receiver: a\n  group_by: ['...']\n  group_wait: 1s\n  repeat_interval: 2h\n  routes:\n    - matchers: [x="1"]\n      group_interval: 7s\nreceivers:\n  - name: a\n`,
      c033,
    );
    const child = Route.fromConfig(cfg.route, c033).routes[0]!;
    expect(child.opts).toMatchObject({ receiver: 'a', groupByAll: true, groupWaitMs: 1000, groupIntervalMs: 7000, repeatIntervalMs: 7_200_000 });
    expect(child.groupLabels({ x: '1', y: '2' })).toEqual({ x: '1', y: '2' });
  });

  it('sorts alerts like types.AlertSlice (job, instance, then labels)', () => {
    const xs = [alert({ alertname: 'b' }), alert({ alertname: 'a', job: 'z' }), alert({ alertname: 'a', job: 'y' }), alert({ alertname: 'a' })];
    expect(sortAlerts(xs).map((a) => a.labels)).toEqual([
      { alertname: 'a', job: 'y' },
      { alertname: 'a', job: 'z' },
      { alertname: 'a' },
      { alertname: 'b' },
    ]);
  });
});

describe('aggregation group timers', () => {
  let d: Dispatcher | undefined;
  afterEach(() => d?.stop());

  const TIMERS = `route:\n  receiver: r\n  group_by: [alertname]\n  group_wait: 300ms\n  group_interval: 400ms\nreceivers:\n  - name: r\n`;

  it('flushes after group_wait, then every group_interval, with the group context', async () => {
    const calls: { at: number; ctx: NotifyContext; alerts: Alert[] }[] = [];
    const route = Route.fromConfig(parseConfig(TIMERS, c033).route, c033);
    d = new Dispatcher(route, c033, async (ctx, alerts) => (calls.push({ at: Date.now(), ctx, alerts }), true), (g) => g + 10_000, quiet);
    const t0 = Date.now();
    d.process(alert({ alertname: 'A', i: '1' }));
    d.process(alert({ alertname: 'A', i: '2' }));
    // Two flushes: at group_wait, then a group_interval later — waited for, not assumed by a fixed 1 s.
    await vi.waitFor(() => expect(calls.length).toBeGreaterThanOrEqual(2), { timeout: 10_000, interval: 20 });
    expect(calls[0]!.at - t0).toBeGreaterThanOrEqual(290);
    expect(calls[0]!.alerts).toHaveLength(2);
    expect(calls[0]!.alerts.every((a) => a.endsAt === 0)).toBe(true); // firing: end hidden
    expect(calls[0]!.ctx).toMatchObject({ groupKey: '{}:{alertname="A"}', receiver: 'r', groupLabels: { alertname: 'A' }, repeatIntervalMs: 4 * 3_600_000 });
    expect(calls[1]!.at - calls[0]!.at).toBeGreaterThanOrEqual(390);
  });

  it('flushes at once for an alert older than group_wait, and drops resolved alerts after success', async () => {
    const calls: Alert[][] = [];
    // A long group_wait, so "at once" is told apart from "after group_wait" by seconds, not by how
    // soon a loaded machine runs a timer (the 150 ms this waited before raced the flush).
    const LONG_WAIT = TIMERS.replace('group_wait: 300ms', 'group_wait: 10s');
    const route = Route.fromConfig(parseConfig(LONG_WAIT, c033).route, c033);
    d = new Dispatcher(route, c033, async (_ctx, alerts) => (calls.push(alerts), true), (g) => g + 10_000, quiet);
    const t0 = Date.now();
    const old = alert({ alertname: 'B' }, t0 - 60_000);
    old.endsAt = t0 - 1; // already resolved
    d.process(old);
    await vi.waitFor(() => expect(calls).toHaveLength(1), { timeout: 5_000, interval: 10 }); // not after the 10 s group_wait
    await new Promise((r) => setTimeout(r, 1000)); // more than two group intervals
    expect(calls).toHaveLength(1); // resolved alert removed after the successful flush: group empty
  });

  it('keeps one pending tick while a flush runs', async () => {
    let n = 0;
    let running = 0;
    let mostAtOnce = 0;
    const route = Route.fromConfig(parseConfig(TIMERS, c033).route, c033);
    d = new Dispatcher(route, c033, async () => {
      n++;
      mostAtOnce = Math.max(mostAtOnce, ++running);
      await new Promise((r) => setTimeout(r, 1000)); // longer than two group intervals
      running--;
      return true;
    }, (g) => g + 10_000, quiet);
    d.process(alert({ alertname: 'C' }));
    // The ticks during the first flush collapse into one pending tick, run after it: a second flush
    // follows, never beside it. Counted by overlap, not by how many flushes a fixed 1.5 s held.
    await vi.waitFor(() => expect(n).toBeGreaterThanOrEqual(2), { timeout: 10_000, interval: 20 });
    expect(mostAtOnce).toBe(1);
  });
});
