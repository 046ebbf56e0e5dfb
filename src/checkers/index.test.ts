import { describe, expect, it } from 'vitest';
import { isAmchaosError } from '../errors/index.js';
import type { HistoryEvent } from '../history/types.js';
import { CHECKER_NAMES, checkersByName, runChecks, splitScenarios } from './index.js';
import { historyBuilder } from '../../test/support/checkers/history-builder.js';

const A = { alertname: 'A' };

describe('checker registry', () => {
  it('registers the six checkers under their stable names', () => {
    expect(CHECKER_NAMES.sort()).toEqual(['at-most-k', 'convergence', 'exactly-once', 'no-loss', 'silence-propagation', 'validity']);
    for (const name of CHECKER_NAMES) expect(typeof checkersByName[name]).toBe('function');
  });

  it('runs the named checkers in order, each result named after its checker', () => {
    const h = historyBuilder()
      .start()
      .ready(0)
      .fire(A, 1_000)
      .notify({ t: 2_000, sender: 'n1', firing: [A] })
      .notify({ t: 4_000, sender: 'n2', firing: [A] })
      .note(60_000, 'end')
      .build();
    const results = runChecks(h, ['exactly-once', 'no-loss']);
    expect(results.map((r) => [r.name, r.verdict])).toEqual([
      ['exactly-once', 'fail'],
      ['no-loss', 'pass'],
    ]);
    // default: all of them
    expect(runChecks(h).map((r) => r.name)).toEqual(CHECKER_NAMES);
  });

  it('passes per-checker options', () => {
    const h = historyBuilder()
      .start()
      .ready(0)
      .fault({ t: 10_000, until: 20_000, components: [['n1'], ['n2', 'n3']] })
      .notify({ t: 22_000, sender: 'n1', firing: [A] })
      .notify({ t: 24_000, sender: 'n2', firing: [A] })
      .build();
    expect(runChecks(h, ['exactly-once'])[0]!.verdict).toBe('unknown');
    expect(runChecks(h, ['exactly-once'], { 'exactly-once': { settleMarginMs: 0 } })[0]!.verdict).toBe('fail');
  });

  it('turns a crashing checker into unknown, never pass', () => {
    const broken = [{ seq: 0, t: 0, wall: 'x', type: 'scenario.start' }] as unknown as HistoryEvent[];
    const results = runChecks(broken);
    for (const r of results) expect(r.verdict).not.toBe('pass');
    expect(results.some((r) => r.evidence[0]?.kind === 'checker-error')).toBe(true);
  });

  it('refuses unknown checker names with a typed error', () => {
    try {
      runChecks([], ['exactly-once', 'no-such']);
      expect.unreachable();
    } catch (e) {
      expect(isAmchaosError(e, 'AMCHAOS_BAD_ARGUMENT')).toBe(true);
      expect((e as Error).message).toContain('no-such');
    }
  });

  it('splits a multi-scenario history', () => {
    const one = historyBuilder().start().ready(0).build();
    const two = historyBuilder().start().build();
    const parts = splitScenarios([...one, ...two]);
    expect(parts.map((p) => p.length)).toEqual([one.length, two.length]);
  });
});
