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

/**
 * The indices of batch `b` of `n` examples: a seeded shuffle per epoch, cut into batches of
 * `batchSize` (a partial last batch is skipped), so batch b is the same on every run and resume.
 */
export function batchIndices(n: number, batchSize: number, seed: number, b: number): Int32Array {
  const perEpoch = Math.floor(n / batchSize);
  const epoch = Math.floor(b / perEpoch);
  const start = (b % perEpoch) * batchSize;
  return epochOrder(n, seed, epoch).slice(start, start + batchSize);
}

/** The last epoch's order: a trainer asks for the same one at every update (60,000 examples: 2 ms to shuffle). */
let lastOrder: { n: number; seed: number; epoch: number; order: Int32Array } | undefined;

/** The seeded shuffle of 0..n-1 for one epoch (Fisher-Yates, from the top). Callers must not change it. */
function epochOrder(n: number, seed: number, epoch: number): Int32Array {
  if (lastOrder && lastOrder.n === n && lastOrder.seed === seed && lastOrder.epoch === epoch) return lastOrder.order;
  const order = new Int32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  const random = makeRandom(seed * 100003 + epoch);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    const t = order[i];
    order[i] = order[j];
    order[j] = t;
  }
  lastOrder = { n, seed, epoch, order };
  return order;
}
