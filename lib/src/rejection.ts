/**
 * Discriminator rejection sampling (Azadi et al. 2019, "Discriminator Rejection Sampling"; chapter 05):
 * a trained generator maps one connected blob of noise onto the data, so it also puts samples on the
 * way between separate modes (the "no GAN's land"). A discriminator trained with G frozen estimates
 * how much likelier each sample is under the data than under G: its logit d(x) ≈ log p_data(x) /
 * p_G(x). Keeping a sample with probability exp(d(x) - d_max) turns G's distribution into the data's
 * (where D is right); the samples between modes, which the data never has, are the ones thrown away.
 * Training is unchanged; sampling costs 1 / (acceptance rate) times more.
 */
import * as tf from "@tensorflow/tfjs";
import { discriminate, generate, splitOutput, trainableVariables, type Gan } from "./gan";
import { sampleNoise } from "./sampling";
import { makeRandom } from "./random";

/** Rejection sampling here draws G's samples without labels: a conditional GAN is refused by name. */
function requireUnconditional(gan: Gan, caller: string): void {
  if (gan.classes !== undefined) throw new Error(`${caller}: rejection sampling here is for unconditional GANs (gan.classes is set)`);
}

export interface CriticOptions {
  /** Real examples [N, ...dataShape]. */
  data: tf.Tensor;
  /** A fresh discriminator taking one sample [N, ...dataShape] -> [N, 1] logits, trained here. */
  critic: tf.LayersModel;
  /** Updates. Default 500. */
  steps?: number;
  /** Real and fake examples per update, each. Default 256. */
  batchSize?: number;
  /** Adam's rate. Default 1e-3. */
  learningRate?: number;
  seed?: number;
}

/**
 * Trains `critic` to tell real examples from the frozen generator's samples (G in inference mode, as
 * it is sampled), with sigmoid cross-entropy; returns the last update's loss. A minibatch-std GAN's own
 * D judges batch statistics, not samples (a PacGAN's can still serve: {@link discriminatorScore}), so
 * rejection uses a critic of its own there: one sample at a time, trained after G, the "calibration"
 * step of the DRS paper. Unconditional GANs only.
 */
export async function trainCritic(gan: Gan, options: CriticOptions): Promise<number> {
  const { data, critic, steps = 500, batchSize = 256, learningRate = 1e-3, seed = 0 } = options;
  requireUnconditional(gan, "trainCritic");
  if (!Number.isInteger(steps) || steps <= 0) throw new Error(`trainCritic: steps must be a positive integer; got ${steps}`);
  if (!Number.isInteger(batchSize) || batchSize <= 0 || batchSize > data.shape[0]) {
    throw new Error(`trainCritic: batchSize must be a positive integer at most the data's ${data.shape[0]} examples; got ${batchSize}`);
  }
  const cOut = critic.outputs[0].shape;
  if (critic.inputs.length !== 1 || cOut.length !== 2 || cOut[1] !== 1) {
    throw new Error(`trainCritic: the critic must take one sample input and output one logit ([null, 1]); it outputs [${cOut}]`);
  }
  const optimizer = tf.train.adam(learningRate, 0.5);
  const random = makeRandom(seed * 7331 + 5);
  const n = data.shape[0];
  let loss = NaN;
  try {
    for (let s = 0; s < steps; s++) {
      const indices = Int32Array.from({ length: batchSize }, () => Math.floor(random() * n));
      loss = tf.tidy(() => {
        const real = tf.gather(data, tf.tensor1d(indices, "int32"));
        const fake = generate(gan, sampleNoise(batchSize, gan.latentDim, seed * 100_003 + s), undefined, false);
        const value = optimizer.minimize(
          () => {
            const logits = critic.apply(tf.concat([real, fake]), { training: true }) as tf.Tensor;
            const targets = tf.concat([tf.ones([batchSize, 1]), tf.zeros([batchSize, 1])]);
            return tf.losses.sigmoidCrossEntropy(targets, logits) as tf.Scalar;
          },
          true,
          trainableVariables(critic),
        )!;
        return value.dataSync()[0];
      });
      if (!Number.isFinite(loss)) throw new Error(`trainCritic: the loss became ${loss} at update ${s + 1}; try a smaller learningRate`);
      if (s % 50 === 49) await new Promise((resolve) => setImmediate(resolve));
    }
  } finally {
    optimizer.dispose();
  }
  return loss;
}

/**
 * The GAN's own discriminator as a critic of single samples: [N, ...dataShape] -> logits [N, 1]. A
 * PacGAN's D (`pack` m > 1, its `prepare` packing m samples) judges m samples at once, and its logit
 * is about the sum of their log density ratios; so each sample is judged beside m - 1 real
 * examples (seeded picks), whose share of the logit is the same on average for every sample. A D
 * that looks at batch statistics (minibatch std) has no single-sample verdict: use
 * {@link trainCritic} instead.
 */
export function discriminatorScore(gan: Gan, data: tf.Tensor, pack = 1, seed = 0): (samples: tf.Tensor) => tf.Tensor {
  requireUnconditional(gan, "discriminatorScore");
  if (!Number.isInteger(pack) || pack < 1) throw new Error(`discriminatorScore: pack must be a whole number >= 1; got ${pack}`);
  if (pack === 1 && gan.prepare) throw new Error("discriminatorScore: this D sees batches through gan.prepare, so it has no verdict on one sample: train a critic of its own (trainCritic)");
  let call = 0;
  return (samples) =>
    tf.tidy(() => {
      if (pack === 1) return splitOutput(gan, discriminate(gan, samples, undefined, false)).logits;
      const n = samples.shape[0];
      const parts = [samples];
      for (let p = 1; p < pack; p++) parts.push(tf.gather(data, tf.randomUniform([n], 0, data.shape[0], "int32", seed * 7919 + call * 31 + p)));
      call++;
      // [x_i, r_i1, ...] consecutively, so D's packing groups each sample with its real companions.
      return splitOutput(gan, discriminate(gan, tf.reshape(tf.stack(parts, 1), [n * pack, ...samples.shape.slice(1)]), undefined, false)).logits;
    });
}

export interface RejectionOptions {
  /**
   * d_max, the logit a sample needs to be kept for sure, as a quantile of the critic's logits on a
   * first batch of G's samples. 1 (default) is the DRS paper's maximum: exact rejection sampling
   * if the critic were exact. Lower keeps more samples and rejects only the worst.
   */
  quantile?: number;
  seed?: number;
  /** Samples drawn per round. Default 2,048. */
  batch?: number;
  /** Stop after drawing this many samples in all (default 50 x n): a guard against a critic that accepts nothing. */
  maxDraws?: number;
}

export interface RejectionResult {
  /** The kept samples [n, ...dataShape]. */
  samples: tf.Tensor;
  /** Kept / drawn. */
  acceptance: number;
  drawn: number;
}

/**
 * Draws G's samples and keeps each with probability min(1, exp(d(x) - d_max)), d = the critic's logit,
 * until `n` are kept (chapter 05). Seeded. Throws when `maxDraws` samples give fewer than n.
 */
export function rejectionSample(gan: Gan, critic: tf.LayersModel | ((samples: tf.Tensor) => tf.Tensor), n: number, options: RejectionOptions = {}): RejectionResult {
  const score = typeof critic === "function" ? critic : (x: tf.Tensor) => critic.predict(x) as tf.Tensor;
  const { quantile = 1, seed = 0, batch = 2048 } = options;
  const maxDraws = options.maxDraws ?? 50 * n;
  requireUnconditional(gan, "rejectionSample");
  if (!Number.isInteger(n) || n <= 0) throw new Error(`rejectionSample: n must be a positive integer; got ${n}`);
  if (!(quantile > 0 && quantile <= 1)) throw new Error(`rejectionSample: quantile must be in (0, 1]; got ${quantile}`);
  const random = makeRandom(seed * 9173 + 11);
  const kept: tf.Tensor[] = [];
  let keptCount = 0;
  let drawn = 0;
  let dMax: number | undefined;
  try {
    for (let round = 0; keptCount < n; round++) {
      if (drawn >= maxDraws) {
        throw new Error(`rejectionSample: kept ${keptCount} of ${drawn} samples, fewer than the ${n} asked for: the critic rejects almost everything (try a lower quantile)`);
      }
      const samples = tf.tidy(() => generate(gan, sampleNoise(batch, gan.latentDim, seed * 1_000_003 + round), undefined, false));
      const logits = tf.tidy(() => score(samples).reshape([-1]));
      const d = logits.dataSync();
      logits.dispose();
      if (dMax === undefined) {
        const sorted = Float32Array.from(d).sort();
        dMax = sorted[Math.min(sorted.length - 1, Math.ceil(quantile * sorted.length) - 1)];
      }
      const take: number[] = [];
      for (let i = 0; i < d.length && keptCount + take.length < n; i++) {
        if (random() < Math.exp(Math.min(0, d[i] - dMax))) take.push(i);
      }
      drawn += take.length && keptCount + take.length >= n ? take[take.length - 1] + 1 : d.length;
      if (take.length) kept.push(tf.tidy(() => tf.gather(samples, tf.tensor1d(take, "int32"))));
      keptCount += take.length;
      samples.dispose();
    }
    return { samples: tf.concat(kept), acceptance: keptCount / drawn, drawn };
  } finally {
    tf.dispose(kept);
  }
}
