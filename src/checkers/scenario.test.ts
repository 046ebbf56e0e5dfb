import { describe, expect, it } from 'vitest';
import { needsUpdate, type GroupState } from './dedup.js';
import { deriveWindows, disturbedIntervals, fullyPeeredIntervals, viewScenario, wallToT, type ScenarioView } from './scenario.js';
import { historyBuilder, wallAt } from '../../test/support/checkers/history-builder.js';

function view(h: ReturnType<ReturnType<typeof historyBuilder>['build']>): ScenarioView {
  const v = viewScenario(h);
  if (!v.ok) throw new Error(v.reason);
  return v.view;
}

describe('scenario view', () => {
  it('takes readiness from the drive phase, else node ready events, else status samples', () => {
    expect(view(historyBuilder().start().ready(500).build()).readyAt).toBe(500);
    const nodes = historyBuilder().start({ nodes: 2 }).node('n1', 'ready', 100).node('n2', 'ready', 300).build();
    expect(view(nodes)).toMatchObject({ readyAt: 300, readySource: 'node ready events' });
    const samples = historyBuilder().start({ nodes: 2 }).statusSample('n1', 100, 1).statusSample('n1', 200).statusSample('n2', 400).build();
    expect(view(samples)).toMatchObject({ readyAt: 400, readySource: 'status samples' });
    expect(view(historyBuilder().start().build()).readyAt).toBeUndefined();
  });

  it('pairs fault events into windows; a fault never removed stays open', () => {
    const v = view(
      historyBuilder()
        .start()
        .fault({ t: 10, until: 20, components: [['n1'], ['n2', 'n3']] })
        .fault({ t: 30 })
        .build(),
    );
    expect(v.faults.map((f) => [f.start, f.end, f.kind])).toEqual([
      [10, 20, 'partition'],
      [30, Infinity, 'kill'],
    ]);
  });

  it('tracks node outages and nodes gone for good', () => {
    const v = view(
      historyBuilder()
        .start()
        .node('n1', 'killed', 10)
        .node('n1', 'started', 12)
        .node('n1', 'ready', 15)
        .node('n2', 'paused', 20)
        .node('n2', 'resumed', 25)
        .node('n3', 'killed', 30)
        .build(),
    );
    expect(v.nodeDown.map((d) => [d.node, d.start, d.end])).toEqual([
      ['n1', 10, 15],
      ['n2', 20, 25],
      ['n3', 30, Infinity],
    ]);
    expect([...v.goneNodes]).toEqual(['n3']);
  });

  it('converts Alertmanager wall-clock times into scenario time', () => {
    const v = view(historyBuilder().start().build());
    expect(wallToT(v, wallAt(1234))).toBe(1234);
    expect(wallToT(v, 'garbage')).toBeUndefined();
  });

  it('derives the windows from the timers', () => {
    const w = deriveWindows(view(historyBuilder().start({ nodes: 5, timers: { peerTimeoutMs: 15_000, groupWaitMs: 30_000, groupIntervalMs: 300_000 } }).build()));
    expect(w.peerWaitMaxMs).toBe(60_000);
    expect(w.retrySlackMs).toBe(300_000);
    expect(w.flushWindowMs).toBe(301_000);
    expect(w.fireDeadlineMs).toBe(301_000 + 60_000 + 300_000);
    expect(w.resolveDeadlineMs).toBe(301_000 + 60_000 + 300_000);
  });

  it('computes disturbed windows: before ready, faults + settle, teardown', () => {
    const v = view(historyBuilder().start().ready(1_000).fault({ t: 10_000, until: 20_000, kind: 'latency' }).phase('teardown', 90_000).build());
    expect(disturbedIntervals(v, 5_000)).toEqual([
      { start: -Infinity, end: 1_000 },
      { start: 10_000, end: 25_000 },
      { start: 90_000, end: Infinity },
    ]);
  });

  it('finds when every node had all peers', () => {
    const v = view(historyBuilder().start({ nodes: 2 }).statusSample('n1', 1, 2).statusSample('n2', 2, 2).statusSample('n2', 5, 1).statusSample('n2', 7, 2).build());
    expect(fullyPeeredIntervals(v)).toEqual([
      { start: 2, end: 5 },
      { start: 7, end: Infinity },
    ]);
  });
});

describe('needsUpdate (Alertmanager DedupStage)', () => {
  const st = (firing: string[], resolved: string[] = [], t = 0): GroupState => ({ firing: new Set(firing), resolved: new Set(resolved), t, seq: 0 });
  const cases: [string, GroupState | undefined, GroupState, boolean, boolean][] = [
    ['no entry, firing', undefined, st(['a']), true, true],
    ['no entry, only resolved', undefined, st([], ['a']), true, false],
    ['new firing alert', st(['a']), st(['a', 'b']), false, true],
    ['same firing within repeat', st(['a']), st(['a'], [], 10), true, false],
    ['subset firing', st(['a', 'b']), st(['a'], [], 10), false, false],
    ['all resolved after firing', st(['a']), st([], ['a']), false, true],
    ['all resolved after all resolved', st([], ['a']), st([], ['a']), true, false],
    ['new resolved with send_resolved', st(['a', 'b']), st(['a'], ['b']), true, true],
    ['new resolved without send_resolved', st(['a', 'b']), st(['a'], ['b']), false, false],
    ['after repeat interval', st(['a']), st(['a'], [], 101), true, true],
  ];
  for (const [name, entry, next, sendResolved, want] of cases) {
    it(name, () => expect(needsUpdate(entry, next, sendResolved, 100).notify).toBe(want));
  }
});
