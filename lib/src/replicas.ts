/**
 * Data-parallel training on worker threads: how `GanTrainer` uses every core in every step.
 *
 * TensorFlow.js runs a step's kernels on one core (its wasm backend has no threads in Node). So the
 * trainer splits each batch into one part per thread: it computes the gradients of its own part
 * while each worker thread, holding a replica of G and D, computes those of another part; the
 * gradients are averaged (weighted by part size, in a fixed order) and applied once, by the
 * trainer's optimizer, to the models in the main thread. Before every update the workers receive
 * the current weights, so the replicas never drift and the live model is always the one in the
 * notebook. A batch of 64 on two threads costs about what a batch of 32 costs on one.
 *
 * What changes with threads: nothing for a model without batch statistics (the averaged gradient
 * of the parts is the gradient of the whole batch, up to float rounding); batch norm normalises
 * each part by its own statistics, and minibatch standard deviation sees only its part. A seeded run
 * gives the same numbers every time at a given number of threads.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { isMainThread, Worker } from "node:worker_threads";
import * as tf from "@tensorflow/tfjs";
import {
  applyGradients,
  discriminatorGradients,
  generatorGradients,
  type DiscriminatorMetrics,
  type Gan,
  type Gradients,
  type LossOptions,
  type PrepareSpec,
} from "./gan";

/** The models a pool holds replicas of: a GAN's, or pix2pix's (whose L1-only baseline has no D). */
export interface Players {
  generator: tf.LayersModel;
  discriminator?: tf.LayersModel;
}

/** Cores this process may use (os.availableParallelism where Node has it). */
export function availableCores(): number {
  return Math.max(1, typeof os.availableParallelism === "function" ? os.availableParallelism() : os.cpus().length);
}

/** Reads a thread count from an option or GANBOOK_THREADS; throws a clear error for a bad one. */
export function requestedThreads(option?: number, env: string | undefined = process.env.GANBOOK_THREADS): number | undefined {
  const [value, source] = option !== undefined ? [option, "threads"] : [env?.trim() ? Number(env) : undefined, `GANBOOK_THREADS=${env}`];
  if (value === undefined) return undefined;
  if (!Number.isInteger(value) || value < 1) {
    throw new Error(`${option !== undefined ? `threads ${option}` : source}: the number of threads must be a whole number >= 1 (1 trains on one core, as TensorFlow.js does alone)`);
  }
  return value;
}

/**
 * How many threads a trainer uses, and why. An explicit request (option or GANBOOK_THREADS) is kept,
 * capped by how many parts the batch splits into; otherwise every core, except where that would
 * not help: on TensorFlow's native backend (already multi-threaded), and inside a worker thread
 * (chapter 05 runs one GAN per core already).
 */
export function chooseThreads(gan: Players & Pick<Gan, "prepare">, batchSize: number, option?: number): { threads: number; reason: string } {
  const requested = requestedThreads(option);
  const pack = gan.prepare?.spec?.kind === "pack" ? gan.prepare.spec.m : 1;
  const maxParts = Math.max(1, Math.floor(batchSize / pack));
  if (requested === 1) return { threads: 1, reason: "one thread, as asked" };
  if (gan.prepare && !gan.prepare.spec) return { threads: 1, reason: "one thread: the GAN's prepare view is a function a worker thread cannot rebuild (use packSamples or appendMinibatchStd)" };
  if (requested === undefined) {
    if (!isMainThread) return { threads: 1, reason: "one thread: this trainer runs in a worker thread, one of several" };
    if (tf.getBackend() === "tensorflow") return { threads: 1, reason: "one thread: TensorFlow's native backend uses every core itself" };
    if (!hasConvolutions(gan)) return { threads: 1, reason: "one thread: a GAN of dense layers spends its step on per-weight work (optimizer, copies) that threads do not split" };
  }
  const wanted = requested ?? availableCores();
  const threads = Math.min(wanted, maxParts);
  if (threads === 1) return { threads, reason: wanted === 1 ? "one thread: this machine has one core" : "one thread: the batch is too small to split" };
  return { threads, reason: `${threads} threads${requested ? " (asked for)" : " (one per core)"}: each computes the gradients of ${threads < wanted ? "a part" : `1/${threads}`} of the batch` };
}

/**
 * Whether G or D convolves. A convolution uses each weight at every position of the image, so a
 * step is mostly arithmetic, which splits across threads; an MLP's step is dominated by per-weight
 * work (the optimizer update, sending weights to the workers), which does not: chapter 03's MLP GAN
 * took 164 ms a step on one thread and 174 ms on two, the course DCGAN 387 and 297 ms.
 */
export function hasConvolutions(gan: Players): boolean {
  const convolves = (model?: tf.LayersModel) => !!model?.layers.some((l) => /^(Conv|DepthwiseConv|SeparableConv)/.test(l.getClassName()));
  return convolves(gan.generator) || convolves(gan.discriminator);
}

/** Where batch part k of `parts` starts and ends: near-equal parts, each a multiple of `multiple` examples. */
export function splitBatch(size: number, parts: number, multiple = 1): [number, number][] {
  const units = Math.floor(size / multiple);
  const bounds = Array.from({ length: parts + 1 }, (_, k) => Math.round((k * units) / parts) * multiple);
  bounds[parts] = size;
  return Array.from({ length: parts }, (_, k) => [bounds[k], bounds[k + 1]]);
}

/** A part of a batch as plain arrays, for a worker thread: a GAN's ({@link BatchPart}) or pix2pix's pairs. */
export type PartArrays = { count: number } & { [name: string]: Float32Array | number | undefined };

/** A part of a GAN's batch as plain arrays, for a worker thread. */
export type BatchPart = {
  noise: Float32Array;
  real?: Float32Array;
  realLabels?: Float32Array;
  fakeLabels?: Float32Array;
  count: number;
};

/** What a worker sends back: the gradients of one part in `trainableWeights` order, the loss and D's stats. */
export interface PartGradients {
  grads: (Float32Array | null)[];
  loss: number;
  stats?: number[];
}

export interface ReplicaSetup {
  /** What the replicas compute: a GAN's updates (gan.ts), or pix2pix's (pix2pix.ts). */
  task: "gan" | "pix2pix";
  generator: { config: unknown; sequential: boolean };
  discriminator?: { config: unknown; sequential: boolean };
  latentDim: number;
  classes?: number;
  auxiliaryClassifier?: boolean;
  prepare?: PrepareSpec;
  /** The loss options (loss, realLabel, gradientPenalty; l1Weight for pix2pix). */
  loss: Record<string, unknown>;
  backend: string;
}

function describeModel(model: tf.LayersModel): { config: unknown; sequential: boolean } {
  // getConfig() is plain data (what model.json holds); a worker rebuilds the model from it.
  return { config: JSON.parse(JSON.stringify(model.getConfig())), sequential: model instanceof tf.Sequential };
}

/** The weights of a model as arrays (all of them, batch-norm statistics included); none for no model. */
function weightArrays(model?: tf.LayersModel): Float32Array[] {
  return model ? model.weights.map((w) => w.read().dataSync() as Float32Array) : [];
}

/**
 * Worker threads, each with a replica of a GAN, that compute gradients of batch parts. Made by
 * {@link ReplicaPool.start}; `GanTrainer` owns one when it trains on more than one thread.
 */
export class ReplicaPool {
  private pending = new Map<number, { resolve: (r: PartGradients) => void; reject: (e: Error) => void }>();
  private nextId = 0;
  private failure?: Error;
  /**
   * The models whose weights every worker holds as they are now (sent since their last change).
   * A request sends only the others: a GAN step changes D, then G, so each update sends one model.
   */
  private readonly current = new Set<tf.LayersModel>();

  private constructor(private readonly workers: Worker[]) {
    for (const worker of workers) {
      worker.on("message", (m: { id: number; result?: PartGradients; error?: string }) => {
        const waiting = this.pending.get(m.id);
        if (!waiting) return;
        this.pending.delete(m.id);
        if (this.pending.size === 0) this.idle();
        if (m.error !== undefined) waiting.reject(new Error(`A training worker thread failed: ${m.error}`));
        else waiting.resolve(m.result!);
      });
      const fail = (e: Error) => {
        this.failure ??= e;
        for (const [id, waiting] of this.pending) {
          this.pending.delete(id);
          waiting.reject(e);
        }
        this.idle();
      };
      worker.on("error", (e) => fail(new Error(`A training worker thread failed: ${e.message}`)));
      worker.on("exit", (code) => fail(new Error(`A training worker thread exited (code ${code})`)));
    }
    this.idle();
  }

  /** Starts `count` workers with replicas of `gan`; resolves when every one is ready. */
  static start(gan: Gan, count: number, loss: Record<string, unknown>): Promise<ReplicaPool> {
    const { latentDim, classes, auxiliaryClassifier } = gan;
    return ReplicaPool.launch(count, { task: "gan", generator: describeModel(gan.generator), discriminator: describeModel(gan.discriminator), latentDim, classes, auxiliaryClassifier, prepare: gan.prepare?.spec, loss, backend: tf.getBackend() });
  }

  /** Starts `count` workers with replicas of a pix2pix model (pix2pix.ts; D may be absent). */
  static startPix2Pix(model: Players, count: number, l1Weight: number): Promise<ReplicaPool> {
    const discriminator = model.discriminator && describeModel(model.discriminator);
    return ReplicaPool.launch(count, { task: "pix2pix", generator: describeModel(model.generator), discriminator, latentDim: 0, loss: { l1Weight }, backend: tf.getBackend() });
  }

  private static async launch(count: number, setup: ReplicaSetup): Promise<ReplicaPool> {
    // The compiled worker sits in dist/ both for dist/replicas.js and for lib/src/replicas.ts run by tsx.
    const script = path.resolve(__dirname, "..", "dist", "replica-worker.js");
    if (!fs.existsSync(script)) throw new Error(`${script} is missing: build the library (npm run build), or train with threads: 1`);
    // Each worker trains on one core: its own trainer-free replica, same backend, no threads of its own.
    const env = { ...process.env, GANBOOK_BACKEND: setup.backend, GANBOOK_THREADS: "1" };
    const workers = Array.from({ length: count }, () => new Worker(script, { env, workerData: setup }));
    const pool = new ReplicaPool(workers);
    try {
      await Promise.all(workers.map((_, i) => pool.request(i, { type: "ready" })));
    } catch (e) {
      await pool.dispose();
      throw e;
    }
    return pool;
  }

  get size(): number {
    return this.workers.length;
  }

  private request(worker: number, message: Record<string, unknown>, transfer: ArrayBuffer[] = []): Promise<PartGradients> {
    if (this.failure) return Promise.reject(this.failure);
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      if (this.pending.size === 0) this.busy();
      this.pending.set(id, { resolve, reject });
      this.workers[worker].postMessage({ ...message, id }, transfer);
    });
  }

  /**
   * Sends each worker the current weights of G and D and one part (parts[k] to worker k), and
   * resolves with their gradients in part order. Posted at once: the workers compute while the
   * caller computes its own part. `kind` names the update (replica-worker.ts).
   */
  gradients(kind: string, players: Players, parts: PartArrays[]): Promise<PartGradients[]> {
    // The weights of each model the workers do not hold as they are now (null: keep yours).
    const stale = (model?: tf.LayersModel) => (model && !this.current.has(model) ? weightArrays(model) : null);
    const weights = { generator: stale(players.generator), discriminator: stale(players.discriminator) };
    for (const model of [players.generator, players.discriminator]) if (model) this.current.add(model);
    return Promise.all(
      parts.map((part, k) => {
        const copy = (arrays: Float32Array[] | null) => arrays && arrays.map((a) => a.slice().buffer as ArrayBuffer);
        const copies = { generator: copy(weights.generator), discriminator: copy(weights.discriminator) };
        const buffers = [...(copies.generator ?? []), ...(copies.discriminator ?? [])];
        // Copies: an array read from a tensor may be the tensor's own storage (cpu backend), which a transfer would empty.
        const sent: PartArrays = { count: part.count };
        for (const [name, value] of Object.entries(part)) if (value instanceof Float32Array) sent[name] = value.slice();
        const arrays = Object.values(sent).filter((a): a is Float32Array => a instanceof Float32Array);
        return this.request(k, { type: kind, weights: copies, part: sent }, [...buffers, ...arrays.map((a) => a.buffer as ArrayBuffer)]);
      }),
    );
  }

  /** Says `model`'s weights changed (an update was applied, or they were set): the next request sends them. */
  changed(model: tf.LayersModel): void {
    this.current.delete(model);
  }

  /** Says any model may have changed (a new training call: the notebook may have set weights since). */
  invalidate(): void {
    this.current.clear();
  }

  /** While a reply is awaited, the workers keep the process alive (or it could exit while waiting). */
  private busy(): void {
    for (const w of this.workers) w.ref();
  }

  /** Idle workers do not keep a script from exiting. */
  private idle(): void {
    for (const w of this.workers) w.unref();
  }

  async dispose(): Promise<void> {
    this.failure ??= new Error("The training worker threads were stopped");
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
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
  ) {
    this.shares = parts.map(([a, b]) => (b - a) / options.batchSize);
  }

  /** {@link discriminatorStep} over the threads: `real`, `z` [batch, ...] and the labels are cut into parts. */
  async discriminatorUpdate(optimizer: tf.Optimizer, real: tf.Tensor, z: tf.Tensor, labels?: { real: tf.Tensor; fake: tf.Tensor }): Promise<DiscriminatorMetrics> {
    const pending = this.pool.gradients("discriminator", this.gan, this.remoteParts({ noise: z, real, realLabels: labels?.real, fakeLabels: labels?.fake }));
    const mine = this.onPartZero([real, z, labels?.real, labels?.fake], ([r, noise, realLabels, fakeLabels]) =>
      discriminatorGradients(this.gan, r!, noise!, this.options, labels ? { real: realLabels!, fake: fakeLabels! } : undefined),
    );
    const stats = Array.from(mine.stats.dataSync());
    mine.stats.dispose();
    const { loss, theirs } = await this.finish(this.gan.discriminator, optimizer, mine, pending);
    const mean = (j: number) => this.weigh(stats[j], theirs.map((t) => t.stats![j]));
    return { dLoss: loss, dReal: mean(0), dFake: mean(1), dAccuracy: mean(2) };
  }

  /** {@link generatorStep} over the threads. */
  async generatorUpdate(optimizer: tf.Optimizer, z: tf.Tensor, labels?: tf.Tensor): Promise<number> {
    const pending = this.pool.gradients("generator", this.gan, this.remoteParts({ noise: z, fakeLabels: labels }));
    const mine = this.onPartZero([z, labels], ([noise, fakeLabels]) => generatorGradients(this.gan, noise!, this.options, fakeLabels));
    return (await this.finish(this.gan.generator, optimizer, mine, pending)).loss;
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

  private async finish(model: tf.LayersModel, optimizer: tf.Optimizer, mine: Gradients, pending: Promise<PartGradients[]>): Promise<{ loss: number; theirs: PartGradients[] }> {
    const result = await applyPartGradients(model, optimizer, mine, pending, this.shares);
    this.pool.changed(model);
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

/** Stops a trainer's worker threads once the trainer itself has been garbage-collected. */
const RETIRED = new FinalizationRegistry<ReplicaPool>((pool) => void pool.dispose());

/** Stops `pool` when `owner` (a trainer) is garbage-collected without being disposed. */
export function disposeWithOwner(owner: object, pool: ReplicaPool): void {
  RETIRED.register(owner, pool, owner);
}

/** Stops `owner`'s pool now (its `dispose()`), and forgets it for garbage collection. */
export function disposeOwnedPool(owner: object, pool?: ReplicaPool): void {
  RETIRED.unregister(owner);
  void pool?.dispose();
}
