/**
 * One discriminator or generator update over the threads (replicas.ts): this thread computes the
 * gradients of batch part 0 while the workers compute the others'; the parts' gradients are averaged,
 * weighted by part size in a fixed order, and applied once to the models in this thread.
 */
import * as tf from "@tensorflow/tfjs";
import {
  applyGradients,
  discriminatorGradients,
  generatorGradients,
  type DiscriminatorMetrics,
  type Gan,
  type Gradients,
  type LossOptions,
} from "./gan";
import type { PartArrays, PartGradients, ReplicaPool } from "./replicas";

/**
 * Where one update's time went over the threads, in milliseconds (`npm run profile -- --threads 2`):
 * this thread's part (from sending the workers theirs to its own gradients), each worker's part,
 * this thread's wait for the slowest worker after its own part, and combining the parts' gradients
 * and applying them.
 */
export interface UpdateTiming {
  update: "discriminator" | "generator";
  mine: number;
  theirs: number[];
  wait: number;
  combine: number;
}

/**
 * One discriminator or generator update over the threads: the worker threads compute the gradients
 * of batch parts 1.. while this thread computes part 0's; the parts' gradients are combined and
 * applied once. `GanTrainer` makes one when it trains on more than one thread.
 */
export class ParallelUpdates {
  /** Each part's share of the batch, the weight of its gradients. */
  private readonly shares: number[];

  constructor(
    readonly pool: ReplicaPool,
    private readonly gan: Gan,
    private readonly parts: [number, number][],
    private readonly options: LossOptions & { batchSize: number },
    /** Where to record each update's {@link UpdateTiming} (none: not recorded). */
    private readonly timings: () => UpdateTiming[] | undefined = () => undefined,
  ) {
    this.shares = parts.map(([a, b]) => (b - a) / options.batchSize);
  }

  /** {@link discriminatorStep} over the threads: `real`, `z` [batch, ...] and the labels are cut into parts. */
  async discriminatorUpdate(optimizer: tf.Optimizer, real: tf.Tensor, z: tf.Tensor, labels?: { real: tf.Tensor; fake: tf.Tensor }): Promise<DiscriminatorMetrics> {
    const started = performance.now();
    const pending = this.pool.gradients("discriminator", this.gan, this.remoteParts({ noise: z, real, realLabels: labels?.real, fakeLabels: labels?.fake }));
    const mine = this.onPartZero([real, z, labels?.real, labels?.fake], ([r, noise, realLabels, fakeLabels]) =>
      discriminatorGradients(this.gan, r!, noise!, this.options, labels ? { real: realLabels!, fake: fakeLabels! } : undefined),
    );
    const stats = Array.from(mine.stats.dataSync());
    mine.stats.dispose();
    const { loss, theirs } = await this.finish("discriminator", optimizer, mine, pending, started);
    const mean = (j: number) => this.weigh(stats[j], theirs.map((t) => t.stats![j]));
    return { dLoss: loss, dReal: mean(0), dFake: mean(1), dAccuracy: mean(2) };
  }

  /** {@link generatorStep} over the threads. */
  async generatorUpdate(optimizer: tf.Optimizer, z: tf.Tensor, labels?: tf.Tensor): Promise<number> {
    const started = performance.now();
    const pending = this.pool.gradients("generator", this.gan, this.remoteParts({ noise: z, fakeLabels: labels }));
    const mine = this.onPartZero([z, labels], ([noise, fakeLabels]) => generatorGradients(this.gan, noise!, this.options, fakeLabels));
    return (await this.finish("generator", optimizer, mine, pending, started)).loss;
  }

  /** `f` on part 0 of each tensor (undefined stays undefined); the cut tensors are freed after. */
  private onPartZero<T>(tensors: (tf.Tensor | undefined)[], f: (parts: (tf.Tensor | undefined)[]) => T): T {
    const [a, b] = this.parts[0];
    const cut = tensors.map((t) => t?.slice(a, b - a));
    try {
      return f(cut);
    } finally {
      tf.dispose(cut.filter((t): t is tf.Tensor => t !== undefined));
    }
  }

  /** The batch parts 1.. as arrays for the worker threads. */
  private remoteParts(tensors: { noise: tf.Tensor; real?: tf.Tensor; realLabels?: tf.Tensor; fakeLabels?: tf.Tensor }): PartArrays[] {
    return partArrays(tensors, this.parts.slice(1));
  }

  /** part 0's value and the others', weighted by their shares of the batch, summed in part order. */
  private weigh(mine: number, theirs: number[]): number {
    return weighParts(mine, theirs, this.shares);
  }

  private async finish(update: UpdateTiming["update"], optimizer: tf.Optimizer, mine: Gradients, pending: Promise<PartGradients[]>, started: number): Promise<{ loss: number; theirs: PartGradients[] }> {
    const model = update === "discriminator" ? this.gan.discriminator : this.gan.generator;
    const computed = performance.now();
    let arrived = computed;
    const result = await applyPartGradients(model, optimizer, mine, pending.then((theirs) => ((arrived = performance.now()), theirs)), this.shares);
    this.pool.changed(model);
    const timings = this.timings();
    if (timings) {
      const wait = Math.max(0, arrived - computed);
      timings.push({ update, mine: computed - started, theirs: result.theirs.map((t) => t.computeMs ?? NaN), wait, combine: performance.now() - computed - wait });
    }
    return result;
  }
}

/** Tensors [N, ...] cut along the batch into `parts` ([start, end) each), as arrays for worker threads. */
export function partArrays(tensors: Record<string, tf.Tensor | undefined>, parts: [number, number][]): PartArrays[] {
  return parts.map(([a, b]) => {
    const out: PartArrays = { count: b - a };
    for (const [name, t] of Object.entries(tensors)) {
      if (!t) continue;
      const part = t.slice(a, b - a);
      out[name] = part.dataSync() as Float32Array;
      part.dispose();
    }
    return out;
  });
}

/** part 0's value and the others', weighted by their shares of the batch, summed in part order. */
export function weighParts(mine: number, theirs: number[], shares: number[]): number {
  return theirs.reduce((acc, v, k) => acc + v * shares[k + 1], mine * shares[0]);
}

/**
 * Waits for the workers' gradients, combines them with `mine` (each part weighted by its share of
 * the batch, in part order, so a run repeats exactly: the gradient of the whole batch's mean loss)
 * and applies them to `model` with `optimizer`. Frees `mine`. Returns the batch's loss and the
 * workers' replies.
 */
export async function applyPartGradients(
  model: tf.LayersModel,
  optimizer: tf.Optimizer,
  mine: Gradients,
  pending: Promise<PartGradients[]>,
  shares: number[],
): Promise<{ loss: number; theirs: PartGradients[] }> {
  const disposeMine = () => tf.dispose([mine.loss, ...mine.grads.filter((g): g is tf.Tensor => g !== null)]);
  let theirs: PartGradients[];
  try {
    theirs = await pending;
  } catch (e) {
    disposeMine();
    throw e;
  }
  const grads = mine.grads.map((g, i) =>
    !g
      ? null
      : tf.tidy(() => {
          const shape = model.trainableWeights[i].shape as number[];
          let sum = tf.mul(g, shares[0]);
          theirs.forEach((t, k) => {
            if (t.grads[i]) sum = tf.add(sum, tf.mul(tf.tensor(t.grads[i]!, shape), shares[k + 1]));
          });
          return sum;
        }),
  );
  const loss = weighParts(mine.loss.dataSync()[0], theirs.map((t) => t.loss), shares);
  disposeMine();
  applyGradients(model, optimizer, grads);
  tf.dispose(grads.filter((g): g is tf.Tensor => g !== null));
  return { loss, theirs };
}
