/**
 * Evaluators: small CNN classifiers for MNIST and Fashion-MNIST whose class probabilities and
 * penultimate-layer features the GAN metrics use (chapter 07 explains them; chapters 03-06 report
 * them). Trained by `npm run train:evaluators` (scripts/train-evaluators.ts), weights committed in
 * lib/evaluators/<dataset>/ and loaded without training.
 */
import * as path from "path";
import * as tf from "@tensorflow/tfjs";
import { readCheckpoint } from "./checkpoint";
import type { DatasetName } from "./data";

/** Units of the penultimate layer: the feature space of the Fréchet distance. */
export const EVALUATOR_FEATURES = 128;

/**
 * The evaluator CNN: x [N, 28, 28, 1] in [-1, 1] -> Conv(32, 5) ReLU -> MaxPool 2 -> Conv(48, 5) ReLU
 * -> MaxPool 2 -> Flatten -> Dense 128 ReLU ("features") -> Dropout 0.3 -> Dense 10 (logits).
 * About 6 MFLOP per image: it trains in minutes on a CPU and reaches 99% on MNIST.
 */
export function buildEvaluatorCnn(seed = 0): tf.Sequential {
  const init = (i: number) => tf.initializers.heNormal({ seed: seed * 1000 + i });
  const model = tf.sequential({ name: "evaluator" });
  model.add(tf.layers.conv2d({ inputShape: [28, 28, 1], filters: 32, kernelSize: 5, activation: "relu", kernelInitializer: init(0) }));
  model.add(tf.layers.maxPooling2d({ poolSize: 2 }));
  model.add(tf.layers.conv2d({ filters: 48, kernelSize: 5, activation: "relu", kernelInitializer: init(1) }));
  model.add(tf.layers.maxPooling2d({ poolSize: 2 }));
  model.add(tf.layers.flatten());
  model.add(tf.layers.dense({ units: EVALUATOR_FEATURES, activation: "relu", kernelInitializer: init(2), name: "features" }));
  model.add(tf.layers.dropout({ rate: 0.3, seed }));
  model.add(tf.layers.dense({ units: 10, kernelInitializer: tf.initializers.glorotUniform({ seed: seed * 1000 + 3 }), name: "logits" }));
  return model;
}

/** A trained evaluator: class probabilities and features of images [N, 28, 28, 1] in [-1, 1]. */
export interface Evaluator {
  dataset: DatasetName;
  model: tf.LayersModel;
  /** The test accuracy and training details recorded by `npm run train:evaluators`. */
  info?: EvaluatorInfo;
  /** Softmax class probabilities [N, 10]. */
  probabilities(images: tf.Tensor4D, batchSize?: number): tf.Tensor2D;
  /** Penultimate-layer activations [N, 128]. */
  features(images: tf.Tensor4D, batchSize?: number): tf.Tensor2D;
  /** Predicted classes [N]. */
  predict(images: tf.Tensor4D, batchSize?: number): Int32Array;
}

/** What the training script records beside the weights. */
export interface EvaluatorInfo {
  dataset: DatasetName;
  testAccuracy: number;
  epochs: number;
  seconds: number;
  seed: number;
}

/** The folder holding the committed evaluator weights (a ganbook checkpoint with one model, "model"). */
export function evaluatorDir(dataset: DatasetName): string {
  return path.resolve(__dirname, "..", "evaluators", dataset);
}

/** Runs `f` over `images` in batches and concatenates the results (bounded memory for 10k images). */
function batched(images: tf.Tensor4D, batchSize: number, f: (x: tf.Tensor4D) => tf.Tensor2D): tf.Tensor2D {
  const parts: tf.Tensor2D[] = [];
  for (let i = 0; i < images.shape[0]; i += batchSize) {
    const size = Math.min(batchSize, images.shape[0] - i);
    parts.push(tf.tidy(() => f(images.slice([i, 0, 0, 0], [size, -1, -1, -1]))));
  }
  const out = parts.length === 1 ? parts[0] : tf.concat(parts);
  if (parts.length > 1) tf.dispose(parts);
  return out;
}

/** Wraps a trained evaluator CNN (see {@link buildEvaluatorCnn}). */
export function wrapEvaluator(dataset: DatasetName, model: tf.LayersModel, info?: EvaluatorInfo): Evaluator {
  const featureLayer = model.getLayer("features");
  const featureModel = tf.model({ inputs: model.inputs, outputs: featureLayer.output as tf.SymbolicTensor });
  const check = (images: tf.Tensor4D) => {
    if (images.rank !== 4 || images.shape[1] !== 28 || images.shape[2] !== 28 || images.shape[3] !== 1) {
      throw new Error(`The evaluator takes images [N, 28, 28, 1] in [-1, 1]; got shape [${images.shape}]`);
    }
  };
  return {
    dataset,
    model,
    info,
    probabilities(images, batchSize = 500) {
      check(images);
      return batched(images, batchSize, (x) => tf.softmax(model.predict(x) as tf.Tensor2D));
    },
    features(images, batchSize = 500) {
      check(images);
      return batched(images, batchSize, (x) => featureModel.predict(x) as tf.Tensor2D);
    },
    predict(images, batchSize = 500) {
      const p = this.probabilities(images, batchSize);
      const classes = tf.tidy(() => tf.argMax(p, 1).dataSync() as Int32Array);
      p.dispose();
      return classes;
    },
  };
}

const cache: Partial<Record<DatasetName, Promise<Evaluator>>> = {};

/**
 * Loads the committed evaluator for MNIST or Fashion-MNIST (once per process). Throws a clear
 * error when its weights are missing (run `npm run train:evaluators`).
 */
export function loadEvaluator(dataset: DatasetName = "mnist"): Promise<Evaluator> {
  cache[dataset] ??= readCheckpoint<EvaluatorInfo>(evaluatorDir(dataset))
    .then((ckpt) => wrapEvaluator(dataset, ckpt.models.model, ckpt.state))
    .catch((e: Error) => {
      delete cache[dataset];
      throw new Error(`The ${dataset} evaluator could not be loaded from ${evaluatorDir(dataset)}: ${e.message} (npm run train:evaluators trains it)`);
    });
  return cache[dataset]!;
}
