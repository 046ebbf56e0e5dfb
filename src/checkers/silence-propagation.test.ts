import { describe, expect, it } from 'vitest';
import { checkSilencePropagation } from './silence-propagation.js';
import { historyBuilder } from '../../test/support/checkers/history-builder.js';

const A = { alertname: 'A' };
const B = { alertname: 'B' };
const silenceA = { t: 1_000, node: 'n1', matchers: ['alertname="A"'], id: 's1' };

// The silence completes at 1.010s; silencePropagationMs is 3s, so the deadline is 4.010s.

describe('silence-propagation', () => {
  it('passes and reports per-node delays when every node lists the silence in time', () => {
    const h = historyBuilder()
      .start()
      .ready(0)
      .silence(silenceA)
      .silencesSample('n1', 1_200, ['s1'])
      .silencesSample('n2', 1_500, ['s1'])
      .silencesSample('n3', 1_000, [])
      .silencesSample('n3', 2_000, ['s1'])
      .build();
    const r = checkSilencePropagation(h);
    expect(r.verdict).toBe('pass');
    expect(r.figures['delaysMs']).toEqual([490, 990]);
    expect(r.figures['delayP50Ms']).toBe(490);
    expect(r.figures['delayP95Ms']).toBe(990);
    expect(r.figures['delayMaxMs']).toBe(990);
    expect(r.evidence.find((e) => e.kind === 'propagation')!.message).toContain('n2 +0.490s, n3 +0.990s');
  });

  it('is unknown, not a pass, when a notification of a silenced alert cannot be attributed to a node', () => {
    const h = historyBuilder()
      .start()
      .ready(0)
      .silence(silenceA)
      .silencesSample('n1', 1_200, ['s1'])
      .silencesSample('n2', 1_500, ['s1'])
      .silencesSample('n3', 2_000, ['s1'])
      .notify({ t: 9_000, firing: [A], externalURL: 'http://stranger.example/' })
      .build();
    const r = checkSilencePropagation(h);
    expect(r.verdict).toBe('unknown');
    expect(r.figures['unattributedNotifications']).toBe(1);
    expect(r.evidence.some((e) => e.kind === 'unattributed-notification')).toBe(true);
  });

  it('fails when a node still lacks the silence after the deadline (late)', () => {
    const h = historyBuilder()
      .start()
      .ready(0)
      .silence(silenceA)
      .silencesSample('n2', 1_500, ['s1'])
      .silencesSample('n3', 2_000, [])
      .silencesSample('n3', 5_000, [])
      .silencesSample('n3', 6_000, ['s1'])
      .build();
    const r = checkSilencePropagation(h);
    expect(r.verdict).toBe('fail');
    expect(r.figures['late']).toBe(1);
    const ev = r.evidence[0]!;
    expect(ev.kind).toBe('late');
    expect(ev.data).toMatchObject({ node: 'n3', silence: 's1', delayMs: 4_990 });
  });

  it('does not call a slow-sampled node late without a sample proving it', () => {
    const h = historyBuilder()
      .start()
      .ready(0)
      .silence(silenceA)
      .silencesSample('n2', 1_500, ['s1'])
      .silencesSample('n3', 2_000, [])
      .silencesSample('n3', 9_000, ['s1'])
      .build();
    const r = checkSilencePropagation(h);
    expect(r.verdict).toBe('pass');
    expect(r.figures['delayMaxMs']).toBe(7_990);
  });

  it('fails when a reachable node never lists it', () => {
    const h = historyBuilder()
      .start()
      .ready(0)
      .silence(silenceA)
      .silencesSample('n2', 1_500, ['s1'])
      .silencesSample('n3', 10_000, [])
      .silencesSample('n3', 20_000, ['other'])
      .build();
    const r = checkSilencePropagation(h);
    expect(r.verdict).toBe('fail');
    expect(r.evidence[0]!.kind).toBe('never-listed');
    expect(r.evidence[0]!.message).toContain('n3 (0.25.0)');
  });

  it('is unknown when a node was never sampled, or only unreachable, or the history ended early', () => {
    const base = () => historyBuilder().start().ready(0).silence(silenceA).silencesSample('n2', 1_500, ['s1']);
    const none = checkSilencePropagation(base().build());
    expect(none.verdict).toBe('unknown');
    expect(none.figures['unsampled']).toBe(1);
    const unreachable = checkSilencePropagation(base().silencesSample('n3', 20_000, undefined).build());
    expect(unreachable.verdict).toBe('unknown');
    const early = checkSilencePropagation(base().silencesSample('n3', 2_000, []).build());
    expect(early.verdict).toBe('unknown');
    expect(early.figures['pending']).toBe(1);
  });

  it('is unknown when no silence was created', () => {
    expect(checkSilencePropagation(historyBuilder().start().ready(0).build()).summary).toBe('no silence was created');
    const indeterminate = historyBuilder().start().ready(0).silence({ ...silenceA, ok: null }).build();
    expect(checkSilencePropagation(indeterminate).summary).toContain('1 indeterminate');
    const failed = historyBuilder().start().ready(0).silence({ ...silenceA, ok: false }).build();
    expect(checkSilencePropagation(failed).verdict).toBe('unknown');
  });

  it('waits for a partition that separates the nodes, but not for one that keeps them together', () => {
    const h = historyBuilder()
      .start()
      .ready(0)
      .fault({ t: 500, until: 20_000, components: [['n1', 'n2'], ['n3']] })
      .silence(silenceA)
      .silencesSample('n2', 1_500, ['s1'])
      .silencesSample('n3', 10_000, [])
      .silencesSample('n3', 21_000, ['s1'])
      .build();
    expect(checkSilencePropagation(h).verdict).toBe('pass');

    const same = historyBuilder()
      .start()
      .ready(0)
      .fault({ t: 500, until: 20_000, components: [['n1', 'n2'], ['n3']] })
      .silence(silenceA)
      .silencesSample('n2', 5_000, [])
      .silencesSample('n2', 6_000, ['s1'])
      .silencesSample('n3', 21_000, ['s1'])
      .build();
    const r = checkSilencePropagation(same);
    expect(r.verdict).toBe('fail');
    expect(r.evidence[0]!.data!['node']).toBe('n2');
  });

  it('accepts a silence reported among the expired ones after it was expired', () => {
    const h = historyBuilder()
      .start()
      .ready(0)
      .silence(silenceA)
      .expire({ t: 1_200, node: 'n1', id: 's1' })
      .silencesSample('n2', 1_500, [], ['s1'])
      .silencesSample('n3', 1_500, [], ['s1'])
      .build();
    expect(checkSilencePropagation(h).verdict).toBe('pass');
  });

  it('fails when the node that lists the silence still notifies a matching alert', () => {
    const h = historyBuilder()
      .start()
      .ready(0)
      .sampleAll(500)
      .silence(silenceA)
      .silencesSample('n2', 1_500, ['s1'])
      .silencesSample('n3', 2_000, ['s1'])
      .fire(A, 3_000)
      .notify({ t: 10_000, sender: 'n1', firing: [A] })
      .build();
    const r = checkSilencePropagation(h);
    expect(r.verdict).toBe('fail');
    const ev = r.evidence.find((e) => e.kind === 'notified-while-silenced')!;
    expect(ev.data).toMatchObject({ node: 'n1', silence: 's1', alerts: ['{alertname="A"}'] });
    expect(r.figures['violations']).toBe(1);
  });

  it('allows for the wait stage: a node in position 2 may deliver what it flushed 2×peer_timeout earlier', () => {
    const h = historyBuilder()
      .start()
      .ready(0)
      .sampleAll(500)
      .silence(silenceA)
      .silencesSample('n2', 1_500, ['s1'])
      .silencesSample('n3', 2_000, ['s1'])
      // n3 (position 2) flushed at ~1.9s, before it listed the silence; arrival 2×2s later
      .notify({ t: 5_900, sender: 'n3', firing: [A] })
      .build();
    expect(checkSilencePropagation(h).verdict).toBe('pass');
    // position 0 has no such excuse
    const h0 = historyBuilder()
      .start()
      .ready(0)
      .sampleAll(500)
      .silence(silenceA)
      .silencesSample('n2', 1_500, ['s1'])
      .silencesSample('n3', 2_000, ['s1'])
      .notify({ t: 5_900, sender: 'n1', firing: [A] })
      .build();
    expect(checkSilencePropagation(h0).verdict).toBe('fail');
  });

  it('allows for retries when the sender had a failed attempt for the group', () => {
    const h = historyBuilder()
      .start()
      .ready(0)
      .sampleAll(500)
      .silence(silenceA)
      .silencesSample('n2', 1_500, ['s1'])
      .silencesSample('n3', 2_000, ['s1'])
      .notify({ t: 800, sender: 'n1', firing: [A], delivered: false })
      .notify({ t: 8_000, sender: 'n1', firing: [A] })
      .build();
    expect(checkSilencePropagation(h).verdict).toBe('pass');
  });

  it('ignores non-matching alerts and notifications after the expiry', () => {
    const h = historyBuilder()
      .start()
      .ready(0)
      .sampleAll(500)
      .silence(silenceA)
      .silencesSample('n2', 1_500, ['s1'])
      .silencesSample('n3', 2_000, ['s1'])
      .notify({ t: 10_000, sender: 'n1', firing: [B] })
      .expire({ t: 20_000, node: 'n2', id: 's1' })
      .notify({ t: 30_000, sender: 'n1', firing: [A] })
      .build();
    expect(checkSilencePropagation(h).verdict).toBe('pass');
  });

  it('applies regex matchers to notifications', () => {
    const h = historyBuilder()
      .start()
      .ready(0)
      .sampleAll(500)
      .silence({ ...silenceA, matchers: [{ name: 'alertname', value: 'A|Z', isRegex: true }] })
      .silencesSample('n2', 1_500, ['s1'])
      .silencesSample('n3', 2_000, ['s1'])
      .notify({ t: 10_000, sender: 'n2', firing: [A] })
      .build();
    expect(checkSilencePropagation(h).verdict).toBe('fail');
  });

  it('is unknown when the silence matchers cannot be evaluated', () => {
    const h = historyBuilder()
      .start()
      .ready(0)
      .silence({ ...silenceA, matchers: ['alertname=~"[[:^alpha:]]"'] })
      .silencesSample('n2', 1_500, ['s1'])
      .silencesSample('n3', 2_000, ['s1'])
      .build();
    const r = checkSilencePropagation(h);
    expect(r.verdict).toBe('unknown');
    expect(r.evidence[0]!.kind).toBe('matchers-unusable');
  });
});
