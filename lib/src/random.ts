/**
 * Seeded randomness in plain JavaScript, for what tf.random does not cover: batch order, toy data,
 * rejection sampling's coin flips. The same seed gives the same stream on every machine and backend.
 */

/** A small seeded PRNG (mulberry32): the same seed gives the same stream on every machine. */
export function makeRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Standard normal samples from a uniform stream (Box-Muller). */
export function makeNormal(random: () => number): () => number {
  return () => {
    const u = 1 - random(); // (0, 1]: log(u) is finite
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random());
  };
}
