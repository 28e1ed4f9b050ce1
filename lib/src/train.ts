/**
 * The GAN trainer (chapter 03 builds it up; chapters 04-06 use it): alternating updates with k
 * discriminator steps per generator step, a choice of losses and optimizers, a fixed noise batch for
 * progress images, a history as a polars DataFrame, NaN/Inf detection that keeps the last good
 * weights, every core in every step (threads.ts), and checkpoints with resume (trainer-checkpoint.ts).
 * The loop itself, with live progress, callbacks and Ctrl-C, is training-loop.ts's.
 *
 * A "step" is one generator update (preceded by `dSteps` discriminator updates). Seeded runs repeat:
 * real batches come from a seeded shuffle per epoch, and the noise of step s from seeds derived from
 * (seed, s), so a run resumed from a checkpoint takes the same next step as an uninterrupted one.
 */
import * as tf from "@tensorflow/tfjs";
import pl from "nodejs-polars";
import { discriminatorStep, generate, generatorStep, type Gan } from "./gan";
import { previewPng, sampleNoise } from "./sampling";
import { ParallelUpdates, type UpdateTiming } from "./parallel-updates";
import { disposeOwnedPool, disposeWithOwner, ReplicaPool } from "./replicas";
import { chooseThreads, splitBatch } from "./threads";
import { batchIndices, makeRandom } from "./random";
import { runTrainingLoop, type TrainResult } from "./training-loop";
import { cloneModel, moveAverage, nonFiniteModel, restoreWeights, snapshotWeights, trainableWeightsCheck } from "./weights";
import { readTrainerCheckpoint, writeTrainerCheckpoint } from "./trainer-checkpoint";
import { dropFactor, makeOptimizer, resolveTrainerOptions, setLearningRate, type ResolvedTrainerOptions, type TrainerOptions } from "./trainer-options";

/** One row of the history: what step `step` measured. */
export interface HistoryRow {
  step: number;
  dLoss: number;
  gLoss: number;
  /** Mean D(x) on real data. */
  dReal: number;
  /** Mean D(G(z)) on fakes. */
  dFake: number;
  /** D's accuracy on the batch (real and fake). */
  dAccuracy: number;
  /** Seconds since training began (across resumes). */
  seconds: number;
}

/** Options for one call of {@link GanTrainer.train}. */
export interface TrainRunOptions {
  /** Live progress: "auto" (a live display in a kernel, text lines elsewhere), "text", or "none". */
  progress?: "auto" | "none";
  title?: string;
  /** Called every `every` steps (default 100) with the trainer and the latest row. */
  every?: number;
  onStep?: (trainer: GanTrainer, row: HistoryRow) => void | Promise<void>;
  /** The preview shown in the live display; default: a grid of the fixed-noise images (image data only). */
  preview?: (trainer: GanTrainer) => Uint8Array | undefined;
}

/** Trains a GAN; see the module comment. Construct, then `await trainer.train(steps)`. */
export class GanTrainer {
  readonly gan: Gan;
  readonly data: tf.Tensor;
  readonly history: HistoryRow[] = [];
  /** Generator updates done so far. */
  step = 0;
  /** The noise of the progress images, the same at every step: [previewCount, latentDim]. */
  previewNoise: tf.Tensor2D;
  /** One-hot labels of the fixed noise batch (class i % classes), for a conditional GAN. */
  readonly previewLabels?: tf.Tensor2D;
  private readonly labels?: Int32Array;
  private readonly options: ResolvedTrainerOptions;
  private readonly dOptimizer: tf.Optimizer;
  private readonly gOptimizer: tf.Optimizer;
  /** The optimizer of the unrolled look-ahead D updates (unrolledSteps > 0). */
  private readonly unrollOptimizer?: tf.Optimizer;
  private readonly guard: boolean;
  /** Throws before an update when a layer of G or D was frozen or unfrozen since the first (weights.ts). */
  private readonly checkTrainable = trainableWeightsCheck();
  /** The generator whose weights are the moving average of G's (generatorAverage set). */
  readonly averagedGenerator?: tf.LayersModel;
  /** Threads each training step runs on (data-parallel), and why that many. */
  readonly threads: number;
  readonly threadsReason: string;
  /** Where each thread's part of a batch starts and ends (part 0 is this thread's). */
  private readonly parts: [number, number][];
  /** The updates over worker threads (parts 1..), started by the first `train` call when threads > 1. */
  private parallel?: ParallelUpdates;
  /** Set to [] to record where each update's time goes on more than one thread (`npm run profile -- --threads 2`). */
  updateTimings?: UpdateTiming[];
  private stopRequested = false;
  private secondsBefore = 0;

  constructor(options: TrainerOptions) {
    this.gan = options.gan;
    this.data = options.data;
    this.options = resolveTrainerOptions(options);
    this.guard = options.guardNonFinite ?? true;
    const threads = chooseThreads(this.gan, this.options.batchSize, options.threads);
    this.threads = threads.threads;
    this.threadsReason = threads.reason;
    const pack = this.gan.prepare?.spec?.kind === "pack" ? this.gan.prepare.spec.m : 1;
    this.parts = splitBatch(this.options.batchSize, this.threads, pack);
    this.dOptimizer = makeOptimizer(this.options.dOptimizer);
    this.gOptimizer = makeOptimizer(this.options.gOptimizer);
    if (this.options.unrolledSteps > 0) this.unrollOptimizer = makeOptimizer(this.options.dOptimizer);
    this.previewNoise = sampleNoise(this.options.previewCount, this.gan.latentDim, this.options.seed * 7919 + 1);
    if (this.options.generatorAverage) this.averagedGenerator = cloneModel(this.gan.generator);
    if (this.gan.classes) {
      this.labels = Int32Array.from(options.labels!);
      this.previewLabels = this.oneHot(Int32Array.from({ length: this.options.previewCount }, (_, i) => i % this.gan.classes!));
    }
  }

  private oneHot(classes: Int32Array): tf.Tensor2D {
    return tf.tidy(() => tf.oneHot(tf.tensor1d(classes, "int32"), this.gan.classes!).toFloat() as tf.Tensor2D);
  }

  /** Seeded random classes for the fakes of step s, update u. */
  private fakeClasses(step: number, u: number): Int32Array {
    const random = makeRandom(this.options.seed * 7777 + step * 131 + u + 3);
    return Int32Array.from({ length: this.options.batchSize }, () => Math.floor(random() * this.gan.classes!));
  }

  /**
   * Changes the players' learning rates from the next step on (the base rates that
   * `learningRateDrops` scale). 0 freezes a player: chapter 05 stops D learning to show G collapsing
   * onto the one kind of sample D likes best.
   */
  setLearningRates(rates: { discriminator?: number; generator?: number }): void {
    for (const [name, rate] of Object.entries(rates)) {
      if (!(rate >= 0 && Number.isFinite(rate))) throw new Error(`setLearningRates: the ${name}'s learning rate must be a number >= 0; got ${rate}`);
    }
    if (rates.discriminator !== undefined) this.options.dOptimizer = { ...this.options.dOptimizer, learningRate: rates.discriminator };
    if (rates.generator !== undefined) this.options.gOptimizer = { ...this.options.gOptimizer, learningRate: rates.generator };
  }

  /**
   * The GAN to sample from: `gan` with the averaged generator when `generatorAverage` is set, else
   * `gan` itself. Pass it to `generate`, `sampleByClass` and the views.
   */
  get samplingGan(): Gan {
    return this.averagedGenerator ? { ...this.gan, generator: this.averagedGenerator } : this.gan;
  }

  /** Moves the averaged generator towards G after update t = this.step (early on, a shorter memory). */
  private updateAverage(): void {
    if (this.averagedGenerator) moveAverage(this.averagedGenerator, this.gan.generator, Math.min(this.options.generatorAverage!, (1 + this.step) / (10 + this.step)));
  }

  /** Starts the worker threads on the first call (threads > 1). */
  private async startReplicas(): Promise<void> {
    if (this.threads > 1 && !this.parallel) {
      const { loss, realLabel, gradientPenalty } = this.options;
      const pool = await ReplicaPool.start(this.gan, this.threads - 1, { loss, realLabel, gradientPenalty });
      this.parallel = new ParallelUpdates(pool, this.gan, this.parts, this.options, () => this.updateTimings);
      // A notebook rarely disposes its trainers: stop the workers when the trainer is garbage.
      disposeWithOwner(this, pool);
    }
  }

  /** G and D, the models a step changes (in the order the NaN guard copies them). */
  private get players(): tf.LayersModel[] {
    return [this.gan.generator, this.gan.discriminator];
  }

  /** True once `stop()` has been asked for during the current `train` call. */
  get stopping(): boolean {
    return this.stopRequested;
  }

  /** Asks a running `train` to stop after the current step (also what an interrupt does). */
  stop(): void {
    this.stopRequested = true;
  }

  /** The real-data indices of batch `b` (see {@link batchIndices}). */
  private batchIndices(b: number): Int32Array {
    return batchIndices(this.data.shape[0], this.options.batchSize, this.options.seed, b);
  }

  /** Noise for step s, update u (u < dSteps: D updates; u = dSteps: the G update), seeded. */
  private noise(step: number, u: number): tf.Tensor2D {
    return sampleNoise(this.options.batchSize, this.gan.latentDim, this.options.seed * 1000003 + step * 131 + u + 17);
  }

  /** Sets every optimizer's learning rate for generator step s (base rate times the drop reached). */
  private applyLearningRateDrops(s: number): void {
    const factor = dropFactor(this.options.learningRateDrops, s);
    setLearningRate(this.dOptimizer, this.options.dOptimizer.learningRate * factor);
    if (this.unrollOptimizer) setLearningRate(this.unrollOptimizer, this.options.dOptimizer.learningRate * factor);
    setLearningRate(this.gOptimizer, this.options.gOptimizer.learningRate * factor);
  }

  /** One generator step with its discriminator steps; returns the history row. */
  private async oneStep(started: number): Promise<HistoryRow> {
    this.checkTrainable({ discriminator: this.gan.discriminator, generator: this.gan.generator });
    const s = this.step + 1;
    const { dSteps, unrolledSteps } = this.options;
    this.applyLearningRateDrops(s);
    const dUpdate = async (optimizer: tf.Optimizer, u: number) => {
      const indices = this.batchIndices(this.step * dSteps + (u % dSteps));
      const real = tf.tidy(() => tf.gather(this.data, tf.tensor1d(indices, "int32")));
      const z = this.noise(s, u);
      const labels = this.labels
        ? { real: this.oneHot(Int32Array.from(indices, (i) => this.labels![i])), fake: this.oneHot(this.fakeClasses(s, u)) }
        : undefined;
      try {
        return this.parallel
          ? await this.parallel.discriminatorUpdate(optimizer, real, z, labels)
          : discriminatorStep(this.gan, optimizer, real, z, this.options, labels);
      } finally {
        tf.dispose([real, z, labels?.real, labels?.fake].filter((t): t is tf.Tensor => t !== undefined));
      }
    };
    let d = { dLoss: NaN, dReal: NaN, dFake: NaN, dAccuracy: NaN };
    for (let u = 0; u < dSteps; u++) d = await dUpdate(this.dOptimizer, u);
    // Unrolled GAN: look ahead with a copy of D's weights, update G against it, put D back.
    const dWeights = unrolledSteps > 0 ? this.gan.discriminator.getWeights().map((w) => w.clone()) : undefined;
    for (let u = 0; u < unrolledSteps; u++) await dUpdate(this.unrollOptimizer!, dSteps + 1 + u);
    const z = this.noise(s, dSteps);
    const gLabels = this.labels ? this.oneHot(this.fakeClasses(s, dSteps)) : undefined;
    let gLoss: number;
    try {
      gLoss = this.parallel
        ? await this.parallel.generatorUpdate(this.gOptimizer, z, gLabels)
        : generatorStep(this.gan, this.gOptimizer, z, this.options, gLabels);
    } finally {
      tf.dispose([z, ...(gLabels ? [gLabels] : [])]);
    }
    if (dWeights) {
      this.gan.discriminator.setWeights(dWeights);
      this.parallel?.pool.changed(this.gan.discriminator);
      tf.dispose(dWeights);
    }
    return { step: s, ...d, gLoss, seconds: this.secondsBefore + (Date.now() - started) / 1000 };
  }

  /** One step with the NaN guard: the row of a good step, recorded; the weights put back and an error otherwise. */
  private async guardedStep(started: number): Promise<HistoryRow> {
    const saved = this.guard ? snapshotWeights(this.players) : undefined;
    const row = await this.oneStep(started);
    const bad = (["dLoss", "gLoss"] as const).find((k) => !Number.isFinite(row[k]));
    const badWeights = bad ? undefined : nonFiniteModel({ generator: this.gan.generator, discriminator: this.gan.discriminator });
    if (bad || badWeights) {
      if (saved) restoreWeights(this.players, saved);
      tf.dispose(saved);
      const what = bad ? `the ${bad === "dLoss" ? "discriminator" : "generator"} loss is ${row[bad]}` : `the ${badWeights}'s weights became NaN or Infinity`;
      throw new Error(
        `Training stopped at step ${row.step}: ${what}. ` +
          (saved ? `The weights after step ${this.step} were kept. ` : "") +
          `Try a smaller learning rate, or check the data for extreme values.`,
      );
    }
    tf.dispose(saved);
    this.step = row.step;
    this.updateAverage();
    this.history.push(row);
    return row;
  }

  /**
   * Trains for `steps` generator steps (after any already done), in training-loop.ts's loop.
   * Resolves when done or stopped; rejects if a loss turns NaN/Inf, after restoring the weights of
   * the last good step.
   */
  async train(steps: number, run: TrainRunOptions = {}): Promise<TrainResult> {
    this.stopRequested = false;
    const started = Date.now();
    this.parallel?.pool.invalidate(); // the notebook may have set weights since the last call
    const onStep = run.onStep;
    try {
      return await runTrainingLoop(this, steps, {
        takeStep: async () => {
          await this.startReplicas(); // the first call starts the worker threads
          return this.guardedStep(started);
        },
        progress: run.progress,
        title: run.title,
        every: run.every,
        preview: () => (run.preview ? run.preview(this) : previewPng(this)),
        point: (row) => row,
        onStep: onStep && (async (row) => {
          await onStep(this, row);
          this.parallel?.pool.invalidate(); // the callback may have set weights
        }),
      });
    } finally {
      this.secondsBefore = this.history.at(-1)?.seconds ?? this.secondsBefore;
    }
  }

  /** The history as a polars DataFrame: step, d_loss, g_loss, d_real, d_fake, d_accuracy, seconds. */
  historyFrame(): pl.DataFrame {
    const h = this.history;
    return pl.DataFrame({
      step: h.map((r) => r.step),
      d_loss: h.map((r) => r.dLoss),
      g_loss: h.map((r) => r.gLoss),
      d_real: h.map((r) => r.dReal),
      d_fake: h.map((r) => r.dFake),
      d_accuracy: h.map((r) => r.dAccuracy),
      seconds: h.map((r) => r.seconds),
    });
  }

  /** Saves models, optimizer state, preview noise, step and history to `dir`, atomically (trainer-checkpoint.ts). */
  async save(dir: string): Promise<void> {
    await writeTrainerCheckpoint(dir, {
      gan: this.gan,
      averagedGenerator: this.averagedGenerator,
      state: { step: this.step, history: this.history, options: this.options, latentDim: this.gan.latentDim, classes: this.gan.classes, auxiliaryClassifier: this.gan.auxiliaryClassifier, infoCode: this.gan.infoCode },
      previewNoise: this.previewNoise,
      dSlots: (await this.dOptimizer.getWeights()).map((w) => w.tensor),
      gSlots: (await this.gOptimizer.getWeights()).map((w) => w.tensor),
    });
  }

  /**
   * Loads a trainer saved by {@link save}, ready to continue: the same next step as if it had never
   * stopped. `data` must be the same real data.
   */
  static async load(dir: string, data: tf.Tensor, options: { guardNonFinite?: boolean; labels?: ArrayLike<number>; prepare?: Gan["prepare"]; threads?: number } = {}): Promise<GanTrainer> {
    const ckpt = await readTrainerCheckpoint(dir);
    const s = ckpt.state;
    // A player frozen with setLearningRates(0) when the checkpoint was saved: build with a placeholder
    // rate (the constructor refuses 0, a likely mistake in new options), then freeze it again.
    const saved = { discriminator: s.options.dOptimizer.learningRate, generator: s.options.gOptimizer.learningRate };
    const trainer = new GanTrainer({
      // `prepare` is code, not data: a GAN trained with one (PacGAN, minibatch std) passes it again here.
      gan: { generator: ckpt.generator, discriminator: ckpt.discriminator, latentDim: s.latentDim, classes: s.classes, auxiliaryClassifier: s.auxiliaryClassifier, infoCode: s.infoCode, prepare: options.prepare },
      data,
      labels: options.labels,
      ...s.options,
      dOptimizer: { ...s.options.dOptimizer, learningRate: saved.discriminator || 1 },
      gOptimizer: { ...s.options.gOptimizer, learningRate: saved.generator || 1 },
      guardNonFinite: options.guardNonFinite,
      threads: options.threads,
    });
    trainer.setLearningRates(saved);
    // Optimizer slots exist only after the first update; restore them when the run had started.
    if (ckpt.dSlots.length) await trainer.dOptimizer.setWeights(ckpt.dSlots.map((tensor, i) => ({ name: `d${i}`, tensor })));
    if (ckpt.gSlots.length) await trainer.gOptimizer.setWeights(ckpt.gSlots.map((tensor, i) => ({ name: `g${i}`, tensor })));
    tf.dispose([...ckpt.dSlots, ...ckpt.gSlots]);
    if (ckpt.previewNoise) {
      trainer.previewNoise.dispose();
      trainer.previewNoise = ckpt.previewNoise;
    }
    if (trainer.averagedGenerator) {
      if (!ckpt.averagedGenerator) throw new Error(`${dir} was saved with generatorAverage but holds no averagedGenerator model: the checkpoint is incomplete`);
      trainer.averagedGenerator.setWeights(ckpt.averagedGenerator.getWeights());
    }
    ckpt.averagedGenerator?.dispose();
    trainer.step = s.step;
    trainer.history.push(...s.history);
    trainer.secondsBefore = s.history.at(-1)?.seconds ?? 0;
    return trainer;
  }

  /**
   * Frees the optimizers' state, the fixed noise and the averaged generator (not the GAN's models or
   * the data), and stops the worker threads.
   */
  dispose(): void {
    disposeOwnedPool(this, this.parallel?.pool);
    this.averagedGenerator?.dispose();
    this.dOptimizer.dispose();
    this.gOptimizer.dispose();
    this.unrollOptimizer?.dispose();
    this.previewNoise.dispose();
    this.previewLabels?.dispose();
  }
}
