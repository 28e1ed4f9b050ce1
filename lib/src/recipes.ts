/**
 * The course's training settings, shared by the chapters and by `npm run results` (which checks the
 * chapters' full-mode numbers): each recipe builds the models and the trainer options one chapter
 * uses, so a notebook and the results script train exactly the same thing.
 */
import * as tf from "@tensorflow/tfjs";
import { appendMinibatchStd, packSamples, type Gan, type GanLoss } from "./gan";
import { type DcganSize, buildAcganDiscriminator, buildConditionalDiscriminator, buildConditionalGenerator, buildDcganDiscriminator, buildDcganGenerator, buildMlpDiscriminator, buildMlpGenerator } from "./models";
import { mixture1d, toyMixture, type Mixture, type ToyMixtureName } from "./toy";
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

/**
 * Both learning rates a tenth from `share` of a run of `steps` generator steps on (e.g. 0.8: the last
 * fifth); no drop when `share` is undefined or null. What every recipe's `learningRateDrops` holds.
 */
function dropToATenth(steps: number, share: number | null | undefined): { step: number; factor: number }[] {
  return share === undefined || share === null ? [] : [{ step: Math.round(steps * share), factor: 0.1 }];
}

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

/**
 * Chapter 03, MNIST: the original GAN paper's setting, MLPs (G: 64 -> 256 -> 512 -> 784 tanh, with
 * batch norm, which roughly triples how many samples the evaluator can read after 1,000 steps;
 * D: 784 -> 512 -> 256 -> 1, LeakyReLU), batch 64, Adam 1e-3 (beta1 0.5) for both. Measured after
 * 1,000 steps (seed 0): 44% of samples read with p > 0.9 at 1e-3, 32% at 5e-4, 23% at 2e-4 (the
 * DCGAN paper's rate, too slow for 1,000 steps). Samples come from the moving average of G's weights
 * (decay 0.999): 49.4% read with p > 0.9 after 1,400 steps against 44.9% from G itself. 2,000 steps
 * (about 145 s on one core of the 2-core machine, 14 steps a second) keep chapter 03 within its 5
 * minutes, at the full rate to the end: with a tenth of the rate for the last fifth, as the long run
 * has, the same 2,000 steps read 59.5% against 65.3% without it (seed 0, 2,000 samples; the drop
 * stops G while it is still improving).
 */
export function vanillaMnist(seed = 0, steps = 2000): Recipe {
  return mlpMnist(seed, steps, [256, 512]);
}

/**
 * A wider MLP GAN for the long run: {@link vanillaMnist}'s D, optimizer and averaged G, with G's
 * hidden layers 256 -> 512 -> 1024 (batch norm) instead of 256 -> 512, as in common PyTorch MLP
 * GANs (about 2.7x G's multiply-adds per sample), and both rates a tenth for the last fifth of the
 * run; the shipped `mlp-mnist`. The course's MLP GAN with the same drop levels off at 77.5-78.4%
 * read with p > 0.9 from step 5,600 to 10,000 (seed 0); this one is about 3 points ahead at every
 * checkpoint and ends at 81.6% (10,000 steps, 51 minutes on one thread beside other runs, 2,000
 * samples).
 */
export function vanillaMnistWide(seed = 0, steps = 10_000): Recipe {
  return mlpMnist(seed, steps, [256, 512, 1024], 0.8);
}

/** Chapter 03's MLP GAN on MNIST with G's hidden layers `generatorHidden`, and both rates a tenth from `dropAt` of the run on, if given. */
function mlpMnist(seed: number, steps: number, generatorHidden: number[], dropAt?: number): Recipe {
  const latentDim = 64;
  const adam = { learningRate: 1e-3, beta1: 0.5 };
  return {
    gan: {
      generator: buildMlpGenerator({ latentDim, dataShape: [28, 28, 1], hidden: generatorHidden, outputActivation: "tanh", batchNorm: true, seed: seed + 1 }),
      discriminator: buildMlpDiscriminator({ dataShape: [28, 28, 1], hidden: [512, 256], seed: seed + 2 }),
      latentDim,
    },
    options: {
      batchSize: 64,
      seed,
      dOptimizer: adam,
      gOptimizer: adam,
      learningRateDrops: dropToATenth(steps, dropAt),
      generatorAverage: 0.999,
    },
    steps,
  };
}

/** The DCGAN paper's optimizer for both players: Adam 2e-4 with beta1 0.5. */
const DCGAN_ADAM = { learningRate: 2e-4, beta1: 0.5 };

/**
 * The course's shallow DCGAN (models.ts: buildDcganGenerator / buildDcganDiscriminator) on 28x28
 * images, latent 64, width 64, batch 64, Adam 2e-4 with beta1 0.5 (the DCGAN paper's settings), 400
 * steps by default. Chapter 04 trained it until {@link dcganLive} replaced it there: about 45% of
 * samples read with p > 0.9 (classifier score 4.3-4.6) from step 400 to 1,000. `image` gives another
 * size (32 or 64) and channels (3 for colour): chapter 08's recipe for your own images
 * (`loadImageFolder`), where the shallow networks keep a 32x32 colour run within its minutes.
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
 * The long run of chapter 04's DCGAN: {@link dcgan}'s models, batch and optimizer, sampled from a
 * moving average of G's weights (decay 0.999, as the MLP GAN's), with both learning rates dropped
 * to a tenth for the last fifth of the run so the players settle. 12,000 steps: about an hour on a
 * 2-core CPU with both cores in every step. It made the shipped `dcgan-fashion` until
 * {@link dcganDeep} replaced it (score 5.36 against 6.31 on 10,000 samples).
 */
export function dcganLong(seed = 0, steps = 12_000, image: { size?: DcganSize; channels?: number } = {}): Recipe {
  const recipe = dcgan(seed, steps, image);
  recipe.options = { ...recipe.options, generatorAverage: 0.999, learningRateDrops: dropToATenth(steps, 0.8) };
  return recipe;
}

/**
 * A wider DCGAN for the long run: {@link dcganLong}'s schedule (averaged
 * G, both rates a tenth for the last fifth) with both networks twice as wide (G's 7x7 layer 128
 * feature maps, D's 64 and 128: 3.8x the course model's multiply-adds per sample, by forwardFlops)
 * and Adam at 5e-4. The course model's score levels off at 6.8-7.0 however long it trains (README:
 * 12,000 steps here, 5,000 in PyTorch); this one passed 6.85 by step 3,200 and ended at 7.17 after
 * 8,000 (seed 0, 2,000 samples), 69.7% read with p > 0.9: better, still short of the targets.
 * It shipped as `dcgan-mnist` until {@link dcganDeep} replaced it.
 */
export function dcganWide(seed = 0, steps = 8_000): Recipe {
  return longDcgan(seed, steps, { width: 128 });
}

/**
 * A deeper DCGAN for the long run, the shipped `dcgan-mnist` until {@link dcganLiveLong} replaced
 * it (and `dcgan-fashion` until {@link dcganDeepWideG} replaced it):
 * {@link dcganWide}'s optimizer and schedule on chapter 04's width (64), with a 3x3 stride-1
 * convolution after every resolution change in both networks (`refine`): depth where the wide
 * model had width, at about 0.8x its multiply-adds per sample. Seed 0, 8,000 steps on two threads
 * (2,000 samples): score 7.13 after 18 minutes (the wide model's final score took 104), 8.0-8.1
 * from minute 53 on, 8.14 and 79.5% read with p > 0.9 at the end: near the targets (80%, score
 * 8.79), not at them. With `loss` "least-squares" (`dcgan-deep-ls`) it is ahead until step 2,000,
 * then level: 82.2% read but score 8.06 and the 6s at 4.1% of 10,000 samples (README).
 */
export function dcganDeep(seed = 0, steps = 8_000, loss: GanLoss = "non-saturating"): Recipe {
  return longDcgan(seed, steps, { width: 64, refine: true }, { loss });
}

/**
 * {@link dcganDeep} with G half as wide again (width 96: 2.2x G's multiply-adds, D unchanged), for
 * the long run: the wider MLP generator bought the MLP GAN's last points (`vanillaMnistWide`).
 * About 1.4x the deep model's step, so 6,000 steps (the deep model levelled off by 4,800). On MNIST
 * (seed 0, 5,000 steps) it ended level with the deep model, not past it: 78.4% read with p > 0.9,
 * score 8.06 (the deep model 79.4%, 8.19), so it was not shipped. On Fashion-MNIST it is the
 * shipped `dcgan-fashion` (seed 1, 5,000 steps, one thread): classifier score 6.46, 80.1% of real
 * images', on 10,000 samples; seed 0 (31 minutes on two threads) scored 6.40, 79.4% (the deep
 * model 6.31 after 8,000 steps), and reached the deep model's best by step 3,000. With `loss`
 * "least-squares" on Fashion-MNIST it was 0.4-1.0 of score ahead to step 3,000 (6.49), and fell to
 * 6.30 after the drop at 3,200 (README).
 */
export function dcganDeepWideG(seed = 0, steps = 6_000, loss: GanLoss = "non-saturating"): Recipe {
  return longDcgan(seed, steps, { width: 64, refine: true, generatorWidth: 96 }, { loss });
}

/**
 * Chapter 04's MNIST run: {@link dcganDeep}'s network (the deeper DCGAN with `refine`) and averaged
 * G, with the least-squares loss, Adam 1e-3 for both players and no learning-rate drop, for 600
 * steps (about 180 s on the 2-core machine's two threads). Measured at 600 steps on two threads
 * (seed 0, 2,000 samples of the averaged G): 64.6% read with p > 0.9, score 6.85, the rarest digit
 * 5.9% (on 10,000 samples, `npm run results`: 63.8%, score 6.90); at Adam 5e-4, 59.9%, score
 * 6.36, the rarest digit 4.0%; at 5e-4 with the long runs' drop for the last fifth, 55.5% and 5.90
 * (10,000 samples): the drop stops G while it is still improving, as in chapter 03. At 700 steps on one thread (Adam 5e-4, with the drop) the
 * least-squares deep model read 59.8% (score 6.44), the same with the non-saturating loss 54.2%
 * (score 4.67, the rarest digit 0.7%). Chapter 04's former recipe, {@link dcgan}'s shallower
 * networks at Adam 2e-4 with no average, read about 45% (score 4.4) from step 400 to 1,000
 * (README). The least-squares loss is fastest early (its long run, `dcgan-deep-ls`, levelled off
 * where the non-saturating one did), which is what a 5-minute chapter needs. A recipe for minutes,
 * not hours: trained on (seed 0, two threads, 2,000 samples
 * every 500 steps) it reached score 7.61 and 72% read at step 1,000, 8.02 and 80.5% at 3,000 (the
 * 6s at 4.3%), then collapsed by step 3,500 (score 3.71, the 1s at 0.1%, the 5s at 31%): at Adam
 * 1e-3 with no drop the game does not settle. For long runs, {@link dcganLiveLong}.
 */
export function dcganLive(seed = 0, steps = 600): Recipe {
  return longDcgan(seed, steps, { width: 64, refine: true }, { ...LIVE_TRAINING, dropAt: null });
}

/** What chapter 04's live run changes in the long runs' training: the least-squares loss and Adam 1e-3. */
const LIVE_TRAINING = { loss: "least-squares", learningRate: 1e-3 } as const;

/**
 * The long-run DCGANs' shared settings: Adam at `learningRate` (5e-4 by default, beta1 0.5) for both
 * players, averaged G, both rates a tenth from `dropAt` of the run on (the last fifth by default;
 * null: no drop), the non-saturating loss unless `loss` says otherwise.
 */
function longDcgan(
  seed: number,
  steps: number,
  shape: { width: number; refine?: boolean; generatorWidth?: number; infoCode?: Gan["infoCode"] },
  { loss = "non-saturating", dropAt = 0.8, learningRate = 5e-4 }: { loss?: GanLoss; dropAt?: number | null; learningRate?: number } = {},
): Recipe {
  const latentDim = 64;
  const adam = { learningRate, beta1: 0.5 };
  const { generatorWidth = shape.width, width, refine, infoCode } = shape;
  const codes = infoCode?.codes;
  return {
    gan: {
      generator: buildDcganGenerator({ latentDim, width: generatorWidth, refine, latentCodes: codes, seed: seed + 1 }),
      discriminator: buildDcganDiscriminator({ width, refine, outputs: 1 + (codes ?? 0), seed: seed + 2 }),
      latentDim,
      ...(infoCode ? { infoCode } : {}),
    },
    options: { batchSize: 64, seed, loss, dOptimizer: adam, gOptimizer: adam, generatorAverage: 0.999, learningRateDrops: dropToATenth(steps, dropAt) },
    steps,
  };
}

/**
 * Chapter 04's live recipe ({@link dcganLive}) trained longer: the same networks, loss, Adam 1e-3
 * and averaged G, with both rates a tenth for the last fifth of the run so the game settles instead
 * of collapsing (without the drop, `dcganLive` collapsed after step 3,000). 3,000 steps by default.
 * The shipped `dcgan-mnist` until session 16 (seed 0, one thread, 30 minutes beside another run; 2,000 samples per
 * checkpoint): score 7.02, 7.74, 8.06, 8.09, 8.15, 8.11 at steps 500 to 3,000, 65.0% to 80.8% read
 * with p > 0.9; on 10,000 samples 80.7% read, digits 5.3-13.0%, score 8.11 (83% of real). Seed 1
 * read 81.3% with score 8.08, but drew the 6s at 3.8%: the 6s are this recipe's weak digit.
 * `generatorWidth` 96 makes G half as wide again, as {@link dcganDeepWideG}: a trial that was level
 * with the narrow G to step 1,500 and collapsed before its drop (score 3.06 at step 2,000; README).
 * At Adam 1e-3 the game runs close to the edge of stability.
 */
export function dcganLiveLong(seed = 0, steps = 3_000, generatorWidth = 64): Recipe {
  return longDcgan(seed, steps, { width: 64, refine: true, generatorWidth }, LIVE_TRAINING);
}

/**
 * {@link dcganLiveLong} as an InfoGAN (Chen et al. 2016): G's first noise number picks one of
 * `codes` equally likely codes, D has `codes` more outputs, and both players add `weight` times the
 * cross-entropy of D reading the code from G's samples (`gan.infoCode`). An unconditional G thus
 * learns a discrete choice (for digits, mostly which digit) and a continuous style, instead of
 * passing its samples through ambiguous shapes between digits. Chen et al. weight a discrete
 * code's loss 1; beside the least-squares loss (about 0.25 per sample) 1 slowed the first 1,000
 * steps (score 6.55 against 7.7), 0.2 did not. Seed 0, one thread, 2,000 samples per checkpoint:
 * with 10 codes, score 8.43 at step 2,000 against 8.09 without the code, 9.09 and 96.9% read after
 * 5,000 steps, but two codes draw 1s (21% of samples); with 20 codes the digits' shares stay within
 * 5-16%, and 5,000 steps of it (`--steps 5000`, the drop at 4,000) are the shipped `dcgan-mnist`:
 * on 10,000 samples 92.4% read, digits 6.3-14.5%, score 9.09 (93% of real), every target met
 * (README, "What the long runs showed").
 */
export function dcganLiveInfo(seed = 0, steps = 3_000, codes = 10, weight = 0.2): Recipe {
  return longDcgan(seed, steps, { width: 64, refine: true, infoCode: { codes, weight } }, LIVE_TRAINING);
}

/**
 * Chapter 06's two designs share this: the conditional generator (one-hot label joined to z), the
 * given discriminator, and {@link dcgan}'s width, batch and optimizer.
 */
function conditionalRecipe(seed: number, steps: number, discriminator: tf.LayersModel, refine = false): Recipe {
  const latentDim = 64;
  return {
    gan: { generator: buildConditionalGenerator({ latentDim, width: 64, refine, seed: seed + 1 }), discriminator, latentDim, classes: 10 },
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
    options: { ...recipe.options, learningRateDrops: dropToATenth(steps, 5 / 8) },
  };
}

/**
 * A deeper ACGAN for the long run: {@link acgan} with a 3x3 stride-1 convolution after every
 * resolution change in both networks (`refine`, as {@link dcganDeep}) and samples from a moving
 * average of G's weights (decay 0.999). `learningRate` is both players' Adam rate (beta1 0.5),
 * a tenth of it after 5/8 of the steps as in {@link acgan}. At 5e-4 (seed 0, 3,000 steps, one
 * thread: 64 minutes), the shipped `acgan-mnist`: label accuracy 98.3% by step 1,250 and 99.7% at
 * the end, 98.7% read with p > 0.9, with no drift; at 2e-4 it reached 80% by step 750 and was stopped.
 */
export function acganDeep(seed = 0, steps = 3_000, learningRate = 2e-4): Recipe {
  const recipe = conditionalRecipe(seed, steps, buildAcganDiscriminator({ width: 64, refine: true, seed: seed + 2 }), true);
  const adam = { learningRate, beta1: 0.5 };
  return {
    ...recipe,
    gan: { ...recipe.gan, auxiliaryClassifier: true },
    options: { ...recipe.options, dOptimizer: adam, gOptimizer: adam, generatorAverage: 0.999, learningRateDrops: dropToATenth(steps, 5 / 8) },
  };
}

// Chapter 05: mode collapse and its fixes on the toy mixtures.

/** The plain GAN and the fixes chapter 05 compares. */
export const COLLAPSE_METHODS = ["vanilla", "minibatch-std", "unrolled", "pacgan", "wgan-gp"] as const;
export type CollapseMethod = (typeof COLLAPSE_METHODS)[number];

/** What each method changes, in a sentence (the chapter's table uses these). */
export const COLLAPSE_METHOD_NOTES: Record<CollapseMethod, string> = {
  vanilla: "plain GAN, non-saturating loss",
  "minibatch-std": "D also sees the batch's standard deviation (minibatch discrimination, Salimans et al. 2016; Karras et al. 2018)",
  unrolled: "G is updated against D looking 5 updates ahead (Metz et al. 2016, first-order)",
  pacgan: "D judges 2 samples at once on the ring, 4 on the grid (Lin et al. 2018)",
  "wgan-gp": "Wasserstein critic with gradient penalty 10, 5 critic steps (Gulrajani et al. 2017)",
};

/**
 * One of chapter 05's GANs: a mixture, a method, a seed, and optionally its steps and setting
 * (collapse.ts's `CollapseJob` adds what to record while it trains).
 */
export interface CollapseSpec {
  mixture: ToyMixtureName;
  method: CollapseMethod;
  seed: number;
  /** Generator steps. Default: the setting's. */
  steps?: number;
  /**
   * The setting: {@link COLLAPSE_SETTING} (default), changed by these fields, e.g. `QUALITY_SETTING`
   * or `{ latentDim: 8 }` (an exercise: does a narrow latent still collapse?).
   */
  setting?: Partial<CollapseSetting>;
}

/** A spec's generator steps: its own, else its setting's. */
export function collapseSteps(spec: CollapseSpec): number {
  return spec.steps ?? spec.setting?.steps ?? COLLAPSE_SETTING.steps;
}

export interface CollapseSetting {
  latentDim: number;
  /** The generator's hidden layers. */
  hidden: number[];
  /** The discriminator's hidden layers. */
  discriminatorHidden: number[];
  batchSize: number;
  learningRate: number;
  /** The generator's learning rate when it differs from the discriminator's. */
  generatorLearningRate?: number;
  steps: number;
  /** From this share of the run on, both learning rates are a tenth (undefined: no drop). */
  dropAt?: number;
  /** Samples measured (VEEGAN and PacGAN report coverage of 2,500 samples). */
  samples: number;
  /** Decay of the generator's moving average, sampled and measured instead of G (undefined: G itself). */
  generatorAverage?: number;
}

/**
 * The collapse setting, after Metz et al. 2016's toy experiment (scaled to run in seconds): a wide
 * latent (256), G with 2 x 128 LeakyReLU units, D with one layer of 128, batch 256, Adam 1e-4 with
 * beta1 0.5. A smooth map of 256 Gaussian numbers is close to one blob, and splitting it into modes
 * is slow: the plain GAN covers a few of the ring's modes and hops between them, on every seed tried
 * (0, 1, 2). The fixes, with nothing else changed, cover more.
 */
export const COLLAPSE_SETTING: CollapseSetting = {
  latentDim: 256,
  hidden: [128, 128],
  discriminatorHidden: [128],
  batchSize: 256,
  learningRate: 1e-4,
  steps: 1000,
  samples: 2500,
};

/**
 * The quality setting, where a GAN can place its samples precisely: latent 8, G and D of 2 x 128
 * units, batch 256, Adam 1e-3 dropping to 1e-4 for the last 30% (a GAN's samples jitter around the
 * modes while both players take large steps), 6,000 steps. Longer runs are more precise: PacGAN2 on
 * the ring, seed 0, put 66% of its samples within 3 std of a mode after 3,000 steps, 76.5% after
 * 6,000 (78.7% and 78.0% on seeds 1 and 2) and 81% (seed 2) after 8,000, which would not fit
 * chapter 05's 5 minutes. The misses lie between modes, where rejection sampling drops them.
 */
export const QUALITY_SETTING: CollapseSetting = {
  latentDim: 8,
  hidden: [128, 128],
  discriminatorHidden: [128, 128],
  batchSize: 256,
  learningRate: 1e-3,
  steps: 6000,
  dropAt: 0.7,
  samples: 2500,
};

/**
 * Steps of the grid's runs in the quality setting: 3,000, not 6,000, to keep chapter 05 within its 5
 * minutes. The 2 x 128 networks do not resolve the grid's 25 narrow modes either way: PacGAN4, seed
 * 0, put 2.0% of its samples on a mode after 3,000 steps and 2.4% after 6,000 (D 2 x 512: 2.3%).
 */
export const QUALITY_GRID_STEPS = 3000;

/**
 * Larger networks for the toy mixtures' long runs (the shipped `ring`): G with 4 x 400
 * units and D with 3 x 200, the sizes of PacGAN's 2D experiments (Lin et al. 2018, whose D uses
 * maxout units where these use LeakyReLU). A G with more units can make the passage between two
 * modes steeper, so less noise lands in the gaps: PacGAN2 on the ring, seed 0, 6,000 steps, put
 * 89.2% of its samples within 3 std of a mode with these networks against 76.5% with
 * {@link QUALITY_SETTING}'s 2 x 128. About 3x the step time. On the grid they did not help: PacGAN4,
 * 30,000 steps, 59.8%, where the 2 x 128 networks had 80.1% after 60,000 steps and 88.0% after
 * 150,000 (the shipped `grid`, 47 minutes on one thread).
 */
export const PACGAN_TOY_NETWORKS: Partial<CollapseSetting> = {
  hidden: [400, 400, 400, 400],
  discriminatorHidden: [200, 200, 200],
};

/** Samples D judges at once: PacGAN packs 2 on the ring and 4 on the grid; 1 otherwise. */
export function packSizeOf(job: CollapseSpec): number {
  return job.method === "pacgan" ? (job.mixture === "grid" ? 4 : 2) : 1;
}

/** Chapter 05: the GAN and trainer options of one method on one mixture in a setting, seeded. */
export function collapseRecipe(job: CollapseSpec): Recipe & { setting: CollapseSetting } {
  const s = { ...COLLAPSE_SETTING, ...job.setting };
  const steps = collapseSteps(job);
  const mixture = toyMixture(job.mixture);
  const dims = mixture.centers[0].length;
  const pack = packSizeOf(job);
  const dInput = job.method === "minibatch-std" ? dims + 1 : dims * pack;
  const gan: Gan = {
    generator: buildMlpGenerator({ latentDim: s.latentDim, dataShape: [dims], hidden: s.hidden, seed: job.seed + 1 }),
    discriminator: buildMlpDiscriminator({ dataShape: [dInput], hidden: s.discriminatorHidden, seed: job.seed + 2 }),
    latentDim: s.latentDim,
    prepare: job.method === "pacgan" ? packSamples(pack) : job.method === "minibatch-std" ? appendMinibatchStd : undefined,
  };
  const wgan = job.method === "wgan-gp";
  // WGAN-GP's paper uses Adam with beta2 0.9 and 5 critic steps per generator step.
  const optimizer = { learningRate: s.learningRate, beta1: 0.5, beta2: wgan ? 0.9 : 0.999 };
  const gOptimizer = { ...optimizer, learningRate: s.generatorLearningRate ?? s.learningRate };
  const loss: GanLoss = wgan ? "wgan-gp" : "non-saturating";
  return {
    gan,
    options: {
      batchSize: s.batchSize,
      seed: job.seed,
      loss,
      dSteps: wgan ? 5 : 1,
      unrolledSteps: job.method === "unrolled" ? 5 : 0,
      dOptimizer: optimizer,
      gOptimizer,
      learningRateDrops: dropToATenth(steps, s.dropAt),
      generatorAverage: s.generatorAverage,
    },
    steps,
    setting: s,
  };
}
