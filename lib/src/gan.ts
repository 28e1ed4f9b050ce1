/**
 * The GAN game: losses and one alternating update of each player (chapter 03 explains them;
 * chapters 04-06 reuse them).
 *
 * The discriminator D outputs a logit l per example, D(x) = sigmoid(l). With V(D, G) =
 * E[log D(x)] + E[log(1 - D(G(z)))], D ascends V and G descends it ("minimax"). Because
 * log(1 - D(G(z))) is flat when D confidently rejects fakes, the generator usually minimises
 * -log D(G(z)) instead ("non-saturating", Goodfellow et al. 2014). "least-squares" (LSGAN, Mao et al.
 * 2017) regresses raw outputs to 1 (real) and 0 (fake). "wgan-gp" (Gulrajani et al. 2017, chapter 05)
 * makes D a critic estimating the Wasserstein distance, kept 1-Lipschitz by a gradient penalty.
 */
import * as tf from "@tensorflow/tfjs";
import "./gradients"; // zero gradients for comparisons (WGAN-GP), faster batch norm and LeakyReLU gradients
import { latentCodes } from "./latent-code";

export const GAN_LOSSES = ["minimax", "non-saturating", "least-squares", "wgan-gp"] as const;
export type GanLoss = (typeof GAN_LOSSES)[number];

/** A generator and a discriminator that play together. */
export interface Gan {
  /** G: z [N, latentDim] -> samples [N, ...dataShape]. */
  generator: tf.LayersModel;
  /** D: samples [N, ...dataShape] -> logits [N, 1]. */
  discriminator: tf.LayersModel;
  latentDim: number;
  /**
   * How the discriminator views a batch of samples [N, ...] before judging it, e.g. PacGAN's packing
   * of m samples into one input ({@link packSamples}) or a minibatch statistic
   * ({@link appendMinibatchStd}). Chapter 05's fixes for mode collapse. Default: as they are.
   */
  prepare?: PrepareView;
  /**
   * Classes of a conditional GAN (chapter 06): G takes [z, one-hot label] and D takes
   * [sample, one-hot label]. Undefined for an unconditional GAN.
   */
  classes?: number;
  /**
   * ACGAN (Odena et al. 2017; chapter 06), with `classes` set: D takes the sample alone and outputs
   * [N, 1 + classes], a real/fake logit then class logits; D also learns to classify real samples,
   * and G to make samples D classifies as the class asked for.
   */
  auxiliaryClassifier?: boolean;
  /**
   * InfoGAN (Chen et al. 2016): G's noise carries a discrete code of `codes` equally likely values
   * (a generator built with `latentCodes`), D outputs [N, 1 + codes], a real/fake logit then code
   * logits, and both players also minimise `weight` times the cross-entropy of D's code logits on
   * G's samples against the code in their noise. D learns to read the code back and G to draw each
   * code distinctly: G's noise becomes a choice between kinds of sample plus a style, so fewer
   * samples land between kinds. Real samples carry no code. Default off.
   */
  infoCode?: { codes: number; weight: number };
}

/**
 * A view D takes of a batch (see {@link Gan.prepare}). `spec` says which one it is, so a worker
 * thread can rebuild it for data-parallel training (a function cannot be sent between threads).
 */
export type PrepareView = ((samples: tf.Tensor) => tf.Tensor) & { spec?: PrepareSpec };
export type PrepareSpec = { kind: "pack"; m: number } | { kind: "minibatch-std" };

/** The view a spec describes: {@link packSamples}(m) or {@link appendMinibatchStd}. */
export function prepareFromSpec(spec: PrepareSpec): PrepareView {
  if (spec.kind === "pack") return packSamples(spec.m);
  if (spec.kind === "minibatch-std") return appendMinibatchStd;
  throw new Error(`Unknown prepare view ${JSON.stringify(spec)}`);
}

/** G's samples for noise [N, latentDim] (and one-hot labels [N, classes] for a conditional GAN). */
export function generate(gan: Gan, noise: tf.Tensor, labels?: tf.Tensor, training = true): tf.Tensor {
  return gan.generator.apply(labels ? [noise, labels] : noise, { training }) as tf.Tensor;
}

/**
 * D's output for a batch of samples, through the GAN's `prepare` view (and with one-hot labels when
 * conditional). The arguments come in {@link generate}'s order: the batch, its labels, the mode.
 */
export function discriminate(gan: Gan, samples: tf.Tensor, labels?: tf.Tensor, training = true): tf.Tensor {
  const view = gan.prepare ? gan.prepare(samples) : samples;
  return gan.discriminator.apply(labels && !gan.auxiliaryClassifier ? [view, labels] : view, { training }) as tf.Tensor;
}

/**
 * Mean softmax cross-entropy of class logits [N, C] against one-hot labels [N, C]: ACGAN's class
 * loss. log-softmax is written as l - logsumexp(l), whose gradient works on every backend.
 */
export function classCrossEntropy(classLogits: tf.Tensor, oneHot: tf.Tensor): tf.Scalar {
  return tf.tidy(() => {
    const logProbs = tf.sub(classLogits, tf.logSumExp(classLogits, 1, true));
    return tf.neg(tf.mean(tf.sum(tf.mul(oneHot, logProbs), 1))) as tf.Scalar;
  });
}

/**
 * D's output split into the real/fake logit [N, 1] and, for an ACGAN (or an InfoGAN) given
 * `classLabels` (or codes), the cross-entropy of the class logits [N, classes] against them, times
 * the InfoGAN's weight (undefined otherwise).
 */
export function splitOutput(gan: Gan, output: tf.Tensor, classLabels?: tf.Tensor): { logits: tf.Tensor; classLoss?: tf.Scalar } {
  if (!gan.auxiliaryClassifier && !gan.infoCode) return { logits: output };
  const [logits, classLogits] = tf.split(output, [1, output.shape[1]! - 1], 1);
  if (!classLabels) return { logits };
  const loss = classCrossEntropy(classLogits, classLabels);
  return { logits, classLoss: gan.infoCode ? (tf.mul(gan.infoCode.weight, loss) as tf.Scalar) : loss };
}

/** An InfoGAN's codes in `noise` [N, latentDim], one-hot [N, codes] (undefined for other GANs). */
export function noiseCodes(gan: Gan, noise: tf.Tensor): tf.Tensor2D | undefined {
  return gan.infoCode ? latentCodes(noise, gan.infoCode.codes) : undefined;
}

// #region chapter 05: PacGAN's packing
/**
 * PacGAN (Lin et al. 2018): the discriminator judges m samples at once, [N, d] -> [N/m, m*d], so a
 * generator whose samples are all alike is easy to catch. N must be a multiple of m.
 */
export function packSamples(m: number): PrepareView {
  const pack = (samples: tf.Tensor) => {
    const n = samples.shape[0];
    if (n % m !== 0) throw new Error(`PacGAN packs ${m} samples per input: the batch (${n}) must be a multiple of ${m}`);
    return tf.reshape(samples, [n / m, -1]);
  };
  return Object.assign(pack, { spec: { kind: "pack", m } as PrepareSpec }); // spec: for worker threads
}
// #endregion

// #region chapter 05: minibatch standard deviation
// Which view this is, for worker threads (set before the function below: declarations are hoisted).
appendMinibatchStd.spec = { kind: "minibatch-std" } as PrepareSpec;
/**
 * Minibatch standard deviation (Karras et al. 2018), a simple form of minibatch discrimination
 * (Salimans et al. 2016): each sample [N, d] gets one more feature, the mean over features of the
 * batch's standard deviation, so D sees when a batch lacks variety. [N, d] -> [N, d + 1].
 */
export function appendMinibatchStd(samples: tf.Tensor): tf.Tensor {
  return tf.tidy(() => {
    const flat = tf.reshape(samples, [samples.shape[0], -1]);
    const std = tf.sqrt(tf.add(tf.moments(flat, 0).variance, 1e-8)); // [d]
    return tf.concat([flat, tf.mul(tf.ones([samples.shape[0], 1]), tf.mean(std))], 1);
  });
}
// #endregion

export interface LossOptions {
  loss?: GanLoss;
  /**
   * The target D learns for real data: 1, or less for one-sided label smoothing (Salimans et al.
   * 2016 use 0.9): D is never pushed to be certain, so its gradients to G stay informative.
   */
  realLabel?: number;
  /** Weight of WGAN-GP's gradient penalty. Default 10 (Gulrajani et al. 2017). */
  gradientPenalty?: number;
}

/** Mean binary cross-entropy of logits against a constant target y: mean(softplus(l) - y*l), stable for large |l|. */
export function bceWithLogits(logits: tf.Tensor, target: number): tf.Scalar {
  return tf.tidy(() => tf.mean(tf.sub(tf.softplus(logits), tf.mul(logits, target))) as tf.Scalar);
}

/** The discriminator's loss on real logits [N, 1] and fake logits [M, 1]. */
export function discriminatorLoss(realLogits: tf.Tensor, fakeLogits: tf.Tensor, options: LossOptions = {}): tf.Scalar {
  const { loss = "non-saturating", realLabel = 1 } = options;
  return tf.tidy(() => {
    if (loss === "wgan-gp") return tf.sub(tf.mean(fakeLogits), tf.mean(realLogits)) as tf.Scalar; // penalty added by the step
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
    if (loss === "wgan-gp") return tf.neg(tf.mean(fakeLogits)) as tf.Scalar;
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

// #region chapter 03: gradients (the notebook shows this code; test/chapter-code.test.ts keeps them equal)
/**
 * The loss of one update with its gradients: `grads[i]` belongs to the model's
 * `trainableWeights[i]` (null for a weight the loss does not reach: the update leaves it alone).
 */
export interface Gradients {
  loss: tf.Scalar;
  grads: (tf.Tensor | null)[];
}

/** The loss `f` computes and its gradient with respect to each of `model`'s trainable weights. */
export function gradientsOf(model: tf.LayersModel, f: () => tf.Scalar): Gradients {
  const variables = trainableVariables(model);
  const { value, grads } = tf.variableGrads(f, variables);
  return { loss: value, grads: variables.map((v) => grads[v.name] ?? null) };
}

/** Applies gradients (from {@link gradientsOf}) to `model`'s weights with `optimizer`. */
export function applyGradients(
  model: tf.LayersModel,
  optimizer: tf.Optimizer,
  grads: (tf.Tensor | null)[],
): void {
  const variables = trainableVariables(model);
  const named = variables.flatMap((v, i) => {
    const grad = grads[i];
    return grad ? [{ name: v.name, tensor: grad }] : [];
  });
  optimizer.applyGradients(named);
}
// #endregion

// #region chapter 03: the discriminator's gradients
/**
 * The discriminator's loss on `real` [N, ...] (labelled real) and G(noise) [M, ...] (labelled
 * fake), its gradients with respect to D's weights, and the batch's [mean D(x), mean D(G(z)),
 * accuracy] as `stats` [3]. Nothing changes: discriminatorStep applies them; the caller disposes.
 */
export function discriminatorGradients(
  gan: Gan,
  real: tf.Tensor,
  noise: tf.Tensor,
  options: LossOptions = {},
  labels?: { real: tf.Tensor; fake: tf.Tensor },
): Gradients & { stats: tf.Tensor1D } {
  let stats: tf.Tensor1D | undefined;
  const result = gradientsOf(gan.discriminator, () => {
    const fake = generate(gan, noise, labels?.fake);
    // ACGAN (chapter 06): D also classifies real samples (chapter 06 says why not G's); InfoGAN
    // (chapter 04's shipped DCGAN): D learns to read the code in G's noise from G's samples.
    const realOut = splitOutput(gan, discriminate(gan, real, labels?.real), labels?.real);
    const fakeOut = splitOutput(gan, discriminate(gan, fake, labels?.fake), noiseCodes(gan, noise));
    stats = tf.keep(discriminatorStats(realOut.logits, fakeOut.logits, options.loss));
    let loss = discriminatorLoss(realOut.logits, fakeOut.logits, options);
    if (realOut.classLoss) loss = tf.add(loss, realOut.classLoss) as tf.Scalar;
    if (fakeOut.classLoss) loss = tf.add(loss, fakeOut.classLoss) as tf.Scalar;
    if (options.loss !== "wgan-gp") return loss;
    // WGAN-GP (chapter 05): D is a critic kept 1-Lipschitz by a gradient penalty.
    const penalty = tf.mul(options.gradientPenalty ?? 10, gradientPenalty(gan, real, fake));
    return tf.add(loss, penalty) as tf.Scalar;
  });
  return { ...result, stats: stats! };
}
// #endregion

// #region chapter 03: one discriminator update
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
  labels?: { real: tf.Tensor; fake: tf.Tensor },
): DiscriminatorMetrics {
  const { loss, grads, stats } = discriminatorGradients(gan, real, noise, options, labels);
  applyGradients(gan.discriminator, optimizer, grads);
  const [dReal, dFake, dAccuracy] = stats.dataSync();
  const dLoss = loss.dataSync()[0];
  tf.dispose([loss, stats, ...grads.filter((g): g is tf.Tensor => g !== null)]);
  return { dLoss, dReal, dFake, dAccuracy };
}
// #endregion

/**
 * WGAN-GP's penalty: mean (||∇x̂ D(x̂)|| - 1)² at random points x̂ between real and fake samples.
 * Its gradient with respect to D's weights is a second-order gradient.
 */
export function gradientPenalty(gan: Gan, real: tf.Tensor, fake: tf.Tensor): tf.Scalar {
  const n = Math.min(real.shape[0], fake.shape[0]);
  const r = real.slice(0, n);
  const f = fake.slice(0, n);
  const eps = tf.randomUniform([n, ...real.shape.slice(1).map(() => 1)]);
  const mixed = tf.add(tf.mul(eps, r), tf.mul(tf.sub(1, eps), f));
  const grad = tf.grad((x: tf.Tensor) => tf.sum(discriminate(gan, x)))(mixed);
  const norms = tf.sqrt(tf.add(tf.sum(tf.square(tf.reshape(grad, [n, -1])), 1), 1e-12));
  return tf.mean(tf.square(tf.sub(norms, 1))) as tf.Scalar;
}

/** [mean D(x), mean D(G(z)), accuracy] as a tensor [3]. */
export function discriminatorStats(realLogits: tf.Tensor, fakeLogits: tf.Tensor, loss: GanLoss = "non-saturating"): tf.Tensor1D {
  return tf.tidy(() => {
    // Probabilities for the classifying losses; raw outputs (threshold 0.5) for least squares and
    // the WGAN critic (threshold 0, so its "accuracy" is only a rough sign of separation).
    const raw = loss === "least-squares" || loss === "wgan-gp";
    const toProb = (l: tf.Tensor) => (raw ? l : tf.sigmoid(l));
    const threshold = loss === "wgan-gp" ? 0 : 0.5;
    const real = toProb(realLogits);
    const fake = toProb(fakeLogits);
    const right = tf.add(tf.sum(tf.cast(tf.greater(real, threshold), "float32")), tf.sum(tf.cast(tf.lessEqual(fake, threshold), "float32")));
    return tf.stack([tf.mean(real), tf.mean(fake), tf.div(right, real.size + fake.size)]) as tf.Tensor1D;
  });
}

// #region chapter 03: the generator's gradients
/**
 * The generator's loss for G(noise) judged by D (with the labels asked for, when conditional) and
 * its gradients with respect to G's weights; nothing changes. The caller disposes.
 */
export function generatorGradients(
  gan: Gan,
  noise: tf.Tensor,
  options: LossOptions = {},
  labels?: tf.Tensor,
): Gradients {
  return gradientsOf(gan.generator, () => {
    const fake = generate(gan, noise, labels);
    const out = splitOutput(gan, discriminate(gan, fake, labels), labels ?? noiseCodes(gan, noise));
    const loss = generatorLoss(out.logits, options);
    // ACGAN: G also wants D to read its sample as the class asked for (InfoGAN: its noise's code).
    return out.classLoss ? (tf.add(loss, out.classLoss) as tf.Scalar) : loss;
  });
}
// #endregion

// #region chapter 03: one generator update
/**
 * One generator update through a frozen discriminator: G(noise) is judged by D and only G's
 * weights change. Returns the generator's loss (before the update).
 */
export function generatorStep(
  gan: Gan,
  optimizer: tf.Optimizer,
  noise: tf.Tensor,
  options: LossOptions = {},
  labels?: tf.Tensor,
): number {
  const { loss, grads } = generatorGradients(gan, noise, options, labels);
  applyGradients(gan.generator, optimizer, grads);
  const value = loss.dataSync()[0];
  tf.dispose([loss, ...grads.filter((g): g is tf.Tensor => g !== null)]);
  return value;
}
// #endregion
