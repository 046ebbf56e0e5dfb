import { AmchaosError } from '../errors/index.js';

/** `--shard i/n`: the i-th of n stable slices (1-based). */
export interface Shard {
  index: number;
  count: number;
}

export function parseShard(text: string): Shard {
  const m = /^(\d+)\/(\d+)$/.exec(text.trim());
  const index = m ? Number(m[1]) : NaN;
  const count = m ? Number(m[2]) : NaN;
  if (!m || !(count >= 1) || !(index >= 1) || index > count) {
    throw new AmchaosError('AMCHAOS_BAD_ARGUMENT', `--shard must be i/n with 1 ≤ i ≤ n, got "${text}"`, {
      hint: 'e.g. --shard 2/4 runs the second of four slices; CI runs i = 1..n in parallel and merges them with `amchaos report merge`.',
    });
  }
  return { index, count };
}

/**
 * The items of shard i/n: every n-th item starting at the i-th, in the order given. The slices are
 * disjoint, together hold every item, depend only on the list (so every CI job computes the same
 * ones), and interleave long and short items rather than giving one shard all of one kind.
 */
export function shardSlice<T>(items: readonly T[], shard: Shard | undefined): T[] {
  if (!shard) return [...items];
  return items.filter((_, i) => i % shard.count === shard.index - 1);
}
