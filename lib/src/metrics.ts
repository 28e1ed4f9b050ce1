/**
 * GAN metrics with an evaluator classifier (chapter 07 explains each; chapters 03-06 report them
 * beside the same numbers for real data):
 *
 * - classifier score: exp(E_x KL(p(y|x) || p(y))), the Inception score (Salimans et al. 2016) with
 *   the MNIST evaluator in place of Inception (as in TF-GAN's MNIST "classifier score"). 1 to 10:
 *   high when each sample is confidently one class and all classes appear.
 * - Fréchet distance on the evaluator's penultimate features: ||μ1-μ2||² + Tr(Σ1 + Σ2 - 2(Σ1Σ2)^½),
 *   FID (Heusel et al. 2017) with the evaluator in place of Inception. 0 for identical statistics.
 * - class histogram, classes present, KL(histogram || uniform): mode collapse in one table.
 * - label accuracy of a conditional generator: how often the evaluator reads the requested label.
 * - confident share: samples the evaluator classifies with probability above a threshold.
 * - nearest neighbours: each sample's closest training example, the memorisation check (03, 07, 08).
 * Toy 2D mode metrics live in toy.ts (`modeCoverage`).
 */
import * as tf from "@tensorflow/tfjs";
import type { Evaluator } from "./evaluator";

/** The classifier (Inception-style) score of class probabilities [N, K]: exp(mean KL(p(y|x) || p(y))). */
export function classifierScore(probabilities: tf.Tensor2D): number {
  return tf.tidy(() => {
    const eps = 1e-12;
    const p = tf.clipByValue(probabilities, eps, 1);
    const marginal = tf.mean(p, 0, true); // p(y), [1, K]
    const kl = tf.sum(tf.mul(p, tf.sub(tf.log(p), tf.log(marginal))), 1); // [N]
    return Math.exp(tf.mean(kl).dataSync()[0]);
  });
}

/** Counts of the most likely class of each row of probabilities [N, K]. */
export function classHistogram(probabilities: tf.Tensor2D): number[] {
  const k = probabilities.shape[1];
  const classes = tf.tidy(() => tf.argMax(probabilities, 1).dataSync());
  const counts = new Array(k).fill(0);
  for (const c of classes) counts[c]++;
  return counts;
}

/** KL(histogram || uniform) in nats: 0 when all classes are equally frequent, log K for one class only. */
export function klToUniform(counts: number[]): number {
  const total = counts.reduce((a, b) => a + b, 0);
  let kl = 0;
  for (const c of counts) if (c > 0) kl += (c / total) * Math.log((c / total) * counts.length);
  return kl;
}

/** Share of rows of probabilities [N, K] whose largest probability exceeds `threshold`. */
export function confidentShare(probabilities: tf.Tensor2D, threshold = 0.9): number {
  return tf.tidy(() => tf.mean(tf.cast(tf.greater(tf.max(probabilities, 1), threshold), "float32")).dataSync()[0]);
}

/** Share of predictions equal to the labels (chapter 02's classifier, and the one below). */
export function accuracy(labels: ArrayLike<number>, predictions: ArrayLike<number>): number {
  let right = 0;
  for (let i = 0; i < labels.length; i++) right += labels[i] === predictions[i] ? 1 : 0;
  return right / labels.length;
}

/** Share of samples whose evaluator class equals the requested label (conditional GANs). */
export function labelAccuracy(probabilities: tf.Tensor2D, requested: ArrayLike<number>): number {
  return accuracy(requested, tf.tidy(() => tf.argMax(probabilities, 1).dataSync()));
}

// ---------------------------------------------------------------------------------------------
// Fréchet distance

/** Mean [d] and covariance [d][d] (divided by n - 1) of features [n, d], in float64. */
export function meanAndCovariance(features: tf.Tensor2D): { mean: Float64Array; cov: Float64Array[] } {
  const [n, d] = features.shape;
  if (n < 2) throw new Error(`meanAndCovariance needs at least 2 samples; got ${n}`);
  const v = features.dataSync();
  const mean = new Float64Array(d);
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) mean[j] += v[i * d + j];
  for (let j = 0; j < d; j++) mean[j] /= n;
  const cov = Array.from({ length: d }, () => new Float64Array(d));
  const row = new Float64Array(d);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < d; j++) row[j] = v[i * d + j] - mean[j];
    for (let a = 0; a < d; a++) {
      const ra = row[a];
      if (ra === 0) continue;
      const ca = cov[a];
      for (let b = a; b < d; b++) ca[b] += ra * row[b];
    }
  }
  for (let a = 0; a < d; a++) {
    for (let b = a; b < d; b++) {
      cov[a][b] /= n - 1;
      cov[b][a] = cov[a][b];
    }
  }
  return { mean, cov };
}

/** Eigenvalues and eigenvectors (columns of `vectors`) of a symmetric matrix, by cyclic Jacobi rotations. */
export function symmetricEigen(matrix: Float64Array[]): { values: Float64Array; vectors: Float64Array[] } {
  const n = matrix.length;
  const a = matrix.map((r) => Float64Array.from(r));
  const v = Array.from({ length: n }, (_, i) => {
    const r = new Float64Array(n);
    r[i] = 1;
    return r;
  });
  for (let sweep = 0; sweep < 60; sweep++) {
    let off = 0;
    for (let p = 0; p < n; p++) for (let q = p + 1; q < n; q++) off += a[p][q] * a[p][q];
    if (off < 1e-22) break;
    for (let p = 0; p < n; p++) {
      for (let q = p + 1; q < n; q++) {
        const apq = a[p][q];
        if (Math.abs(apq) < 1e-300) continue;
        const theta = (a[q][q] - a[p][p]) / (2 * apq);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        for (let k = 0; k < n; k++) {
          const akp = a[k][p];
          const akq = a[k][q];
          a[k][p] = c * akp - s * akq;
          a[k][q] = s * akp + c * akq;
        }
        for (let k = 0; k < n; k++) {
          const apk = a[p][k];
          const aqk = a[q][k];
          a[p][k] = c * apk - s * aqk;
          a[q][k] = s * apk + c * aqk;
        }
        for (let k = 0; k < n; k++) {
          const vkp = v[k][p];
          const vkq = v[k][q];
          v[k][p] = c * vkp - s * vkq;
          v[k][q] = s * vkp + c * vkq;
        }
      }
    }
  }
  return { values: Float64Array.from(a, (r, i) => r[i]), vectors: v };
}

function matMul64(x: Float64Array[], y: Float64Array[]): Float64Array[] {
  const n = x.length;
  const m = y[0].length;
  const out = Array.from({ length: n }, () => new Float64Array(m));
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < y.length; k++) {
      const xik = x[i][k];
      if (xik === 0) continue;
      const yk = y[k];
      const oi = out[i];
      for (let j = 0; j < m; j++) oi[j] += xik * yk[j];
    }
  }
  return out;
}

/** The symmetric square root of a symmetric positive semi-definite matrix (negative eigenvalues clipped to 0). */
function sqrtPsd(matrix: Float64Array[]): Float64Array[] {
  const { values, vectors } = symmetricEigen(matrix);
  const n = matrix.length;
  const scaled = vectors.map((row) => row.map((x, j) => x * Math.sqrt(Math.max(0, values[j]))));
  const vt = Array.from({ length: n }, (_, i) => Float64Array.from(vectors, (row) => row[i]));
  return matMul64(scaled, vt);
}

/**
 * The Fréchet distance between Gaussians fitted to two feature sets [n, d]:
 * ||μ1 - μ2||² + Tr(Σ1) + Tr(Σ2) - 2 Tr((Σ1^½ Σ2 Σ1^½)^½). (Tr((Σ1Σ2)^½) computed through the
 * symmetric Σ1^½ Σ2 Σ1^½, which has the same eigenvalues.)
 */
export function frechetDistance(a: tf.Tensor2D, b: tf.Tensor2D): number {
  if (a.shape[1] !== b.shape[1]) throw new Error(`frechetDistance: feature sizes differ (${a.shape[1]} vs ${b.shape[1]})`);
  const s1 = meanAndCovariance(a);
  const s2 = meanAndCovariance(b);
  return frechetFromStats(s1, s2);
}

/** The Fréchet distance from precomputed means and covariances. */
export function frechetFromStats(s1: { mean: Float64Array; cov: Float64Array[] }, s2: { mean: Float64Array; cov: Float64Array[] }): number {
  const d = s1.mean.length;
  let meanTerm = 0;
  for (let j = 0; j < d; j++) meanTerm += (s1.mean[j] - s2.mean[j]) ** 2;
  let trace = 0;
  for (let j = 0; j < d; j++) trace += s1.cov[j][j] + s2.cov[j][j];
  const root1 = sqrtPsd(s1.cov);
  const middle = matMul64(matMul64(root1, s2.cov), root1);
  const { values } = symmetricEigen(middle);
  let traceSqrt = 0;
  for (const v of values) traceSqrt += Math.sqrt(Math.max(0, v));
  return Math.max(0, meanTerm + trace - 2 * traceSqrt);
}

// ---------------------------------------------------------------------------------------------
// reports

/** What the evaluator sees in a set of images. */
export interface SampleReport {
  count: number;
  classifierScore: number;
  /** Images per predicted class. */
  histogram: number[];
  classesPresent: number;
  klToUniform: number;
  /** Share classified with probability above 0.9. */
  confident: number;
  /** Fréchet distance of these images' features to the reference set's (when one was given). */
  frechet?: number;
}

/**
 * Scores images [N, 28, 28, 1] in [-1, 1] with an evaluator: classifier score, class histogram,
 * KL to uniform, confident share, and the Fréchet distance to `reference` features when given.
 */
export function evaluateImages(evaluator: Evaluator, images: tf.Tensor4D, reference?: { mean: Float64Array; cov: Float64Array[] }): SampleReport {
  const probabilities = evaluator.probabilities(images);
  const histogram = classHistogram(probabilities);
  const report: SampleReport = {
    count: images.shape[0],
    classifierScore: classifierScore(probabilities),
    histogram,
    classesPresent: histogram.filter((c) => c > 0).length,
    klToUniform: klToUniform(histogram),
    confident: confidentShare(probabilities),
  };
  probabilities.dispose();
  if (reference) {
    const features = evaluator.features(images);
    report.frechet = frechetFromStats(meanAndCovariance(features), reference);
    features.dispose();
  }
  return report;
}

/**
 * For each query [n, ...], the index of and Euclidean distance to its nearest example in `data`
 * [N, ...] (same trailing shape). Chapter 03 shows a generated digit beside its nearest training
 * digit: a GAN that memorised would reproduce them. Processes `data` in chunks.
 */
export function nearestNeighbors(queries: tf.Tensor, data: tf.Tensor, chunk = 5000): { indices: Int32Array; distances: Float32Array } {
  const n = queries.shape[0];
  const indices = new Int32Array(n);
  const distances = new Float32Array(n).fill(Infinity);
  const q = tf.tidy(() => queries.reshape([n, -1]));
  const qNorm = tf.tidy(() => tf.sum(tf.square(q), 1, true)); // [n, 1]
  for (let start = 0; start < data.shape[0]; start += chunk) {
    const size = Math.min(chunk, data.shape[0] - start);
    const [best, where] = tf.tidy(() => {
      const d = tf.reshape(tf.slice(data, start, size), [size, -1]);
      // |q - d|² = |q|² - 2 q·d + |d|²: one matMul for the whole chunk
      const dist = tf.add(tf.sub(qNorm, tf.mul(2, tf.matMul(q, d, false, true))), tf.transpose(tf.sum(tf.square(d), 1, true)));
      return [tf.min(dist, 1), tf.argMin(dist, 1)];
    });
    const b = best.dataSync();
    const w = where.dataSync();
    for (let i = 0; i < n; i++) {
      const dist = Math.sqrt(Math.max(0, b[i]));
      if (dist < distances[i]) [distances[i], indices[i]] = [dist, start + w[i]];
    }
    tf.dispose([best, where]);
  }
  tf.dispose([q, qNorm]);
  return { indices, distances };
}
