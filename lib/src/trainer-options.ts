/**
 * What a GAN trainer is given, checked before any training: the options of `GanTrainer` (chapter
 * 03 introduces them; chapters 05-06 add theirs), their defaults, the optimizers they describe, and
 * the validation that turns every option that would make training fail or mean nothing into a clear
 * error.
 */
import * as tf from "@tensorflow/tfjs";
import { GAN_LOSSES, type Gan, type GanLoss } from "./gan";
import { LatentCode } from "./latent-code";

export interface OptimizerSpec {
  kind?: "adam" | "sgd" | "rmsprop";
  learningRate: number;
  /** Adam's beta1. DCGAN's 0.5 (Radford et al. 2015) damps the oscillation of the two players. */
  beta1?: number;
  beta2?: number;
}

export interface TrainerOptions {
  gan: Gan;
  /** All real examples: [N, ...dataShape], the discriminator's input shape. */
  data: tf.Tensor;
  /** Class of each example (0 .. classes-1), for a conditional GAN (`gan.classes` set). */
  labels?: ArrayLike<number>;
  batchSize: number;
  /** Discriminator updates per generator update (k in Goodfellow et al. 2014). Default 1. */
  dSteps?: number;
  loss?: GanLoss;
  /** Target for real data; 0.9 is one-sided label smoothing. Default 1. */
  realLabel?: number;
  /** Default Adam(2e-4, beta1 0.5). */
  dOptimizer?: OptimizerSpec;
  gOptimizer?: OptimizerSpec;
  seed?: number;
  /** How many samples the progress images show (the same noise at every step). Default 64. */
  previewCount?: number;
  /** Keep a copy of the weights before each step, restored if a loss turns NaN/Inf. Default true. */
  guardNonFinite?: boolean;
  /**
   * Unrolled GAN (Metz et al. 2016), first-order: before each generator update, D takes this many
   * extra updates on a copy of its weights, G is updated against that look-ahead D, and D's weights
   * are put back. G thus answers where D is going, not where it is. Default 0 (off).
   */
  unrolledSteps?: number;
  /** WGAN-GP's gradient penalty weight (loss "wgan-gp"). Default 10. */
  gradientPenalty?: number;
  /**
   * Step decay of both learning rates: from generator step `step` on, each rate is its base times
   * `factor` (the last drop reached applies), e.g. `[{ step: 2000, factor: 0.1 }]`. A GAN's samples
   * jitter around where they should be as long as the two players take large steps; a smaller rate
   * at the end lets them settle (chapter 05 measures it on the toy rings). Default none.
   */
  learningRateDrops?: { step: number; factor: number }[];
  /**
   * Keep an exponential moving average of the generator's weights with this decay (e.g. 0.999), and
   * sample from it ({@link GanTrainer.samplingGan}, the fixed-noise previews): the average of G over
   * its last ~1/(1 - decay) steps sits where the jittering G is heading (Yazici et al. 2019, "The
   * Unusual Effectiveness of Averaging in GAN Training"; ProGAN, StyleGAN and BigGAN sample this way).
   * Early on the decay is (1 + t) / (10 + t) at update t, so a short run is not an average with the
   * random initial weights. Training itself is unchanged. Default off.
   */
  generatorAverage?: number;
  /**
   * Threads per training step (data-parallel, see replicas.ts): each computes the gradients of a part
   * of every batch on its own core. Default: GANBOOK_THREADS, else every core (one on TensorFlow's
   * native backend, which is multi-threaded itself, and inside a worker thread, and one while the
   * wasm backend runs its kernels on a pool, GANBOOK_KERNEL_THREADS: wasm-threads.ts). 1 turns it off.
   * Batch norm then normalises each part by its own statistics: see the README's Performance section.
   */
  threads?: number;
}

export const DEFAULT_OPTIMIZER: OptimizerSpec = { kind: "adam", learningRate: 2e-4, beta1: 0.5, beta2: 0.999 };

/** The options a trainer keeps (and saves in its checkpoints): every default filled in. */
export type ResolvedTrainerOptions = Required<Pick<TrainerOptions, "batchSize" | "dSteps" | "loss" | "realLabel" | "seed" | "previewCount" | "unrolledSteps" | "gradientPenalty" | "learningRateDrops">> & {
  generatorAverage?: number;
  dOptimizer: OptimizerSpec;
  gOptimizer: OptimizerSpec;
};

/** Validates `options` ({@link validateTrainerOptions}) and fills in the defaults the docs above give. */
export function resolveTrainerOptions(options: TrainerOptions): ResolvedTrainerOptions {
  validateTrainerOptions(options);
  return {
    batchSize: options.batchSize,
    dSteps: options.dSteps ?? 1,
    loss: options.loss ?? "non-saturating",
    realLabel: options.realLabel ?? 1,
    seed: options.seed ?? 0,
    previewCount: options.previewCount ?? 64,
    unrolledSteps: options.unrolledSteps ?? 0,
    gradientPenalty: options.gradientPenalty ?? 10,
    learningRateDrops: [...(options.learningRateDrops ?? [])].sort((a, b) => a.step - b.step),
    generatorAverage: options.generatorAverage || undefined,
    dOptimizer: { ...DEFAULT_OPTIMIZER, ...options.dOptimizer },
    gOptimizer: { ...DEFAULT_OPTIMIZER, ...options.gOptimizer },
  };
}

/** The factor of the last learning-rate drop reached by generator step `step` (1 before the first). */
export function dropFactor(drops: { step: number; factor: number }[], step: number): number {
  return drops.filter((d) => d.step < step).at(-1)?.factor ?? 1;
}

/** Sets an optimizer's learning rate for its next updates. */
export function setLearningRate(optimizer: tf.Optimizer, rate: number): void {
  // tfjs reads `learningRate` at every update (Adam, RMSProp); SGD keeps a scalar set by setLearningRate.
  // (`instanceof tf.SGDOptimizer` is true of every optimizer: tfjs overrides Symbol.hasInstance.)
  const o = optimizer as unknown as { learningRate: number; setLearningRate?: (lr: number) => void };
  if (typeof o.setLearningRate === "function") o.setLearningRate(rate);
  else o.learningRate = rate;
}

export function makeOptimizer(spec: OptimizerSpec): tf.Optimizer {
  const kind = spec.kind ?? "adam";
  if (kind === "sgd") return tf.train.sgd(spec.learningRate);
  if (kind === "rmsprop") return tf.train.rmsprop(spec.learningRate);
  return tf.train.adam(spec.learningRate, spec.beta1 ?? 0.5, spec.beta2 ?? 0.999);
}

function sameShape(a: readonly (number | null)[], b: readonly (number | null)[]): boolean {
  return a.length === b.length && a.every((d, i) => d === null || b[i] === null || d === b[i]);
}

/** Throws a clear error for every option that would make training fail or mean nothing. */
export function validateTrainerOptions(o: TrainerOptions): void {
  const { gan, data, batchSize } = o;
  const conditional = gan.classes !== undefined;
  if (gan.auxiliaryClassifier && !conditional) throw new Error("auxiliaryClassifier (ACGAN) needs gan.classes: the number of classes D learns to tell apart");
  if (conditional) {
    if (!Number.isInteger(gan.classes) || gan.classes! < 2) throw new Error(`classes must be an integer >= 2; got ${gan.classes}`);
    if (gan.auxiliaryClassifier) {
      if (gan.generator.inputs.length !== 2 || gan.discriminator.inputs.length !== 1) {
        throw new Error("An ACGAN (auxiliaryClassifier) needs a generator taking [z, label] and a discriminator taking the sample alone");
      }
    } else if (gan.generator.inputs.length !== 2 || gan.discriminator.inputs.length !== 2) {
      throw new Error("A conditional GAN (classes set) needs a generator taking [z, label] and a discriminator taking [sample, label] (two inputs each)");
    }
    if (!o.labels || o.labels.length !== data.shape[0]) throw new Error(`A conditional GAN needs one label per example: got ${o.labels?.length ?? "no"} labels for ${data.shape[0]} examples`);
    for (let i = 0; i < o.labels.length; i++) {
      if (!Number.isInteger(o.labels[i]) || o.labels[i] < 0 || o.labels[i] >= gan.classes!) throw new Error(`label ${o.labels[i]} of example ${i} is not a class 0..${gan.classes! - 1}`);
    }
    if (o.loss === "wgan-gp") throw new Error("wgan-gp is not supported for conditional GANs here");
  } else if (gan.generator.inputs.length !== 1) {
    throw new Error(`The generator takes ${gan.generator.inputs.length} inputs: set gan.classes for a conditional GAN`);
  }
  const gIn = gan.generator.inputs[0].shape;
  const gOut = gan.generator.outputs[0].shape;
  const dIn = gan.discriminator.inputs[0].shape;
  const dOut = gan.discriminator.outputs[0].shape;
  if (!Number.isInteger(gan.latentDim) || gan.latentDim <= 0) throw new Error(`latentDim must be a positive integer; got ${gan.latentDim}`);
  if (gIn[1] !== gan.latentDim) {
    throw new Error(`Latent size mismatch: the generator takes z of size ${gIn[1]} ([${gIn}]) but latentDim is ${gan.latentDim}. Use the latentDim the generator was built with.`);
  }
  if (!sameShape([null, ...data.shape.slice(1)], gOut)) {
    throw new Error(`The data has shape [${data.shape}] but the generator outputs [${gOut}]: each example must be [${gOut.slice(1)}].`);
  }
  // What D is given: G's samples as they are, or through the GAN's prepare view (PacGAN, minibatch std).
  const viewShape = gan.prepare
    ? tf.tidy(() => gan.prepare!(tf.zeros([Number.isInteger(batchSize) && batchSize > 0 ? batchSize : 1, ...(gOut.slice(1) as number[])])).shape)
    : gOut;
  if (!sameShape([null, ...viewShape.slice(1)], dIn)) {
    throw new Error(`The discriminator takes [${dIn}] but is given samples shaped [${viewShape}]${gan.prepare ? " (after the GAN's prepare view)" : ""}: build the discriminator for that input.`);
  }
  if (gan.infoCode) {
    const { codes, weight } = gan.infoCode;
    if (conditional) throw new Error("infoCode (InfoGAN) is for an unconditional GAN: its codes are drawn by G's noise, not given as labels; unset gan.classes");
    if (!Number.isInteger(codes) || codes < 2) throw new Error(`infoCode.codes must be an integer >= 2; got ${codes}`);
    if (!(weight >= 0 && Number.isFinite(weight))) throw new Error(`infoCode.weight must be a number >= 0; got ${weight}`);
    if (o.loss === "wgan-gp") throw new Error("wgan-gp is not supported for an InfoGAN here (its gradient penalty would include D's code outputs)");
    const gCodes = gan.generator.layers[0] instanceof LatentCode ? gan.generator.layers[0].codes : undefined;
    if (gCodes !== codes) {
      throw new Error(`infoCode has ${codes} codes but the generator ${gCodes ? `carries ${gCodes}` : "carries no code"}: build it with buildDcganGenerator({ latentCodes: ${codes} })`);
    }
  }
  const classLogits = gan.auxiliaryClassifier ? gan.classes! : (gan.infoCode?.codes ?? 0);
  const outputs = 1 + classLogits;
  if (dOut.length !== 2 || dOut[1] !== outputs) {
    throw new Error(
      classLogits
        ? `An ${gan.infoCode ? "InfoGAN" : "ACGAN"}'s discriminator must output a real/fake logit and ${classLogits} ${gan.infoCode ? "code" : "class"} logits ([null, ${outputs}]); it outputs [${dOut}]`
        : `The discriminator must output one logit per example ([null, 1]); it outputs [${dOut}]`,
    );
  }
  const n = data.shape[0];
  if (!Number.isInteger(batchSize) || batchSize <= 0) throw new Error(`batchSize must be a positive integer; got ${batchSize}`);
  if (batchSize > n) throw new Error(`batchSize ${batchSize} is larger than the data (${n} examples): use at most ${n}.`);
  const dSteps = o.dSteps ?? 1;
  if (!Number.isInteger(dSteps) || dSteps <= 0) throw new Error(`dSteps must be a positive integer; got ${dSteps}`);
  if (o.loss !== undefined && !GAN_LOSSES.includes(o.loss)) throw new Error(`loss must be one of ${GAN_LOSSES.join(", ")}; got ${o.loss}`);
  const unrolled = o.unrolledSteps ?? 0;
  if (!Number.isInteger(unrolled) || unrolled < 0) throw new Error(`unrolledSteps must be a whole number >= 0; got ${unrolled}`);
  const realLabel = o.realLabel ?? 1;
  if (!(realLabel > 0.5 && realLabel <= 1)) throw new Error(`realLabel must be in (0.5, 1] (0.9 is one-sided label smoothing); got ${realLabel}`);
  for (const drop of o.learningRateDrops ?? []) {
    if (!Number.isInteger(drop.step) || drop.step < 0 || !(drop.factor > 0 && Number.isFinite(drop.factor))) {
      throw new Error(`learningRateDrops: each drop needs a whole step >= 0 and a positive factor; got ${JSON.stringify(drop)}`);
    }
  }
  for (const [name, spec] of [["dOptimizer", o.dOptimizer], ["gOptimizer", o.gOptimizer]] as const) {
    if (spec && !(spec.learningRate > 0 && Number.isFinite(spec.learningRate))) {
      throw new Error(`${name}.learningRate must be a positive number; got ${spec.learningRate}`);
    }
  }
  const average = o.generatorAverage;
  if (average !== undefined && !(average >= 0 && average < 1)) throw new Error(`generatorAverage is the moving average's decay, in [0, 1) (e.g. 0.999); got ${average}`);
  if (data.dtype !== "float32") throw new Error(`The data must be float32; got ${data.dtype}`);
  const bad = tf.tidy(() => tf.logicalNot(tf.all(tf.isFinite(data))).dataSync()[0]);
  if (bad) throw new Error("The data contains NaN or Infinity: clean it (or check how it was scaled) before training.");
  checkDataRange(gan.generator, data);
}

/** The range a generator's samples lie in, read from its output layer's activation (undefined: unbounded). */
export function generatorOutputRange(generator: tf.LayersModel): { activation: string; range: [number, number] } | undefined {
  const layer = generator.outputs[0].sourceLayer as tf.layers.Layer;
  const activation = String((layer.getConfig() as { activation?: unknown }).activation ?? "linear");
  if (activation === "tanh") return { activation, range: [-1, 1] };
  if (activation === "sigmoid") return { activation, range: [0, 1] };
  return undefined;
}

/**
 * Refuses data a bounded generator could never produce: images in 0..255 for a tanh generator (the
 * most common slip) would leave D an easy win forever. 1e-3 of slack lets rounded data through.
 */
function checkDataRange(generator: tf.LayersModel, data: tf.Tensor): void {
  const bounded = generatorOutputRange(generator);
  if (!bounded) return;
  const [lo, hi] = tf.tidy(() => [tf.min(data).dataSync()[0], tf.max(data).dataSync()[0]]);
  const [min, max] = bounded.range;
  if (lo >= min - 1e-3 && hi <= max + 1e-3) return;
  const scale = bounded.activation === "tanh" ? "imagesToTensor(images) (pixel / 127.5 - 1)" : 'imagesToTensor(images, { range: "unit" }) (pixel / 255)';
  throw new Error(
    `The data lie in [${lo}, ${hi}], but the generator ends in ${bounded.activation}, whose samples lie in [${min}, ${max}]: ` +
      `it could never produce them${hi > 2 ? " (images in 0..255 are the usual cause)" : ""}. Scale the data to [${min}, ${max}], ` +
      `as ${scale} does for MNIST-style images, or (x - min) / (max - min) * ${max - min} + ${min} for your own.`,
  );
}
