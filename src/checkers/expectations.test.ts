import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { restart } from '../../suites/restart.js';
import type { HistoryEvent, NodeId, RouteRecord } from '../history/types.js';
import { packageRoot } from '../util/paths.js';
import { checkExactlyOnce } from './exactly-once.js';
import { applyKnownBehaviours, duringInjectedFault, OUT_OF_PHASE_GAP_MS, outOfPhaseAfterRestart } from './expectations.js';
import { scenarioOutcome } from './outcome.js';
import { historyBuilder, TEST_TIMERS } from '../../test/support/checkers/history-builder.js';
import type { CheckResult } from './types.js';
import { checkValidity } from './validity.js';

const A = { alertname: 'A' };
const B = { alertname: 'B' };

// What udp-cut declares: duplicates inside its UDP cut (+ the push/pull tail) are upstream #1564.
const udpCut = duringInjectedFault({
  id: 'udp-cut',
  faults: ['link-cut'],
  matchSpec: (spec) => spec?.['transport'] === 'udp',
  tailMs: (view) => view.timers.pushPullIntervalMs + 5_000,
  reason: 'UDP cut, TCP open: nflog gossip lost (upstream #1564)',
});

function judge(history: HistoryEvent[], behaviours = [udpCut]) {
  const results = applyKnownBehaviours(history, [checkExactlyOnce(history)], behaviours);
  return { eo: results[0]!, outcome: scenarioOutcome(results) };
}

/** A UDP-cut fault as the nemesis records it (requested with its spec, then applied and removed). */
function withUdpCut(b: ReturnType<typeof historyBuilder>, t: number, until: number) {
  return b
    .raw(t - 1, { type: 'fault', fault: 1, state: 'requested', kind: 'link-cut', description: 'cut udp on all peer links', detail: { spec: { kind: 'link-cut', links: 'all', transport: 'udp' } } })
    .raw(t, { type: 'fault', fault: 1, state: 'applied', kind: 'link-cut', description: 'cut udp on all peer links' })
    .raw(until, { type: 'fault', fault: 1, state: 'removed', kind: 'link-cut', description: 'cut udp on all peer links' });
}

describe('known behaviours: expected failures only from the evidence of injected faults', () => {
  it('a duplicate after the injected UDP cut and its tail is not explained by it: a plain fail', () => {
    // Copies after the fault's settle margin (so exactly-once fails), inside removed + tail.
    const h = withUdpCut(historyBuilder().start().ready(0), 5_000, 10_000)
      .notify({ t: 2_000, sender: 'n1', firing: [B] })
      .notify({ t: 22_000, sender: 'n1', firing: [A] })
      .notify({ t: 24_000, sender: 'n2', firing: [A] })
      .end(60_000)
      .build();
    // The transition starts after heal + settle (10 s + 11 s): exactly-once counts it as healthy...
    expect(checkExactlyOnce(h).verdict).toBe('fail');
    // ...but it is not inside the cut + tail (10 s + 10 s = 20 s): not explained.
    expect(judge(h).outcome).toBe('fail');

  });

  it('classifies each failing item: all explained by the injected fault → expected-failure; one healthy-time duplicate more → fail', () => {
    const h = withUdpCut(historyBuilder().start().ready(0), 5_000, 10_000)
      .notify({ t: 22_000, sender: 'n1', firing: [A] })
      .notify({ t: 24_000, sender: 'n2', firing: [A] })
      .end(60_000)
      .build();
    const wide = duringInjectedFault({ id: 'udp-cut', faults: ['link-cut'], matchSpec: (s) => s?.['transport'] === 'udp', tailMs: () => 20_000, reason: 'UDP cut (upstream #1564)' });
    const explained = judge(h, [wide]);
    expect(explained.eo.verdict).toBe('fail');
    expect(explained.eo.expectedFailure).toBe('UDP cut (upstream #1564)');
    expect(explained.eo.evidence.find((e) => e.fails)!.explainedBy).toMatchObject({ behaviour: 'udp-cut', expected: true });
    expect(explained.outcome).toBe('expected-failure');

    // The same plus a duplicate of a baseline group long after the tail: the check is a plain fail.
    const more = withUdpCut(historyBuilder().start().ready(0), 5_000, 10_000)
      .notify({ t: 22_000, sender: 'n1', firing: [A] })
      .notify({ t: 24_000, sender: 'n2', firing: [A] })
      .notify({ t: 50_000, sender: 'n1', firing: [B] })
      .notify({ t: 52_000, sender: 'n3', firing: [B] })
      .end(90_000)
      .build();
    const r = judge(more, [wide]);
    expect(r.eo.expectedFailure).toBeUndefined();
    expect(r.outcome).toBe('fail');
    // A fault of another kind (or transport) explains nothing.
    const otherKind = duringInjectedFault({ id: 'x', faults: ['latency'], tailMs: () => 60_000, reason: 'latency' });
    expect(judge(h, [otherKind]).outcome).toBe('fail');
    const tcpOnly = duringInjectedFault({ id: 'x', faults: ['link-cut'], matchSpec: (s) => s?.['transport'] === 'tcp', tailMs: () => 60_000, reason: 'tcp' });
    expect(judge(h, [tcpOnly]).outcome).toBe('fail');
  });

  it('never makes a failure expected when its failing evidence was truncated away', () => {
    const b = withUdpCut(historyBuilder().start().ready(0), 5_000, 10_000);
    for (let i = 0; i < 5; i++) {
      b.notify({ t: 22_000 + i, sender: 'n1', firing: [{ alertname: `X${i}` }], groupKey: `g${i}` });
      b.notify({ t: 24_000 + i, sender: 'n2', firing: [{ alertname: `X${i}` }], groupKey: `g${i}` });
    }
    const h = b.end(60_000).build();
    const wide = duringInjectedFault({ id: 'udp-cut', faults: ['link-cut'], tailMs: () => 20_000, reason: 'UDP cut' });
    const results = applyKnownBehaviours(h, [checkExactlyOnce(h, { maxEvidence: 3 })], [wide]);
    expect(results[0]!.expectedFailure).toBeUndefined();
  });

  it('timer overlap from the user\'s timers is a fail naming upstream #3551 and the config line — never expected', () => {
    const routes: RouteRecord[] = [
      {
        id: 'root',
        receiver: 'webhook',
        matchers: [],
        continue: false,
        groupBy: ['alertname'],
        groupWaitMs: 1_000,
        groupIntervalMs: 3_000,
        repeatIntervalMs: TEST_TIMERS.repeatIntervalMs,
        sources: { groupWait: 'am.yml:4 (group_wait: 1s)', groupInterval: 'am.yml:5 (group_interval: 3s)', repeatInterval: 'Alertmanager default' },
      },
    ];
    const h = historyBuilder()
      .start({ nodes: 3, routes })
      .ready(0)
      .fire(A, 1_000)
      .notify({ t: 2_100, sender: 'n1', firing: [A] })
      .resolve(A, 10_000)
      .notify({ t: 12_050, sender: 'n1', resolved: [A] })
      .notify({ t: 12_500, sender: 'n3', firing: [A] })
      .end(40_000)
      .build();
    const [validity] = applyKnownBehaviours(h, [checkValidity(h)], []);
    expect(validity!.verdict).toBe('fail');
    expect(validity!.expectedFailure).toBeUndefined();
    expect(validity!.knownIssues![0]).toContain('upstream #3551');
    expect(validity!.knownIssues![0]).toContain('am.yml:5 (group_interval: 3s)');
    expect(validity!.summary).toContain('#3551');
    expect(scenarioOutcome([validity!])).toBe('fail');

    // A duplicate 2 s after the first (tsam:no-dedup's position 1) is not the overlap's shape.
    const noDedup = historyBuilder()
      .start({ nodes: 3, routes })
      .ready(0)
      .fire(A, 1_000)
      .notify({ t: 2_100, sender: 'n1', firing: [A] })
      .notify({ t: 4_100, sender: 'n2', firing: [A] })
      .notify({ t: 6_100, sender: 'n3', firing: [A] })
      .end(40_000)
      .build();
    const [eo] = applyKnownBehaviours(noDedup, [checkExactlyOnce(noDedup)], []);
    expect(eo!.verdict).toBe('fail');
    expect(eo!.knownIssues).toBeUndefined();
  });

  it('timer overlap also explains a duplicate whose copies came from flushes of different ticks (as measured on real 0.25.0)', () => {
    // Real 0.25.0, group_interval 2 s: after n3's stale firing, n1 (position 0, this tick) and n2
    // (position 1, flushed one tick earlier and still waiting) both sent the resolved, 10 ms apart.
    const h = historyBuilder()
      .start({ nodes: 3, timers: { groupIntervalMs: 2_000 } })
      .ready(0)
      .sampleAll(500)
      .fire(A, 1_000)
      .notify({ t: 2_100, sender: 'n1', firing: [A] })
      .resolve(A, 8_000)
      .notify({ t: 9_000, sender: 'n1', resolved: [A] })
      .notify({ t: 9_300, sender: 'n3', firing: [A] })
      .notify({ t: 11_000, sender: 'n1', resolved: [A] })
      .notify({ t: 11_010, sender: 'n2', resolved: [A] })
      .end(40_000)
      .build();
    const [eo] = applyKnownBehaviours(h, [checkExactlyOnce(h)], []);
    expect(eo!.verdict).toBe('fail');
    const dup = eo!.evidence.find((e) => e.fails)!;
    expect((dup.data!['copies'] as { position: number }[]).map((c) => c.position)).toEqual([0, 1]);
    expect(dup.explainedBy).toMatchObject({ behaviour: 'timer-overlap', expected: false });
    expect(eo!.knownIssues![0]).toContain('#3551');
  });

  it('a duplicate between versions whose group keys differ names the version mix — still a fail', () => {
    const AX = { alertname: 'A', Zone: 'z1', az: 'a' };
    const h = historyBuilder()
      .start({ nodes: 2, versions: ['0.25.0', '0.33.1'], timers: { groupIntervalMs: 6_000 } })
      .ready(0)
      .fire(AX, 1_000)
      .notify({ t: 2_100, sender: 'n1', firing: [AX], groupKey: '{}:{Zone="z1", alertname="A", az="a"}', groupLabels: AX })
      .notify({ t: 4_100, sender: 'n2', firing: [AX], groupKey: '{}:{alertname="A", az="a", Zone="z1"}', groupLabels: AX })
      .end(40_000)
      .build();
    const [eo] = applyKnownBehaviours(h, [checkExactlyOnce(h)], []);
    expect(eo!.verdict).toBe('fail');
    expect(eo!.expectedFailure).toBeUndefined();
    expect(eo!.knownIssues![0]).toContain('build this group\'s key differently');
  });
});

describe('restarted-timer-phase: a stale state or a copy between nodes whose timers the suite put out of phase (upstream #3551)', () => {
  const restartedPhase = outOfPhaseAfterRestart({ id: 'restarted-timer-phase', faults: ['restart', 'pause'] });
  const judgeWith = (check: (h: HistoryEvent[]) => CheckResult) => (h: HistoryEvent[]) => {
    const [r] = applyKnownBehaviours(h, [check(h)], [restartedPhase]);
    return { v: r!, outcome: scenarioOutcome([r!]) };
  };
  const judgeValidity = judgeWith(checkValidity);
  /** The one failing item (of this kind) is there and nothing explains it: a plain fail. */
  const unexplainedBy = (judge: ReturnType<typeof judgeWith>, kind: string) => (h: HistoryEvent[]) => {
    const r = judge(h);
    const failing = r.v.evidence.filter((e) => e.fails);
    expect(failing.map((e) => e.kind)).toEqual([kind]);
    expect(failing[0]!.explainedBy).toBeUndefined();
    expect(r.outcome).toBe('fail');
  };
  const unexplained = unexplainedBy(judgeValidity, 'stale-firing');

  /**
   * n3 (position 2: waits 4 s) restarted at 10 s; A resolved at 30 s (its posts reach every node at
   * 30.005 s); n1 (position 0) flushes after that and notifies resolved at 30.5 s; n3 sends firing
   * at `staleAt`. `restarted`: which node the fault acted on (n2 is neither sender).
   */
  function history(o: { staleAt: number; restarted?: NodeId; newerAt?: number }) {
    const b = historyBuilder().start({ nodes: 3, timers: { groupIntervalMs: 6_000 } }).ready(0).sampleAll(500);
    for (const n of ['n1', 'n2', 'n3']) b.post(n, 1_000, [{ labels: A, endsAtT: 61_000 }]);
    b.fire(A, 1_000)
      .notify({ t: 2_100, sender: 'n1', firing: [A] })
      .fault({ t: 10_000, until: 10_100, kind: 'restart', nodes: [o.restarted ?? 'n3'] })
      .sampleAll(12_000)
      .resolve(A, 30_000);
    for (const n of ['n1', 'n2', 'n3']) b.post(n, 30_000, [{ labels: A, endsAtT: 30_000 }]);
    return b
      .notify({ t: o.newerAt ?? 30_500, sender: 'n1', resolved: [A] })
      .notify({ t: o.staleAt, sender: 'n3', firing: [A] })
      .notify({ t: 36_500, sender: 'n1', resolved: [A] })
      .end(70_000)
      .build();
  }

  it('explains it when the restarted node flushed before the resolve reached it and the other position flushed later', () => {
    // n3's flush: 33.9 s − 2 × 2 s = 29.9 s, before the resolve's post completed (30.005 s).
    const r = judgeValidity(history({ staleAt: 33_900 }));
    expect(r.v.verdict).toBe('fail');
    const stale = r.v.evidence.filter((e) => e.kind === 'stale-firing' && e.fails);
    expect(stale).toHaveLength(1);
    expect(stale[0]!.explainedBy).toMatchObject({ behaviour: 'restarted-timer-phase', expected: true });
    expect(stale[0]!.explainedBy!.reason).toContain('flushed at t=29.900s (position 2), before the change reached it at t=30.005s');
    expect(r.outcome).toBe('expected-failure');
  });

  it('explains it when the restarted node is the one whose later flush notified the change', () => {
    const r = judgeValidity(history({ staleAt: 33_900, restarted: 'n1' }));
    expect(r.v.evidence.find((e) => e.fails)!.explainedBy!.reason).toContain('left on n1: n3 flushed at t=29.900s');
    expect(r.outcome).toBe('expected-failure');
  });

  it('does not explain a stale state between two nodes no fault acted on', () => {
    unexplained(history({ staleAt: 33_900, restarted: 'n2' }));
  });

  it('does not explain a node that had the change before its flush (it ignored the resolve)', () => {
    // n3's flush: 34.5 s − 4 s = 30.5 s, after the post reached it at 30.005 s.
    unexplained(history({ staleAt: 34_500 }));
  });

  it('does not explain flushes in phase: the other position flushed within milliseconds of it', () => {
    // n3 flushed at 29.9 s, n1 at 30.1 s (< OUT_OF_PHASE_GAP_MS apart): a healthy cluster's race.
    expect(OUT_OF_PHASE_GAP_MS).toBeGreaterThan(100);
    unexplained(history({ staleAt: 33_900, newerAt: 30_100 }));
  });

  describe('duplicates: a node checks the log just after a peer sent, before its entry can arrive', () => {
    const judgeEo = judgeWith(checkExactlyOnce);
    /**
     * Measured on tsam+0.33.1+0.33.1 after tsam (n1) was paused: n2 (position 1) flushed at 41 s and
     * sent at 43 s; n1 (position 0) flushed at 43.07 s, 70 ms after n2's send, and sent too.
     */
    function dupHistory(o: { restarted?: NodeId; secondAt?: number; peerTimeoutMs?: number; firstAt?: number }) {
      const b = historyBuilder().start({ nodes: 3, timers: { groupIntervalMs: 6_000, ...(o.peerTimeoutMs ? { peerTimeoutMs: o.peerTimeoutMs } : {}) } }).ready(0).sampleAll(500);
      b.fault({ t: 10_000, until: 10_100, kind: 'pause', nodes: [o.restarted ?? 'n1'] }).sampleAll(12_000);
      for (const n of ['n1', 'n2', 'n3']) b.post(n, 40_000, [{ labels: A, endsAtT: 100_000 }]);
      return b
        .fire(A, 40_000)
        .notify({ t: o.firstAt ?? 43_000, sender: 'n2', firing: [A] })
        .notify({ t: o.secondAt ?? 43_070, sender: 'n1', firing: [A] })
        .end(90_000)
        .build();
    }
    const unexplainedDup = unexplainedBy(judgeEo, 'duplicate');

    it('explains the copy when its flush came ≥ OUT_OF_PHASE_GAP_MS after the first and it arrived within the gossip margin', () => {
      const r = judgeEo(dupHistory({}));
      const failing = r.v.evidence.filter((e) => e.fails);
      expect(failing.map((e) => e.kind)).toEqual(['duplicate']);
      expect(failing[0]!.explainedBy).toMatchObject({ behaviour: 'restarted-timer-phase', expected: true });
      expect(failing[0]!.explainedBy!.reason).toContain('n2 flushed at t=41.000s and sent at t=43.000s; n1 sent again at t=43.070s');
      expect(r.outcome).toBe('expected-failure');
    });

    it('does not explain it when no fault acted on either sender', () => {
      unexplainedDup(dupHistory({ restarted: 'n3' }));
    });

    it('does not explain a copy that came later than the gossip margin (the log entry should have arrived)', () => {
      unexplainedDup(dupHistory({ secondAt: 44_200 }));
    });

    it('does not explain copies from flushes in phase (a 500 ms peer timeout: both flushed at 41 s, sent 0.5 s apart)', () => {
      // n1 (position 0) flushed and sent at 41.0 s; n2 (position 1) flushed at 41.0 s and sent at 41.5 s.
      unexplainedDup(dupHistory({ peerTimeoutMs: 500, firstAt: 41_500, secondAt: 41_000 }));
    });
  });

  it('on the recorded real run (0.25.0 ×3, a fresh clone\'s npm test): ten stale firings from n1 after its restarts, all explained; without the fault records, a plain fail', async () => {
    const file = join(packageRoot(), 'fixtures', 'histories', 'restart-stale', 'history.jsonl.gz');
    const h = gunzipSync(readFileSync(file)).toString('utf8').trim().split('\n').map((l) => JSON.parse(l) as HistoryEvent);
    const judged = applyKnownBehaviours(h, [checkValidity(h)], restart.knownBehaviours ?? []);
    const v = judged[0]!;
    const failing = v.evidence.filter((e) => e.fails);
    expect(failing.map((e) => e.kind)).toEqual(Array(10).fill('stale-firing'));
    expect(failing.every((e) => e.explainedBy?.behaviour === 'restarted-timer-phase')).toBe(true);
    expect(scenarioOutcome([v])).toBe('expected-failure');
    // The same history without the nemesis's records: nothing the suite injected explains it.
    const bare = h.filter((e) => e.type !== 'fault');
    expect(scenarioOutcome(applyKnownBehaviours(bare, [checkValidity(bare)], restart.knownBehaviours ?? []))).toBe('fail');
  });
});
