/**
 * How many threads a training step runs on (GanTrainer, Pix2PixTrainer; GANBOOK_THREADS or the
 * `threads` option, else every core where that helps) and how a batch is cut into one part per thread.
 * replicas.ts runs the parts on worker threads.
 */
import * as os from "node:os";
import { isMainThread } from "node:worker_threads";
import * as tf from "@tensorflow/tfjs";
import type { Gan } from "./gan";
import { wasmKernelThreads } from "./wasm-threads";

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
 * How many threads a trainer uses (data-parallel: one part of the batch each), and why. One while
 * the wasm backend runs its kernels on a pool (wasm-threads.ts), unless the option asks for more.
 * Otherwise an explicit request (option or GANBOOK_THREADS) is kept,
 * capped by how many parts the batch splits into; otherwise every core, except where that would
 * not help: on TensorFlow's native backend (already multi-threaded), and inside a worker thread
 * (chapter 05 runs one GAN per core already).
 */
export function chooseThreads(gan: Players & Pick<Gan, "prepare">, batchSize: number, option?: number): { threads: number; reason: string } {
  // With the wasm kernel pool (wasm-threads.ts, GANBOOK_KERNEL_THREADS) every kernel already runs
  // on the pool's cores, so the trainer stays on one thread unless its option asks for more.
  const pool = tf.getBackend() === "wasm" ? wasmKernelThreads() : 1;
  if (pool > 1 && option === undefined) return { threads: 1, reason: `one thread of JavaScript: the wasm backend's kernels run on ${pool} threads (GANBOOK_KERNEL_THREADS)` };
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
