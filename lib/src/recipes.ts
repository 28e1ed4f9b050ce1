/**
 * The course's training settings, shared by the chapters and by `npm run results` (which checks the
 * chapters' full-mode numbers): each recipe builds the models and the trainer options one chapter
 * uses, so a notebook and the results script train exactly the same thing.
 */
import * as tf from "@tensorflow/tfjs";
import type { Gan } from "./gan";
import { type DcganSize, buildAcganDiscriminator, buildConditionalDiscriminator, buildConditionalGenerator, buildDcganDiscriminator, buildDcganGenerator, buildMlpDiscriminator, buildMlpGenerator } from "./models";
import { mixture1d, ring8, sampleMixture, type Mixture } from "./toy";
import type { TrainerOptions } from "./trainer-options";

/** A GAN, its data and its trainer options. */
export interface Recipe {
  gan: Gan;
  options: Omit<TrainerOptions, "gan" | "data">;
  /** Generator steps of a full run (a chapter's quick mode uses fewer). */
  steps: number;
}

/** Chapter 03, 1D: two Gaussians at -2 and +2 (std 0.4); small MLPs, Adam 1e-3. */
export const MIXTURE_1D: Mixture = mixture1d([-2, 2], 0.4);

/** An MLP GAN on toy points of `dims` dimensions: the shape of chapter 03's 1D and 2D recipes. */
function toyRecipe(o: { seed: number; dims: number; latentDim: number; hidden: number[]; batchSize: number; learningRate: number; steps: number }): Recipe {
  return {
    gan: {
      generator: buildMlpGenerator({ latentDim: o.latentDim, dataShape: [o.dims], hidden: o.hidden, seed: o.seed + 1 }),
      discriminator: buildMlpDiscriminator({ dataShape: [o.dims], hidden: o.hidden, seed: o.seed + 2 }),
      latentDim: o.latentDim,
    },
    options: { batchSize: o.batchSize, seed: o.seed, dOptimizer: { learningRate: o.learningRate }, gOptimizer: { learningRate: o.learningRate } },
    steps: o.steps,
  };
}

export function vanilla1d(seed = 0): Recipe {
  return toyRecipe({ seed, dims: 1, latentDim: 4, hidden: [32, 32], batchSize: 128, learningRate: 1e-3, steps: 1500 });
}

/**
 * Chapter 03, 2D: the ring of 8 Gaussians (radius 2, std 0.02); MLPs of 2 x 128 LeakyReLU units,
 * latent size 8, batch 256, Adam 5e-4 (beta1 0.5). Seeded runs cover all 8 modes in 2,500 steps.
 */
export function vanillaRing(seed = 0): Recipe {
  return toyRecipe({ seed, dims: 2, latentDim: 8, hidden: [128, 128], batchSize: 256, learningRate: 5e-4, steps: 2500 });
}

/** 10,000 samples of a mixture, seeded (the real data of the toy chapters). */
export function toyData(mix: Mixture, seed = 0, n = 10_000): tf.Tensor2D {
  return sampleMixture(mix, n, seed).points;
}

export const RING = ring8();

/**
 * Chapter 03, MNIST: the original GAN paper's setting, MLPs (G: 64 -> 256 -> 512 -> 784 tanh, with
 * batch norm, which roughly triples how many samples the evaluator can read after 1,000 steps;
 * D: 784 -> 512 -> 256 -> 1, LeakyReLU), batch 64, Adam 1e-3 (beta1 0.5) for both, a tenth of that for
 * the last fifth of the run. Measured after 1,000 steps (seed 0): 44% of samples read with p > 0.9
 * at 1e-3 with the drop, 32% at 5e-4, 23% at 2e-4 (the DCGAN paper's rate, too slow for 1,000 steps);
 * 51% after 1,600. 1,400 steps keep chapter 03 within its 5 minutes. Samples come from the moving
 * average of G's weights (decay 0.999): 49.4% read with p > 0.9 after 1,400 steps against 44.9% from
 * G itself (seed 0, 2,000 samples).
 */
export function vanillaMnist(seed = 0, steps = 1400): Recipe {
  const latentDim = 64;
  const adam = { learningRate: 1e-3, beta1: 0.5 };
  return {
    gan: {
      generator: buildMlpGenerator({ latentDim, dataShape: [28, 28, 1], hidden: [256, 512], outputActivation: "tanh", batchNorm: true, seed: seed + 1 }),
      discriminator: buildMlpDiscriminator({ dataShape: [28, 28, 1], hidden: [512, 256], seed: seed + 2 }),
      latentDim,
    },
    options: { batchSize: 64, seed, dOptimizer: adam, gOptimizer: adam, learningRateDrops: [{ step: Math.round(steps * 0.8), factor: 0.1 }], generatorAverage: 0.999 },
    steps,
  };
}

/** The DCGAN paper's optimizer for both players: Adam 2e-4 with beta1 0.5. */
const DCGAN_ADAM = { learningRate: 2e-4, beta1: 0.5 };

/**
 * Chapter 04: the course's DCGAN (models.ts: buildDcganGenerator / buildDcganDiscriminator) on 28x28
 * images, latent 64, width 64, batch 64, Adam 2e-4 with beta1 0.5 (the DCGAN paper's settings).
 * 400 steps by default (chapter 04 runs 600, which fit its 5 minutes on two cores). `image` gives another size (32 or 64)
 * and channels (3 for colour): the same recipe for your own images (`loadImageFolder`).
 */
export function dcgan(seed = 0, steps = 400, image: { size?: DcganSize; channels?: number } = {}): Recipe {
  const latentDim = 64;
  const { size = 28, channels = 1 } = image;
  return {
    gan: {
      generator: buildDcganGenerator({ latentDim, width: 64, seed: seed + 1, size, channels }),
      discriminator: buildDcganDiscriminator({ width: 64, seed: seed + 2, size, channels }),
      latentDim,
    },
    options: { batchSize: 64, seed, dOptimizer: DCGAN_ADAM, gOptimizer: DCGAN_ADAM },
    steps,
  };
}

/**
 * The long run of chapter 04's DCGAN, for the generator that ships with the course: {@link dcgan}'s
 * models, batch and optimizer, sampled from a moving average of G's weights (decay 0.999, as the
 * MLP GAN's), with both learning rates dropped to a tenth for the last fifth of the run so the
 * players settle. 12,000 steps: about an hour on a 2-core CPU with both cores in every step.
 */
export function dcganLong(seed = 0, steps = 12_000, image: { size?: DcganSize; channels?: number } = {}): Recipe {
  const recipe = dcgan(seed, steps, image);
  recipe.options = { ...recipe.options, generatorAverage: 0.999, learningRateDrops: [{ step: Math.round(steps * 0.8), factor: 0.1 }] };
  return recipe;
}

/**
 * Chapter 06's two designs share this: the conditional generator (one-hot label joined to z), the
 * given discriminator, and {@link dcgan}'s width, batch and optimizer.
 */
function conditionalRecipe(seed: number, steps: number, discriminator: tf.LayersModel): Recipe {
  const latentDim = 64;
  return {
    gan: { generator: buildConditionalGenerator({ latentDim, width: 64, seed: seed + 1 }), discriminator, latentDim, classes: 10 },
    options: { batchSize: 64, seed, dOptimizer: DCGAN_ADAM, gOptimizer: DCGAN_ADAM },
    steps,
  };
}

/**
 * Chapter 06: a conditional DCGAN (one-hot label joined to z; tiled as channels for D), else as
 * {@link dcgan}. 320 steps: what fits chapter 06's 5 minutes beside its Fashion-MNIST run.
 */
export function conditionalDcgan(seed = 0, steps = 320): Recipe {
  return conditionalRecipe(seed, steps, buildConditionalDiscriminator({ width: 64, seed: seed + 2 }));
}

/**
 * Chapter 06: an ACGAN (Odena et al. 2017): the conditional generator of {@link conditionalDcgan}, and
 * a discriminator that sees the image alone and also names its class ([N, 1 + 10] outputs). G is
 * trained to make samples D classifies as the digit asked for, so the label takes hold from the first
 * steps instead of after D learns to use it. Else as {@link dcgan}, with both learning rates a tenth
 * after 5/8 of the steps: label accuracy peaks early (98% at step 200, seed 0) and drifts down at
 * the full rate (82% at 400), while at the lower rate it holds.
 */
export function acgan(seed = 0, steps = 320): Recipe {
  const recipe = conditionalRecipe(seed, steps, buildAcganDiscriminator({ width: 64, seed: seed + 2 }));
  return {
    ...recipe,
    gan: { ...recipe.gan, auxiliaryClassifier: true },
    options: { ...recipe.options, learningRateDrops: [{ step: Math.round((steps * 5) / 8), factor: 0.1 }] },
  };
}
