import { describe, expect, it } from 'vitest';
import { checkExactlyOnce } from './exactly-once.js';
import { historyBuilder } from '../../test/support/checkers/history-builder.js';

const A = { alertname: 'A' };
const A2 = { alertname: 'A', instance: 'i2' };
const B = { alertname: 'B' };

describe('exactly-once', () => {
  it('passes when every transition is delivered once', () => {
    const h = historyBuilder()
      .start({ nodes: 3 })
      .ready(0)
      .fire(A, 1_000)
      .notify({ t: 2_100, sender: 'n1', firing: [A] })
      .resolve(A, 10_000)
      .notify({ t: 12_050, sender: 'n1', resolved: [A] })
      .end(32_050)
      .build();
    const r = checkExactlyOnce(h);
    expect(r.verdict).toBe('pass');
    expect(r.figures['transitions']).toBe(2);
    expect(r.figures['healthyTransitions']).toBe(2);
    expect(r.figures['duplicates']).toBe(0);
    expect(r.figures['maxCopies']).toBe(1);
  });

  it('fails on a copy from a second node within repeat_interval, with seqs, senders and gaps', () => {
    const h = historyBuilder()
      .start({ nodes: 3 })
      .ready(0)
      .fire(A, 1_000)
      .notify({ t: 2_100, sender: 'n1', firing: [A] })
      .notify({ t: 4_150, sender: 'n2', firing: [A] })
      .notify({ t: 6_200, sender: 'n3', firing: [A] })
      .build();
    const r = checkExactlyOnce(h);
    expect(r.verdict).toBe('fail');
    expect(r.figures['duplicates']).toBe(2);
    expect(r.figures['maxCopies']).toBe(3);
    expect(r.figures['duplicatesBySender:n2']).toBe(1);
    expect(r.figures['duplicatesBySender:n3']).toBe(1);
    const ev = r.evidence.find((e) => e.kind === 'duplicate')!;
    const seqs = h.filter((e) => e.type === 'notification').map((e) => e.seq);
    expect(ev.events).toEqual(seqs);
    expect(ev.message).toContain('n1 (0.25.0)');
    expect(ev.message).toContain('+2.050s');
    const copies = ev.data!['copies'] as { sender: string; gapMs: number }[];
    expect(copies.map((c) => [c.sender, c.gapMs])).toEqual([
      ['n1', 0],
      ['n2', 2_050],
      ['n3', 4_100],
    ]);
  });

  it('sees a duplicate across versions whose group keys order the group labels differently', () => {
    // 0.25 and 0.28+ can format the label part of one group's key differently: same group, same
    // receiver, so a second notification is still a duplicate the checker must not miss.
    const AX = { alertname: 'A', Zone: 'z1', az: 'a' };
    const h = historyBuilder()
      .start({ nodes: 2 })
      .ready(0)
      .fire(AX, 1_000)
      .notify({ t: 2_100, sender: 'n1', firing: [AX], groupKey: '{}:{Zone="z1", alertname="A", az="a"}', groupLabels: AX })
      .notify({ t: 4_100, sender: 'n2', firing: [AX], groupKey: '{}:{alertname="A", az="a", Zone="z1"}', groupLabels: AX })
      .build();
    const r = checkExactlyOnce(h);
    expect(r.verdict).toBe('fail');
    expect(r.figures['duplicates']).toBe(1);
  });

  it('keeps groups of different routes apart even with equal group labels', () => {
    const h = historyBuilder()
      .start({ nodes: 2 })
      .ready(0)
      .fire(A, 1_000)
      .notify({ t: 2_100, sender: 'n1', firing: [A], groupKey: '{}/{team="x"}:{alertname="A"}' })
      .notify({ t: 2_200, sender: 'n1', firing: [A], groupKey: '{}/{team="y"}:{alertname="A"}' })
      .end(22_200)
      .build();
    expect(checkExactlyOnce(h).verdict).toBe('pass');
  });

  it('counts a copy from the same node as a duplicate too', () => {
    const h = historyBuilder()
      .start()
      .ready(0)
      .notify({ t: 2_000, sender: 'n1', firing: [A] })
      .notify({ t: 4_000, sender: 'n1', firing: [A] })
      .build();
    expect(checkExactlyOnce(h).verdict).toBe('fail');
  });

  it('does not count a repeat after repeat_interval', () => {
    const h = historyBuilder()
      .start({ timers: { repeatIntervalMs: 60_000 } })
      .ready(0)
      .notify({ t: 2_000, sender: 'n1', firing: [A] })
      .notify({ t: 62_001, sender: 'n2', firing: [A] })
      .end(82_001)
      .build();
    const r = checkExactlyOnce(h);
    expect(r.verdict).toBe('pass');
    expect(r.figures['transitions']).toBe(2);
  });

  it('uses the per-receiver repeat interval from scenario.start', () => {
    const h = historyBuilder()
      .start({ repeatIntervalMs: { webhook: 120_000 } })
      .ready(0)
      .notify({ t: 2_000, sender: 'n1', firing: [A] })
      .notify({ t: 62_001, sender: 'n2', firing: [A] })
      .build();
    expect(checkExactlyOnce(h).verdict).toBe('fail');
  });

  it('a superset of firing alerts is a new transition, a subset is a duplicate', () => {
    const h = historyBuilder()
      .start()
      .ready(0)
      .notify({ t: 2_000, sender: 'n1', firing: [A] })
      .notify({ t: 4_000, sender: 'n1', firing: [A, A2], groupKey: '{}:{alertname="A"}' })
      .notify({ t: 6_000, sender: 'n2', firing: [A] })
      .build();
    const r = checkExactlyOnce(h);
    expect(r.verdict).toBe('fail');
    expect(r.figures['transitions']).toBe(2);
    expect(r.figures['duplicates']).toBe(1);
    expect(r.evidence[0]!.data!['firing']).toEqual(['{alertname="A",instance="i2"}', '{alertname="A"}'].sort());
  });

  it('all-resolved after all-resolved is a duplicate whatever the repeat interval', () => {
    const h = historyBuilder()
      .start({ timers: { repeatIntervalMs: 1_000 } })
      .ready(0)
      .notify({ t: 2_000, sender: 'n1', firing: [A] })
      .notify({ t: 10_000, sender: 'n1', resolved: [A] })
      .notify({ t: 50_000, sender: 'n2', resolved: [A] })
      .build();
    const r = checkExactlyOnce(h);
    expect(r.verdict).toBe('fail');
    expect((r.evidence[0]!.data!['copies'] as unknown[]).length).toBe(2);
  });

  it('with send_resolved a newly resolved alert is a transition; without it the same notification is a duplicate', () => {
    const build = (sendResolved: boolean) =>
      historyBuilder()
        .start({ sendResolved: { webhook: sendResolved } })
        .ready(0)
        .fire(A, 1_000)
        .fire(A2, 1_000)
        .notify({ t: 2_000, sender: 'n1', firing: [A, A2] })
        .resolve(A2, 3_000)
        .notify({ t: 4_000, sender: 'n1', firing: [A], resolved: [A2] })
        .end(24_000)
        .build();
    expect(checkExactlyOnce(build(true)).verdict).toBe('pass');
    const off = checkExactlyOnce(build(false));
    expect(off.verdict).toBe('fail');
    expect(off.figures['duplicates']).toBe(1);
  });

  it('without send_resolved, a silent all-resolved flush resets the log: a re-fire is not a duplicate', () => {
    const h = historyBuilder()
      .start({ sendResolved: { webhook: false } })
      .ready(0)
      .fire(A, 1_000)
      .notify({ t: 2_000, sender: 'n1', firing: [A] })
      .resolve(A, 5_000)
      // resolved for 15 s ≫ group_interval (2 s): a flush logged "nothing firing" without a webhook
      .fire(A, 20_000)
      .notify({ t: 22_000, sender: 'n2', firing: [A] })
      .end(42_000)
      .build();
    const r = checkExactlyOnce(h);
    expect(r.verdict).toBe('pass');
    expect(r.figures['transitions']).toBe(2);
  });

  it('without send_resolved, a resolve shorter than group_interval makes the re-notification ambiguous, not a duplicate', () => {
    const h = historyBuilder()
      .start({ sendResolved: { webhook: false } })
      .ready(0)
      .fire(A, 1_000)
      .notify({ t: 2_000, sender: 'n1', firing: [A] })
      .resolve(A, 5_000)
      .fire(A, 6_000)
      .notify({ t: 8_000, sender: 'n2', firing: [A] })
      .end(28_000)
      .build();
    const r = checkExactlyOnce(h);
    expect(r.verdict).toBe('pass');
    expect(r.figures['ambiguousTransitions']).toBe(1);
    expect(r.figures['duplicates']).toBe(0);
  });

  it('ignores undelivered attempts (Alertmanager logs only successes)', () => {
    const h = historyBuilder()
      .start()
      .ready(0)
      .notify({ t: 2_000, sender: 'n1', firing: [A], delivered: false })
      .notify({ t: 4_000, sender: 'n2', firing: [A] })
      .end(24_000)
      .build();
    const r = checkExactlyOnce(h);
    expect(r.verdict).toBe('pass');
    expect(r.figures['notificationsUndelivered']).toBe(1);
  });

  it('keeps receivers and groups apart', () => {
    const h = historyBuilder()
      .start({ sendResolved: { webhook: true, other: true }, repeatIntervalMs: { webhook: 3_600_000, other: 3_600_000 } })
      .ready(0)
      .notify({ t: 2_000, sender: 'n1', firing: [A] })
      .notify({ t: 2_000, sender: 'n1', firing: [A], receiver: 'other' })
      .notify({ t: 2_000, sender: 'n1', firing: [B] })
      .end(22_000)
      .build();
    const r = checkExactlyOnce(h);
    expect(r.verdict).toBe('pass');
    expect(r.figures['groups']).toBe(3);
  });

  it('reports duplicates during a partition (and its settle margin) as figures, not failures', () => {
    const h = historyBuilder()
      .start()
      .ready(0)
      .notify({ t: 2_000, sender: 'n1', firing: [A] })
      .fault({ t: 10_000, until: 30_000, components: [['n1'], ['n2', 'n3']] })
      .notify({ t: 12_000, sender: 'n1', firing: [A, B], groupKey: 'g' })
      .notify({ t: 14_000, sender: 'n2', firing: [A, B], groupKey: 'g' })
      // within removed + settle margin (10 s reconnect + 1 s)
      .notify({ t: 35_000, sender: 'n3', firing: [A, B], groupKey: 'g' })
      .end(55_000)
      .build();
    const r = checkExactlyOnce(h);
    expect(r.verdict).toBe('pass');
    expect(r.figures['duplicatesDuringFaults']).toBe(2);
    expect(r.figures['maxCopiesDuringFaults']).toBe(3);
    expect(r.evidence.some((e) => e.kind === 'duplicate-during-fault')).toBe(true);
  });

  it('fails on a duplicate after the fault was removed and the cluster settled', () => {
    const h = historyBuilder()
      .start()
      .ready(0)
      .fault({ t: 10_000, until: 30_000, components: [['n1'], ['n2', 'n3']] })
      .notify({ t: 50_000, sender: 'n1', firing: [A] })
      .notify({ t: 52_000, sender: 'n2', firing: [A] })
      .build();
    expect(checkExactlyOnce(h).verdict).toBe('fail');
  });

  it('extends the settle window until status samples show every node with all peers', () => {
    const h = historyBuilder()
      .start()
      .ready(0)
      .sampleAll(5_000)
      .fault({ t: 10_000, until: 30_000, components: [['n1'], ['n2', 'n3']] })
      .statusSample('n1', 12_000, 1)
      .statusSample('n1', 45_000, 1)
      .statusSample('n1', 60_000, 3)
      .notify({ t: 50_000, sender: 'n1', firing: [A] })
      .notify({ t: 52_000, sender: 'n2', firing: [A] })
      .notify({ t: 70_000, sender: 'n1', firing: [B] })
      .end(90_000)
      .build();
    const r = checkExactlyOnce(h);
    expect(r.verdict).toBe('pass');
    expect(r.figures['duplicatesDuringFaults']).toBe(1);
    expect(r.figures['healthyTransitions']).toBe(1);
  });

  it('treats a killed node as a disturbance until it is ready again', () => {
    const h = historyBuilder()
      .start()
      .ready(0)
      .node('n1', 'killed', 10_000)
      .node('n1', 'started', 12_000)
      .node('n1', 'ready', 14_000)
      .notify({ t: 16_000, sender: 'n2', firing: [A] })
      .notify({ t: 18_000, sender: 'n1', firing: [A] })
      .build();
    const r = checkExactlyOnce(h);
    expect(r.verdict).toBe('unknown');
    expect(r.figures['duplicatesDuringFaults']).toBe(1);
  });

  it('is unknown when every transition happened during a fault', () => {
    const h = historyBuilder()
      .start()
      .ready(0)
      .fault({ t: 1_000, until: 30_000, components: [['n1'], ['n2', 'n3']] })
      .notify({ t: 2_000, sender: 'n1', firing: [A] })
      .notify({ t: 4_000, sender: 'n2', firing: [A] })
      .build();
    const r = checkExactlyOnce(h);
    expect(r.verdict).toBe('unknown');
    expect(r.summary).toContain('none of the 1 group transition');
  });

  it('is unknown without notifications, without readiness, and for a multi-scenario history', () => {
    expect(checkExactlyOnce(historyBuilder().start().ready(0).fire(A, 1).build()).verdict).toBe('unknown');
    const notReady = historyBuilder().start().notify({ t: 2_000, sender: 'n1', firing: [A] }).build();
    expect(checkExactlyOnce(notReady).summary).toContain('ready');
    const two = [...historyBuilder().start().build(), ...historyBuilder().start().build()];
    expect(checkExactlyOnce(two).verdict).toBe('unknown');
    expect(checkExactlyOnce([]).verdict).toBe('unknown');
  });

  it('does not judge notifications with truncated alerts', () => {
    const h = historyBuilder()
      .start()
      .ready(0)
      .notify({ t: 2_000, sender: 'n1', firing: [A] })
      .notify({ t: 3_000, sender: 'n2', firing: [A], truncatedAlerts: 3 })
      .build();
    const r = checkExactlyOnce(h);
    expect(r.figures['ambiguousTransitions']).toBe(1);
    expect(r.figures['duplicates']).toBe(0);
  });

  it('is unknown when the history ends before the last position could send a copy (the horizon)', () => {
    // N = 3, peer timeout 2 s: position 2 may still send until first + 4 s + one retry (1 s) + margin.
    const base = () => historyBuilder().start({ nodes: 3 }).ready(0).fire(A, 1_000).notify({ t: 2_100, sender: 'n1', firing: [A] });
    const short = checkExactlyOnce(base().end(6_000).build());
    expect(short.verdict).toBe('unknown');
    expect(short.figures['transitionsNotWatchedToHorizon']).toBe(1);
    expect(short.evidence.some((e) => e.kind === 'not-watched-to-horizon')).toBe(true);
    expect(checkExactlyOnce(base().end(8_000).build()).verdict).toBe('pass');
  });

  it('a group whose sends failed has a longer horizon: its positions retry until the pipeline gives up', () => {
    const h = historyBuilder()
      .start({ nodes: 3 })
      .ready(0)
      .notify({ t: 2_000, sender: 'n1', firing: [A], delivered: false })
      .notify({ t: 2_600, sender: 'n1', firing: [A] })
      .end(9_000)
      .build();
    const r = checkExactlyOnce(h);
    expect(r.verdict).toBe('unknown');
    // first + (N−1) × 2 s + max(group_interval, 10 s) + 0.5 s
    expect(r.figures['latestHorizon']).toBe(2_600 + 4_000 + 10_000 + 500);
  });

  it('summaries count group transitions and name what the nodes were: healthy cluster, or not clustered (the --no-cluster control)', () => {
    const b = () => historyBuilder().start({ nodes: 3 }).ready(0).fire(A, 1_000);
    const pass = checkExactlyOnce(b().notify({ t: 2_100, sender: 'n1', firing: [A] }).end(12_000).build());
    expect(pass.summary).toMatch(/^1 group transition\(s\) while the cluster was healthy, each notified exactly once/);
    const control = b()
      .statusSample('n1', 500, [], 'disabled')
      .statusSample('n2', 500, [], 'disabled')
      .statusSample('n3', 500, [], 'disabled')
      .notify({ t: 2_100, sender: 'n1', firing: [A] })
      .notify({ t: 2_110, sender: 'n2', firing: [A] })
      .end(12_000)
      .build();
    const r = checkExactlyOnce(control);
    expect(r.verdict).toBe('fail');
    expect(r.summary).toContain('1 duplicate notification(s) in 1 of 1 group transition(s) with the nodes not clustered');
    expect(r.summary).not.toContain('healthy');
  });

  it('counts a copy that arrives after teardown began, as healthy time (no fault was active)', () => {
    const h = historyBuilder()
      .start({ nodes: 3 })
      .ready(0)
      .fire(A, 1_000)
      .notify({ t: 2_100, sender: 'n1', firing: [A] })
      .end(6_000)
      .notify({ t: 6_900, sender: 'n3', firing: [A] })
      .build();
    const r = checkExactlyOnce(h);
    expect(r.verdict).toBe('fail');
    expect(r.figures['duplicates']).toBe(1);
  });

  it('handles 100k notifications (correctness at scale: 50k transitions, one duplicate each)', () => {
    const b = historyBuilder().start().ready(0);
    for (let i = 0; i < 50_000; i++) {
      const labels = { alertname: `A${i % 500}`, i: String(Math.floor(i / 500)) };
      const gk = `{}:{alertname="A${i % 500}",i="${Math.floor(i / 500)}"}`;
      b.notify({ t: 1_000 + i, sender: 'n1', firing: [labels], groupKey: gk });
      b.notify({ t: 1_000 + i + 0.5, sender: 'n2', firing: [labels], groupKey: gk });
    }
    const r = checkExactlyOnce(b.end(120_000).build(), { maxEvidence: 10 });
    expect(r.figures['duplicates']).toBe(50_000);
    expect(r.figures['duplicatesBySender:n2']).toBe(50_000);
    expect(r.evidence).toHaveLength(10);
    expect(r.figures['evidenceTruncated']).toBe(49_990);
  });
});
