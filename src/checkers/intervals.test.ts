import { describe, expect, it } from 'vitest';
import { firstAtLeast, intersectIntervals, intervalAt, mergeIntervals, overlapsAny, subtractIntervals, totalLength } from './intervals.js';

describe('intervals', () => {
  const merged = mergeIntervals([
    { start: 10, end: 20 },
    { start: 0, end: 5 },
    { start: 15, end: 30 },
    { start: 30, end: 31 },
    { start: 40, end: 40 },
    { start: 50, end: Infinity },
  ]);

  it('merges overlapping and touching intervals and drops empty ones', () => {
    expect(merged).toEqual([
      { start: 0, end: 5 },
      { start: 10, end: 31 },
      { start: 50, end: Infinity },
    ]);
    expect(totalLength(merged.slice(0, 2))).toBe(26);
  });

  it('finds the interval at a point and overlaps with a closed span', () => {
    expect(intervalAt(merged, 12)).toEqual({ start: 10, end: 31 });
    expect(intervalAt(merged, 5)).toBeUndefined();
    expect(intervalAt(merged, 1e9)).toEqual({ start: 50, end: Infinity });
    expect(overlapsAny(merged, 6, 9)).toBe(false);
    expect(overlapsAny(merged, 6, 10)).toBe(true);
    expect(overlapsAny(merged, 31, 49)).toBe(false);
  });

  it('subtracts and intersects', () => {
    expect(subtractIntervals({ start: 3, end: 60 }, merged)).toEqual([
      { start: 5, end: 10 },
      { start: 31, end: 50 },
    ]);
    expect(subtractIntervals({ start: 6, end: 9 }, merged)).toEqual([{ start: 6, end: 9 }]);
    expect(intersectIntervals(merged, [{ start: 4, end: 12 }])).toEqual([
      { start: 4, end: 5 },
      { start: 10, end: 12 },
    ]);
    expect(firstAtLeast(subtractIntervals({ start: 3, end: 60 }, merged), 10)).toEqual({ start: 31, end: 50 });
  });
});
