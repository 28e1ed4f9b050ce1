/**
 * The GAN game: losses and one alternating update of each player (chapter 03 explains them;
 * chapters 04-06 reuse them).
 *
 * The discriminator D outputs a logit l per example, D(x) = sigmoid(l). With V(D, G) =
 * E[log D(x)] + E[log(1 - D(G(z)))], D ascends V and G descends it ("minimax"). Because
 * log(1 - D(G(z))) is flat when D confidently rejects fakes, the generator usually minimises
 * -log D(G(z)) instead ("non-saturating", Goodfellow et al. 2014). "least-squares" (LSGAN, Mao et al.
 * 2017) regresses raw outputs to 1 (real) and 0 (fake).
 */
import * as tf from "@tensorflow/tfjs";

export const GAN_LOSSES = ["minimax", "non-saturating", "least-squares"] as const;
export type GanLoss = (typeof GAN_LOSSES)[number];

/** A generator and a discriminator that play together. */
export interface Gan {
  /** G: z [N, latentDim] -> samples [N, ...dataShape]. */
  generator: tf.LayersModel;
  /** D: samples [N, ...dataShape] -> logits [N, 1]. */
  discriminator: tf.LayersModel;
  latentDim: number;
}

export interface LossOptions {
  loss?: GanLoss;
  /**
   * The target D learns for real data: 1, or less for one-sided label smoothing (Salimans et al.
   * 2016 use 0.9): D is never pushed to be certain, so its gradients to G stay informative.
   */
  realLabel?: number;
}

/** Mean binary cross-entropy of logits against a constant target y: mean(softplus(l) - y*l), stable for large |l|. */
export function bceWithLogits(logits: tf.Tensor, target: number): tf.Scalar {
  return tf.tidy(() => tf.mean(tf.sub(tf.softplus(logits), tf.mul(logits, target))) as tf.Scalar);
}

/** The discriminator's loss on real logits [N, 1] and fake logits [M, 1]. */
export function discriminatorLoss(realLogits: tf.Tensor, fakeLogits: tf.Tensor, options: LossOptions = {}): tf.Scalar {
  const { loss = "non-saturating", realLabel = 1 } = options;
  return tf.tidy(() => {
    if (loss === "least-squares") {
      const real = tf.mean(tf.square(tf.sub(realLogits, realLabel)));
      const fake = tf.mean(tf.square(fakeLogits));
      return tf.mul(0.5, tf.add(real, fake)) as tf.Scalar;
    }
    // Both "minimax" and "non-saturating" train D the same way: classify real as 1, fake as 0.
    return tf.add(bceWithLogits(realLogits, realLabel), bceWithLogits(fakeLogits, 0)) as tf.Scalar;
  });
}

/** The generator's loss on the discriminator's logits for its samples [M, 1]. */
export function generatorLoss(fakeLogits: tf.Tensor, options: LossOptions = {}): tf.Scalar {
  const { loss = "non-saturating" } = options;
  return tf.tidy(() => {
    if (loss === "least-squares") return tf.mul(0.5, tf.mean(tf.square(tf.sub(fakeLogits, 1)))) as tf.Scalar;
    // minimax: minimise E[log(1 - D(G(z)))] = -E[softplus(l)] = -bce(l, 0)
    if (loss === "minimax") return tf.neg(bceWithLogits(fakeLogits, 0)) as tf.Scalar;
    return bceWithLogits(fakeLogits, 1); // non-saturating: minimise -log D(G(z))
  });
}

/** What one discriminator update measured (before the update). */
export interface DiscriminatorMetrics {
  dLoss: number;
  /** Mean D(x) on the real batch (sigmoid of the logits; raw output for least squares). */
  dReal: number;
  /** Mean D(G(z)) on the fake batch. */
  dFake: number;
  /** Share of the real and fake examples D classified right (threshold 0.5). */
  dAccuracy: number;
}

/** The trainable variables of a model, for an optimizer's varList. */
export function trainableVariables(model: tf.LayersModel): tf.Variable[] {
  return model.trainableWeights.map((w) => w.read() as tf.Variable);
}

/**
 * One discriminator update: D sees `real` [N, ...] labelled real and G(noise) [M, ...] labelled
 * fake, and only D's weights change. Returns the batch's metrics.
 */
export function discriminatorStep(
  gan: Gan,
  optimizer: tf.Optimizer,
  real: tf.Tensor,
  noise: tf.Tensor,
  options: LossOptions = {},
): DiscriminatorMetrics {
  let stats: tf.Tensor | undefined;
  const loss = optimizer.minimize(
    () => {
      const fake = gan.generator.apply(noise, { training: true }) as tf.Tensor;
      const realLogits = gan.discriminator.apply(real, { training: true }) as tf.Tensor;
      const fakeLogits = gan.discriminator.apply(fake, { training: true }) as tf.Tensor;
      stats = tf.keep(discriminatorStats(realLogits, fakeLogits, options.loss));
      return discriminatorLoss(realLogits, fakeLogits, options);
    },
    true,
    trainableVariables(gan.discriminator),
  )!;
  const [dReal, dFake, dAccuracy] = stats!.dataSync();
  const dLoss = loss.dataSync()[0];
  tf.dispose([loss, stats!]);
  return { dLoss, dReal, dFake, dAccuracy };
}

/** [mean D(x), mean D(G(z)), accuracy] as a tensor [3]. */
function discriminatorStats(realLogits: tf.Tensor, fakeLogits: tf.Tensor, loss: GanLoss = "non-saturating"): tf.Tensor1D {
  return tf.tidy(() => {
    const toProb = (l: tf.Tensor) => (loss === "least-squares" ? l : tf.sigmoid(l));
    const real = toProb(realLogits);
    const fake = toProb(fakeLogits);
    const right = tf.add(tf.sum(tf.cast(tf.greater(real, 0.5), "float32")), tf.sum(tf.cast(tf.lessEqual(fake, 0.5), "float32")));
    return tf.stack([tf.mean(real), tf.mean(fake), tf.div(right, real.size + fake.size)]) as tf.Tensor1D;
  });
}

/**
 * One generator update through a frozen discriminator: G(noise) is judged by D and only G's
 * weights change. Returns the generator's loss (before the update).
 */
export function generatorStep(gan: Gan, optimizer: tf.Optimizer, noise: tf.Tensor, options: LossOptions = {}): number {
  const loss = optimizer.minimize(
    () => {
      const fake = gan.generator.apply(noise, { training: true }) as tf.Tensor;
      const logits = gan.discriminator.apply(fake, { training: true }) as tf.Tensor;
      return generatorLoss(logits, options);
    },
    true,
    trainableVariables(gan.generator),
  )!;
  const value = loss.dataSync()[0];
  loss.dispose();
  return value;
}

/** A batch of noise z ~ N(0, 1): [n, latentDim]; seeded when `seed` is given. */
export function sampleNoise(n: number, latentDim: number, seed?: number): tf.Tensor2D {
  return tf.randomNormal([n, latentDim], 0, 1, "float32", seed);
}
