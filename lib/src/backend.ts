/**
 * Backend selection: which TensorFlow.js engine runs the course's tensors (chapter 00-welcome).
 *
 * On import, ganbook starts choosing a backend in this order:
 *   1. `tensorflow` — `@tensorflow/tfjs-node` (or `@tensorflow/tfjs-node-gpu`), native libtensorflow,
 *                     if it is installed and loads;
 *   2. `wasm`       — `@tensorflow/tfjs-backend-wasm` (XNNPACK), plus ganbook's training kernels;
 *   3. `cpu`        — TensorFlow.js's pure-JavaScript backend (slow for convolutions).
 * A backend that loads is used only if it also computes correctly: {@link checkBackend} runs a
 * conv2d, a conv2dTranspose and a matMul with their gradients on it and compares them with the cpu
 * backend's (the reference). A backend whose ops throw or disagree is skipped, with the reason.
 * `GANBOOK_BACKEND=tensorflow|wasm|cpu` forces one; an unknown, unavailable or failing value is an error.
 * Await {@link ready} (every notebook's setup cell does) before the first tensor operation.
 */
import { isMainThread } from "node:worker_threads";
import * as tf from "@tensorflow/tfjs";
import { availableCores } from "./threads";
import { startWasmThreadPool, wasmKernelThreads } from "./wasm-threads";

/** The backends ganbook can run on, in the order it prefers them. */
export const BACKENDS = ["tensorflow", "wasm", "cpu"] as const;
export type BackendName = (typeof BACKENDS)[number];

/** What {@link ready} resolves to: the backend in use, why, and the versions behind it. */
export interface BackendReport {
  backend: BackendName;
  /** Why this backend: forced by GANBOOK_BACKEND, or the first that loaded (with what failed before it). */
  reason: string;
  versions: Record<string, string>;
  /** Backends tried before this one and why each was passed over. */
  skipped: { backend: BackendName; error: string }[];
  /** Extra kernels ganbook registered for this backend (see wasm-kernels.ts). */
  extraKernels: string[];
  /** What the correctness check compared, and how far the backend was from the reference. */
  check: string;
  /** Anything ganbook adjusted for this backend (for example Node `util` functions restored for tfjs-node). */
  notes: string[];
}

/** Hooks run when a backend has been selected, e.g. registering missing wasm training kernels. */
const onSelected: Partial<Record<BackendName, () => string[]>> = {};

/** Lets another ganbook module add kernels when `name` is selected; returns nothing. */
export function registerBackendHook(name: BackendName, hook: () => string[]): void {
  onSelected[name] = hook;
}

/** Reads GANBOOK_BACKEND and checks it; throws an error naming the choices when it is unknown. */
export function requestedBackend(value: string | undefined = process.env.GANBOOK_BACKEND): BackendName | undefined {
  if (value === undefined || value.trim() === "") return undefined;
  const name = value.trim().toLowerCase();
  if (name === "node" || name === "tfjs-node") return "tensorflow";
  if (!(BACKENDS as readonly string[]).includes(name)) {
    throw new Error(
      `GANBOOK_BACKEND=${value} is not a backend ganbook knows. Choose one of: ${BACKENDS.join(", ")} ` +
        `(or unset it to let ganbook pick the fastest that loads).`,
    );
  }
  return name as BackendName;
}

/**
 * Silences the cpu backend's "install tfjs-node" banner, which would otherwise land in notebook
 * outputs. The engine may create cpu backends more than once (each time it initialises backends),
 * so the registered factory is wrapped, and any instance that already exists is silenced too.
 */
function silenceCpuBanner(): void {
  type Silenceable = { firstUse?: boolean };
  const engine = tf.engine() as unknown as {
    registryFactory: Record<string, { factory: () => unknown; silenced?: boolean }>;
    registry: Record<string, Silenceable>;
  };
  const entry = engine.registryFactory.cpu;
  if (entry && !entry.silenced) {
    const original = entry.factory;
    entry.factory = () => {
      const backend = original() as Silenceable;
      backend.firstUse = false;
      return backend;
    };
    entry.silenced = true;
  }
  if (engine.registry.cpu) engine.registry.cpu.firstUse = false;
}

/**
 * `util` functions that Node 23 removed and `@tensorflow/tfjs-node` 4.22 still calls, in the kernels
 * behind Add, Conv2D, MatMul and most other ops (`dist/nodejs_kernel_backend.js`, `kernels/TopK.js`;
 * tfjs issues 8609 and 8746, fixed upstream by PR 8425 but unreleased). `isArray` is still there on
 * Node 24 and 26, deprecated; it is listed so a Node that drops it keeps working too.
 */
const REMOVED_UTIL_FUNCTIONS: Record<string, (value: unknown) => boolean> = {
  isNullOrUndefined: (value) => value === null || value === undefined,
  isArray: (value) => Array.isArray(value),
};

/**
 * Puts back on `util` (Node's module, or the object given) the functions tfjs-node needs that this
 * Node removed: only those, and only where missing. Returns the names it restored.
 */
// eslint-disable-next-line @typescript-eslint/no-require-imports
export function restoreNodeUtil(util: Record<string, unknown> = require("util")): string[] {
  const restored: string[] = [];
  for (const [name, fn] of Object.entries(REMOVED_UTIL_FUNCTIONS)) {
    if (typeof util[name] !== "function") {
      util[name] = fn;
      restored.push(name);
    }
  }
  return restored;
}

/**
 * How many threads the wasm backend's kernels get (wasm-threads.ts): GANBOOK_KERNEL_THREADS, a
 * number or `all` (every core this process may use); 1, no pool, when unset and in a worker thread.
 */
export function wasmPoolSize(env: string | undefined = process.env.GANBOOK_KERNEL_THREADS, mainThread = isMainThread): number {
  if (!mainThread || !env?.trim()) return 1;
  if (env.trim().toLowerCase() === "all") return availableCores();
  const n = Number(env);
  if (!Number.isInteger(n) || n < 1) throw new Error(`GANBOOK_KERNEL_THREADS=${env}: give a whole number of threads >= 1, or all (every core); unset, the kernels run on one thread`);
  return n;
}

/** The packages that provide the `tensorflow` backend, in the order tried. */
export const NATIVE_PACKAGES = ["@tensorflow/tfjs-node", "@tensorflow/tfjs-node-gpu"] as const;

/** Tries to make `name` the active backend; throws with the reason it is unavailable. Returns notes. */
async function activate(name: BackendName): Promise<string[]> {
  const notes: string[] = [];
  if (name === "tensorflow") {
    const restored = restoreNodeUtil();
    if (restored.length) notes.push(`restored util.${restored.join(", util.")} (removed in Node 23, called by tfjs-node 4.22)`);
    const failures: string[] = [];
    for (const pkg of NATIVE_PACKAGES) {
      try {
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        require(pkg);
        notes.push(`native backend from ${pkg}`);
        break;
      } catch (e) {
        failures.push(`${pkg}: ${firstLine(e)}`);
      }
    }
    if (failures.length === NATIVE_PACKAGES.length) {
      throw new Error(
        `@tensorflow/tfjs-node is not installed or does not load (${failures.join("; ")}). It is optional: its ` +
          `install downloads libtensorflow, which fails offline, on Windows and on Node 22+.`,
      );
    }
  } else if (name === "wasm") {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    require("@tensorflow/tfjs-backend-wasm");
    const threads = wasmPoolSize();
    if (threads > 1 && !tf.engine().registry.wasm) {
      if (!(await startWasmThreadPool(threads)) || tf.getBackend() !== "wasm") throw new Error(`the wasm backend did not start with a pool of ${threads} threads`);
      notes.push(`kernels on ${wasmKernelThreads()} threads (XNNPACK's pool in the wasm backend's threaded build, GANBOOK_KERNEL_THREADS)`);
      return notes;
    }
  }
  const ok = await tf.setBackend(name);
  if (!ok || tf.getBackend() !== name) throw new Error(`tf.setBackend("${name}") failed to initialise`);
  return notes;
}

/** Deterministic numbers in [-0.5, 0.5) (an LCG), the same on every backend. */
function checkValues(n: number, seed: number): Float32Array {
  const out = new Float32Array(n);
  let s = seed;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = s / 2 ** 32 - 0.5;
  }
  return out;
}

/**
 * The check's computations on the active backend: a conv2d with unequal strides and `same` padding
 * (the shape the stock wasm kernel got wrong), a stride-2 conv2dTranspose (a DCGAN generator's
 * layer) and a matMul with a transposed operand (a dense layer's gradient), each with the gradients
 * of sum(y * r) for both operands. Returns every result, flattened, keyed by name.
 */
function checkComputations(): Record<string, Float32Array> {
  const out: Record<string, Float32Array> = {};
  const cases: [string, number[], number[], (a: tf.Tensor, b: tf.Tensor) => tf.Tensor][] = [
    ["conv2d", [2, 5, 4, 3], [2, 3, 3, 4], (x, w) => tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, [1, 2], "same")],
    ["conv2dTranspose", [2, 3, 3, 4], [3, 3, 2, 4], (x, w) => tf.conv2dTranspose(x as tf.Tensor4D, w as tf.Tensor4D, [2, 6, 6, 2], 2, "same")],
    ["matMul", [4, 6], [5, 6], (a, b) => tf.matMul(a, b, false, true)],
  ];
  cases.forEach(([name, aShape, bShape, f], i) => {
    const results = tf.tidy(() => {
      const a = tf.tensor(checkValues(aShape.reduce((p, q) => p * q), 3 * i + 1), aShape);
      const b = tf.tensor(checkValues(bShape.reduce((p, q) => p * q), 3 * i + 2), bShape);
      const y = f(a, b);
      const r = tf.tensor(checkValues(y.size, 3 * i + 3), y.shape);
      const [da, db] = tf.grads((p: tf.Tensor, q: tf.Tensor) => f(p, q).mul(r).sum())([a, b]);
      return [y, da, db];
    });
    ["", " gradient (first operand)", " gradient (second operand)"].forEach((suffix, k) => {
      out[name + suffix] = results[k].dataSync() as Float32Array;
    });
    tf.dispose(results);
  });
  return out;
}

/** The largest relative difference of the check's results allowed (float32 sums of ~100 terms: ~1e-6). */
const CHECK_TOLERANCE = 1e-3;

/**
 * Checks that the active backend computes correctly: {@link checkComputations} on it and on the cpu
 * backend (TensorFlow.js's reference implementation), compared. Throws an error naming the op that
 * threw or disagreed; returns a one-line summary. Leaves the checked backend active.
 */
export async function checkBackend(): Promise<string> {
  const name = tf.getBackend();
  if (name === "cpu") return "the reference backend (not compared)";
  let got: Record<string, Float32Array>;
  try {
    got = checkComputations();
  } catch (e) {
    throw new Error(`its ops throw (${firstLine(e)})`);
  }
  await tf.setBackend("cpu");
  let want: Record<string, Float32Array>;
  try {
    want = checkComputations();
  } finally {
    await tf.setBackend(name);
  }
  let worst = 0;
  for (const [key, expected] of Object.entries(want)) {
    const actual = got[key];
    let scale = 1e-6;
    let err = actual.length === expected.length ? 0 : Infinity;
    for (let i = 0; i < expected.length && Number.isFinite(err); i++) {
      scale = Math.max(scale, Math.abs(expected[i]));
      err = Math.max(err, Math.abs(expected[i] - actual[i]));
    }
    if (Number.isNaN(err)) err = Infinity;
    const relative = err / scale;
    if (!(relative <= CHECK_TOLERANCE)) {
      throw new Error(`its ${key} disagrees with the cpu backend's (largest difference ${relative.toExponential(1)} of the largest value)`);
    }
    worst = Math.max(worst, relative);
  }
  return `conv2d, conv2dTranspose and matMul with their gradients agree with the cpu backend (largest difference ${worst.toExponential(1)})`;
}

/** What to do about a forced backend that fails. */
function fixFor(name: BackendName): string {
  return name === "tensorflow"
    ? "Reinstall the native backend for this Node version (npm rebuild @tensorflow/tfjs-node), or unset GANBOOK_BACKEND " +
        "to let ganbook fall back to wasm"
    : `Choose another of: ${BACKENDS.join(", ")}, or unset GANBOOK_BACKEND`;
}

function firstLine(e: unknown): string {
  return String(e instanceof Error ? e.message : e).split("\n")[0].replace(/\.$/, "");
}

function versions(): Record<string, string> {
  const out: Record<string, string> = { node: process.version, "@tensorflow/tfjs": tf.version.tfjs };
  for (const pkg of ["@tensorflow/tfjs-backend-wasm", ...NATIVE_PACKAGES, "tslab", "nodejs-polars"]) {
    try {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      out[pkg] = require(`${pkg}/package.json`).version;
    } catch {
      /* not installed: left out of the report */
    }
  }
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  out.ganbook = require("../package.json").version;
  return out;
}

/**
 * Selects the backend (forced, or the first of {@link BACKENDS} that loads) and reports the choice.
 * Rejects with an error naming the choices when GANBOOK_BACKEND is unknown or cannot load.
 */
export async function selectBackend(forced: BackendName | undefined = requestedBackend()): Promise<BackendReport> {
  silenceCpuBanner();
  const order: BackendName[] = forced ? [forced] : [...BACKENDS];
  const skipped: BackendReport["skipped"] = [];
  for (const name of order) {
    let notes: string[];
    try {
      notes = await activate(name);
    } catch (e) {
      if (forced) {
        throw new Error(
          `GANBOOK_BACKEND=${forced} cannot be used: ${firstLine(e)}. Choose another of: ${BACKENDS.join(", ")}, ` +
            `or unset GANBOOK_BACKEND.`,
        );
      }
      skipped.push({ backend: name, error: firstLine(e) });
      continue;
    }
    const extraKernels = onSelected[name]?.() ?? [];
    let check: string;
    try {
      check = await checkBackend();
    } catch (e) {
      // A backend that loads but computes wrongly is never used: drop it so nothing falls back onto it.
      const error = `it loaded, but ${firstLine(e)}`;
      tf.removeBackend(name);
      if (forced) throw new Error(`GANBOOK_BACKEND=${forced} cannot be used: ${error}. ${fixFor(forced)}.`);
      skipped.push({ backend: name, error });
      continue;
    }
    const reason = forced
      ? `forced by GANBOOK_BACKEND=${forced}`
      : skipped.length === 0
        ? `the fastest backend, and it works`
        : `the first that loaded and computed correctly (${skipped.map((s) => s.backend).join(", ")} did not)`;
    return { backend: name, reason, versions: versions(), skipped, extraKernels, check, notes };
  }
  throw new Error(`No TensorFlow.js backend loaded: ${skipped.map((s) => `${s.backend}: ${s.error}`).join("; ")}`);
}

silenceCpuBanner();

let pending: Promise<BackendReport> | undefined;

/**
 * Resolves when the backend is chosen (once per process; later calls share the first result).
 * Every notebook's setup cell awaits it: `const env = await ready();`.
 */
export function ready(): Promise<BackendReport> {
  if (!pending) pending = selectBackend();
  return pending;
}

/** A short human-readable description of a {@link BackendReport}, one fact per line. */
export function describeBackend(report: BackendReport): string {
  const lines = [`backend: ${report.backend} (${report.reason})`];
  for (const s of report.skipped) lines.push(`  skipped ${s.backend}: ${s.error}`);
  lines.push(`check: ${report.check}`);
  for (const note of report.notes) lines.push(`note: ${note}`);
  if (report.extraKernels.length) lines.push(`ganbook kernels: ${report.extraKernels.join(", ")}`);
  for (const [k, v] of Object.entries(report.versions)) lines.push(`${k}: ${v}`);
  return lines.join("\n");
}
