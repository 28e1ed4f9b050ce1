/**
 * A discrete code in G's noise, for InfoGAN (Chen et al. 2016): the first noise number picks one of
 * k equally likely codes, which G sees as a one-hot vector. The generator still takes plain
 * Gaussian noise z [N, latentDim], so sampling, grids and the chapters' code do not change; the
 * trainer reads the same code off the noise to ask D's extra outputs to recover it (gan.ts).
 */
import * as tf from "@tensorflow/tfjs";

/** The standard normal's cumulative distribution function, by Abramowitz & Stegun 7.1.26 (error < 1.5e-7). */
function normalCdf(x: number): number {
  const t = 1 / (1 + 0.3275911 * (Math.abs(x) / Math.SQRT2));
  const poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))));
  const erf = 1 - poly * Math.exp(-(x * x) / 2);
  return x >= 0 ? (1 + erf) / 2 : (1 - erf) / 2;
}

/** The x with P(Z <= x) = p for a standard normal Z, 0 < p < 1, by bisection on {@link normalCdf}. */
export function normalQuantile(p: number): number {
  if (!(p > 0 && p < 1)) throw new Error(`normalQuantile: p must be between 0 and 1; got ${p}`);
  let lo = -10;
  let hi = 10;
  for (let i = 0; i < 60; i++) {
    const mid = (lo + hi) / 2;
    if (normalCdf(mid) < p) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}

/** The k - 1 normal quantiles at 1/k, ..., (k-1)/k that split z[:, 0] into k equal-odds codes, computed once per k. */
const boundsByCodes = new Map<number, number[]>();
function codeBounds(codes: number): number[] {
  if (!boundsByCodes.has(codes)) boundsByCodes.set(codes, Array.from({ length: codes - 1 }, (_, i) => normalQuantile((i + 1) / codes)));
  return boundsByCodes.get(codes)!;
}

/**
 * The code each noise vector carries: z [N, latentDim] -> one-hot [N, codes], code c when z[:, 0]
 * lies between the normal's c/codes and (c+1)/codes quantiles, so every code is equally likely.
 */
export function latentCodes(noise: tf.Tensor, codes: number): tf.Tensor2D {
  if (!Number.isInteger(codes) || codes < 2) throw new Error(`latentCodes: codes must be an integer >= 2; got ${codes}`);
  return tf.tidy(() => {
    const first = tf.slice(noise, [0, 0], [-1, 1]); // [N, 1]
    const bounds = tf.tensor2d([codeBounds(codes)]); // [1, codes-1]
    const code = tf.sum(tf.cast(tf.greater(first, bounds), "int32"), 1); // [N]: how many bounds z0 passes
    return tf.oneHot(code, codes).toFloat() as tf.Tensor2D;
  });
}

/**
 * G's first layer when it carries a code: z [N, latentDim] -> [N, codes + latentDim - 1], the
 * one-hot code of z[:, 0] ({@link latentCodes}) followed by the other noise numbers.
 */
export class LatentCode extends tf.layers.Layer {
  static className = "GanbookLatentCode";
  readonly codes: number;

  constructor(config: { codes: number; inputShape?: number[]; name?: string }) {
    super(config);
    this.codes = config.codes;
  }

  computeOutputShape(inputShape: tf.Shape): tf.Shape {
    return [inputShape[0], this.codes + (inputShape[1] as number) - 1];
  }

  call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    const z = Array.isArray(inputs) ? inputs[0] : inputs;
    return tf.tidy(() => tf.concat([latentCodes(z, this.codes), tf.slice(z, [0, 1], [-1, -1])], 1));
  }

  getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), codes: this.codes };
  }
}
tf.serialization.registerClass(LatentCode);
