import { describe, expect, it } from 'vitest';
import { checkExactlyOnce } from './exactly-once.js';
import { checkNoLoss } from './no-loss.js';
import { historyBuilder } from '../../test/support/checkers/history-builder.js';
import { checkValidity } from './validity.js';

const A = { alertname: 'A' };
const B = { alertname: 'B' };

// TEST_TIMERS: 3 nodes, peer timeout 2 s, group_wait 1 s, group_interval 2 s, resend 1 s.
// lag (how long before arrival the flush can have been) = 2 × 2 s + max(2 s, 10 s) + 1 s = 15 s.

describe('validity', () => {
  it('stale firing after resolved (seen on real 0.25.0 with a short group_interval) fails, while exactly-once and no-loss pass', () => {
    const h = historyBuilder()
      .start({ nodes: 3 })
      .ready(0)
      .fire(A, 1_000)
      .notify({ t: 2_100, sender: 'n1', firing: [A] })
      .resolve(A, 10_000)
      .notify({ t: 12_050, sender: 'n1', resolved: [A] })
      .notify({ t: 12_500, sender: 'n3', firing: [A] })
      .notify({ t: 14_100, sender: 'n2', resolved: [A] })
      .end(40_000)
      .build();
    // The review found this history passing both: exactly-once sees the late firing as a "new"
    // transition (firing ⊄ the resolved entry) and no-loss has its deliveries.
    expect(checkNoLoss(h).verdict).toBe('pass');
    const r = checkValidity(h);
    expect(r.verdict).toBe('fail');
    expect(r.figures['staleFiring']).toBe(1);
    const ev = r.evidence.find((e) => e.kind === 'stale-firing')!;
    expect(ev.fails).toBe(true);
    expect(ev.message).toContain('n3 (0.25.0) delivered it firing at t=12.500s, after n1 (0.25.0) had delivered it resolved at t=12.050s');
    expect(ev.data).toMatchObject({ sender: 'n3', firstT: 12_050, lastT: 12_500, resolveT: 10_000 });
  });

  it('resolved while the workload still fires fails (the re-sends reached the sender in time)', () => {
    const h = historyBuilder()
      .start({ nodes: 3 })
      .ready(0)
      .fire(A, 1_000)
      .notify({ t: 2_100, sender: 'n1', firing: [A] })
      .notify({ t: 4_100, sender: 'n2', resolved: [A] })
      .notify({ t: 6_100, sender: 'n3', firing: [A] })
      .end(40_000)
      .build();
    expect(checkExactlyOnce(h).verdict).not.toBe('fail');
    const r = checkValidity(h);
    expect(r.verdict).toBe('fail');
    expect(r.figures['resolvedWhileFiring']).toBe(1);
    expect(r.evidence[0]!.kind).toBe('resolved-while-firing');
    expect(r.evidence[0]!.data!['sender']).toBe('n2');
  });

  it('a phantom (an alert the workload never fired) fails', () => {
    const h = historyBuilder()
      .start({ nodes: 3 })
      .ready(0)
      .fire(A, 1_000)
      .notify({ t: 2_100, sender: 'n1', firing: [A, B], groupKey: '{}:{}' })
      .end(40_000)
      .build();
    const r = checkValidity(h);
    expect(r.verdict).toBe('fail');
    expect(r.figures['phantoms']).toBe(1);
    expect(r.evidence[0]!.message).toContain('never fired');
  });

  it('passes a clean firing → resolved → re-fire sequence, and a resolution by expiry on a node no re-send reached', () => {
    const clean = historyBuilder()
      .start({ nodes: 3 })
      .ready(0)
      .fire(A, 1_000)
      .notify({ t: 2_100, sender: 'n1', firing: [A] })
      .resolve(A, 10_000)
      .notify({ t: 12_050, sender: 'n1', resolved: [A] })
      .fire(A, 20_000)
      .notify({ t: 21_100, sender: 'n1', firing: [A] })
      .end(40_000)
      .build();
    const ok = checkValidity(clean);
    expect(ok.verdict).toBe('pass');
    expect(ok.figures['statesChecked']).toBe(3);

    // n2's last post said "valid until 3 s"; nothing reached it after (paused): it resolves A itself.
    const expired = historyBuilder()
      .start({ nodes: 3 })
      .ready(0)
      .fire(A, 1_000)
      .post('n1', 1_000, [{ labels: A, endsAtT: 5_000 }])
      .post('n2', 1_000, [{ labels: A, endsAtT: 3_000 }])
      .post('n1', 3_000, [{ labels: A, endsAtT: 7_000 }])
      .post('n2', 3_000, [{ labels: A, endsAtT: 7_000 }], null)
      .notify({ t: 2_100, sender: 'n1', firing: [A] })
      .notify({ t: 6_100, sender: 'n2', resolved: [A] })
      .end(40_000)
      .build();
    const e = checkValidity(expired);
    expect(e.verdict).toBe('pass');
    expect(e.figures['expiredResolved']).toBe(1);
    expect(e.evidence.some((x) => x.kind === 'expired-resolved')).toBe(true);

    // The same resolution while n2 had been sent A valid until 7 s: a violation.
    const lied = historyBuilder()
      .start({ nodes: 3 })
      .ready(0)
      .fire(A, 1_000)
      .post('n2', 1_000, [{ labels: A, endsAtT: 5_000 }])
      .post('n2', 3_000, [{ labels: A, endsAtT: 7_000 }])
      .notify({ t: 2_100, sender: 'n1', firing: [A] })
      .notify({ t: 6_100, sender: 'n2', resolved: [A] })
      .end(40_000)
      .build();
    expect(checkValidity(lied).verdict).toBe('fail');
  });

  it('a post a paused node processes only on resume carries an endsAt already past: resolving then is expiry, not a lie', () => {
    // n1 paused from 2 s to 14 s: the posts invoked meanwhile complete at 14.01 s with endsAt < 14 s;
    // the post after the resume (valid until 23 s) comes too late for the flush that resolved.
    const h = historyBuilder()
      .start({ nodes: 3 })
      .ready(0)
      .fire(A, 1_000)
      .post('n1', 1_000, [{ labels: A, endsAtT: 9_000 }])
      .raw(3_000, { type: 'op.invoke', op: 900, kind: 'alerts.post', node: 'n1', value: [{ labels: A, startsAt: '2026-01-01T00:00:00.000Z', endsAt: '2026-01-01T00:00:11.000Z' }] })
      .raw(14_010, { type: 'op.complete', op: 900, kind: 'alerts.post', node: 'n1', ok: true })
      .post('n1', 15_000, [{ labels: A, endsAtT: 23_000 }])
      .notify({ t: 2_100, sender: 'n1', firing: [A] })
      .notify({ t: 16_500, sender: 'n1', resolved: [A] })
      .end(60_000)
      .build();
    const r = checkValidity(h);
    expect(r.verdict).toBe('pass');
    expect(r.figures['expiredResolved']).toBe(1);
  });

  it('a resolution for an old resolve after the next episode\'s firing was delivered is stale', () => {
    const h = historyBuilder()
      .start({ nodes: 3 })
      .ready(0)
      .fire(A, 1_000)
      .notify({ t: 2_100, sender: 'n1', firing: [A] })
      .resolve(A, 10_000)
      .fire(A, 11_000)
      .notify({ t: 12_100, sender: 'n1', firing: [A] })
      .notify({ t: 14_000, sender: 'n3', resolved: [A] })
      .end(40_000)
      .build();
    const r = checkValidity(h);
    expect(r.verdict).toBe('fail');
    expect(r.figures['staleResolved']).toBe(1);
  });

  it('states arriving within the order tolerance are concurrent, not stale', () => {
    const h = historyBuilder()
      .start({ nodes: 3 })
      .ready(0)
      .fire(A, 1_000)
      .notify({ t: 2_100, sender: 'n1', firing: [A] })
      .resolve(A, 10_000)
      .notify({ t: 12_000, sender: 'n1', resolved: [A] })
      .notify({ t: 12_020, sender: 'n3', firing: [A] })
      .end(40_000)
      .build();
    expect(checkValidity(h).verdict).toBe('pass');
    expect(checkValidity(h, { orderToleranceMs: 10 }).verdict).toBe('fail');
  });

  it('keeps receivers apart: a resolved to one receiver does not make the other\'s firing stale', () => {
    const h = historyBuilder()
      .start({ nodes: 3, sendResolved: { webhook: true, other: true } })
      .ready(0)
      .fire(A, 1_000)
      .resolve(A, 10_000)
      .notify({ t: 12_000, sender: 'n1', resolved: [A], receiver: 'other' })
      .notify({ t: 2_100, sender: 'n1', firing: [A] })
      .notify({ t: 2_100, sender: 'n1', firing: [A], receiver: 'other' })
      .notify({ t: 12_500, sender: 'n1', resolved: [A] })
      .end(40_000)
      .build();
    expect(checkValidity(h).verdict).toBe('pass');
  });

  it('is unknown without notifications, without intents, and when the history ends before the last state\'s horizon', () => {
    expect(checkValidity(historyBuilder().start().ready(0).fire(A, 1_000).end(30_000).build()).verdict).toBe('unknown');
    expect(checkValidity(historyBuilder().start().ready(0).notify({ t: 2_000, sender: 'n1', firing: [A] }).build()).verdict).toBe('unknown');
    const short = historyBuilder().start({ nodes: 3 }).ready(0).fire(A, 1_000).notify({ t: 2_100, sender: 'n1', firing: [A] }).end(4_000).build();
    const r = checkValidity(short);
    expect(r.verdict).toBe('unknown');
    expect(r.summary).toContain('horizon');
  });
});
