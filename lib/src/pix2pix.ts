/**
 * Image-to-image translation (chapter 08): pix2pix (Isola et al. 2017, "Image-to-Image Translation
 * with Conditional Adversarial Networks"). The condition is a whole image x; the generator G(x) draws
 * the matching image y; the discriminator judges pairs (x, y) patch by patch (a PatchGAN). G's loss is
 * the adversarial term plus λ·|G(x) - y| (L1): L1 alone gives the blurry average of every plausible y,
 * the adversarial term makes G commit to one sharp y.
 *
 * The chapter's paired task, built from MNIST: the bottom rows of a digit are hidden
 * ({@link hideLowerRows}, {@link COMPLETION_ROWS}) and G completes it. This file holds the task, the
 * models, the losses, the recipe and the measures; pix2pix-trainer.ts trains them.
 */
import * as tf from "@tensorflow/tfjs";
import { bceWithLogits, discriminatorLoss } from "./gan";
import { labelAccuracy } from "./metrics";
import type { Evaluator } from "./evaluator";
import type { OptimizerSpec } from "./trainer-options";

/** The value of a hidden pixel: 0 is grey in [-1, 1], neither background (-1) nor ink (+1). */
export const HIDDEN = 0;

/**
 * Images [N, H, W, C] in [-1, 1] with their last `rows` rows replaced by {@link HIDDEN}: the inputs
 * of the completion task (default: the lower half).
 */
export function hideLowerRows(images: tf.Tensor4D, rows = Math.floor(images.shape[1] / 2)): tf.Tensor4D {
  const [n, h, w, c] = images.shape;
  if (!Number.isInteger(rows) || rows < 1 || rows >= h) throw new Error(`hideLowerRows: rows must be an integer from 1 to ${h - 1}; got ${rows}`);
  return tf.tidy(() => tf.concat([images.slice([0, 0, 0, 0], [n, h - rows, w, c]), tf.fill([n, rows, w, c], HIDDEN)], 1) as tf.Tensor4D);
}

export interface Pix2PixModelOptions {
  /** Image side (a multiple of 4: two stride-2 steps). Default 28 (MNIST). */
  size?: number;
  /** Channels of the input and of the output image. Default 1. */
  channels?: number;
  /** Filters of the first layer; deeper layers have 2x and 4x. Default 32. */
  width?: number;
  seed?: number;
}

// DCGAN's initialisation (N(0, 0.02)), as pix2pix uses; layer i of a model with seed s gets seed s * 1000 + i.
const init = (seed: number, i: number) => tf.initializers.randomNormal({ mean: 0, stddev: 0.02, seed: seed * 1000 + i });

function checkModelOptions(what: string, size: number, channels: number, width: number): void {
  if (!Number.isInteger(size) || size < 8 || size % 4 !== 0) throw new Error(`${what}: size must be a multiple of 4 (at least 8); got ${size}`);
  if (!Number.isInteger(channels) || channels < 1) throw new Error(`${what}: channels must be a positive integer; got ${channels}`);
  if (!Number.isInteger(width) || width < 1) throw new Error(`${what}: width must be a positive integer; got ${width}`);
}

/**
 * pix2pix's generator, a **U-Net** (Ronneberger et al. 2015) sized for small images:
 * x [N, s, s, c] -> e1 [s/2, s/2, w] -> e2 [s/4, s/4, 2w] -> bottleneck [4w] (dense: sees the whole
 * image) -> d2 [s/4, s/4, 2w] ++ e2 -> d1 [s/2, s/2, w] ++ e1 -> y [N, s, s, c] (tanh). The skips
 * (++: concatenated channels) hand fine detail from the input straight to the output, so the
 * bottleneck only has to carry what the input does not show.
 */
export function buildUnet(options: Pix2PixModelOptions = {}): tf.LayersModel {
  const { size = 28, channels = 1, width = 32, seed = 1 } = options;
  checkModelOptions("buildUnet", size, channels, width);
  let i = 0;
  const conv = (filters: number, kernel: number, strides: number, padding: "same" | "valid") =>
    tf.layers.conv2d({ filters, kernelSize: kernel, strides, padding, kernelInitializer: init(seed, i++) });
  const deconv = (filters: number, kernel: number, strides: number, padding: "same" | "valid", activation?: "tanh") =>
    tf.layers.conv2dTranspose({ filters, kernelSize: kernel, strides, padding, activation, kernelInitializer: init(seed, i++) });
  const apply = (layer: tf.layers.Layer, x: tf.SymbolicTensor) => layer.apply(x) as tf.SymbolicTensor;
  const bn = (x: tf.SymbolicTensor) => apply(tf.layers.batchNormalization({ momentum: 0.9 }), x);
  const lrelu = (x: tf.SymbolicTensor) => apply(tf.layers.leakyReLU({ alpha: 0.2 }), x);
  const relu = (x: tf.SymbolicTensor) => apply(tf.layers.reLU(), x);
  const join = (a: tf.SymbolicTensor, b: tf.SymbolicTensor) => tf.layers.concatenate().apply([a, b]) as tf.SymbolicTensor;

  const x = tf.input({ shape: [size, size, channels] });
  const e1 = lrelu(apply(conv(width, 4, 2, "same"), x)); // [s/2, s/2, w]
  const e2 = lrelu(bn(apply(conv(2 * width, 4, 2, "same"), e1))); // [s/4, s/4, 2w]
  // The bottleneck as dense layers (a [s/4, s/4] kernel over [s/4, s/4] in effect, as matmuls: fast).
  const q = size / 4;
  const dense = (units: number) => tf.layers.dense({ units, kernelInitializer: init(seed, i++) });
  const bottleneck = relu(apply(dense(4 * width), apply(tf.layers.flatten(), e2))); // [4w]
  const d2 = relu(bn(apply(tf.layers.reshape({ targetShape: [q, q, 2 * width] }), apply(dense(q * q * 2 * width), bottleneck)))); // [s/4, s/4, 2w]
  const d1 = relu(bn(apply(deconv(width, 4, 2, "same"), join(d2, e2)))); // [s/2, s/2, w]
  const y = apply(deconv(channels, 4, 2, "same", "tanh"), join(d1, e1)); // [s, s, c]
  return tf.model({ inputs: x, outputs: y, name: "unet" });
}

/**
 * pix2pix's **PatchGAN** discriminator: the pair (x, y) as 2c channels -> [s/2, s/2, w] ->
 * [s/4, s/4, 2w] -> logits [N, s/4, s/4, 1], one per overlapping 18x18-pixel patch. Judging patches
 * rather than whole images asks D about texture and sharpness; L1 takes care of the layout.
 */
export function buildPatchDiscriminator(options: Pix2PixModelOptions = {}): tf.LayersModel {
  const { size = 28, channels = 1, width = 32, seed = 2 } = options;
  checkModelOptions("buildPatchDiscriminator", size, channels, width);
  const x = tf.input({ shape: [size, size, channels] });
  const y = tf.input({ shape: [size, size, channels] });
  const layers = [
    tf.layers.conv2d({ filters: width, kernelSize: 4, strides: 2, padding: "same", kernelInitializer: init(seed, 0) }),
    tf.layers.leakyReLU({ alpha: 0.2 }),
    tf.layers.conv2d({ filters: 2 * width, kernelSize: 4, strides: 2, padding: "same", kernelInitializer: init(seed, 1) }),
    tf.layers.batchNormalization({ momentum: 0.9 }),
    tf.layers.leakyReLU({ alpha: 0.2 }),
    tf.layers.conv2d({ filters: 1, kernelSize: 3, padding: "same", kernelInitializer: init(seed, 2) }),
  ];
  let h = tf.layers.concatenate().apply([x, y]) as tf.SymbolicTensor;
  for (const layer of layers) h = layer.apply(h) as tf.SymbolicTensor;
  return tf.model({ inputs: [x, y], outputs: h, name: "patch_discriminator" });
}

/** An image-to-image GAN: G maps inputs to outputs; D (absent for the L1-only baseline) judges pairs. */
export interface Pix2Pix {
  generator: tf.LayersModel;
  discriminator?: tf.LayersModel;
}

/** How `Pix2PixTrainer` (pix2pix-trainer.ts) trains a {@link Pix2Pix}. */
export interface Pix2PixOptions {
  /** Weight λ of the L1 term. Default 100 (Isola et al.: images in [-1, 1]). */
  l1Weight?: number;
  batchSize?: number;
  seed?: number;
  /** Both players' optimizer. Default Adam 2e-4, beta1 0.5 (as the paper). */
  optimizer?: OptimizerSpec;
  /**
   * Threads per step (as GANBOOK_THREADS; 1: one thread): each computes the gradients of a part of
   * the batch on a replica, as `GanTrainer` does (replicas.ts), with the same default.
   */
  threads?: number;
}

/** The hidden rows of chapter 08's task: the bottom 10 of 28, the lower third of most digits (they sit in rows 4-23). */
export const COMPLETION_ROWS = 10;

/**
 * Chapter 08's recipe for completing digits: a U-Net and a PatchGAN of width 16, λ = 10, batch 32,
 * Adam 5e-4 (beta1 0.5) for both players, 400 steps by default; `adversarial: false` is the same
 * U-Net trained with L1 alone. Measured on one thread (MNIST, 20,000 training pairs, 2,000 test
 * digits, seed 0): λ = 100, the paper's, left the adversarial term too weak to sharpen anything here;
 * with the bottom 10 rows hidden, Adam 5e-4 read 90.7% as the source digit after 300 steps and 95.7%
 * after 600, Adam 2e-4 76% and 87.7%. With the lower half (14 rows) hidden, 84.3% after 900 steps.
 */
export function digitCompletion(seed = 0, adversarial = true, steps = 400): { model: Pix2Pix; options: Pix2PixOptions; steps: number } {
  return {
    model: {
      generator: buildUnet({ width: 16, seed: seed + 1 }),
      discriminator: adversarial ? buildPatchDiscriminator({ width: 16, seed: seed + 2 }) : undefined,
    },
    options: { l1Weight: 10, batchSize: 32, seed, optimizer: { learningRate: 5e-4, beta1: 0.5 } },
    steps,
  };
}

// #region chapter 08: the pix2pix losses
/** D's loss on real pairs (x, y) and fake pairs (x, G(x)), patch by patch. */
export function pix2pixDiscriminatorLoss(model: Pix2Pix, inputs: tf.Tensor4D, targets: tf.Tensor4D): tf.Scalar {
  const D = model.discriminator!;
  const fake = model.generator.apply(inputs, { training: true }) as tf.Tensor4D;
  const realLogits = D.apply([inputs, targets], { training: true }) as tf.Tensor;
  const fakeLogits = D.apply([inputs, fake], { training: true }) as tf.Tensor;
  return discriminatorLoss(realLogits, fakeLogits);
}

/** G's loss: fool D on every patch (when there is a D) plus λ times the mean |G(x) - y|. */
export function pix2pixGeneratorLoss(model: Pix2Pix, inputs: tf.Tensor4D, targets: tf.Tensor4D, l1Weight: number): { loss: tf.Scalar; adversarial: tf.Scalar; l1: tf.Scalar } {
  const fake = model.generator.apply(inputs, { training: true }) as tf.Tensor4D;
  const l1 = tf.mean(tf.abs(tf.sub(fake, targets))) as tf.Scalar;
  const adversarial = model.discriminator
    ? bceWithLogits(model.discriminator.apply([inputs, fake], { training: true }) as tf.Tensor, 1)
    : tf.scalar(0);
  return { loss: tf.add(adversarial, tf.mul(l1Weight, l1)) as tf.Scalar, adversarial, l1 };
}
// #endregion

/**
 * Sharpness of images [N, H, W, C]: the mean absolute response of a 3x3 Laplacian (how much each
 * pixel differs from its 4 neighbours; the border's missing neighbours repeat the border), over the
 * last `rows` rows (default all). Blurry images score low; compare with the same number on real images.
 */
export function sharpness(images: tf.Tensor4D, rows = images.shape[1]): number {
  return tf.tidy(() => {
    const [n, h, w, c] = images.shape;
    const kernel = tf.tensor4d([0, 1, 0, 1, -4, 1, 0, 1, 0], [3, 3, 1, 1]).tile([1, 1, c, 1]);
    // Edges repeated outward (not zeros), so a plain background has no response at the border.
    const padded = tf.mirrorPad(images, [[0, 0], [1, 1], [1, 1], [0, 0]], "symmetric");
    const response = tf.depthwiseConv2d(padded, kernel as tf.Tensor4D, 1, "valid");
    return tf.mean(tf.abs(response.slice([0, h - rows, 0, 0], [n, rows, w, c]))).dataSync()[0];
  });
}

/** What a completion is judged by (see {@link completionReport}). */
export interface CompletionReport {
  /** Share the evaluator reads as the source digit's label. */
  accuracy: number;
  /** Mean |output - target| over the hidden rows (pixels in [-1, 1]). */
  l1: number;
  /** {@link sharpness} of the hidden rows. */
  sharpness: number;
}

/**
 * Completions `outputs` [N, 28, 28, 1] of images whose last `rows` rows were hidden, judged against the
 * `targets` and their `labels`: the evaluator's accuracy, L1 in the hidden rows, their sharpness.
 */
export function completionReport(evaluator: Evaluator, outputs: tf.Tensor4D, targets: tf.Tensor4D, labels: ArrayLike<number>, rows: number): CompletionReport {
  const probabilities = evaluator.probabilities(outputs);
  const accuracy = labelAccuracy(probabilities, labels);
  probabilities.dispose();
  const [n, h, w, c] = outputs.shape;
  const l1 = tf.tidy(() => tf.mean(tf.abs(tf.sub(outputs, targets).slice([0, h - rows, 0, 0], [n, rows, w, c]))).dataSync()[0]);
  return { accuracy, l1, sharpness: sharpness(outputs, rows) };
}
