// The two models `npm run bench` and `npm run profile` time (the TensorFlow DCGAN tutorial's and
// the course's, chapter 04's, each with its own Adam rate), and the trainer both time them in.
import type * as Ganbook from "../lib/src/index";

export const BENCH_MODELS = ["tf-tutorial", "course"] as const;
export type BenchModel = (typeof BENCH_MODELS)[number];

/** A fresh GAN of `model` (seeded as the library's builders are) and its learning rate. */
export function buildBenchGan(gb: typeof Ganbook, model: BenchModel): { gan: Ganbook.Gan; learningRate: number } {
  return model === "tf-tutorial"
    ? { gan: { generator: gb.buildTfTutorialGenerator(), discriminator: gb.buildTfTutorialDiscriminator(), latentDim: 100 }, learningRate: 1e-4 }
    : { gan: { generator: gb.buildDcganGenerator(), discriminator: gb.buildDcganDiscriminator(), latentDim: 64 }, learningRate: 2e-4 };
}

/**
 * A seeded trainer of a fresh `model` on random 28x28 images (four batches' worth; `dispose()` the
 * trainer and the data after). No NaN guard: the step alone (the guard copies every weight each step).
 */
export function buildBenchTrainer(gb: typeof Ganbook, model: BenchModel, batchSize: number, threads: number): { trainer: Ganbook.GanTrainer; data: Ganbook.tf.Tensor } {
  const { gan, learningRate } = buildBenchGan(gb, model);
  const data = gb.tf.randomUniform([batchSize * 4, 28, 28, 1], -1, 1, "float32", 2);
  const trainer = new gb.GanTrainer({ gan, data, batchSize, seed: 3, threads, guardNonFinite: false, dOptimizer: { learningRate }, gOptimizer: { learningRate } });
  return { trainer, data };
}

/** The middle of `xs` (the mean of the two middle values for an even count). */
export function median(xs: number[]): number {
  const sorted = [...xs].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}
