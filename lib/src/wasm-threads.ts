/**
 * Every core in every kernel: the wasm backend's threaded build in Node (README, Performance).
 *
 * `@tensorflow/tfjs-backend-wasm` ships a build whose XNNPACK kernels (convolutions, matrix products,
 * pooling) split each operation over a pool of threads, but turns it off in Node (tfjs issue 3830;
 * PR 8059, which would have fixed it, was closed unmerged). Three things stand in the way, and
 * {@link startWasmThreadPool} works around each while the backend starts:
 *   1. Emscripten hands each pool thread its scripts as Blob URLs, which Node's `Worker` rejects. The
 *      two scripts (the thread's loader and the module's factory) are written to files in a temporary
 *      folder instead, removed when the process exits.
 *   2. tfjs caps the pool at half of `os.cpus().length` (for browsers' hyper-threads); `os.cpus` is
 *      doubled while the pool starts, so the pool gets the threads asked for.
 *   3. Emscripten keeps the process alive while a pool thread runs, and XNNPACK's threads run until
 *      the process ends: scripts would never exit. The pool's workers never hold the process open.
 * The pool's threads compute disjoint tiles of each output with the same kernels, so a step gives
 * bit-for-bit the numbers of one thread (`test/wasm-threads.test.ts`).
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as workerThreads from "node:worker_threads";
import * as tf from "@tensorflow/tfjs";

/** The threads of the running wasm backend's kernel pool: 1 until {@link startWasmThreadPool} ran. */
let poolThreads = 1;

/** How many threads the wasm backend's kernels run on in this process (1: no pool). */
export function wasmKernelThreads(): number {
  return poolThreads;
}

/**
 * The names the threaded factory's source uses from the bundle it was cut out of (rollup's names
 * for its `require` calls, as in tfjs-backend-wasm 4.22's tf-backend-wasm.node.js); the thread's copy
 * of the factory gets them back from this prelude.
 */
const FACTORY_PRELUDE =
  "var require$$0 = require('fs'), require$$1 = require('path'), require$$2 = require('worker_threads'), " +
  "require$$3 = require('perf_hooks'), require$$4 = require('os'), commonjsGlobal = globalThis;\n";

/**
 * Starts the wasm backend with its kernels on a pool of `threads` threads (call it instead of
 * `tf.setBackend("wasm")`, on the main thread, before the backend first starts: backend.ts checks
 * both; the pool's size is fixed for the process). Returns what `tf.setBackend` returns.
 */
export async function startWasmThreadPool(threads: number): Promise<boolean> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const wasm = require("@tensorflow/tfjs-backend-wasm") as { setThreadsCount(n: number): void; getThreadsCount(): number };
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ganbook-wasm-threads-"));
  process.once("exit", () => fs.rmSync(dir, { recursive: true, force: true }));
  const scripts: { thread?: string; factory?: string } = {};
  const texts = new WeakMap<Blob, string>();

  /** A pool thread: loads from files, and never keeps the process alive. */
  class PoolWorker extends workerThreads.Worker {
    constructor(file: string | URL, options?: workerThreads.WorkerOptions) {
      super(String(file).startsWith("blob:") && scripts.thread ? scripts.thread : file, options);
      this.unref();
    }
    ref(): void {
      // Emscripten refs a worker while its thread runs; XNNPACK's threads run for good.
    }
    postMessage(message: unknown, transfer?: readonly workerThreads.TransferListItem[]): void {
      const m = message as { cmd?: string; urlOrBlob?: unknown };
      if (m?.cmd === "load" && typeof m.urlOrBlob !== "string") {
        scripts.factory ??= writeScript("factory.js", FACTORY_PRELUDE + textOf(m.urlOrBlob));
        message = { ...m, urlOrBlob: scripts.factory };
      }
      super.postMessage(message, transfer);
    }
  }
  function writeScript(name: string, text: string): string {
    const file = path.join(dir, name);
    fs.writeFileSync(file, text);
    return file;
  }
  function textOf(blob: unknown): string {
    const text = texts.get(blob as Blob);
    if (text === undefined) throw new Error("the wasm kernel pool: a thread script came from an unknown Blob");
    return text;
  }

  // While the backend starts: Blobs remember their text, Object URLs of them are files, the factory
  // finds PoolWorker as worker_threads' Worker, and os.cpus() counts twice the threads asked for.
  const saved = { Blob: globalThis.Blob, createObjectURL: URL.createObjectURL, Worker: workerThreads.Worker, cpus: os.cpus };
  const mutableOs = require("node:os") as typeof os; // eslint-disable-line @typescript-eslint/no-require-imports
  const mutableWorkerThreads = require("node:worker_threads") as { Worker: unknown }; // eslint-disable-line @typescript-eslint/no-require-imports
  globalThis.Blob = class extends saved.Blob {
    constructor(parts?: BlobPart[], options?: BlobPropertyBag) {
      super(parts, options);
      if (parts?.every((p) => typeof p === "string")) texts.set(this, parts.join(""));
    }
  };
  URL.createObjectURL = (blob: Blob) => (texts.has(blob) ? (scripts.thread ??= writeScript("thread.js", textOf(blob))) : saved.createObjectURL(blob));
  mutableWorkerThreads.Worker = PoolWorker;
  mutableOs.cpus = () => new Array(2 * threads).fill(saved.cpus()[0]);
  try {
    tf.env().set("WASM_HAS_MULTITHREAD_SUPPORT", true);
    wasm.setThreadsCount(threads);
    const ok = await tf.setBackend("wasm");
    if (ok) poolThreads = wasm.getThreadsCount();
    return ok;
  } finally {
    globalThis.Blob = saved.Blob;
    URL.createObjectURL = saved.createObjectURL;
    mutableWorkerThreads.Worker = saved.Worker;
    mutableOs.cpus = saved.cpus;
  }
}
