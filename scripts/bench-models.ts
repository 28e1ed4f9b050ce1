// The models `npm run bench` and `npm run profile` time: the TensorFlow DCGAN tutorial's and the
// course's DCGAN (the two, each with its own Adam rate), and, on request, the DCGAN chapter
// 04 trains live (`dcganLive`: deeper, with its recipe's loss, averaged G and NaN guard), with the
// trainer each is timed in.
import type * as Ganbook from "../lib/src/index";

export const BENCH_MODELS = ["tf-tutorial", "course", "chapter-04"] as const;
export type BenchModel = (typeof BENCH_MODELS)[number];
/** What `npm run bench` times unless `--models` says otherwise (chapter-04 adds a third of its time). */
export const DEFAULT_BENCH_MODELS: BenchModel[] = ["tf-tutorial", "course"];

/**
 * A fresh GAN of `model` (seeded as the library's builders are) and the trainer options it is timed
 * with: its own Adam rate and no NaN guard for the issue's two models (the step alone: the guard
 * copies every weight each step); chapter 04's recipe (loss, averaged G, guard) for chapter-04.
 */
export function buildBenchGan(gb: typeof Ganbook, model: BenchModel): { gan: Ganbook.Gan; options: Partial<Ganbook.TrainerOptions> } {
  if (model === "chapter-04") return gb.dcganLive(0, 1);
  const adam = (learningRate: number) => ({ guardNonFinite: false, dOptimizer: { learningRate }, gOptimizer: { learningRate } });
  return model === "tf-tutorial"
    ? { gan: { generator: gb.buildTfTutorialGenerator(), discriminator: gb.buildTfTutorialDiscriminator(), latentDim: 100 }, options: adam(1e-4) }
    : { gan: { generator: gb.buildDcganGenerator(), discriminator: gb.buildDcganDiscriminator(), latentDim: 64 }, options: adam(2e-4) };
}

/**
 * A seeded trainer of a fresh `model` on random 28x28 images (four batches' worth, or MNIST's
 * 60,000 for chapter-04, whose step shuffles them); `dispose()` the trainer and the data after.
 */
export function buildBenchTrainer(gb: typeof Ganbook, model: BenchModel, batchSize: number, threads: number): { trainer: Ganbook.GanTrainer; data: Ganbook.tf.Tensor } {
  const { gan, options } = buildBenchGan(gb, model);
  const data = gb.tf.randomUniform([model === "chapter-04" ? 60_000 : batchSize * 4, 28, 28, 1], -1, 1, "float32", 2);
  const trainer = new gb.GanTrainer({ gan, data, ...options, batchSize, seed: 3, threads });
  return { trainer, data };
}

/** The middle of `xs` (the mean of the two middle values for an even count). */
export function median(xs: number[]): number {
  const sorted = [...xs].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}
