/**
 * Training an image-to-image model (chapter 08, pix2pix.ts): one D update then one G update per step
 * on a seeded batch of pairs, over every core as `GanTrainer` does, in training-loop.ts's loop.
 */
import * as tf from "@tensorflow/tfjs";
import { applyGradients, gradientsOf } from "./gan";
import { encodePng, imageGridRaster } from "./images";
import { applyPartGradients, partArrays, weighParts } from "./parallel-updates";
import { pix2pixDiscriminatorLoss, pix2pixGeneratorLoss, type Pix2Pix, type Pix2PixOptions } from "./pix2pix";
import { disposeOwnedPool, disposeWithOwner, ReplicaPool } from "./replicas";
import { chooseThreads, splitBatch } from "./threads";
import { batchIndices } from "./random";
import { runTrainingLoop, type TrainResult } from "./training-loop";
import { makeOptimizer } from "./trainer-options";
import { trainableWeightsCheck } from "./weights";

/** One step's losses: D's, G's adversarial term (0 without D) and G's L1 to the target. */
export interface Pix2PixRow {
  step: number;
  dLoss: number;
  gAdversarial: number;
  l1: number;
}

/**
 * Trains an image-to-image model on pairs `inputs[i]` -> `targets[i]` ([N, s, s, c] each, in [-1, 1]):
 * per step one D update (when the model has a D) then one G update, on a seeded batch, over every
 * core (each thread computes the gradients of a part of the batch; see replicas.ts). Shows live
 * progress (losses and the first 8 pairs: input, output, target) in a notebook; Kernel -> Interrupt
 * or Ctrl-C stops after the current step. `onStep` is called every `every` steps.
 */
export class Pix2PixTrainer {
  readonly history: Pix2PixRow[] = [];
  step = 0;
  /** Threads each step runs on, and why that many. */
  readonly threads: number;
  readonly threadsReason: string;
  private readonly dOptimizer?: tf.Optimizer;
  private readonly gOptimizer: tf.Optimizer;
  /** Throws before a step when a layer of G or D was frozen or unfrozen since the first (weights.ts). */
  private readonly checkTrainable = trainableWeightsCheck();
  private readonly options: Required<Omit<Pix2PixOptions, "threads">>;
  /** Where each thread's part of a batch starts and ends (part 0 is this thread's), and its share. */
  private readonly parts: [number, number][];
  private readonly shares: number[];
  private pool?: ReplicaPool;
  private stopRequested = false;

  constructor(
    readonly model: Pix2Pix,
    readonly inputs: tf.Tensor4D,
    readonly targets: tf.Tensor4D,
    options: Pix2PixOptions = {},
  ) {
    const { threads, ...rest } = options;
    this.options = { l1Weight: 100, batchSize: 64, seed: 0, optimizer: { learningRate: 2e-4, beta1: 0.5 }, ...rest };
    if (inputs.shape.join() !== targets.shape.join()) throw new Error(`Pix2PixTrainer: inputs [${inputs.shape}] and targets [${targets.shape}] must have the same shape`);
    const want = model.generator.inputs[0].shape.slice(1).join();
    if (inputs.shape.slice(1).join() !== want) throw new Error(`Pix2PixTrainer: the generator takes images [${want}]; the inputs are [${inputs.shape.slice(1)}]`);
    if (inputs.shape[0] < this.options.batchSize) throw new Error(`Pix2PixTrainer: ${inputs.shape[0]} pairs are fewer than one batch (${this.options.batchSize}); use more pairs or a smaller batchSize`);
    if (!(this.options.l1Weight >= 0)) throw new Error(`Pix2PixTrainer: l1Weight must be at least 0; got ${this.options.l1Weight}`);
    const chosen = chooseThreads(model, this.options.batchSize, threads);
    [this.threads, this.threadsReason] = [chosen.threads, chosen.reason];
    this.parts = splitBatch(this.options.batchSize, this.threads);
    this.shares = this.parts.map(([a, b]) => (b - a) / this.options.batchSize);
    this.gOptimizer = makeOptimizer(this.options.optimizer);
    if (model.discriminator) this.dOptimizer = makeOptimizer(this.options.optimizer);
  }

  /** True once `stop()` has been asked for during the current `train` call. */
  get stopping(): boolean {
    return this.stopRequested;
  }

  /** Asks a running `train` to stop after the current step. */
  stop(): void {
    this.stopRequested = true;
  }

  /** Stops the worker threads (if any) and frees the optimizers. The models stay. */
  dispose(): void {
    disposeOwnedPool(this, this.pool);
    this.dOptimizer?.dispose();
    this.gOptimizer.dispose();
  }

  /** One D update (if any) and one G update on batch `this.step`, over {@link threads} threads. */
  async trainStep(): Promise<Pix2PixRow> {
    this.pool?.invalidate(); // the weights may have been set since the last step
    return this.oneStep();
  }

  private async oneStep(): Promise<Pix2PixRow> {
    this.checkTrainable({ discriminator: this.model.discriminator, generator: this.model.generator });
    if (this.threads > 1 && !this.pool) {
      this.pool = await ReplicaPool.startPix2Pix(this.model, this.threads - 1, this.options.l1Weight);
      disposeWithOwner(this, this.pool);
    }
    const indices = tf.tensor1d(batchIndices(this.inputs.shape[0], this.options.batchSize, this.options.seed, this.step), "int32");
    const x = tf.gather(this.inputs, indices);
    const y = tf.gather(this.targets, indices);
    const [a, b] = this.parts[0];
    const [myX, myY] = [x.slice(a, b - a), y.slice(a, b - a)];
    const theirParts = partArrays({ inputs: x, targets: y }, this.parts.slice(1));
    const ask = (kind: string) => (this.pool ? this.pool.gradients(kind, this.model, theirParts) : Promise.resolve([]));
    try {
      let dLoss = 0;
      if (this.model.discriminator) {
        const pending = ask("pix2pix-discriminator");
        const mine = gradientsOf(this.model.discriminator, () => pix2pixDiscriminatorLoss(this.model, myX, myY));
        dLoss = (await applyPartGradients(this.model.discriminator, this.dOptimizer!, mine, pending, this.shares)).loss;
        this.pool?.changed(this.model.discriminator);
      }
      const pending = ask("pix2pix-generator");
      let parts: tf.Scalar[] = [];
      const mine = gradientsOf(this.model.generator, () => {
        const { loss, adversarial, l1 } = pix2pixGeneratorLoss(this.model, myX, myY, this.options.l1Weight);
        parts = [tf.keep(adversarial), tf.keep(l1)];
        return loss;
      });
      const [myAdversarial, myL1] = parts.map((p) => p.dataSync()[0]);
      tf.dispose(parts);
      const { theirs } = await applyPartGradients(this.model.generator, this.gOptimizer, mine, pending, this.shares);
      this.pool?.changed(this.model.generator);
      const gAdversarial = weighParts(myAdversarial, theirs.map((t) => t.stats![0]), this.shares);
      const l1 = weighParts(myL1, theirs.map((t) => t.stats![1]), this.shares);
      this.step += 1;
      const row = { step: this.step, dLoss, gAdversarial, l1 };
      this.history.push(row);
      return row;
    } finally {
      tf.dispose([indices, x, y, myX, myY]);
    }
  }

  /** The first `count` pairs as rows of [input, output, target], a PNG grid. */
  previewPng(count = 8): Uint8Array {
    const n = Math.min(count, this.inputs.shape[0]);
    const grid = tf.tidy(() => {
      const x = this.inputs.slice(0, n);
      const out = this.model.generator.predict(x) as tf.Tensor4D;
      return tf.stack([x, out, this.targets.slice(0, n)], 1).reshape([3 * n, ...this.inputs.shape.slice(1)]) as tf.Tensor4D;
    });
    try {
      return encodePng(imageGridRaster(grid, { cols: 6, scale: 1 }));
    } finally {
      grid.dispose();
    }
  }

  /** Trains for `steps` more steps in training-loop.ts's loop; resolves when done or stopped (a non-finite loss rejects). */
  async train(steps: number, run: { title?: string; every?: number; onStep?: (t: Pix2PixTrainer) => void | Promise<void>; progress?: "none" } = {}): Promise<TrainResult> {
    this.stopRequested = false;
    this.pool?.invalidate(); // the weights may have been set since the last call
    const onStep = run.onStep;
    return runTrainingLoop(this, steps, {
      ...run,
      takeStep: async () => {
        const row = await this.oneStep();
        if (![row.dLoss, row.gAdversarial, row.l1].every(Number.isFinite)) throw new Error(`Training stopped at step ${row.step}: a loss is not finite (D ${row.dLoss}, adversarial ${row.gAdversarial}, L1 ${row.l1}). Try a smaller learning rate.`);
        return row;
      },
      preview: () => this.previewPng(),
      // The bar's two curves: D's loss, and G's whole loss (adversarial + λ L1).
      point: (row) => ({ step: row.step, dLoss: row.dLoss, gLoss: row.gAdversarial + this.options.l1Weight * row.l1 }),
      onStep: onStep && (async () => {
        await onStep(this);
        this.pool?.invalidate(); // the callback may have set weights
      }),
    });
  }
}
