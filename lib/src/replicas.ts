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
 *
 * This file is the pool of worker threads (replica-worker.ts is a worker's side); threads.ts decides
 * how many threads and cuts the batch; parallel-updates.ts combines the parts' gradients into one update.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { Worker } from "node:worker_threads";
import * as tf from "@tensorflow/tfjs";
import type { Gan, PrepareSpec } from "./gan";
import type { Players } from "./threads";

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
  /** Milliseconds the worker spent on the part, from loading the weights to reading the gradients out. */
  computeMs?: number;
}

export interface ReplicaSetup {
  /** What the replicas compute: a GAN's updates (gan.ts), or pix2pix's (pix2pix.ts). */
  task: "gan" | "pix2pix";
  generator: { config: unknown; sequential: boolean };
  discriminator?: { config: unknown; sequential: boolean };
  latentDim: number;
  classes?: number;
  auxiliaryClassifier?: boolean;
  infoCode?: Gan["infoCode"];
  prepare?: PrepareSpec;
  /** The loss options (loss, realLabel, gradientPenalty; l1Weight for pix2pix). */
  loss: Record<string, unknown>;
  backend: string;
}

function describeModel(model: tf.LayersModel): { config: unknown; sequential: boolean } {
  // getConfig() is plain data (what model.json holds); a worker rebuilds the model from it.
  return { config: JSON.parse(JSON.stringify(model.getConfig())), sequential: model instanceof tf.Sequential };
}

/**
 * A tensor's values in an array of their own, which a transfer to another thread may take. The wasm
 * backend's dataSync copies out of its memory already; others may hand out their own storage (the
 * cpu backend's slices are views of the sliced tensor's buffer), which a transfer would empty.
 */
export function ownValues(t: tf.Tensor): Float32Array {
  const values = t.dataSync() as Float32Array;
  return tf.getBackend() === "wasm" ? values : values.slice();
}

/** The weights of a model as arrays of their own (all of them, batch-norm statistics included); none for no model. */
function weightArrays(model?: tf.LayersModel): Float32Array[] {
  return model ? model.weights.map((w) => ownValues(w.read())) : [];
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
    const { latentDim, classes, auxiliaryClassifier, infoCode } = gan;
    return ReplicaPool.launch(count, { task: "gan", generator: describeModel(gan.generator), discriminator: describeModel(gan.discriminator), latentDim, classes, auxiliaryClassifier, infoCode, prepare: gan.prepare?.spec, loss, backend: tf.getBackend() });
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
        // The last worker takes the weight arrays themselves (TF tutorial's G: 9 MB), the others copies.
        const copy = (arrays: Float32Array[] | null) => arrays && arrays.map((a) => (k === parts.length - 1 ? a : a.slice()).buffer as ArrayBuffer);
        const copies = { generator: copy(weights.generator), discriminator: copy(weights.discriminator) };
        const buffers = [...(copies.generator ?? []), ...(copies.discriminator ?? [])];
        // The parts are copied: a caller may send the same parts again (pix2pix: to D's update, then G's).
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
