import { describe, expect, it } from 'vitest';
import { randomSchedule, SCHEDULE_FAULTS } from './schedule.js';

const nodes = ['n1', 'n2', 'n3', 'n4', 'n5'];

describe('randomSchedule', () => {
  it('is deterministic for a seed and differs between seeds', () => {
    const opts = { nodes, faults: SCHEDULE_FAULTS, count: 20 };
    expect(randomSchedule(42, opts)).toEqual(randomSchedule(42, opts));
    expect(randomSchedule(42, opts)).not.toEqual(randomSchedule(43, opts));
    expect(randomSchedule(42, opts).seed).toBe(42);
  });

  it('runs faults one at a time, inside the given ranges', () => {
    const s = randomSchedule(7, { nodes, faults: ['isolate', 'kill', 'latency'], count: 30, durationMs: { min: 1000, max: 2000 }, gapMs: { min: 500, max: 700 }, latencyMs: { min: 100, max: 200 } });
    expect(s.faults).toHaveLength(30);
    let end = 0;
    for (const f of s.faults) {
      expect(f.atMs - end).toBeGreaterThanOrEqual(500);
      expect(f.atMs - end).toBeLessThanOrEqual(700);
      expect(f.durationMs).toBeGreaterThanOrEqual(1000);
      expect(f.durationMs).toBeLessThanOrEqual(2000);
      end = f.atMs + f.durationMs;
      expect(['partition', 'kill', 'latency']).toContain(f.fault.kind);
      if (f.fault.kind === 'latency') {
        expect(f.fault.latencyMs).toBeGreaterThanOrEqual(100);
        expect(f.fault.latencyMs).toBeLessThanOrEqual(200);
      }
    }
    // A seeded run of 30 picks from a menu of 3 uses all three.
    expect(new Set(s.faults.map((f) => f.fault.kind)).size).toBe(3);
  });

  it('skips faults the cluster is too small for, and refuses a menu with nothing left', () => {
    const s = randomSchedule(1, { nodes: ['n1', 'n2', 'n3'], faults: ['majorities-ring', 'bisect'], count: 10 });
    expect(s.faults.every((f) => f.fault.kind === 'partition' && f.fault.mode === 'bisect')).toBe(true);
    expect(() => randomSchedule(1, { nodes: ['n1', 'n2', 'n3'], faults: ['majorities-ring'] })).toThrow(/none of majorities-ring works with 3 node/);
  });

  it('refuses bad input with AMCHAOS_INVALID_SCENARIO', () => {
    expect(() => randomSchedule(1.5, { nodes, faults: ['kill'] })).toThrow(/seed must be an integer/);
    expect(() => randomSchedule(1, { nodes, faults: [] })).toThrow(/menu is empty/);
    expect(() => randomSchedule(1, { nodes, faults: ['nope' as never] })).toThrow(/unknown fault "nope"/);
    expect(() => randomSchedule(1, { nodes, faults: ['kill'], durationMs: { min: 5, max: 1 } })).toThrow(/durationMs/);
    expect(() => randomSchedule(1, { nodes, faults: ['loss'], lossProbability: { min: 0, max: 2 } })).toThrow(/lossProbability/);
    let err: unknown;
    try {
      randomSchedule(1, { nodes: [], faults: ['kill'] });
    } catch (e) {
      err = e;
    }
    expect(err).toMatchObject({ code: 'AMCHAOS_INVALID_SCENARIO' });
  });
});
