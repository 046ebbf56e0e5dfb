/**
 * Half-open time intervals [start, end) in scenario milliseconds, and the few set operations the
 * checkers need (fault windows, silence windows, "eligible" firing time). `end` may be Infinity
 * (a fault that was never removed, a silence that never ends).
 *
 * Every function that takes a list expecting it "merged" wants the output of mergeIntervals:
 * sorted by start, non-overlapping, non-empty. That lets lookups use binary search instead of
 * scanning (checkers must stay fast on 100k notifications). The same goes for lists of events
 * sorted by time: `firstAtOrAfter` and `lastAtOrBefore` find their place by binary search.
 */
export interface Interval {
  start: number;
  end: number;
}

/** Index of the first element at or after t in a list sorted by t (binary search); list.length if none. */
export function firstAtOrAfter<T extends { t: number }>(list: readonly T[], t: number): number {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (list[mid]!.t >= t) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/** The last element at or before t in a list sorted by t (binary search), or undefined. */
export function lastAtOrBefore<T extends { t: number }>(list: readonly T[], t: number): T | undefined {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (list[mid]!.t <= t) lo = mid + 1;
    else hi = mid;
  }
  return lo > 0 ? list[lo - 1] : undefined;
}

/** Sorts, drops empty intervals and merges overlapping or touching ones. Does not mutate its input. */
export function mergeIntervals(intervals: readonly Interval[]): Interval[] {
  const sorted = intervals.filter((i) => i.end > i.start).sort((a, b) => a.start - b.start || a.end - b.end);
  const out: Interval[] = [];
  for (const i of sorted) {
    const last = out[out.length - 1];
    if (last !== undefined && i.start <= last.end) last.end = Math.max(last.end, i.end);
    else out.push({ start: i.start, end: i.end });
  }
  return out;
}

/** Index of the first interval of `merged` whose end is after t (binary search); merged.length if none. */
function firstEndingAfter(merged: readonly Interval[], t: number): number {
  let lo = 0;
  let hi = merged.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (merged[mid]!.end > t) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/** The interval of `merged` that contains t, if any. */
export function intervalAt(merged: readonly Interval[], t: number): Interval | undefined {
  const i = merged[firstEndingAfter(merged, t)];
  return i !== undefined && i.start <= t ? i : undefined;
}

/** True when the closed span [from, to] shares at least one instant with an interval of `merged`. */
export function overlapsAny(merged: readonly Interval[], from: number, to: number): boolean {
  const i = merged[firstEndingAfter(merged, from)];
  return i !== undefined && i.start <= to;
}

/** The parts of `base` not covered by `merged` (in order). */
export function subtractIntervals(base: Interval, merged: readonly Interval[]): Interval[] {
  const out: Interval[] = [];
  let cursor = base.start;
  for (let k = firstEndingAfter(merged, base.start); k < merged.length && cursor < base.end; k++) {
    const cut = merged[k]!;
    if (cut.start >= base.end) break;
    if (cut.start > cursor) out.push({ start: cursor, end: Math.min(cut.start, base.end) });
    cursor = Math.max(cursor, cut.end);
  }
  if (cursor < base.end) out.push({ start: cursor, end: base.end });
  return out;
}

/** Intersection of two merged lists (linear merge). */
export function intersectIntervals(a: readonly Interval[], b: readonly Interval[]): Interval[] {
  const out: Interval[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    const x = a[i]!;
    const y = b[j]!;
    const start = Math.max(x.start, y.start);
    const end = Math.min(x.end, y.end);
    if (end > start) out.push({ start, end });
    if (x.end < y.end) i++;
    else j++;
  }
  return out;
}

/** Total length covered by a merged list. */
export function totalLength(merged: readonly Interval[]): number {
  let sum = 0;
  for (const i of merged) sum += i.end - i.start;
  return sum;
}

/** The first interval at least `length` long, if any. */
export function firstAtLeast(list: readonly Interval[], length: number): Interval | undefined {
  return list.find((i) => i.end - i.start >= length);
}
