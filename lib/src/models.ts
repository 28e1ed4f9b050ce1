/**
 * Model builders: a perceptron and MLPs (chapters 01-02), MLP generators and discriminators
 * (chapter 03), and DCGANs (chapter 04). Every builder is seeded: the same seed gives the same
 * initial weights. Discriminators output one logit per example (no sigmoid): losses apply it.
 */
import * as tf from "@tensorflow/tfjs";
import { LatentCode } from "./latent-code";

export type Activation = "linear" | "relu" | "leakyRelu" | "sigmoid" | "tanh";

/** Seeded initializers: layer i of a model built with seed s uses seed s * 1000 + i. */
function initFor(seed: number, i: number, kind: "glorot" | "dcgan" = "glorot"): ReturnType<typeof tf.initializers.glorotUniform> {
  // DCGAN (Radford et al. 2015) initialises every weight from N(0, 0.02).
  return kind === "dcgan"
    ? tf.initializers.randomNormal({ mean: 0, stddev: 0.02, seed: seed * 1000 + i })
    : tf.initializers.glorotUniform({ seed: seed * 1000 + i });
}

/** Adds an activation as its own layer (LeakyReLU with slope 0.2, the GAN default). */
function addActivation(model: tf.Sequential, activation: Activation): void {
  if (activation === "linear") return;
  if (activation === "leakyRelu") model.add(tf.layers.leakyReLU({ alpha: 0.2 }));
  else model.add(tf.layers.activation({ activation }));
}

function checkPositiveInts(what: string, values: Record<string, number>): void {
  for (const [name, v] of Object.entries(values)) {
    if (!Number.isInteger(v) || v <= 0) throw new Error(`${what}: ${name} must be a positive integer; got ${v}`);
  }
}

/**
 * A perceptron: one neuron, output = activation(w · x + b). Input [N, inputs] -> output [N, 1].
 * Chapter 01 explains it.
 */
export function buildPerceptron(options: { inputs: number; activation?: Activation; seed?: number }): tf.Sequential {
  return buildMlp({ inputs: options.inputs, hidden: [], outputs: 1, outputActivation: options.activation ?? "sigmoid", seed: options.seed });
}

export interface MlpOptions {
  /** Features per example: input shape [N, inputs]; a shape such as [28, 28, 1] is flattened first. */
  inputs: number | number[];
  /** Units of each hidden layer, e.g. [16, 16]. */
  hidden: number[];
  /** Units of the output layer: output shape [N, outputs]. */
  outputs: number;
  /** Activation of the hidden layers. Default relu. */
  activation?: Activation;
  /** Activation of the output layer. Default linear. */
  outputActivation?: Activation;
  seed?: number;
  name?: string;
}

/**
 * A multilayer perceptron: dense layers of `hidden` units, then `outputs` units.
 * [N, inputs] -> [N, outputs]. Chapter 02 explains layers, activations and backpropagation.
 */
export function buildMlp(options: MlpOptions): tf.Sequential {
  const inputShape = typeof options.inputs === "number" ? [options.inputs] : options.inputs;
  inputShape.forEach((d, i) => checkPositiveInts("buildMlp", { [`inputs[${i}]`]: d }));
  checkPositiveInts("buildMlp", { outputs: options.outputs });
  options.hidden.forEach((u, i) => checkPositiveInts("buildMlp", { [`hidden[${i}]`]: u }));
  const seed = options.seed ?? 0;
  const model = tf.sequential({ name: options.name });
  if (inputShape.length > 1) model.add(tf.layers.flatten({ inputShape }));
  const sizes = [...options.hidden, options.outputs];
  sizes.forEach((units, i) => {
    const last = i === sizes.length - 1;
    model.add(
      tf.layers.dense({
        units,
        inputShape: i === 0 && inputShape.length === 1 ? inputShape : undefined,
        kernelInitializer: initFor(seed, i),
        biasInitializer: "zeros",
      }),
    );
    addActivation(model, last ? (options.outputActivation ?? "linear") : (options.activation ?? "relu"));
  });
  return model;
}

export interface MlpGanOptions {
  /** Size of the noise vector z. */
  latentDim: number;
  /** Shape of one example: [2] for 2D points, [28, 28, 1] for MNIST. */
  dataShape: number[];
  /** Hidden layer sizes. Default [128, 128] (generator) / [128, 128] (discriminator). */
  hidden?: number[];
  /** Generator output activation: tanh for images in [-1, 1], linear for toy points. Default linear. */
  outputActivation?: Activation;
  /** Batch normalisation after each hidden layer of the generator (steadier MNIST training). Default false. */
  batchNorm?: boolean;
  seed?: number;
}

/**
 * An MLP generator G(z): [N, latentDim] -> [N, ...dataShape], hidden layers with LeakyReLU.
 * Chapter 03 (the original GAN paper's setting).
 */
export function buildMlpGenerator(options: MlpGanOptions): tf.Sequential {
  const size = options.dataShape.reduce((a, b) => a * b, 1);
  checkPositiveInts("buildMlpGenerator", { latentDim: options.latentDim });
  const seed = options.seed ?? 1;
  const hidden = options.hidden ?? [128, 128];
  const model = tf.sequential({ name: "generator" });
  [...hidden, size].forEach((units, i) => {
    const last = i === hidden.length;
    model.add(tf.layers.dense({ units, inputShape: i === 0 ? [options.latentDim] : undefined, kernelInitializer: initFor(seed, i), useBias: last || !options.batchNorm }));
    if (!last && options.batchNorm) model.add(tf.layers.batchNormalization({ momentum: 0.9 }));
    addActivation(model, last ? (options.outputActivation ?? "linear") : "leakyRelu");
  });
  if (options.dataShape.length > 1) model.add(tf.layers.reshape({ targetShape: options.dataShape }));
  return model;
}

/**
 * An MLP discriminator D(x): [N, ...dataShape] -> [N, 1] logits, hidden layers with LeakyReLU.
 * Chapter 03.
 */
export function buildMlpDiscriminator(options: Omit<MlpGanOptions, "latentDim" | "outputActivation">): tf.Sequential {
  return buildMlp({
    inputs: options.dataShape,
    hidden: options.hidden ?? [128, 128],
    outputs: 1,
    activation: "leakyRelu",
    seed: options.seed ?? 2,
    name: "discriminator",
  });
}

export interface DcganOptions {
  /** Size of the noise vector z. Default 64. */
  latentDim?: number;
  /** Feature maps of the widest generator layer (the 7x7 one). Default 64. */
  width?: number;
  /** Image channels (1 for MNIST and Fashion-MNIST). Default 1. */
  channels?: number;
  seed?: number;
  /** Discriminator outputs: 1 logit, or 1 + classes for an ACGAN ({@link buildAcganDiscriminator}). Default 1. */
  outputs?: number;
  /**
   * Side of the square images: 28 (MNIST; from 7x7, two doublings), 32 (from 4x4, three) or 64 (from
   * 4x4, four; your own images, chapter 08). Each doubling halves the feature maps, so `width` is
   * those of the 28x28 model's 7x7 layer and the larger models start wider. Default 28.
   */
  size?: DcganSize;
  /**
   * Add a 3x3 stride-1 convolution (same feature maps) after every resolution change but the
   * output's, in both networks: deeper at every scale for about 3x the multiply-adds of the
   * default networks (10.8 M against 3.6 M per 28x28 sample at width 64, by forwardFlops; the
   * long-run recipe `dcganDeep`). Default false: chapter 04's networks.
   */
  refine?: boolean;
  /**
   * InfoGAN's discrete code in the generator's noise: z[:, 0] becomes a one-hot choice of this many
   * equally likely codes ({@link LatentCode}); the GAN's `infoCode` teaches D to read it back. Default none.
   */
  latentCodes?: number;
}

export const DCGAN_SIZES = [28, 32, 64] as const;
export type DcganSize = (typeof DCGAN_SIZES)[number];

/** The starting side and the number of stride-2 doublings for an image size. */
function dcganLevels(size: number | undefined, builder: string): { base: number; doublings: number } {
  const s = size ?? 28;
  if (!DCGAN_SIZES.includes(s as DcganSize)) throw new Error(`${builder}: size must be one of ${DCGAN_SIZES.join(", ")}; got ${size}`);
  return s === 28 ? { base: 7, doublings: 2 } : { base: 4, doublings: Math.log2(s / 4) };
}

/**
 * The course's DCGAN generator, sized to train in minutes on a CPU (chapter 04). For 28x28 images:
 * z [N, latentDim] -> Dense 7*7*width -> BN -> LeakyReLU -> reshape [N, 7, 7, width]
 * -> ConvTranspose(width/2, 4, stride 2) [N, 14, 14, width/2] -> BN -> LeakyReLU
 * -> ConvTranspose(channels, 4, stride 2) [N, 28, 28, channels] -> tanh.
 * For size 32 or 64 the same pattern starts at 4x4 with 2x or 4x the width and doubles 3 or 4 times.
 * Kernel 4 with stride 2 covers each output pixel evenly (no checkerboard from 5x5 kernels).
 */
export function buildDcganGenerator(options: DcganOptions = {}): tf.Sequential {
  const { latentDim = 64, width = 64, channels = 1, seed = 1 } = options;
  checkPositiveInts("buildDcganGenerator", { latentDim, width, channels });
  const { base, doublings } = dcganLevels(options.size, "buildDcganGenerator");
  const init = (i: number) => initFor(seed, i, "dcgan");
  const first = width * 2 ** (doublings - 2); // feature maps at base x base
  const model = tf.sequential({ name: "generator" });
  if (options.latentCodes !== undefined) model.add(new LatentCode({ codes: options.latentCodes, inputShape: [latentDim] }));
  const input = options.latentCodes === undefined ? { inputShape: [latentDim] } : {};
  model.add(tf.layers.dense({ ...input, units: base * base * first, useBias: false, kernelInitializer: init(0) }));
  model.add(tf.layers.batchNormalization({ momentum: 0.9 }));
  model.add(tf.layers.leakyReLU({ alpha: 0.2 }));
  model.add(tf.layers.reshape({ targetShape: [base, base, first] }));
  // refine: [N, s, s, f] -> Conv(f, 3, stride 1) -> BN -> LeakyReLU, same shape. Glorot initialisers
  // (seeds 10+) keep the signal's scale through the extra layers where N(0, 0.02) would shrink it.
  const refine = (filters: number, level: number) => {
    if (!options.refine) return;
    model.add(tf.layers.conv2d({ filters, kernelSize: 3, padding: "same", useBias: false, kernelInitializer: initFor(seed, 10 + level) }));
    model.add(tf.layers.batchNormalization({ momentum: 0.9 }));
    model.add(tf.layers.leakyReLU({ alpha: 0.2 }));
  };
  refine(first, 0);
  for (let level = 1; level < doublings; level++) {
    model.add(tf.layers.conv2dTranspose({ filters: first / 2 ** level, kernelSize: 4, strides: 2, padding: "same", useBias: false, kernelInitializer: init(level) }));
    model.add(tf.layers.batchNormalization({ momentum: 0.9 }));
    model.add(tf.layers.leakyReLU({ alpha: 0.2 }));
    refine(first / 2 ** level, level);
  }
  model.add(tf.layers.conv2dTranspose({ filters: channels, kernelSize: 4, strides: 2, padding: "same", activation: "tanh", kernelInitializer: init(doublings) }));
  return model;
}

/**
 * The course's DCGAN discriminator (chapter 04). For 28x28 images:
 * x [N, 28, 28, channels] -> Conv(width/2, 4, stride 2) [N, 14, 14, width/2] -> LeakyReLU
 * -> Conv(width, 4, stride 2) [N, 7, 7, width] -> LeakyReLU -> Flatten -> Dense 1 (logit).
 * For size 32 or 64, 3 or 4 such halvings down to 4x4, the feature maps doubling each time.
 */
export function buildDcganDiscriminator(options: DcganOptions = {}): tf.Sequential {
  const { width = 64, channels = 1, seed = 2, outputs = 1 } = options;
  checkPositiveInts("buildDcganDiscriminator", { width, channels, outputs });
  const { doublings } = dcganLevels(options.size, "buildDcganDiscriminator");
  const size = options.size ?? 28;
  const init = (i: number) => initFor(seed, i, "dcgan");
  const model = tf.sequential({ name: "discriminator" });
  for (let level = 0; level < doublings; level++) {
    const filters = (width / 2) * 2 ** level;
    const first = level === 0 ? { inputShape: [size, size, channels] } : {};
    model.add(tf.layers.conv2d({ ...first, filters, kernelSize: 4, strides: 2, padding: "same", kernelInitializer: init(level) }));
    model.add(tf.layers.leakyReLU({ alpha: 0.2 }));
    if (options.refine) {
      // [N, s, s, filters] -> Conv(filters, 3, stride 1) -> LeakyReLU, same shape (Glorot, as in G's).
      model.add(tf.layers.conv2d({ filters, kernelSize: 3, padding: "same", kernelInitializer: initFor(seed, 10 + level) }));
      model.add(tf.layers.leakyReLU({ alpha: 0.2 }));
    }
  }
  model.add(tf.layers.flatten());
  model.add(tf.layers.dense({ units: outputs, kernelInitializer: init(doublings) }));
  return model;
}

/**
 * TensorFlow's DCGAN tutorial generator (the benchmark model; tensorflow.org/tutorials/generative/dcgan):
 * z [N, 100] -> Dense 7*7*256 -> BN -> LeakyReLU -> [N, 7, 7, 256] -> ConvT(128, 5, 1) -> BN -> LeakyReLU
 * -> ConvT(64, 5, 2) [N, 14, 14, 64] -> BN -> LeakyReLU -> ConvT(1, 5, 2, tanh) [N, 28, 28, 1].
 */
export function buildTfTutorialGenerator(seed = 1): tf.Sequential {
  const init = (i: number) => initFor(seed, i);
  const model = tf.sequential({ name: "tf_tutorial_generator" });
  model.add(tf.layers.dense({ inputShape: [100], units: 7 * 7 * 256, useBias: false, kernelInitializer: init(0) }));
  model.add(tf.layers.batchNormalization());
  model.add(tf.layers.leakyReLU({ alpha: 0.3 })); // Keras's LeakyReLU default slope, as the tutorial uses
  model.add(tf.layers.reshape({ targetShape: [7, 7, 256] }));
  model.add(tf.layers.conv2dTranspose({ filters: 128, kernelSize: 5, strides: 1, padding: "same", useBias: false, kernelInitializer: init(1) }));
  model.add(tf.layers.batchNormalization());
  model.add(tf.layers.leakyReLU({ alpha: 0.3 }));
  model.add(tf.layers.conv2dTranspose({ filters: 64, kernelSize: 5, strides: 2, padding: "same", useBias: false, kernelInitializer: init(2) }));
  model.add(tf.layers.batchNormalization());
  model.add(tf.layers.leakyReLU({ alpha: 0.3 }));
  model.add(tf.layers.conv2dTranspose({ filters: 1, kernelSize: 5, strides: 2, padding: "same", useBias: false, activation: "tanh", kernelInitializer: init(3) }));
  return model;
}

/**
 * TensorFlow's DCGAN tutorial discriminator: x [N, 28, 28, 1] -> Conv(64, 5, 2) -> LeakyReLU -> Dropout 0.3
 * -> Conv(128, 5, 2) -> LeakyReLU -> Dropout 0.3 -> Flatten -> Dense 1 (logit).
 */
export function buildTfTutorialDiscriminator(seed = 2): tf.Sequential {
  const init = (i: number) => initFor(seed, i);
  const model = tf.sequential({ name: "tf_tutorial_discriminator" });
  model.add(tf.layers.conv2d({ inputShape: [28, 28, 1], filters: 64, kernelSize: 5, strides: 2, padding: "same", kernelInitializer: init(0) }));
  model.add(tf.layers.leakyReLU({ alpha: 0.3 }));
  model.add(tf.layers.dropout({ rate: 0.3 }));
  model.add(tf.layers.conv2d({ filters: 128, kernelSize: 5, strides: 2, padding: "same", kernelInitializer: init(1) }));
  model.add(tf.layers.leakyReLU({ alpha: 0.3 }));
  model.add(tf.layers.dropout({ rate: 0.3 }));
  model.add(tf.layers.flatten());
  model.add(tf.layers.dense({ units: 1, kernelInitializer: init(2) }));
  return model;
}

/**
 * Multiply-adds x 2 of one forward pass for one example, counted over dense, conv2d and
 * conv2dTranspose layers (the layers that dominate; elementwise work is left out).
 * Used to turn step times into GFLOP/s.
 */
export function forwardFlops(model: tf.LayersModel): number {
  let flops = 0;
  for (const layer of model.layers) {
    const cls = layer.getClassName();
    const weights = layer.getWeights();
    if (weights.length === 0) continue;
    const kernel = weights[0].shape as number[];
    const out = layer.outputShape as number[];
    const input = (layer.input as tf.SymbolicTensor).shape as number[];
    if (cls === "Dense") flops += 2 * kernel[0] * kernel[1];
    else if (cls === "Conv2D") flops += 2 * out[1] * out[2] * kernel[0] * kernel[1] * kernel[2] * kernel[3];
    // A transposed conv multiplies every input pixel by the whole kernel [kh, kw, out, in].
    else if (cls === "Conv2DTranspose") flops += 2 * input[1] * input[2] * kernel[0] * kernel[1] * kernel[2] * kernel[3];
  }
  return flops;
}

/** One row per layer: name, type, output shape and parameter count (for a table). */
export function layerSummary(model: tf.LayersModel): { layer: string[]; type: string[]; output: string[]; params: number[] } {
  const out = { layer: [] as string[], type: [] as string[], output: [] as string[], params: [] as number[] };
  for (const layer of model.layers) {
    out.layer.push(layer.name);
    out.type.push(layer.getClassName());
    out.output.push(JSON.stringify(layer.outputShape).replace(/null/g, "N"));
    out.params.push(layer.countParams());
  }
  return out;
}

/**
 * A conditional DCGAN generator (chapter 06): inputs z [N, latentDim] and a one-hot label
 * [N, classes], concatenated [N, latentDim + classes], then the layers of {@link buildDcganGenerator}.
 */
export function buildConditionalGenerator(options: DcganOptions & { classes?: number } = {}): tf.LayersModel {
  const { latentDim = 64, classes = 10 } = options;
  const z = tf.input({ shape: [latentDim], name: "z" });
  const label = tf.input({ shape: [classes], name: "label" });
  const joined = tf.layers.concatenate().apply([z, label]) as tf.SymbolicTensor;
  const body = buildDcganGenerator({ ...options, latentDim: latentDim + classes });
  let x = joined;
  for (const layer of body.layers) x = layer.apply(x) as tf.SymbolicTensor;
  return tf.model({ inputs: [z, label], outputs: x, name: "conditional_generator" });
}

/**
 * A conditional DCGAN discriminator (chapter 06): inputs an image [N, 28, 28, channels] and a
 * one-hot label [N, classes]; the label is tiled into `classes` extra channels [N, 28, 28, classes]
 * (as keras-io's conditional GAN does), then the layers of {@link buildDcganDiscriminator}.
 */
export function buildConditionalDiscriminator(options: DcganOptions & { classes?: number } = {}): tf.LayersModel {
  const { channels = 1, classes = 10, size = 28 } = options;
  const image = tf.input({ shape: [size, size, channels], name: "image" });
  const label = tf.input({ shape: [classes], name: "label" });
  const planes = tf.layers.upSampling2d({ size: [size, size] }).apply(tf.layers.reshape({ targetShape: [1, 1, classes] }).apply(label)) as tf.SymbolicTensor;
  let x = tf.layers.concatenate({ axis: -1 }).apply([image, planes]) as tf.SymbolicTensor;
  const body = buildDcganDiscriminator({ ...options, channels: channels + classes });
  for (const layer of body.layers) x = layer.apply(x) as tf.SymbolicTensor;
  return tf.model({ inputs: [image, label], outputs: x, name: "conditional_discriminator" });
}

/**
 * An ACGAN discriminator (Odena et al. 2017; chapter 06): the layers of {@link buildDcganDiscriminator}
 * on the image alone, x [N, 28, 28, channels] -> [N, 1 + classes]: a real/fake logit, then one logit
 * per class. Pair it with {@link buildConditionalGenerator} and `auxiliaryClassifier: true`.
 */
export function buildAcganDiscriminator(options: DcganOptions & { classes?: number } = {}): tf.Sequential {
  const { classes = 10 } = options;
  checkPositiveInts("buildAcganDiscriminator", { classes });
  return buildDcganDiscriminator({ ...options, outputs: 1 + classes });
}
