/**
 * Toy data, seeded: 1D Gaussian mixtures, the 2D ring of 8 and grid of 25 Gaussians used in
 * mode-collapse papers (Metz et al. 2017, Unrolled GANs; Srivastava et al. 2017, VEEGAN; Lin et al.
 * 2018, PacGAN). Chapter 03 learns them; chapter 05 shows generators collapsing on them.
 */
import * as tf from "@tensorflow/tfjs";
import { makeNormal, makeRandom } from "./random";

/** A mixture of Gaussians with equal-variance, equally likely components. */
export interface Mixture {
  /** [modes, dims] component centres. */
  centers: number[][];
  /** Standard deviation of every component. */
  std: number;
  /** [low, high] per dimension: where the mixture's pictures put their axes (every mode well inside). */
  bounds: [number, number][];
}

/** 1D mixture, e.g. `{ centers: [[-2], [2]], std: 0.5 }`. */
export function mixture1d(means: number[], std: number): Mixture {
  return { centers: means.map((m) => [m]), std, bounds: [[Math.min(...means) - 5 * std, Math.max(...means) + 5 * std]] };
}

/** 8 Gaussians evenly spaced on a circle (radius 2, std 0.02 by default: VEEGAN/PacGAN's ring). */
export function ring8(radius = 2, std = 0.02): Mixture {
  const centers = Array.from({ length: 8 }, (_, i) => [radius * Math.cos((2 * Math.PI * i) / 8), radius * Math.sin((2 * Math.PI * i) / 8)]);
  const r = radius * 1.3;
  return { centers, std, bounds: [[-r, r], [-r, r]] };
}

/** 25 Gaussians on a 5x5 grid at -4, -2, 0, 2, 4 (spacing 2, std 0.05 by default: PacGAN's grid). */
export function grid25(spacing = 2, std = 0.05): Mixture {
  const centers: number[][] = [];
  for (let i = -2; i <= 2; i++) for (let j = -2; j <= 2; j++) centers.push([i * spacing, j * spacing]);
  const r = 2.5 * spacing;
  return { centers, std, bounds: [[-r, r], [-r, r]] };
}

/** The ring of 8 (chapters 03 and 05, the shipped `ring`) and the grid of 25 (chapter 05). */
export const RING = ring8();
export const GRID = grid25();

export type ToyMixtureName = "ring" | "grid";

/** True for the toy mixtures' names (the 2D data sets), false for anything else (an image dataset's name). */
export function isToyMixtureName(name: string): name is ToyMixtureName {
  return name === "ring" || name === "grid";
}

/** A toy mixture by name: {@link RING} or {@link GRID}. */
export function toyMixture(name: ToyMixtureName): Mixture {
  if (name === "ring") return RING;
  if (name === "grid") return GRID;
  throw new Error(`Unknown toy mixture ${name}: use "ring" or "grid"`);
}

/**
 * n samples of a mixture (10,000 by default: the toy chapters' real data), each component equally
 * likely: points [n, dims] and the component each came from. Seeded.
 */
export function sampleMixture(mix: Mixture, n = 10_000, seed = 0): { points: tf.Tensor2D; components: Int32Array } {
  if (!Number.isInteger(n) || n <= 0) throw new Error(`sampleMixture: n must be a positive integer; got ${n}`);
  const random = makeRandom(seed);
  const normal = makeNormal(random);
  const dims = mix.centers[0].length;
  const values = new Float32Array(n * dims);
  const components = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const c = Math.floor(random() * mix.centers.length);
    components[i] = c;
    for (let d = 0; d < dims; d++) values[i * dims + d] = mix.centers[c][d] + mix.std * normal();
  }
  return { points: tf.tensor2d(values, [n, dims]), components };
}

/** How a set of points covers a mixture's modes (VEEGAN / PacGAN's toy metrics). */
export interface ModeReport {
  /** Modes that are the nearest mode of at least one high-quality sample. */
  modesCovered: number;
  modes: number;
  /** Share of samples within 3 standard deviations of their nearest mode. */
  highQuality: number;
  /** KL(histogram of high-quality samples over modes || uniform); 0 when every mode gets an equal share. */
  reverseKL: number;
  /** High-quality samples per mode. */
  counts: number[];
}

/**
 * Mode coverage of `points` [n, dims] for a mixture: a sample is high quality when it lies within
 * 3 std of its nearest mode; a mode is covered when it is the nearest mode of a high-quality sample
 * (the measure of VEEGAN, Srivastava et al. 2017, and PacGAN, Lin et al. 2018).
 */
export function modeCoverage(points: tf.Tensor2D | Float32Array, mix: Mixture): ModeReport {
  const dims = mix.centers[0].length;
  const values = points instanceof Float32Array ? points : (points.dataSync() as Float32Array);
  const n = values.length / dims;
  const counts = new Array(mix.centers.length).fill(0);
  let good = 0;
  const limit = (3 * mix.std) ** 2;
  for (let i = 0; i < n; i++) {
    let best = Infinity;
    let which = 0;
    mix.centers.forEach((c, k) => {
      let d2 = 0;
      for (let d = 0; d < dims; d++) d2 += (values[i * dims + d] - c[d]) ** 2;
      if (d2 < best) [best, which] = [d2, k];
    });
    if (best <= limit) {
      good++;
      counts[which]++;
    }
  }
  const modes = mix.centers.length;
  let reverseKL = 0;
  if (good > 0) {
    for (const c of counts) if (c > 0) reverseKL += (c / good) * Math.log((c / good) * modes);
  } else reverseKL = Infinity;
  return { modesCovered: counts.filter((c) => c > 0).length, modes, highQuality: n ? good / n : 0, reverseKL, counts };
}
