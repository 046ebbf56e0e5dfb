import { describe, expect, it } from 'vitest';
import { canTalk, cutLinks, partitionGroups, selectLinks } from './partitions.js';

const five = ['n1', 'n2', 'n3', 'n4', 'n5'];

describe('partition geometry', () => {
  it('isolate: one node alone, every link to and from it cut, both directions', () => {
    const g = partitionGroups({ kind: 'partition', mode: 'isolate', node: 'n1' }, ['n1', 'n2', 'n3']);
    expect(g).toEqual([['n1'], ['n2', 'n3']]);
    expect(cutLinks(g, ['n1', 'n2', 'n3'])).toEqual(['n1->n2', 'n1->n3', 'n2->n1', 'n3->n1']);
  });

  it('bisect splits the given order into halves', () => {
    const g = partitionGroups({ kind: 'partition', mode: 'bisect', order: ['n3', 'n1', 'n5', 'n2', 'n4'] }, five);
    expect(g).toEqual([['n3', 'n1'], ['n5', 'n2', 'n4']]);
    expect(cutLinks(g, five)).toHaveLength(2 * 2 * 3);
  });

  it('bridge: the middle node talks to both halves, the halves do not talk', () => {
    const g = partitionGroups({ kind: 'partition', mode: 'bridge' }, five);
    expect(g).toEqual([['n1', 'n2', 'n3'], ['n3', 'n4', 'n5']]);
    expect(canTalk(g, 'n3', 'n1')).toBe(true);
    expect(canTalk(g, 'n3', 'n5')).toBe(true);
    expect(canTalk(g, 'n1', 'n5')).toBe(false);
  });

  it('majorities-ring: every node sees a majority, no two nodes see the same one', () => {
    for (const n of [4, 5, 7, 9]) {
      const nodes = Array.from({ length: n }, (_, i) => `n${i + 1}`);
      const g = partitionGroups({ kind: 'partition', mode: 'majorities-ring' }, nodes);
      const views = nodes.map((a) => nodes.filter((b) => canTalk(g, a, b)).sort().join(','));
      for (const v of views) expect(v.split(',').length).toBeGreaterThan(n / 2);
      expect(new Set(views).size).toBe(n);
      expect(cutLinks(g, nodes).length).toBeGreaterThan(0);
    }
  });

  it('explicit groups; unlisted nodes are alone', () => {
    const g = partitionGroups({ kind: 'partition', mode: 'groups', groups: [['n1', 'n2']] }, ['n1', 'n2', 'n3']);
    expect(g).toEqual([['n1', 'n2'], ['n3']]);
  });

  it('refuses partitions that cut nothing, unknown nodes, bad orders and too-small rings', () => {
    const nodes = ['n1', 'n2', 'n3'];
    expect(() => partitionGroups({ kind: 'partition', mode: 'groups', groups: [nodes] }, nodes)).toThrow(/must split/);
    expect(() => partitionGroups({ kind: 'partition', mode: 'isolate', node: 'n9' }, nodes)).toThrow(/unknown node n9/);
    expect(() => partitionGroups({ kind: 'partition', mode: 'bisect', order: ['n1', 'n2'] }, nodes)).toThrow(/every node exactly once/);
    expect(() => partitionGroups({ kind: 'partition', mode: 'bisect', order: ['n1', 'n1', 'n2'] }, nodes)).toThrow(/twice/);
    expect(() => partitionGroups({ kind: 'partition', mode: 'majorities-ring' }, nodes)).toThrow(/at least 4 nodes/);
    let err: unknown;
    try {
      partitionGroups({ kind: 'partition', mode: 'isolate', node: 'x' }, nodes);
    } catch (e) {
      err = e;
    }
    expect(err).toMatchObject({ code: 'AMCHAOS_INVALID_SCENARIO' });
  });
});

describe('link selections', () => {
  const nodes = ['n1', 'n2', 'n3'];
  it('all, between (both directions) and explicit links', () => {
    expect(selectLinks('all', nodes)).toHaveLength(6);
    expect(selectLinks({ between: [['n1'], ['n2', 'n3']] }, nodes).sort()).toEqual(['n1->n2', 'n1->n3', 'n2->n1', 'n3->n1']);
    expect(selectLinks({ links: ['n2->n3'] }, nodes)).toEqual(['n2->n3']);
  });
  it('refuses unknown nodes, self links and empty selections', () => {
    expect(() => selectLinks({ links: ['n1->n9'] }, nodes)).toThrow(/unknown node n9/);
    expect(() => selectLinks({ links: ['n1->n1'] }, nodes)).toThrow(/bad link/);
    expect(() => selectLinks({ links: [] }, nodes)).toThrow(/empty/);
    expect(() => selectLinks({ between: [['n1'], ['n1']] }, nodes)).toThrow(/empty/);
  });
});
