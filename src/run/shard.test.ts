import { describe, expect, it } from 'vitest';
import { parseShard, shardSlice } from './shard.js';

describe('--shard i/n', () => {
  it('parses i/n with 1 ≤ i ≤ n and refuses anything else before a run starts', () => {
    expect(parseShard('2/4')).toEqual({ index: 2, count: 4 });
    expect(parseShard(' 1/1 ')).toEqual({ index: 1, count: 1 });
    for (const bad of ['0/3', '4/3', '1/0', 'a/b', '2', '1/2/3', '-1/2']) expect(() => parseShard(bad), bad).toThrow(/--shard must be i\/n/);
  });

  it('slices are disjoint, cover the list, keep its order and depend only on it', () => {
    const items = Array.from({ length: 17 }, (_, i) => `s${i}`);
    const n = 4;
    const slices = Array.from({ length: n }, (_, i) => shardSlice(items, { index: i + 1, count: n }));
    expect(slices.flat().sort()).toEqual([...items].sort());
    expect(new Set(slices.flat()).size).toBe(items.length);
    for (const s of slices) expect(s).toEqual(items.filter((x) => s.includes(x)));
    // The same list gives the same slice in every CI job.
    expect(shardSlice([...items], { index: 3, count: n })).toEqual(slices[2]);
    // Interleaved, not contiguous: long and short entries spread over the shards.
    expect(slices[0]).toEqual(['s0', 's4', 's8', 's12', 's16']);
    expect(shardSlice(items, undefined)).toEqual(items);
  });
});
