import { describe, expect, it } from 'vitest';
import { checkConvergence } from './convergence.js';
import { historyBuilder } from '../../test/support/checkers/history-builder.js';

// TEST_TIMERS: push-pull 5s, so T = 5s + 10s reconnect = 15s; heal at 20s → deadline 35s.
const healed = () =>
  historyBuilder()
    .start()
    .ready(0)
    .silence({ t: 1_000, node: 'n1', matchers: ['alertname="A"'], id: 's1' })
    .fault({ t: 10_000, until: 20_000, components: [['n1'], ['n2', 'n3']] });

describe('convergence', () => {
  it('passes when every node shows all peers and the same silences within T of the heal', () => {
    const h = healed()
      .statusSample('n1', 21_000, 1)
      .sampleAll(25_000, ['s1'])
      .build();
    const r = checkConvergence(h);
    expect(r.verdict).toBe('pass');
    expect(r.figures['healAt']).toBe(20_000);
    expect(r.figures['windowMs']).toBe(15_000);
    expect(r.figures['timeToConvergeMs']).toBe(5_000);
    expect(r.figures['peersConvergedMs:n1']).toBe(5_000);
    expect(r.figures['silencesConvergedMs:n3']).toBe(5_000);
  });

  it('compares member names, not peer counts: three peers with a stale one is not converged', () => {
    // n1 lists a member that no longer exists (a restarted node's old name) instead of n3.
    const stale = ['peer-n1', 'peer-n2', 'peer-gone'];
    const b = healed();
    for (const t of [25_000, 40_000]) {
      b.statusSample('n1', t, stale).statusSample('n2', t, 3).statusSample('n3', t, 3);
      for (const id of ['n1', 'n2', 'n3']) b.silencesSample(id, t, ['s1']);
    }
    const h = b.build();
    const r = checkConvergence(h);
    expect(r.figures['comparedBy']).toBe('member names');
    expect(r.verdict).toBe('fail');
    expect(r.evidence[0]!.message).toContain('peer-gone');
  });

  it('fails when a node converges only after T, naming the node', () => {
    const h = healed()
      .sampleAll(25_000, ['s1'], 2)
      .statusSample('n1', 30_000, 3)
      .statusSample('n2', 30_000, 3)
      .statusSample('n3', 40_000, 3)
      .build();
    const r = checkConvergence(h);
    expect(r.verdict).toBe('fail');
    expect(r.figures['timeToConvergeMs']).toBe(20_000);
    expect(r.evidence[0]!.data!['node']).toBe('n3');
  });

  it('fails when a node never lists the same silences, saying which it lacks', () => {
    const h = healed()
      .sampleAll(25_000, ['s1'], 3, { n3: { active: [] } })
      .sampleAll(50_000, ['s1'], 3, { n3: { active: [] } })
      .build();
    const r = checkConvergence(h);
    expect(r.verdict).toBe('fail');
    const ev = r.evidence.find((e) => e.kind === 'not-converged')!;
    expect(ev.message).toContain('n3 (0.25.0): lacks silence(s) s1');
  });

  it('fails when a node keeps seeing too few peers', () => {
    const h = healed().sampleAll(50_000, ['s1'], 3, { n2: { peers: 2 } }).build();
    const r = checkConvergence(h);
    expect(r.verdict).toBe('fail');
    expect(r.evidence[0]!.message).toContain('2/3 peers');
  });

  it('treats an unreachable node as not converged', () => {
    const h = healed().sampleAll(50_000, ['s1'], 3, { n2: { clusterStatus: 'unreachable', active: null } }).build();
    const r = checkConvergence(h);
    expect(r.verdict).toBe('fail');
    expect(r.evidence[0]!.message).toContain('unreachable');
  });

  it('is unknown when the history ends before heal + T without convergence', () => {
    const h = healed().sampleAll(25_000, ['s1'], 2).build();
    const r = checkConvergence(h);
    expect(r.verdict).toBe('unknown');
    expect(r.summary).toContain('before heal + T');
  });

  it('is unknown when a node has no samples after the heal', () => {
    const h = healed()
      .sampleAll(5_000, ['s1'])
      .statusSample('n1', 25_000)
      .silencesSample('n1', 25_000, ['s1'])
      .statusSample('n2', 25_000)
      .silencesSample('n2', 25_000, ['s1'])
      .statusSample('n3', 25_000)
      .build();
    const r = checkConvergence(h);
    expect(r.verdict).toBe('unknown');
    expect(r.summary).toContain('n3');
  });

  it('is unknown when a fault was never removed', () => {
    const h = historyBuilder().start().ready(0).fault({ t: 1_000, components: [['n1'], ['n2', 'n3']] }).sampleAll(50_000).build();
    expect(checkConvergence(h).summary).toContain('never verified as removed');
  });

  it('without faults, checks the cluster from ready on', () => {
    const h = historyBuilder().start().ready(0).sampleAll(1_000).build();
    const r = checkConvergence(h);
    expect(r.verdict).toBe('pass');
    expect(r.figures['healSource']).toBe('no faults: from cluster ready');
  });

  it('does not expect a node that went away for good', () => {
    const h = historyBuilder()
      .start()
      .ready(0)
      .node('n3', 'killed', 10_000)
      .statusSample('n1', 12_000, 2)
      .silencesSample('n1', 12_000, [])
      .statusSample('n2', 12_000, 2)
      .silencesSample('n2', 12_000, [])
      .build();
    const r = checkConvergence(h);
    expect(r.verdict).toBe('pass');
    expect(r.figures['expectedPeers']).toBe(2);
  });

  it('measures from a restarted node being ready and allows its settle timeout', () => {
    const h = historyBuilder()
      .start({ timers: { settleTimeoutMs: 10_000 } })
      .ready(0)
      .node('n2', 'killed', 10_000)
      .node('n2', 'started', 11_000)
      .node('n2', 'ready', 15_000)
      .sampleAll(20_000, [], 2)
      .sampleAll(39_000)
      .build();
    const r = checkConvergence(h);
    expect(r.figures['windowMs']).toBe(25_000);
    expect(r.figures['healSource']).toBe('n2 back after killed');
    expect(r.verdict).toBe('pass');
  });
});
