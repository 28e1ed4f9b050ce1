/**
 * Operations on a whole model's weights: copying a model (the trainer's averaged generator, worker
 * replicas), moving an average of weights, the trainer's guard against NaN/Inf (keep a copy of
 * the weights before a step, put it back when the step went bad), and the trainers' check that the
 * set of trainable weights stays what their optimizers were built for.
 */
import * as tf from "@tensorflow/tfjs";

/**
 * A new model with `model`'s architecture and a copy of its weights (Sequential or functional), in
 * variables of its own: the trainer's averaged generator (chapter 03) starts as one.
 */
export function cloneModel(model: tf.LayersModel): tf.LayersModel {
  // getConfig/fromConfig is synchronous (unlike a round trip through model.json).
  const copy = modelFromConfig(model.getConfig(), model instanceof tf.Sequential);
  copy.setWeights(model.getWeights());
  return copy;
}

/**
 * A new model (fresh weights) from another's `getConfig()`: a Sequential when `sequential`, else a
 * functional model. Worker threads rebuild replicas this way (the config is plain data).
 */
export function modelFromConfig(config: unknown, sequential: boolean): tf.LayersModel {
  const c = config as tf.serialization.ConfigDict;
  return (sequential ? tf.Sequential.fromConfig(tf.Sequential, c) : tf.LayersModel.fromConfig(tf.LayersModel, c)) as tf.LayersModel;
}

/**
 * Moves `averaged` towards `source` (same architecture): each trainable weight becomes
 * decay * average + (1 - decay) * weight; the rest (batch-norm statistics) are copied.
 */
export function moveAverage(averaged: tf.LayersModel, source: tf.LayersModel, decay: number): void {
  const weights = source.weights;
  tf.tidy(() =>
    averaged.weights.forEach((a, i) => {
      const w = weights[i].read();
      a.write(a.trainable ? a.read().mul(decay).add(w.mul(1 - decay)) : w.clone());
    }),
  );
}

/** Copies of every weight of the models, in order (for {@link restoreWeights}). */
export function snapshotWeights(models: tf.LayersModel[]): tf.Tensor[] {
  return models.flatMap((m) => m.getWeights().map((w) => w.clone()));
}

/** Puts back weights taken by {@link snapshotWeights} from the same models. */
export function restoreWeights(models: tf.LayersModel[], weights: tf.Tensor[]): void {
  let start = 0;
  for (const m of models) {
    const n = m.weights.length;
    m.setWeights(weights.slice(start, start + n));
    start += n;
  }
}

/** The name of the first model with a NaN/Inf trainable weight, or undefined. */
export function nonFiniteModel(models: Record<string, tf.LayersModel>): string | undefined {
  for (const [name, model] of Object.entries(models)) {
    const total = tf.tidy(() => tf.addN(model.trainableWeights.map((w) => tf.sum(w.read()))).dataSync()[0]);
    if (!Number.isFinite(total)) return name; // a sum of finite weights is finite unless it overflows, which is as bad
  }
  return undefined;
}

/**
 * A check for a trainer to run before each update: the first call remembers each model's trainable
 * weights (names, in order); a later call throws when a layer was frozen or unfrozen since (its
 * `trainable` flag). tfjs's optimizers keep each weight's state (Adam's moments) by its place in that
 * list, and worker-thread replicas keep the flags they were built with, so training on would apply
 * one weight's moments to another, silently when their shapes agree.
 */
export function trainableWeightsCheck(): (models: Record<string, tf.LayersModel | undefined>) => void {
  const first = new Map<string, string[]>();
  return (models) => {
    for (const [role, model] of Object.entries(models)) {
      if (!model) continue;
      const now = model.trainableWeights.map((w) => w.name);
      const before = first.get(role);
      if (!before) first.set(role, now);
      else if (before.length !== now.length || before.some((name, i) => name !== now[i])) {
        throw new Error(
          `The ${role}'s trainable weights changed after training began (${before.length} then, ${now.length} now: a layer's trainable flag was set). ` +
            `Its optimizer keeps each weight's moments by the weight's place in that list, so training on would mix them up. ` +
            `Set trainable before the first training step, or go on with a new trainer (the models keep their weights).`,
        );
      }
    }
  };
}
