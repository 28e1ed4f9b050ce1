/**
 * Quality against training time (chapter 07's measures, taken while a GAN trains): what a learner
 * gets per CPU-minute. `npm run train` records a point at every checkpoint (`quality.json` in its
 * output folder), the shipped generators carry their curve in their manifests, and the chapters
 * plot it with `qualityFigure` (figures.ts).
 */
import * as tf from "@tensorflow/tfjs";
import type { Evaluator } from "./evaluator";
import { generate, type Gan } from "./gan";
import { sampleByClass, sampleNoise } from "./sampling";
import { classHistogram, classifierScore, confidentShare, labelAccuracy } from "./metrics";
import { modeCoverage, type Mixture } from "./toy";

/** One point of an image GAN's curve: its samples judged by the evaluator after `seconds` of training. */
export interface ImageQuality {
  kind: "image";
  step: number;
  /** Training seconds so far (across resumes), from the trainer's history. */
  seconds: number;
  samples: number;
  classifierScore: number;
  /** Share of samples the evaluator reads with p > 0.9. */
  confident: number;
  /** Each class's share of the samples (argmax of the evaluator), [classes]. */
  shares: number[];
  /** Conditional GANs: share of samples read as the class asked for. */
  labelAccuracy?: number;
}

/** One point of a toy GAN's curve: mode coverage of its samples (as VEEGAN and PacGAN measure it). */
export interface ToyQuality {
  kind: "toy";
  step: number;
  seconds: number;
  samples: number;
  /** Modes with at least one high-quality sample, of `totalModes`. */
  modes: number;
  totalModes: number;
  /** Share of samples within 3 std of a mode. */
  highQuality: number;
}

export type QualityPoint = ImageQuality | ToyQuality;

/**
 * Judges `count` samples of an image GAN (seeded noise; a conditional GAN is asked for each class in
 * turn) with `evaluator`. Samples are drawn in batches of 500 so 10,000 fit in memory comfortably.
 */
export function measureImageQuality(gan: Gan, evaluator: Evaluator, at: { step: number; seconds: number }, count = 2000, seed = 7): ImageQuality {
  if (!Number.isInteger(count) || count <= 0) throw new Error(`measureImageQuality: count must be a positive integer; got ${count}`);
  const parts: tf.Tensor2D[] = [];
  const requested: number[] = [];
  for (let start = 0, batch = 0; start < count; start += 500, batch++) {
    const n = Math.min(500, count - start);
    if (gan.classes) {
      const drawn = sampleByClass(gan, n, seed + batch);
      parts.push(evaluator.probabilities(drawn.samples as tf.Tensor4D));
      drawn.samples.dispose();
      requested.push(...drawn.requested);
    } else {
      const samples = tf.tidy(() => generate(gan, sampleNoise(n, gan.latentDim, seed + batch), undefined, false) as tf.Tensor4D);
      parts.push(evaluator.probabilities(samples));
      samples.dispose();
    }
  }
  const probabilities = tf.concat(parts) as tf.Tensor2D;
  tf.dispose(parts);
  const histogram = classHistogram(probabilities);
  const point: ImageQuality = {
    kind: "image",
    step: at.step,
    seconds: at.seconds,
    samples: count,
    classifierScore: classifierScore(probabilities),
    confident: confidentShare(probabilities),
    shares: histogram.map((c) => c / count),
  };
  if (gan.classes) point.labelAccuracy = labelAccuracy(probabilities, requested);
  probabilities.dispose();
  return point;
}

/** Mode coverage of `count` samples of a toy GAN on `mixture` (seeded noise). */
export function measureToyQuality(gan: Gan, mixture: Mixture, at: { step: number; seconds: number }, count = 2000, seed = 7): ToyQuality {
  const points = tf.tidy(() => generate(gan, sampleNoise(count, gan.latentDim, seed), undefined, false) as tf.Tensor2D);
  const report = modeCoverage(points, mixture);
  points.dispose();
  return { kind: "toy", step: at.step, seconds: at.seconds, samples: count, modes: report.modesCovered, totalModes: report.modes, highQuality: report.highQuality };
}

/** A target on a curve: a name, and a test of one point. */
export interface QualityTarget {
  name: string;
  met: (point: QualityPoint) => boolean;
}

/** The first point that meets `target`, or undefined: "the minute at which each target is first met". */
export function firstMet(points: QualityPoint[], target: QualityTarget): QualityPoint | undefined {
  return points.find((p) => target.met(p));
}

