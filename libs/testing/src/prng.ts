/**
 * mulberry32: a tiny seeded PRNG (uniform in [0, 1)). Tests, fuzzers and the benchmark's graph builder use
 * it so that a failing seed, or a benchmark graph, can be reproduced exactly.
 */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** mulberry32 with the helpers property tests need. */
export function prng(seed: number): { next(): number; int(n: number): number; pick<T>(xs: readonly T[]): T; chance(p: number): boolean } {
  const next = mulberry32(seed);
  const int = (n: number): number => Math.floor(next() * n);
  return {
    next,
    int,
    pick: <T>(xs: readonly T[]): T => {
      if (xs.length === 0) throw new Error('pick from empty list');
      return xs[int(xs.length)] as T;
    },
    chance: (p: number) => next() < p,
  };
}
