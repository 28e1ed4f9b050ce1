/**
 * Drawing from a trained GAN and walking its latent space: seeded noise, samples of an unconditional
 * GAN (its averaged generator when a trainer keeps one), a trainer's previews (the same noise at every
 * step), per-class samples and grids of a conditional one (chapter 06), interpolation and attribute
 * directions between noise vectors (chapter 04).
 */
import * as tf from "@tensorflow/tfjs";
import { generate, type Gan } from "./gan";
import { normalQuantile } from "./latent-code";
import { encodePng, imageGridRaster, type GridOptions, type Raster } from "./images";

/** A batch of noise z ~ N(0, 1): [n, latentDim]; seeded when `seed` is given. */
export function sampleNoise(n: number, latentDim: number, seed?: number): tf.Tensor2D {
  return tf.randomNormal([n, latentDim], 0, 1, "float32", seed);
}

/**
 * n samples of an unconditional GAN in inference mode, from seeded noise: [n, ...dataShape]. Give it
 * a trainer to sample what the trainer samples (its averaged generator when it keeps one). For a
 * conditional GAN use {@link sampleByClass}, which asks for each class in turn.
 */
export function sampleGan<T extends tf.Tensor = tf.Tensor4D>(source: Gan | { samplingGan: Gan }, n: number, seed?: number): T {
  const gan = "samplingGan" in source ? source.samplingGan : source;
  if (gan.classes) throw new Error("sampleGan draws from an unconditional GAN; for a conditional one, sampleByClass(gan, n, seed) asks for each class in turn");
  return tf.tidy(() => gan.generator.predict(sampleNoise(n, gan.latentDim, seed)) as T);
}

/**
 * n points from z0 to z1 [1, latentDim] (inclusive): [n, latentDim]. `slerp` follows the great
 * circle, which keeps Gaussian noise at a typical norm (Radford et al. 2015 / White 2016);
 * `linear` goes straight. Chapter 04 walks the latent space this way.
 */
export function interpolateLatent(z0: tf.Tensor, z1: tf.Tensor, n: number, mode: "slerp" | "linear" = "slerp"): tf.Tensor2D {
  return tf.tidy(() => {
    const a = z0.reshape([1, -1]);
    const b = z1.reshape([1, -1]);
    const t = tf.linspace(0, 1, n).reshape([n, 1]);
    if (mode === "linear") return tf.add(tf.mul(tf.sub(1, t), a), tf.mul(t, b)) as tf.Tensor2D;
    const cos = tf.sum(tf.mul(a, b)).div(tf.norm(a).mul(tf.norm(b))).clipByValue(-1, 1);
    const omega = tf.acos(cos);
    const sin = tf.sin(omega);
    const wa = tf.sin(tf.mul(tf.sub(1, t), omega)).div(sin);
    const wb = tf.sin(tf.mul(t, omega)).div(sin);
    return tf.add(tf.mul(wa, a), tf.mul(wb, b)) as tf.Tensor2D;
  });
}

/**
 * A direction in latent space for a property: mean z of the samples scoring in the top `fraction`
 * minus mean z of those in the bottom `fraction` ([1, latentDim]). Adding it to z adds the property
 * (vector arithmetic, Radford et al. 2015). `z` is [N, latentDim], `scores` has N numbers.
 */
export function latentDirection(z: tf.Tensor2D, scores: ArrayLike<number>, fraction = 0.2): tf.Tensor2D {
  const order = Array.from(scores, (s, i) => [s, i]).sort((p, q) => p[0] - q[0]).map((p) => p[1]);
  const k = Math.max(1, Math.floor(order.length * fraction));
  return tf.tidy(() => {
    const low = tf.mean(tf.gather(z, tf.tensor1d(order.slice(0, k), "int32")), 0, true);
    const high = tf.mean(tf.gather(z, tf.tensor1d(order.slice(-k), "int32")), 0, true);
    return tf.sub(high, low) as tf.Tensor2D;
  });
}

/**
 * A conditional GAN's grid: one row per class, one column per noise vector, so each column keeps its
 * style while the class changes (chapter 06). `noise` is [cols, latentDim]; returns
 * [classes * cols, ...sample] in row order, ready for `showImages(x, { cols })`.
 */
export function classGrid(gan: Gan, noise: tf.Tensor2D, classes = gan.classes ?? 10): tf.Tensor {
  if (!gan.classes) throw new Error("classGrid needs a conditional GAN (gan.classes set)");
  const cols = noise.shape[0];
  return tf.tidy(() => {
    const z = tf.tile(noise, [classes, 1]); // row r repeats all the noise vectors
    const labels = tf.oneHot(tf.tensor1d(Array.from({ length: classes * cols }, (_, i) => Math.floor(i / cols)), "int32"), gan.classes!).toFloat();
    return generate(gan, z, labels, false);
  });
}

/**
 * An InfoGAN's grid (gan.infoCode): one row per code, one column per noise vector. Each row sets the
 * code-carrying first noise number to the middle of its code's range and keeps the other numbers of
 * the column, so a row shows what a code draws and a column one style. `noise` is [cols, latentDim];
 * returns [codes * cols, ...sample] in row order, ready for `showImages(x, { cols })`.
 */
export function codeGrid(gan: Gan, noise: tf.Tensor2D): tf.Tensor {
  if (!gan.infoCode) throw new Error("codeGrid needs an InfoGAN (gan.infoCode set), whose noise carries a code");
  const { codes } = gan.infoCode;
  const cols = noise.shape[0];
  const middles = Array.from({ length: codes * cols }, (_, i) => normalQuantile((Math.floor(i / cols) + 0.5) / codes));
  return tf.tidy(() => {
    const rest = tf.slice(tf.tile(noise, [codes, 1]), [0, 1], [-1, -1]); // [codes * cols, latentDim - 1]
    return generate(gan, tf.concat([tf.tensor2d(middles, [codes * cols, 1]), rest], 1), undefined, false);
  });
}

/** n samples of a conditional GAN with labels 0, 1, ..., classes-1, 0, ...: the samples and the labels asked for. */
export function sampleByClass(gan: Gan, n: number, seed?: number): { samples: tf.Tensor; requested: Int32Array } {
  if (!gan.classes) throw new Error("sampleByClass needs a conditional GAN (gan.classes set)");
  const requested = Int32Array.from({ length: n }, (_, i) => i % gan.classes!);
  const samples = tf.tidy(() => generate(gan, sampleNoise(n, gan.latentDim, seed), tf.oneHot(tf.tensor1d(requested, "int32"), gan.classes!).toFloat(), false));
  return { samples, requested };
}

/** What the previews need of a trainer (`GanTrainer`): the GAN to sample and its preview noise. */
export interface Previewed {
  samplingGan: Gan;
  /** [previewCount, latentDim], the same at every step. */
  previewNoise: tf.Tensor2D;
  /** One-hot labels of the preview noise, for a conditional GAN. */
  previewLabels?: tf.Tensor2D;
}

/** The trainer's G(preview noise) in inference mode: [previewCount, ...dataShape]. */
export function previewSamples(trainer: Previewed): tf.Tensor {
  return tf.tidy(() => generate(trainer.samplingGan, trainer.previewNoise, trainer.previewLabels, false));
}

/**
 * The first `count` preview samples (default all) as an image-grid raster, e.g. one frame of an
 * animation over training (`encodeGif(frames)`). Image GANs only.
 */
export function previewRaster(trainer: Previewed, options: GridOptions & { count?: number } = {}): Raster {
  const noise = trainer.previewNoise;
  const count = Math.min(options.count ?? noise.shape[0], noise.shape[0]);
  const samples = tf.tidy(() => generate(trainer.samplingGan, noise.slice(0, count), trainer.previewLabels?.slice(0, count), false));
  try {
    if (samples.rank !== 4) throw new Error(`previewRaster needs an image GAN (samples [N, H, W, C]); its samples have shape [${samples.shape}]`);
    return imageGridRaster(samples as tf.Tensor4D, { cols: Math.ceil(Math.sqrt(count)), ...options });
  } finally {
    samples.dispose();
  }
}

/** The preview samples as a PNG grid for an image GAN; undefined for other data (toy points). */
export function previewPng(trainer: Previewed): Uint8Array | undefined {
  const rank = trainer.samplingGan.generator.outputs[0].shape.length;
  return rank === 4 ? encodePng(previewRaster(trainer, { scale: 1 })) : undefined;
}
