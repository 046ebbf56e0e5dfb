import { describe, expect, it } from 'vitest';
import { historyBuilder, type HistoryBuilder } from '../../test/support/checkers/history-builder.js';
import { checkExactlyOnce } from './exactly-once.js';
import { applyKnownBehaviours, duringSourceMistake } from './expectations.js';
import { checkNoLoss } from './no-loss.js';
import { checkValidity } from './validity.js';

/**
 * The checkers on histories of the shape a real Prometheus source leaves (src/prometheus): a
 * `source` event naming the replicas and their replica label; intents at the moment Prometheus
 * fired/resolved (the POST's startsAt/endsAt); every POST of every replica to every node recorded
 * by the send taps (`from` = the replica), every 2 s (a 2 s evaluation), firing alerts with
 * endsAt = evaluation + 4 × max(evaluation, resend delay) = + 8 s, resolutions re-sent with
 * endsAt = the resolve; the first send only after discovery (the source is ready ~6 s after start).
 */

const A = { alertname: 'A', group: 'g' };
const NODES = ['n1', 'n2', 'n3'];
const TIMERS = { groupWaitMs: 1_000, groupIntervalMs: 6_000, resendIntervalMs: 2_000 };

/** Started at 0, the replicas ready (first sends possible) at 6.5 s, the drive from then. */
function base(): HistoryBuilder {
  return historyBuilder().start({ nodes: 3, timers: TIMERS }).prometheusSource({ t: 6_000 }).ready(6_500);
}

/** Alert A fired in Prometheus at 10 s and resolved at 30 s, both replicas sending to `nodes`. */
function sends(b: HistoryBuilder, o: { nodes?: string[]; alerts?: (typeof A)[]; failing?: string[]; to?: number } = {}): HistoryBuilder {
  for (const replica of ['p1', 'p2']) {
    b.prometheusSends({ replica, nodes: o.nodes ?? NODES, alerts: o.alerts ?? [A], from: 10_000, to: o.to ?? 40_000, resolvedAt: 30_000, ...(o.failing ? { failing: o.failing } : {}) });
  }
  return b;
}

describe('checkers with real Prometheus as the source', () => {
  it('a healthy pair: one notification per transition, on time, matching what Prometheus did', () => {
    const h = sends(base().fire(A, 10_000).resolve(A, 30_000))
      .notify({ t: 11_050, sender: 'n1', firing: [A] })
      .notify({ t: 35_050, sender: 'n1', resolved: [A] })
      .end(60_000)
      .build();
    expect(checkNoLoss(h).verdict).toBe('pass');
    expect(checkExactlyOnce(h).verdict).toBe('pass');
    expect(checkValidity(h).verdict).toBe('pass');
  });

  it('an alert Prometheus fired before its first send (discovery\'s 5 s tick) is owed from when the cluster could have it', () => {
    // Fired in Prometheus at 3 s (startsAt), first POST at 6.2 s once the Alertmanagers were discovered.
    const early = (b: HistoryBuilder) => {
      b.fire(A, 3_000).resolve(A, 30_000);
      for (const replica of ['p1', 'p2']) b.prometheusSends({ replica, nodes: NODES, alerts: [A], from: 6_200, to: 40_000, resolvedAt: 30_000 });
      return b;
    };
    const h = early(base()).notify({ t: 7_250, sender: 'n1', firing: [A] }).notify({ t: 31_250, sender: 'n1', resolved: [A] }).end(60_000).build();
    expect(checkNoLoss(h).verdict).toBe('pass');
    expect(checkValidity(h).verdict).toBe('pass');
    // Never delivered: lost, with the deadline counted from readiness, not from 3 s.
    const lost = checkNoLoss(early(base()).end(60_000).build());
    const item = lost.evidence.find((e) => e.kind === 'lost-firing')!;
    expect(item.data?.['dueFrom']).toBe(6_500);
  });

  it("validity's expiry excuse reads the taps' POSTs: a node no replica reached since its endsAt passed resolves the alert itself", () => {
    // n2 gets nothing after 16 s (cut from both replicas): its copy is valid until 16 + 8 = 24 s.
    const cut = base().fire(A, 10_000).resolve(A, 30_000);
    for (const replica of ['p1', 'p2']) {
      cut.prometheusSends({ replica, nodes: ['n1', 'n3'], alerts: [A], from: 10_000, to: 40_000, resolvedAt: 30_000 });
      cut.prometheusSends({ replica, nodes: ['n2'], alerts: [A], from: 10_000, to: 16_000 });
    }
    const expired = cut
      .notify({ t: 11_050, sender: 'n1', firing: [A] })
      .notify({ t: 27_050, sender: 'n2', resolved: [A] })
      .notify({ t: 29_100, sender: 'n1', firing: [A] })
      .notify({ t: 35_050, sender: 'n1', resolved: [A] })
      .end(60_000)
      .build();
    const v = checkValidity(expired);
    expect(v.figures['expiredResolved']).toBe(1);
    expect(v.figures['resolvedWhileFiring']).toBe(0);

    // The same resolution from a node both replicas kept re-sending to is a false statement.
    const fed = sends(base().fire(A, 10_000).resolve(A, 30_000))
      .notify({ t: 11_050, sender: 'n1', firing: [A] })
      .notify({ t: 27_050, sender: 'n2', resolved: [A] })
      .notify({ t: 35_050, sender: 'n1', resolved: [A] })
      .end(60_000)
      .build();
    const f = checkValidity(fed);
    expect(f.verdict).toBe('fail');
    expect(f.evidence.filter((e) => e.fails).map((e) => e.kind)).toEqual(['resolved-while-firing']);
  });

  it('replica label not dropped: the alert reaches the receiver under two label sets — one identity, a duplicate', () => {
    const A1 = { ...A, replica: 'p1' };
    const A2 = { ...A, replica: 'p2' };
    const h = base()
      .fire(A, 10_000)
      .resolve(A, 30_000)
      .notify({ t: 11_050, sender: 'n1', firing: [A1] })
      // The second replica's copy joins the group after the first flush: a new firing set to Alertmanager.
      .notify({ t: 17_050, sender: 'n1', firing: [A1, A2] })
      .notify({ t: 35_050, sender: 'n1', resolved: [A1, A2] })
      .end(60_000)
      .build();
    // Judged by identity: nothing lost, no phantom...
    expect(checkNoLoss(h).verdict).toBe('pass');
    const v = checkValidity(h);
    expect(v.figures['phantoms']).toBe(0);
    // ...but the alert arrived twice, and the second notification told nothing new.
    expect(v.verdict).toBe('fail');
    const dup = v.evidence.filter((e) => e.fails);
    expect(dup.map((e) => e.kind)).toEqual(['duplicate-alert']);
    expect(dup[0]!.data?.['labelSets']).toHaveLength(2);
    const eo = checkExactlyOnce(h);
    expect(eo.verdict).toBe('fail');
    expect(eo.figures['duplicates']).toBe(1);

    // Without the source event the same labels are simply two alerts the workload never fired.
    const workload = historyBuilder().start({ nodes: 3, timers: TIMERS }).ready(6_500).fire(A, 10_000).resolve(A, 30_000).notify({ t: 11_050, sender: 'n1', firing: [A1] }).end(60_000).build();
    expect(checkValidity(workload).figures['phantoms']).toBe(1);
  });

  it('no-loss is end to end: one node down excuses nothing, every node down does', () => {
    // Both replicas send only to n1, which is down from 5 s to 50 s: nothing is delivered.
    const single = (b: HistoryBuilder) => sends(b.fire(A, 10_000).resolve(A, 30_000), { nodes: ['n1'], failing: ['n1'] }).fault({ t: 5_000, until: 50_000, kind: 'kill', nodes: ['n1'] }).node('n1', 'killed', 5_000).node('n1', 'ready', 50_000).end(80_000);
    const lost = checkNoLoss(single(base()).build());
    expect(lost.verdict).toBe('fail');
    expect(lost.evidence.filter((e) => e.fails).map((e) => e.kind)).toEqual(['lost-firing']);

    // The built-in workload: a node outage excuses the obligation until it ends (the cluster's guarantee).
    const wl = single(historyBuilder().start({ nodes: 3, timers: TIMERS }).ready(6_500)).build();
    expect(checkNoLoss(wl).figures['lostFiring']).toBe(0);

    // Every node down at once: nothing could be delivered, nothing is owed meanwhile.
    let all = base().fire(A, 10_000).resolve(A, 30_000);
    for (const n of NODES) all = all.fault({ t: 5_000, until: 50_000, kind: 'kill', nodes: [n] });
    expect(checkNoLoss(all.end(80_000).build()).figures['lostFiring']).toBe(0);
  });

  it("faults of the source do not disturb the cluster: a duplicate while a replica is down is a duplicate", () => {
    const withFault = (kind: string, nodes: string[]) =>
      sends(base().fire(A, 10_000).resolve(A, 30_000))
        .fault({ t: 8_000, until: 25_000, kind, nodes })
        .notify({ t: 11_050, sender: 'n1', firing: [A] })
        .notify({ t: 13_050, sender: 'n2', firing: [A] })
        .notify({ t: 35_050, sender: 'n1', resolved: [A] })
        .end(60_000)
        .build();
    const eo = checkExactlyOnce(withFault('source-kill', ['p1']));
    expect(eo.verdict).toBe('fail');
    expect(eo.figures['duplicates']).toBe(1);
    expect(checkNoLoss(withFault('source-kill', ['p1'])).verdict).toBe('pass');
    // The same copy while a node of the cluster is down is a figure, not a failure.
    const cluster = checkExactlyOnce(withFault('kill', ['n3']));
    expect(cluster.figures['duplicates']).toBe(0);
    expect(cluster.figures['duplicatesDuringFaults']).toBe(1);
  });

  it('a mistake the suite set up explains failing evidence inside it, and only there', () => {
    const A1 = { ...A, replica: 'p1' };
    const A2 = { ...A, replica: 'p2' };
    const B = { alertname: 'B', group: 'g' };
    const mistake = { kind: 'source-config', description: 'replica label kept', spec: { kind: 'source-config', mistake: 'replica-label-kept', setup: {} } };
    const h = base()
      .fault({ t: 8_000, until: 40_000, ...mistake })
      .fire(A, 10_000)
      .resolve(A, 30_000)
      .notify({ t: 11_050, sender: 'n1', firing: [A1, A2] })
      .notify({ t: 35_050, sender: 'n1', resolved: [A1, A2] })
      .fire(B, 50_000)
      .resolve(B, 70_000)
      .notify({ t: 51_050, sender: 'n1', firing: [{ ...B, replica: 'p1' }, { ...B, replica: 'p2' }] })
      .notify({ t: 75_050, sender: 'n1', resolved: [{ ...B, replica: 'p1' }, { ...B, replica: 'p2' }] })
      .end(100_000)
      .build();
    const kb = duringSourceMistake({ id: 'label-kept', mistake: 'replica-label-kept', checks: ['validity'], tailMs: () => 5_000, reason: 'replica label kept' });
    const [v] = applyKnownBehaviours(h, [checkValidity(h)], [kb]);
    const failing = v!.evidence.filter((e) => e.fails);
    expect(failing).toHaveLength(2);
    // A's duplicate lies inside the mistake; B's came after it was undone: not explained, so not expected.
    expect(failing.filter((e) => e.explainedBy?.behaviour === 'label-kept').map((e) => e.data?.['alert'])).toEqual(['{alertname="A",group="g"}']);
    expect(v!.expectedFailure).toBeUndefined();

    // Another mistake's window explains nothing.
    const other = duringSourceMistake({ id: 'x', mistake: 'single-target', checks: ['validity'], tailMs: () => 5_000, reason: 'x' });
    const [w] = applyKnownBehaviours(h, [checkValidity(h)], [other]);
    expect(w!.evidence.some((e) => e.explainedBy)).toBe(false);
  });
});
