// The two models `npm run bench` and `npm run profile` time: the TensorFlow DCGAN tutorial's and
// the course's (chapter 04's), each with its own Adam rate.
import type * as Ganbook from "../lib/src/index";

export const BENCH_MODELS = ["tf-tutorial", "course"] as const;
export type BenchModel = (typeof BENCH_MODELS)[number];

/** A fresh GAN of `model` (seeded as the library's builders are) and its learning rate. */
export function buildBenchGan(gb: typeof Ganbook, model: BenchModel): { gan: Ganbook.Gan; learningRate: number } {
  return model === "tf-tutorial"
    ? { gan: { generator: gb.buildTfTutorialGenerator(), discriminator: gb.buildTfTutorialDiscriminator(), latentDim: 100 }, learningRate: 1e-4 }
    : { gan: { generator: gb.buildDcganGenerator(), discriminator: gb.buildDcganDiscriminator(), latentDim: 64 }, learningRate: 2e-4 };
}
