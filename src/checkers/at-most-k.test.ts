import { describe, expect, it } from 'vitest';
import { checkAtMostK } from './at-most-k.js';
import { historyBuilder } from '../../test/support/checkers/history-builder.js';

const A = { alertname: 'A' };
const B = { alertname: 'B' };
const split = [['n1'], ['n2', 'n3']];

const partitioned = () => historyBuilder().start().ready(0).fault({ t: 10_000, until: 30_000, components: split });

describe('at-most-k', () => {
  it('passes with one copy per side and reports the cross-side duplicate as a figure', () => {
    const h = partitioned()
      .notify({ t: 12_000, sender: 'n1', firing: [A] })
      .notify({ t: 14_000, sender: 'n2', firing: [A] })
      .build();
    const r = checkAtMostK(h);
    expect(r.verdict).toBe('pass');
    expect(r.figures['k']).toEqual([2]);
    expect(r.figures['transitionsDuringPartitions']).toBe(1);
    expect(r.figures['duplicatesDuringPartitions']).toBe(1);
    expect(r.figures['maxCopies']).toBe(2);
    expect(r.evidence[0]!.kind).toBe('copies-within-k');
  });

  it('fails when one side delivers the same transition twice (within-side duplicate)', () => {
    const h = partitioned()
      .notify({ t: 12_000, sender: 'n2', firing: [A] })
      .notify({ t: 16_000, sender: 'n3', firing: [A] })
      .build();
    const r = checkAtMostK(h);
    expect(r.verdict).toBe('fail');
    expect(r.figures['withinSideDuplicates']).toBe(1);
    const ev = r.evidence[0]!;
    expect(ev.kind).toBe('within-side-duplicate');
    expect(ev.data!['component']).toEqual(['n2', 'n3']);
    const seqs = h.filter((e) => e.type === 'notification').map((e) => e.seq);
    expect(ev.events).toEqual(seqs);
    expect(ev.message).toContain('n3 (0.25.0) at t=16.000s after n2 (0.25.0) at t=12.000s (+4.000s)');
  });

  it('fails when a transition is delivered more than k times', () => {
    const h = partitioned()
      .notify({ t: 12_000, sender: 'n1', firing: [A] })
      .notify({ t: 14_000, sender: 'n2', firing: [A] })
      .notify({ t: 16_000, sender: 'n3', firing: [A] })
      .build();
    const r = checkAtMostK(h);
    expect(r.verdict).toBe('fail');
    expect(r.figures['violations']).toBe(1);
    expect(r.evidence.map((e) => e.kind).sort()).toEqual(['more-than-k', 'within-side-duplicate']);
  });

  it('allows three copies when every node is its own side', () => {
    const h = historyBuilder()
      .start()
      .ready(0)
      .fault({ t: 10_000, until: 30_000, components: [['n1'], ['n2'], ['n3']] })
      .notify({ t: 12_000, sender: 'n1', firing: [A] })
      .notify({ t: 14_000, sender: 'n2', firing: [A] })
      .notify({ t: 16_000, sender: 'n3', firing: [A] })
      .build();
    expect(checkAtMostK(h).verdict).toBe('pass');
  });

  it('starts each side from what the whole cluster had logged before the partition', () => {
    const h = partitioned()
      .notify({ t: 2_000, sender: 'n1', firing: [A] })
      .notify({ t: 12_000, sender: 'n2', firing: [A] })
      .build();
    // n2's side had the entry from before the partition: re-sending A is a within-side duplicate.
    expect(checkAtMostK(h).verdict).toBe('fail');
    // ...but not if the entry was logged too close to the partition to have reached that side.
    const close = partitioned()
      .notify({ t: 9_500, sender: 'n1', firing: [A] })
      .notify({ t: 12_000, sender: 'n2', firing: [A] })
      .build();
    expect(checkAtMostK(close).verdict).toBe('pass');
  });

  it('lets each side notify new states', () => {
    const h = partitioned()
      .notify({ t: 12_000, sender: 'n1', firing: [A], groupKey: 'g' })
      .notify({ t: 13_000, sender: 'n2', firing: [A], groupKey: 'g' })
      .notify({ t: 16_000, sender: 'n1', firing: [A, B], groupKey: 'g' })
      .notify({ t: 17_000, sender: 'n3', firing: [A, B], groupKey: 'g' })
      .build();
    const r = checkAtMostK(h);
    expect(r.verdict).toBe('pass');
    expect(r.figures['transitionsDuringPartitions']).toBe(2);
  });

  it('does not count notifications after the partition healed and settled', () => {
    const h = partitioned()
      .notify({ t: 12_000, sender: 'n2', firing: [A] })
      .notify({ t: 50_000, sender: 'n3', firing: [A] })
      .build();
    const r = checkAtMostK(h);
    expect(r.verdict).toBe('pass');
    expect(r.figures['notificationsDuringPartitions']).toBe(1);
  });

  it('treats nodes missing from the components as sides of their own', () => {
    const h = historyBuilder()
      .start()
      .ready(0)
      .fault({ t: 10_000, until: 30_000, components: [['n1'], ['n2']] })
      .notify({ t: 12_000, sender: 'n1', firing: [A] })
      .notify({ t: 14_000, sender: 'n2', firing: [A] })
      .notify({ t: 16_000, sender: 'n3', firing: [A] })
      .build();
    const r = checkAtMostK(h);
    expect(r.verdict).toBe('pass');
    expect(r.figures['k']).toEqual([3]);
    expect(r.evidence.some((e) => e.kind === 'components-incomplete')).toBe(true);
  });

  it('is unknown, not a pass, when a copy cannot be judged (truncated alerts): it is not a legitimate send of its side', () => {
    const h = partitioned()
      .notify({ t: 12_000, sender: 'n1', firing: [A] })
      .notify({ t: 14_000, sender: 'n2', firing: [A] })
      .notify({ t: 16_000, sender: 'n3', firing: [A], truncatedAlerts: 2 })
      .build();
    const r = checkAtMostK(h);
    expect(r.verdict).toBe('unknown');
    expect(r.evidence.some((e) => e.kind === 'ambiguous-copies')).toBe(true);
  });

  it('is unknown when only unattributed copies exceed k', () => {
    const h = partitioned()
      .notify({ t: 12_000, sender: 'n1', firing: [A] })
      .notify({ t: 14_000, sender: 'n2', firing: [A] })
      .notify({ t: 16_000, firing: [A], externalURL: 'http://stranger/' })
      .build();
    const r = checkAtMostK(h);
    expect(r.verdict).toBe('unknown');
    expect(r.figures['unattributedCopies']).toBe(1);
  });

  it('is unknown without a partition or without notifications during one', () => {
    expect(checkAtMostK(historyBuilder().start().ready(0).notify({ t: 1_000, sender: 'n1', firing: [A] }).build()).verdict).toBe('unknown');
    const kill = historyBuilder().start().ready(0).fault({ t: 1_000, until: 2_000, kind: 'kill', nodes: ['n1'] }).build();
    expect(checkAtMostK(kill).summary).toContain('no partition');
    const quiet = partitioned().notify({ t: 2_000, sender: 'n1', firing: [A] }).build();
    expect(checkAtMostK(quiet).summary).toContain('no notification was delivered during');
  });

  it('a repeat after repeat_interval is a new transition', () => {
    const h = historyBuilder()
      .start({ timers: { repeatIntervalMs: 5_000 } })
      .ready(0)
      .fault({ t: 10_000, until: 30_000, components: split })
      .notify({ t: 12_000, sender: 'n2', firing: [A] })
      .notify({ t: 18_000, sender: 'n2', firing: [A] })
      .build();
    const r = checkAtMostK(h);
    expect(r.verdict).toBe('pass');
    expect(r.figures['transitionsDuringPartitions']).toBe(2);
  });
});
