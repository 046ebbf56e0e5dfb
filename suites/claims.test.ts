import { describe, expect, it } from 'vitest';
import { evaluateClaim } from '../src/claims/evaluate.js';
import type { Claim, ClaimResult } from '../src/claims/types.js';
import type { HistoryEvent, LabelSet, RouteRecord } from '../src/history/types.js';
import { historyBuilder, TEST_TIMERS, type HistoryBuilder } from '../test/support/checkers/history-builder.js';
import { clockSkew } from './clock-skew.js';
import { clusterLabel } from './cluster-label.js';
import { flapping } from './flapping.js';
import { gossipLoad, loadPhase, LOAD_STEPS } from './gossip-load.js';
import { groupKeyCollision } from './group-key-collision.js';
import { latencySweep } from './latency-sweep.js';
import { receiverOutage } from './receiver-outage.js';
import { repeatInterval } from './repeat-interval.js';
import { resolvedDropped } from './resolved-dropped.js';
import { restart } from './restart.js';
import { retention } from './retention.js';
import { rollingUpgrade } from './rolling-upgrade.js';
import { silenceFormats } from './silence-formats.js';
import { silenceRestart } from './silence-restart.js';
import { slowReceiver } from './slow-receiver.js';
import { splitBrain } from './split-brain.js';
import { udpCut } from './udp-cut.js';

/**
 * Every suite's claim (src/claims) on hand-made histories: one where the upstream behaviour shows
 * (must reproduce) and one where it does not (must not), each with its control clean — no cluster,
 * milliseconds. What the scenarios measured on real binaries is in docs/failure-modes.md.
 */

const PASSING = [{ name: 'no-loss', verdict: 'pass' as const }];

function result(claim: Claim | undefined, events: HistoryEvent[]): ClaimResult {
  if (!claim) throw new Error('the suite has no claim');
  return evaluateClaim(claim, events, PASSING).result;
}

/** An alert of a phase, as steps/phaseAlerts labels it. */
function A(phase: string, name = 'A', extra: LabelSet = {}): LabelSet {
  return { alertname: name, group: `g-${phase}`, amchaos_phase: phase, ...extra };
}

/** Three ready nodes, fully peered (n1 at position 0), sampled at 0. */
function base(o: Parameters<HistoryBuilder['start']>[0] = {}): HistoryBuilder {
  return historyBuilder().start({ nodes: 3, ...o }).ready(0).sampleAll(0);
}

/** Fire at t, notified firing by `senders` at the given times. */
function fired(b: HistoryBuilder, labels: LabelSet, t: number, sends: [string, number][]): HistoryBuilder {
  b.fire(labels, t);
  for (const [sender, at] of sends) b.notify({ t: at, sender, firing: [labels], groupLabels: { alertname: labels['alertname']!, group: labels['group']! } });
  return b;
}

function resolved(b: HistoryBuilder, labels: LabelSet, t: number, sends: [string, number][]): HistoryBuilder {
  b.resolve(labels, t);
  for (const [sender, at] of sends) b.notify({ t: at, sender, resolved: [labels], groupLabels: { alertname: labels['alertname']!, group: labels['group']! } });
  return b;
}

/** A copy-or-not history: `control` phases notified once, `fault` phases once or twice. */
function copies(control: string[], fault: string[], twice: boolean): HistoryEvent[] {
  const b = base();
  let t = 1_000;
  for (const p of control) {
    fired(b, A(p), t, [['n1', t + 1_000]]);
    t += 10_000;
  }
  for (const p of fault) {
    fired(b, A(p), t, twice ? [['n1', t + 1_000], ['n2', t + 3_000]] : [['n1', t + 1_000]]);
    t += 10_000;
  }
  return b.end(t + 20_000).build();
}

describe('claims of the duplicate-counting suites: a copy of a transition in the fault phases, none in the control', () => {
  const cases: [string, Claim | undefined, string[], string[]][] = [
    ['slow-receiver', slowReceiver.claim, ['fast'], ['slow', 'slower']],
    ['receiver-outage', receiverOutage.claim, ['baseline'], ['outage']],
    ['udp-cut', udpCut.claim, ['baseline'], ['udp-cut-1', 'udp-cut-2', 'udp-cut-3']],
    ['split-brain', splitBrain.claim, ['after-heal'], ['partition']],
    ['cluster-label', clusterLabel.claim, ['same', 'merged'], ['mismatch']],
  ];
  for (const [name, claim, control, fault] of cases) {
    it(`${name}: reproduced with copies, not reproduced without`, () => {
      expect(result(claim, copies(control, fault, true))).toBe('reproduced');
      expect(result(claim, copies(control, fault, false))).toBe('not-reproduced');
    });
  }

  it('a control that reproduces makes the result unknown (the predicate cannot tell the condition apart)', () => {
    const b = base();
    fired(b, A('fast'), 1_000, [['n1', 2_000], ['n2', 4_000]]);
    fired(b, A('slow'), 10_000, [['n1', 11_000], ['n2', 13_000]]);
    fired(b, A('slower'), 20_000, [['n1', 21_000]]);
    const r = evaluateClaim(slowReceiver.claim!, b.end(40_000).build(), PASSING);
    expect(r.result).toBe('unknown');
    expect(r.summary).toMatch(/control reproduced/);
  });

  it('not reproduced needs every check decided and the scenario run to the end', () => {
    const events = copies(['fast'], ['slow', 'slower'], false);
    expect(evaluateClaim(slowReceiver.claim!, events, [{ name: 'exactly-once', verdict: 'unknown' }]).result).toBe('unknown');
    expect(evaluateClaim(slowReceiver.claim!, events, PASSING, { message: 'node n2 exited' }).result).toBe('unknown');
    expect(evaluateClaim(slowReceiver.claim!, events, []).result).toBe('unknown');
    // Reproduced stands on its evidence, whatever else.
    expect(evaluateClaim(slowReceiver.claim!, copies(['fast'], ['slow', 'slower'], true), [{ name: 'exactly-once', verdict: 'unknown' }]).result).toBe('reproduced');
  });

  it('a phase that never happened is unknown, never not reproduced', () => {
    expect(result(slowReceiver.claim, copies(['fast'], [], false))).toBe('unknown');
  });
});

describe('repeat-interval: a repeat from a later position', () => {
  const history = (late: boolean) => {
    const b = base({ timers: { repeatIntervalMs: 3_000 } });
    fired(b, A('long-repeat'), 0, [['n1', 1_000], ['n1', 7_100]]);
    fired(b, A('short-repeat'), 0, late ? [['n1', 1_000], ['n3', 5_000]] : [['n1', 1_000], ['n1', 7_100]]);
    return b.end(30_000).build();
  };
  it('reproduced when position 2 repeats; not when every repeat comes from position 0', () => {
    expect(result(repeatInterval.claim, history(true))).toBe('reproduced');
    expect(result(repeatInterval.claim, history(false))).toBe('not-reproduced');
  });
});

describe('flapping and rolling-upgrade: firing after resolved while the alert stays resolved', () => {
  const flap = (stale: boolean) => {
    const b = base();
    fired(b, A('steady'), 0, [['n1', 1_000]]);
    resolved(b, A('steady'), 1_667, [['n1', 7_000]]);
    fired(b, A('flap'), 0, [['n1', 1_000]]);
    resolved(b, A('flap'), 1_667, [['n1', 3_333]]);
    if (stale) fired(b, A('flap'), -1, []).notify({ t: 5_000, sender: 'n3', firing: [A('flap')], groupLabels: { alertname: 'A', group: 'g-flap' } });
    return b.end(20_000).build().filter((e) => e.t >= 0);
  };
  it('flapping: reproduced with the stale firing of the last position; not without it', () => {
    expect(result(flapping.claim, flap(true))).toBe('reproduced');
    expect(result(flapping.claim, flap(false))).toBe('not-reproduced');
  });

  const upgrade = (bad: boolean) => {
    const b = base();
    // Each phase fired, then resolved in the next one (as the suite does).
    const phases = ['before', 'step-1', 'step-2', 'step-3', 'after'];
    let t = 1_000;
    for (const p of phases) {
      fired(b, A(p), t, bad && p === 'step-2' ? [['n1', t + 1_000], ['n3', t + 2_500]] : [['n1', t + 1_000]]);
      resolved(b, A(p), t + 8_000, [['n1', t + 9_000]]);
      t += 10_000;
    }
    return b.end(t + 20_000).build();
  };
  it('rolling-upgrade: reproduced with a copy during a step; not when every step notified once', () => {
    expect(result(rollingUpgrade.claim, upgrade(true))).toBe('reproduced');
    expect(result(rollingUpgrade.claim, upgrade(false))).toBe('not-reproduced');
  });

  it('rolling-upgrade: `before` is judged until the first step (its resolution is part of the upgrade)', () => {
    const b = base();
    fired(b, A('before'), 1_000, [['n1', 2_000]]);
    b.fault({ t: 9_000, kind: 'upgrade', nodes: ['n3'] });
    resolved(b, A('before'), 10_000, [['n3', 11_000], ['n1', 13_000]]);
    let t = 10_000;
    for (const p of ['step-1', 'step-2', 'step-3', 'after']) {
      fired(b, A(p), t, [['n1', t + 1_000]]);
      resolved(b, A(p), t + 8_000, [['n1', t + 9_000]]);
      t += 10_000;
    }
    const r = evaluateClaim(rollingUpgrade.claim!, b.end(t + 20_000).build(), PASSING);
    expect(r.control.result).toBe('not-reproduced');
    expect(r.result).toBe('not-reproduced');
  });
});

describe('resolved-dropped: a resolution never notified', () => {
  const history = (dropped: boolean) => {
    const b = base();
    fired(b, A('kept'), 0, [['n1', 1_000]]);
    resolved(b, A('kept'), 11_000, [['n1', 13_000]]);
    fired(b, A('gc-before-resolve'), 0, [['n1', 1_000]]);
    resolved(b, A('gc-before-resolve'), 11_000, dropped ? [] : [['n1', 13_000]]);
    return b.end(40_000).build();
  };
  it('reproduced when the resolved notification never comes; not when it does', () => {
    expect(result(resolvedDropped.claim, history(true))).toBe('reproduced');
    expect(result(resolvedDropped.claim, history(false))).toBe('not-reproduced');
  });
});

describe('group-key-collision: fewer notifications than matching routes', () => {
  const route = (id: string, phase: string, extra: Partial<RouteRecord> = {}): RouteRecord => ({
    id,
    parent: 'root',
    receiver: 'webhook',
    matchers: [`amchaos_phase="${phase}"`],
    continue: false,
    groupBy: ['alertname', 'group'],
    groupWaitMs: 1_000,
    groupIntervalMs: 6_000,
    repeatIntervalMs: 3_600_000,
    ...extra,
  });
  const routes: RouteRecord[] = [
    { ...route('root', ''), matchers: [], parent: undefined as never },
    route('root.0', 'collision', { continue: true }),
    route('root.1', 'collision', { groupWaitMs: 2_000 }),
    route('root.2', 'distinct', { continue: true }),
    { ...route('root.3', 'distinct', { groupWaitMs: 2_000 }), matchers: ['amchaos_phase=~"distinct"'] },
  ].map((r) => (r.id === 'root' ? (({ parent: _p, ...rest }) => rest)(r) : r));
  const history = (collide: boolean) => {
    const b = base({ routes });
    fired(b, A('distinct'), 0, [['n1', 1_000], ['n1', 2_000]]);
    fired(b, A('collision'), 0, collide ? [['n1', 1_000]] : [['n1', 1_000], ['n1', 2_000]]);
    return b.end(30_000).build();
  };
  it('reproduced when two routes share one notification; not when each route notified', () => {
    expect(result(groupKeyCollision.claim, history(true))).toBe('reproduced');
    expect(result(groupKeyCollision.claim, history(false))).toBe('not-reproduced');
  });
});

describe('retention: re-notified within repeat_interval after the restart with a short retention', () => {
  const history = (renotified: boolean) => {
    const b = base();
    fired(b, A('kept'), 0, [['n1', 1_000]]);
    b.fault({ t: 20_000, kind: 'node-flags', nodes: ['n1'] });
    // The control keeps firing past the flags (judged only until them): a later copy is not its.
    b.notify({ t: 25_000, sender: 'n2', firing: [A('kept')], groupLabels: { alertname: 'A', group: 'g-kept' } });
    fired(b, A('expiring'), 21_000, renotified ? [['n1', 22_000], ['n2', 31_000]] : [['n1', 22_000]]);
    return b.end(60_000).build();
  };
  it('reproduced with a second notification of the unchanged group; not with one', () => {
    expect(result(retention.claim, history(true))).toBe('reproduced');
    expect(result(retention.claim, history(false))).toBe('not-reproduced');
  });
});

describe('silences: notified while a silence the workload made was active', () => {
  const phaseMatcher = (p: string) => [{ name: 'amchaos_phase', value: p, isRegex: false, isEqual: true }];

  const restartHistory = (lost: boolean) => {
    const b = base();
    b.silence({ t: 0, node: 'n1', matchers: phaseMatcher('term-kept'), id: 's1' });
    b.fault({ t: 5_000, until: 7_000, kind: 'restart', nodes: ['n1'] });
    b.fire(A('term-kept'), 8_000);
    b.silence({ t: 20_000, node: 'n1', matchers: phaseMatcher('kill-kept'), id: 's2' });
    b.fault({ t: 25_000, until: 27_000, kind: 'restart', nodes: ['n1'] });
    fired(b, A('kill-kept'), 28_000, lost ? [['n1', 29_000]] : []);
    b.silence({ t: 40_000, node: 'n1', matchers: phaseMatcher('term-wiped'), id: 's3' });
    b.fire(A('term-wiped'), 48_000);
    return b.end(70_000).build();
  };
  it('silence-restart: reproduced when a silenced alert notifies after the kill; not when it stays silent', () => {
    expect(result(silenceRestart.claim, restartHistory(true))).toBe('reproduced');
    expect(result(silenceRestart.claim, restartHistory(false))).toBe('not-reproduced');
  });

  const skewHistory = (skewed: boolean) => {
    const b = base();
    b.silence({ t: 0, node: 'n2', matchers: phaseMatcher('silence-plain'), id: 's1' });
    b.fire(A('silence-plain'), 5_000);
    fired(b, A('resolve-plain'), 5_000, [['n1', 6_000]]);
    resolved(b, A('resolve-plain'), 12_000, [['n1', 13_000]]);
    b.fault({ t: 20_000, kind: 'node-flags', nodes: ['n1'] });
    b.silence({ t: 20_500, node: 'n2', matchers: phaseMatcher('silence-skewed'), id: 's2' });
    fired(b, A('silence-skewed'), 26_000, skewed ? [['n1', 31_000]] : []);
    fired(b, A('resolve-skewed'), 26_000, [['n2', 27_000]]);
    resolved(b, A('resolve-skewed'), 33_000, [['n2', 34_000]]);
    if (skewed) b.notify({ t: 38_000, sender: 'n1', firing: [A('resolve-skewed')], groupLabels: { alertname: 'A', group: 'g-resolve-skewed' } });
    return b.end(60_000).build();
  };
  it('clock-skew: reproduced when the skewed node notifies under the silence and after the resolved; not otherwise', () => {
    expect(result(clockSkew.claim, skewHistory(true))).toBe('reproduced');
    expect(result(clockSkew.claim, skewHistory(false))).toBe('not-reproduced');
  });

  const formatsHistory = (differ: boolean) => {
    const b = base();
    const formats = [{ name: 'amchaos_phase', value: 'formats', isRegex: false, isEqual: true }, { name: 'severity', value: 'info', isRegex: false, isEqual: false }];
    b.silence({ t: 0, node: 'n1', matchers: phaseMatcher('plain'), id: 'p1' });
    b.silence({ t: 0, node: 'n2', matchers: formats, id: 'f1' });
    const listed = (node: string, t: number, f1: unknown[]) => {
      b.raw(t, { type: 'op.invoke', op: 900 + t, kind: 'silences.list', node });
      b.raw(t + 5, { type: 'op.complete', op: 900 + t, kind: 'silences.list', node, ok: true, value: [{ id: 'p1', matchers: phaseMatcher('plain') }, { id: 'f1', matchers: f1 }] });
    };
    listed('n1', 1_000, formats);
    listed('n3', 1_001, differ ? [formats[0]] : formats);
    b.fire(A('plain'), 2_000);
    b.fire(A('formats', 'A', { severity: 'warning' }), 2_000);
    fired(b, A('loud'), 2_000, [['n1', 3_000]]);
    return b.end(30_000).build();
  };
  it('silence-formats: reproduced when a node lists a silence with other matchers; not when every listing matches', () => {
    expect(result(silenceFormats.claim, formatsHistory(true))).toBe('reproduced');
    expect(result(silenceFormats.claim, formatsHistory(false))).toBe('not-reproduced');
  });
});

describe('gossip-load: duplicates under load, the light load clean until the load starts', () => {
  const history = (dups: boolean) => {
    const b = base();
    let t = 0;
    for (const n of LOAD_STEPS) {
      const p = loadPhase(n);
      fired(b, A(p, 'Load0'), t, dups && n === LOAD_STEPS[2] ? [['n1', t + 1_000], ['n2', t + 3_000]] : [['n1', t + 1_000]]);
      t += 20_000;
    }
    // The light load's groups repeat under the heavy load: not the control's to answer for.
    b.notify({ t: 45_000, sender: 'n3', firing: [A(loadPhase(LOAD_STEPS[0]), 'Load0')], groupLabels: { alertname: 'Load0', group: `g-${loadPhase(LOAD_STEPS[0])}` } });
    return b.end(t + 20_000).build();
  };
  it('reproduced with copies at 10,000 alerts; not when every step notified once', () => {
    expect(result(gossipLoad.claim, history(true))).toBe('reproduced');
    expect(result(gossipLoad.claim, history(false))).toBe('not-reproduced');
  });
});

describe('latency-sweep: copies at latencies ≥ the peer timeout, none at ≤ half of it', () => {
  const history = (dups: boolean) => {
    const b = base();
    const probes = [2_000, 1_000, 1_500];
    probes.forEach((latencyMs, i) => {
      const t = i * 20_000;
      b.fault({ t, until: t + 10_000, kind: 'latency', spec: { latencyMs }, description: `latency ${latencyMs}` });
      fired(b, A(`latency-${i + 1}`), t + 100, latencyMs >= TEST_TIMERS.peerTimeoutMs && dups ? [['n1', t + 1_100], ['n2', t + 3_100]] : [['n1', t + 1_100]]);
    });
    return b.end(80_000).build();
  };
  it('reproduced with copies at 2000 ms; not without', () => {
    expect(result(latencySweep.claim, history(true))).toBe('reproduced');
    expect(result(latencySweep.claim, history(false))).toBe('not-reproduced');
  });
});

describe('restart: the steady groups notified again after a SIGKILL restart', () => {
  const history = (again: boolean) => {
    const b = base();
    fired(b, A('steady'), 0, [['n1', 1_000]]);
    b.fault({ t: 10_000, until: 11_000, kind: 'restart', nodes: ['n1'] });
    if (again) b.notify({ t: 14_000, sender: 'n1', firing: [A('steady')], groupLabels: { alertname: 'A', group: 'g-steady' } });
    b.fault({ t: 30_000, until: 50_000, kind: 'pause', nodes: ['n1'] });
    // After the pause: the paused node's own re-notification is another behaviour (figures count it).
    b.notify({ t: 52_000, sender: 'n1', firing: [A('steady')], groupLabels: { alertname: 'A', group: 'g-steady' } });
    return b.end(80_000).build();
  };
  it('reproduced with a re-notification after the kill; not without', () => {
    expect(result(restart.claim, history(true))).toBe('reproduced');
    expect(result(restart.claim, history(false))).toBe('not-reproduced');
  });
});
