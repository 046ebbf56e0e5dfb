import { describe, expect, it } from 'vitest';
import { checkNoLoss } from './no-loss.js';
import type { RouteRecord } from '../history/types.js';
import { historyBuilder, seqOf, TEST_TIMERS } from '../../test/support/checkers/history-builder.js';

const A = { alertname: 'A' };
const B = { alertname: 'B' };

// TEST_TIMERS: group_wait 1s, group_interval 2s, peer_timeout 2s, 3 nodes, resend 1s.
// flush window = max(1s, 2s) + 1s margin = 3s; fire deadline = 3s + 2×2s + max(2s, 10s) = 17s;
// resolve deadline = (2s + 1s) + 4s + 10s = 17s.

describe('no-loss', () => {
  it('passes when the firing and the resolution were delivered', () => {
    const h = historyBuilder()
      .start()
      .ready(0)
      .fire(A, 1_000)
      .notify({ t: 2_100, sender: 'n1', firing: [A] })
      .resolve(A, 10_000)
      .notify({ t: 12_100, sender: 'n1', resolved: [A] })
      .note(60_000, 'end')
      .build();
    const r = checkNoLoss(h);
    expect(r.verdict).toBe('pass');
    expect(r.figures['firingObligations']).toBe(1);
    expect(r.figures['resolveObligations']).toBe(1);
    expect(r.figures['firingLatencyP50Ms']).toBe(1_100);
    expect(r.figures['fireDeadlineMs']).toBe(17_000);
  });

  it('fails when a fired alert never arrives, naming the alert and its deadline', () => {
    const h = historyBuilder()
      .start()
      .ready(0)
      .fire(A, 1_000)
      .fire(B, 1_000)
      .notify({ t: 2_100, sender: 'n1', firing: [B] })
      .note(60_000, 'end')
      .build();
    const r = checkNoLoss(h);
    expect(r.verdict).toBe('fail');
    expect(r.figures['lostFiring']).toBe(1);
    const ev = r.evidence[0]!;
    expect(ev.kind).toBe('lost-firing');
    expect(ev.events).toEqual([seqOf(h, 'alert.fire', 0)]);
    expect(ev.message).toContain('{alertname="A"}');
    expect(ev.data!['deadline']).toBe(18_000);
  });

  it('summaries count alerts (per receiver and alert), not notifications: one notification carries a group', () => {
    const AB = historyBuilder()
      .start()
      .ready(0)
      .fire(A, 1_000)
      .fire(B, 1_000)
      .notify({ t: 2_100, sender: 'n1', firing: [A, B] })
      .resolve(A, 10_000)
      .resolve(B, 10_000)
      .notify({ t: 12_100, sender: 'n1', resolved: [A, B] })
      .note(60_000, 'end')
      .build();
    const r = checkNoLoss(AB);
    expect(r.verdict).toBe('pass');
    expect(r.summary).toContain('2 alert(s) as firing and 2 as resolved, counted per receiver and alert (one notification carries a whole group)');
    const lost = checkNoLoss(historyBuilder().start().ready(0).fire(A, 1_000).note(60_000, 'end').build());
    expect(lost.summary).toMatch(/^1 alert\(s\) never notified as firing and 0 never notified as resolved/);
  });

  it('does not count a notification that arrived before the alert was fired', () => {
    const h = historyBuilder()
      .start()
      .ready(0)
      .notify({ t: 500, sender: 'n1', firing: [A] })
      .fire(A, 1_000)
      .note(60_000, 'end')
      .build();
    expect(checkNoLoss(h).verdict).toBe('fail');
  });

  it('does not count an undelivered (5xx) attempt', () => {
    const h = historyBuilder()
      .start()
      .ready(0)
      .fire(A, 1_000)
      .notify({ t: 2_100, sender: 'n1', firing: [A], delivered: false })
      .note(60_000, 'end')
      .build();
    expect(checkNoLoss(h).verdict).toBe('fail');
  });

  it('is unknown while a delivery is still due when the history ends', () => {
    const h = historyBuilder().start().ready(0).fire(A, 1_000).note(10_000, 'end').build();
    const r = checkNoLoss(h);
    expect(r.verdict).toBe('unknown');
    expect(r.evidence[0]!.kind).toBe('pending');
  });

  it('is unknown without intents', () => {
    const r = checkNoLoss(historyBuilder().start().ready(0).notify({ t: 1, sender: 'n1', firing: [A] }).build());
    expect(r.verdict).toBe('unknown');
    expect(r.summary).toContain('no alert.fire');
  });

  it('fails when a receiver with send_resolved never gets the resolution', () => {
    const h = historyBuilder()
      .start()
      .ready(0)
      .fire(A, 1_000)
      .notify({ t: 2_100, sender: 'n1', firing: [A] })
      .resolve(A, 10_000)
      .note(60_000, 'end')
      .build();
    const r = checkNoLoss(h);
    expect(r.verdict).toBe('fail');
    expect(r.evidence[0]!.kind).toBe('lost-resolution');
    expect(r.evidence[0]!.data!['receiver']).toBe('webhook');
  });

  it('owes no resolution where the receiver already shows the alert resolved (an early resolved: validity judges it), but does after a firing that follows it', () => {
    // Seen on real 0.25.0 and 0.28.1 after a receiver outage: a node delivers resolved before the workload resolves.
    const early = historyBuilder()
      .start()
      .ready(0)
      .fire(A, 1_000)
      .notify({ t: 2_100, sender: 'n1', firing: [A] })
      .notify({ t: 8_000, sender: 'n2', resolved: [A] })
      .resolve(A, 10_000)
      .note(60_000, 'end')
      .build();
    const r = checkNoLoss(early);
    expect(r.verdict).toBe('pass');
    expect(r.figures['resolvedBeforeResolve']).toBe(1);
    expect(r.figures['resolveObligations']).toBe(0);
    expect(r.evidence.map((e) => e.kind)).toEqual(['resolved-before-resolve']);

    // The early resolved was superseded by a firing: the receiver shows firing, so the real resolution is owed.
    const superseded = historyBuilder()
      .start()
      .ready(0)
      .fire(A, 1_000)
      .notify({ t: 2_100, sender: 'n1', firing: [A] })
      .notify({ t: 8_000, sender: 'n2', resolved: [A] })
      .notify({ t: 9_000, sender: 'n3', firing: [A] })
      .resolve(A, 10_000)
      .note(60_000, 'end')
      .build();
    const s = checkNoLoss(superseded);
    expect(s.verdict).toBe('fail');
    expect(s.figures['lostResolved']).toBe(1);
  });

  it('requires no resolution when the receiver has send_resolved off', () => {
    const h = historyBuilder()
      .start({ sendResolved: { webhook: false } })
      .ready(0)
      .fire(A, 1_000)
      .notify({ t: 2_100, sender: 'n1', firing: [A] })
      .resolve(A, 10_000)
      .note(60_000, 'end')
      .build();
    const r = checkNoLoss(h);
    expect(r.verdict).toBe('pass');
    expect(r.figures['resolutionsNotRequired']).toBe(1);
  });

  it('checks resolutions per receiver that was told the alert fired', () => {
    const h = historyBuilder()
      .start({ sendResolved: { webhook: true, pager: true }, repeatIntervalMs: { webhook: 1e7, pager: 1e7 } })
      .ready(0)
      .fire(A, 1_000)
      .notify({ t: 2_100, sender: 'n1', firing: [A] })
      .notify({ t: 2_100, sender: 'n1', firing: [A], receiver: 'pager' })
      .resolve(A, 10_000)
      .notify({ t: 12_000, sender: 'n1', resolved: [A] })
      .note(60_000, 'end')
      .build();
    const r = checkNoLoss(h);
    expect(r.verdict).toBe('fail');
    expect(r.figures['lostResolved']).toBe(1);
    expect(r.evidence[0]!.message).toContain('receiver pager');
  });

  it('excuses an alert silenced for its whole life (and is unknown when nothing else was due)', () => {
    const h = historyBuilder()
      .start()
      .ready(0)
      .silence({ t: 500, node: 'n1', matchers: [{ name: 'alertname', value: 'A', isRegex: false, isEqual: true }] })
      .fire(A, 1_000)
      .resolve(A, 30_000)
      .note(60_000, 'end')
      .build();
    const r = checkNoLoss(h);
    expect(r.verdict).toBe('unknown');
    expect(r.figures['exemptSilenced']).toBe(1);
  });

  it('honours regex and negative matchers', () => {
    const build = (matcher: string) =>
      historyBuilder()
        .start()
        .ready(0)
        .silence({ t: 500, node: 'n1', matchers: [matcher] })
        .fire(A, 1_000)
        .fire(B, 1_000)
        .notify({ t: 2_000, sender: 'n1', firing: [B], groupKey: 'b' })
        .note(60_000, 'end')
        .build();
    expect(checkNoLoss(build('alertname=~"A|C"')).verdict).toBe('pass');
    expect(checkNoLoss(build('alertname!~"B.*"')).verdict).toBe('pass');
    // `=~"A.+"` is anchored: it does not match "A", so A was owed and lost.
    expect(checkNoLoss(build('alertname=~"A.+"')).verdict).toBe('fail');
    expect(checkNoLoss(build('alertname!="A"')).verdict).toBe('fail');
  });

  it('owes a notification once the silence is expired and the alert still fires', () => {
    const h = historyBuilder()
      .start()
      .ready(0)
      .silence({ t: 500, node: 'n1', matchers: ['alertname="A"'], id: 's1' })
      .fire(A, 1_000)
      .expire({ t: 20_000, node: 'n1', id: 's1' })
      .note(100_000, 'end')
      .build();
    const r = checkNoLoss(h);
    expect(r.verdict).toBe('fail');
    // due from the expiry (20.010s) + silence propagation (3s)
    expect(r.evidence[0]!.data!['dueFrom']).toBe(23_010);
  });

  it('is unknown (not fail) when only a silence with unusable matchers could explain a missing notification', () => {
    const h = historyBuilder()
      .start()
      .ready(0)
      .silence({ t: 500, node: 'n1', matchers: ['alertname=~"(?U)A"'] })
      .fire(A, 1_000)
      .note(60_000, 'end')
      .build();
    const r = checkNoLoss(h);
    expect(r.verdict).toBe('unknown');
    expect(r.evidence[0]!.kind).toBe('uncertain');
    expect(r.evidence[0]!.message).toContain('(?U)');
  });

  it('treats an indeterminate silence create as possibly muting', () => {
    const h = historyBuilder()
      .start()
      .ready(0)
      .silence({ t: 500, node: 'n1', matchers: ['alertname="A"'], ok: null })
      .fire(A, 1_000)
      .note(60_000, 'end')
      .build();
    // The silence may exist: the alert may legitimately be muted, so it is excused, not lost.
    expect(checkNoLoss(h).figures['lostFiring']).toBe(0);
  });

  it('excuses alerts fired and resolved within one flush window', () => {
    const h = historyBuilder().start().ready(0).fire(A, 1_000).resolve(A, 2_500).note(60_000, 'end').build();
    const r = checkNoLoss(h);
    expect(r.verdict).toBe('unknown');
    expect(r.figures['exemptShortLived']).toBe(1);
  });

  it('merges a flap (resolve and re-fire within group_interval): the re-fire is not owed a new notification', () => {
    const h = historyBuilder()
      .start()
      .ready(0)
      .fire(A, 1_000)
      .notify({ t: 2_100, sender: 'n1', firing: [A] })
      .resolve(A, 10_000)
      .fire(A, 10_500)
      .resolve(A, 30_000)
      .notify({ t: 32_000, sender: 'n1', resolved: [A] })
      .note(60_000, 'end')
      .build();
    const r = checkNoLoss(h);
    expect(r.verdict).toBe('pass');
    expect(r.figures['flapsMerged']).toBe(1);
    expect(r.figures['firingObligations']).toBe(1);
  });

  it('a re-fire after a real resolution is owed its own notification', () => {
    const h = historyBuilder()
      .start()
      .ready(0)
      .fire(A, 1_000)
      .notify({ t: 2_100, sender: 'n1', firing: [A] })
      .resolve(A, 10_000)
      .notify({ t: 12_000, sender: 'n1', resolved: [A] })
      .fire(A, 20_000)
      .note(80_000, 'end')
      .build();
    const r = checkNoLoss(h);
    expect(r.verdict).toBe('fail');
    expect(r.evidence[0]!.events).toEqual([seqOf(h, 'alert.fire', 1)]);
  });

  it('waits for a process fault to end before owing the notification', () => {
    const base = () =>
      historyBuilder()
        .start()
        .ready(0)
        .fire(A, 1_000)
        .fault({ t: 1_500, until: 40_000, kind: 'kill', nodes: ['n1', 'n2', 'n3'] });
    expect(checkNoLoss(base().notify({ t: 45_000, sender: 'n2', firing: [A] }).note(90_000, 'end').build()).verdict).toBe('pass');
    // deadline = 40s + 17s + 1s resend = 58s: at 50s it is still pending
    expect(checkNoLoss(base().note(50_000, 'end').build()).verdict).toBe('unknown');
    expect(checkNoLoss(base().note(90_000, 'end').build()).verdict).toBe('fail');
  });

  it('does not excuse a loss during a partition (Alertmanager fails open)', () => {
    const h = historyBuilder()
      .start()
      .ready(0)
      .fault({ t: 500, until: 100_000, components: [['n1'], ['n2', 'n3']] })
      .fire(A, 1_000)
      .note(120_000, 'end')
      .build();
    expect(checkNoLoss(h).verdict).toBe('fail');
  });

  it('is unknown when the fault was never removed', () => {
    const h = historyBuilder()
      .start()
      .ready(0)
      .fire(A, 1_000)
      .fault({ t: 1_500, kind: 'receiver-down' })
      .note(120_000, 'end')
      .build();
    expect(checkNoLoss(h).verdict).toBe('unknown');
  });

  it('excuses alerts an alerts.list answer showed as inhibited', () => {
    const h = historyBuilder()
      .start()
      .ready(0)
      .fire(A, 1_000)
      .fire(B, 1_000)
      .alertsList('n1', 3_000, [{ labels: A, inhibitedBy: ['fp-b'] }, { labels: B }])
      .notify({ t: 2_000, sender: 'n1', firing: [B] })
      .note(60_000, 'end')
      .build();
    const r = checkNoLoss(h);
    expect(r.verdict).toBe('pass');
    expect(r.figures['exemptInhibited']).toBe(1);
  });

  it('owes nothing for an alert sent to no node', () => {
    const h = historyBuilder()
      .start()
      .ready(0)
      .fire(A, 1_000, [])
      .fire(B, 1_000)
      .notify({ t: 2_000, sender: 'n1', firing: [B] })
      .note(60_000, 'end')
      .build();
    const r = checkNoLoss(h);
    expect(r.verdict).toBe('pass');
    expect(r.figures['exemptNotSent']).toBe(1);
  });

  it('owes nothing for the part of an alert after teardown began', () => {
    const h = historyBuilder()
      .start()
      .ready(0)
      .fire(B, 1_000)
      .notify({ t: 2_000, sender: 'n1', firing: [B] })
      .fire(A, 50_000)
      .phase('teardown', 50_500)
      .note(90_000, 'end')
      .build();
    expect(checkNoLoss(h).verdict).toBe('unknown');
  });

  // ---- routes, receivers and the holes found by review (issue: verdicts that cannot be fooled) ----

  const route = (id: string, receiver: string, extra: Partial<RouteRecord> = {}): RouteRecord => ({
    id,
    ...(id === 'root' ? {} : { parent: 'root' }),
    receiver,
    matchers: [],
    continue: false,
    groupBy: ['alertname'],
    groupWaitMs: TEST_TIMERS.groupWaitMs,
    groupIntervalMs: TEST_TIMERS.groupIntervalMs,
    repeatIntervalMs: TEST_TIMERS.repeatIntervalMs,
    ...extra,
  });

  it('owes a firing notification to every receiver an alert is routed to (continue: true): one delivery does not pay for two', () => {
    const crit = { alertname: 'Disk', severity: 'critical' };
    // Alertmanager's Route.Match: the critical alert matches pager (continue: true) and then team.
    const routes = [route('root', 'default'), route('root.0', 'pager', { matchers: ['severity="critical"'], continue: true }), route('root.1', 'default')];
    const h = historyBuilder()
      .start({ routes, sendResolved: { default: true, pager: true }, repeatIntervalMs: { default: 3_600_000, pager: 3_600_000 } })
      .ready(0)
      .fire(crit, 1_000)
      .notify({ t: 2_100, sender: 'n1', firing: [crit], receiver: 'default' })
      .note(60_000, 'end')
      .build();
    const r = checkNoLoss(h);
    expect(r.verdict).toBe('fail');
    expect(r.figures['firingObligations']).toBe(2);
    const lost = r.evidence.find((e) => e.kind === 'lost-firing')!;
    expect(lost.data!['receiver']).toBe('pager');
    expect(lost.fails).toBe(true);
  });

  it('judges each alert by the timers of its route: a slow route is not lost in a fast route\'s window, a fast one is held to its own', () => {
    // Route "slow": group_interval 30 s → flush window 31 s, fire deadline 31 + 4 + 30 = 65 s after due.
    const slow = { alertname: 'Slow', team: 'slow' };
    const fast = { alertname: 'Fast' };
    const routes = [route('root', 'webhook'), route('root.0', 'webhook', { matchers: ['team="slow"'], groupWaitMs: 30_000, groupIntervalMs: 30_000 })];
    const base = () => historyBuilder().start({ routes }).ready(0).fire(slow, 1_000).fire(fast, 1_000).notify({ t: 2_100, sender: 'n1', firing: [fast] });
    // The slow route's alert arrives 31 s after it fired (its group_wait is 30 s): on time for its route.
    const onTime = checkNoLoss(base().notify({ t: 32_000, sender: 'n1', firing: [slow], groupKey: '{}/{team="slow"}:{alertname="Slow"}' }).note(120_000, 'end').build());
    expect(onTime.verdict).toBe('pass');
    // Without the delivery, it is lost only after its own route's deadline.
    const lost = checkNoLoss(base().note(120_000, 'end').build());
    expect(lost.verdict).toBe('fail');
    expect(lost.evidence[0]!.data!['route']).toBe('root.0');
    expect(lost.evidence[0]!.data!['deadline']).toBe(1_000 + 31_000 + 4_000 + 30_000);
  });

  it('fails a delivery that came after its deadline (latency beyond the deadline is a failure, not only a figure)', () => {
    const h = historyBuilder()
      .start()
      .ready(0)
      .fire(A, 1_000)
      // due from 1 s, deadline 1 + 17 = 18 s; delivered at 25 s
      .notify({ t: 25_000, sender: 'n1', firing: [A] })
      .note(60_000, 'end')
      .build();
    const r = checkNoLoss(h);
    expect(r.verdict).toBe('fail');
    expect(r.figures['lateFiring']).toBe(1);
    expect(r.evidence[0]!.kind).toBe('late-firing');
    expect(r.evidence[0]!.message).toContain('after the deadline');
  });

  it('a notification sent while the alert was silenced does not pay for the one owed after the silence expires', () => {
    const h = historyBuilder()
      .start()
      .ready(0)
      .silence({ t: 500, node: 'n1', id: 's1', matchers: ['alertname="A"'] })
      .fire(A, 1_000)
      // delivered while the silence was visible everywhere: a violation, not the notification owed
      .notify({ t: 12_000, sender: 'n1', firing: [A] })
      .expire({ t: 20_000, node: 'n2', id: 's1' })
      .note(80_000, 'end')
      .build();
    const r = checkNoLoss(h);
    expect(r.verdict).toBe('fail');
    expect(r.figures['mutedDeliveriesIgnored']).toBeGreaterThan(0);
    expect(r.evidence[0]!.kind).toBe('lost-firing');
  });

  it('excuses an alert that a node\'s sampled alerts showed as inhibited', () => {
    const h = historyBuilder()
      .start()
      .ready(0)
      .fire(A, 1_000)
      .fire(B, 1_000)
      .notify({ t: 2_100, sender: 'n1', firing: [B] })
      .alertsSample('n1', 3_000, [{ labels: A, inhibitedBy: ['fp-of-B'] }])
      .note(60_000, 'end')
      .build();
    const r = checkNoLoss(h);
    expect(r.verdict).toBe('pass');
    expect(r.figures['exemptInhibited']).toBe(1);
  });
});

