/**
 * The worker-thread side of data-parallel training ({@link ReplicaPool}, replicas.ts): builds a
 * replica of G and D from their configs, then, for each request, takes the current weights and one
 * part of the batch and posts back the gradients of that part: a GAN's updates (gan.ts) or pix2pix's
 * (pix2pix.ts). Not imported by the library itself.
 */
import { parentPort, workerData } from "node:worker_threads";
// The whole library, so this thread's backend gets what the main thread's does (ganbook's wasm kernels).
import {
  discriminatorGradients,
  generatorGradients,
  gradientsOf,
  modelFromConfig,
  ownValues,
  pix2pixDiscriminatorLoss,
  pix2pixGeneratorLoss,
  prepareFromSpec,
  ready,
  tf,
  type BatchPart,
  type Gan,
  type LossOptions,
  type PartArrays,
  type PartGradients,
  type Pix2Pix,
  type ReplicaSetup,
} from "./index";

if (!parentPort) throw new Error("replica-worker runs in a worker thread (see ReplicaPool)");
const port = parentPort;
const setup = workerData as ReplicaSetup;

const buildModel = (described: NonNullable<ReplicaSetup["discriminator"]>) => modelFromConfig(described.config, described.sequential);

let gan: Gan | undefined;
const replica = async (): Promise<Gan> => {
  if (gan) return gan;
  const report = await ready();
  if (report.backend !== setup.backend) throw new Error(`the worker selected the ${report.backend} backend, the trainer uses ${setup.backend}`);
  gan = {
    generator: buildModel(setup.generator),
    // pix2pix's L1-only baseline has no D; the GAN fields below are unused for pix2pix.
    discriminator: setup.discriminator ? buildModel(setup.discriminator) : (undefined as unknown as tf.LayersModel),
    latentDim: setup.latentDim,
    classes: setup.classes,
    auxiliaryClassifier: setup.auxiliaryClassifier,
    infoCode: setup.infoCode,
    prepare: setup.prepare ? prepareFromSpec(setup.prepare) : undefined,
  };
  return gan;
};

/** Sets a model's weights (all of them, in `weights` order) from arrays. */
function load(model: tf.LayersModel, arrays: ArrayBuffer[]): void {
  model.weights.forEach((w, i) => {
    const value = tf.tensor(new Float32Array(arrays[i]), w.shape as number[]);
    w.write(value);
    value.dispose();
  });
}

function arraysOf(result: { loss: tf.Scalar; grads: (tf.Tensor | null)[]; stats?: tf.Tensor }): PartGradients {
  const out: PartGradients = {
    grads: result.grads.map((g) => (g ? ownValues(g) : null)),
    loss: result.loss.dataSync()[0],
    stats: result.stats ? Array.from(result.stats.dataSync()) : undefined,
  };
  tf.dispose([result.loss, result.stats, ...result.grads.filter((g): g is tf.Tensor => g !== null)].filter((t): t is tf.Tensor => t !== undefined));
  return out;
}

type Request = {
  id: number;
  type: "ready" | "discriminator" | "generator" | "pix2pix-discriminator" | "pix2pix-generator";
  weights?: { generator: ArrayBuffer[] | null; discriminator: ArrayBuffer[] | null };
  part?: PartArrays;
};

/** pix2pix's gradients for a part of pairs (inputs, targets); G's stats are [adversarial, L1]. */
function pix2pixGradients(g: Gan, type: Request["type"], part: PartArrays): { loss: tf.Scalar; grads: (tf.Tensor | null)[]; stats?: tf.Tensor } {
  const [h, w, c] = g.generator.inputs[0].shape.slice(1) as number[];
  const x = tf.tensor4d(part.inputs as Float32Array, [part.count, h, w, c]);
  const y = tf.tensor4d(part.targets as Float32Array, [part.count, h, w, c]);
  const model: Pix2Pix = { generator: g.generator, discriminator: setup.discriminator ? g.discriminator : undefined };
  try {
    if (type === "pix2pix-discriminator") return gradientsOf(g.discriminator, () => pix2pixDiscriminatorLoss(model, x, y));
    let stats: tf.Tensor | undefined;
    const result = gradientsOf(g.generator, () => {
      const { loss, adversarial, l1 } = pix2pixGeneratorLoss(model, x, y, setup.loss.l1Weight as number);
      stats = tf.keep(tf.stack([adversarial, l1]));
      return loss;
    });
    return { ...result, stats };
  } finally {
    tf.dispose([x, y]);
  }
}

port.on("message", async (m: Request) => {
  try {
    const g = await replica();
    if (m.type === "ready") return port.postMessage({ id: m.id, result: { grads: [], loss: 0 } });
    const started = performance.now();
    // A model's weights come only when they changed since the last request (ReplicaPool.current).
    if (m.weights!.generator) load(g.generator, m.weights!.generator);
    if (m.weights!.discriminator) load(g.discriminator, m.weights!.discriminator);
    if (m.type.startsWith("pix2pix-")) {
      const out = { ...arraysOf(pix2pixGradients(g, m.type, m.part!)), computeMs: performance.now() - started };
      return port.postMessage({ id: m.id, result: out }, out.grads.filter((a): a is Float32Array => a !== null).map((a) => a.buffer as ArrayBuffer));
    }
    const part = m.part! as unknown as BatchPart;
    const loss = setup.loss as LossOptions;
    const classes = g.classes ?? 0;
    const labelsOf = (a: Float32Array | undefined) => (a ? tf.tensor2d(a, [part.count, classes]) : undefined);
    const noise = tf.tensor2d(part.noise, [part.count, g.latentDim]);
    const inputs: (tf.Tensor | undefined)[] = [noise];
    let result: { loss: tf.Scalar; grads: (tf.Tensor | null)[]; stats?: tf.Tensor };
    if (m.type === "generator") {
      const fakeLabels = labelsOf(part.fakeLabels);
      inputs.push(fakeLabels);
      result = generatorGradients(g, noise, loss, fakeLabels);
    } else {
      const sampleShape = g.generator.outputs[0].shape.slice(1) as number[];
      const real = tf.tensor(part.real!, [part.count, ...sampleShape]);
      const labels = part.realLabels ? { real: labelsOf(part.realLabels)!, fake: labelsOf(part.fakeLabels)! } : undefined;
      inputs.push(real, labels?.real, labels?.fake);
      result = discriminatorGradients(g, real, noise, loss, labels);
    }
    tf.dispose(inputs.filter((t): t is tf.Tensor => t !== undefined));
    const out = { ...arraysOf(result), computeMs: performance.now() - started };
    port.postMessage({ id: m.id, result: out }, out.grads.filter((a): a is Float32Array => a !== null).map((a) => a.buffer as ArrayBuffer));
  } catch (e) {
    port.postMessage({ id: m.id, error: e instanceof Error ? e.message : String(e) });
  }
});
