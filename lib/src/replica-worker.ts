/**
 * The worker-thread side of data-parallel training ({@link ReplicaPool}, replicas.ts): builds a
 * replica of G and D from their configs, then, for each request, takes the current weights and one
 * part of the batch and posts back the gradients of that part. Not imported by the library itself.
 */
import { parentPort, workerData } from "node:worker_threads";
// The whole library, so this thread's backend gets what the main thread's does (ganbook's wasm kernels).
import { discriminatorGradients, generatorGradients, prepareFromSpec, ready, tf, type BatchPart, type Gan, type LossOptions, type PartGradients, type ReplicaSetup } from "./index";

if (!parentPort) throw new Error("replica-worker runs in a worker thread (see ReplicaPool)");
const port = parentPort;
const setup = workerData as ReplicaSetup;

function buildModel(described: ReplicaSetup["generator"]): tf.LayersModel {
  const config = described.config as tf.serialization.ConfigDict;
  return (described.sequential ? tf.Sequential.fromConfig(tf.Sequential, config) : tf.LayersModel.fromConfig(tf.LayersModel, config)) as tf.LayersModel;
}

let gan: Gan | undefined;
const replica = async (): Promise<Gan> => {
  if (gan) return gan;
  const report = await ready();
  if (report.backend !== setup.backend) throw new Error(`the worker selected the ${report.backend} backend, the trainer uses ${setup.backend}`);
  gan = {
    generator: buildModel(setup.generator),
    discriminator: buildModel(setup.discriminator),
    latentDim: setup.latentDim,
    classes: setup.classes,
    auxiliaryClassifier: setup.auxiliaryClassifier,
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
    grads: result.grads.map((g) => (g ? (g.dataSync() as Float32Array).slice() : null)),
    loss: result.loss.dataSync()[0],
    stats: result.stats ? Array.from(result.stats.dataSync()) : undefined,
  };
  tf.dispose([result.loss, result.stats, ...result.grads.filter((g): g is tf.Tensor => g !== null)].filter((t): t is tf.Tensor => t !== undefined));
  return out;
}

type Request = { id: number; type: "ready" | "discriminator" | "generator"; weights?: { generator: ArrayBuffer[]; discriminator: ArrayBuffer[] }; part?: BatchPart };

port.on("message", async (m: Request) => {
  try {
    const g = await replica();
    if (m.type === "ready") return port.postMessage({ id: m.id, result: { grads: [], loss: 0 } });
    load(g.generator, m.weights!.generator);
    load(g.discriminator, m.weights!.discriminator);
    const part = m.part!;
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
    const out = arraysOf(result);
    port.postMessage({ id: m.id, result: out }, out.grads.filter((a): a is Float32Array => a !== null).map((a) => a.buffer as ArrayBuffer));
  } catch (e) {
    port.postMessage({ id: m.id, error: e instanceof Error ? e.message : String(e) });
  }
});
