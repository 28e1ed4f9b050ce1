// npm run bench: time per GAN training step (D step + G step, through GanTrainer) of the
// TensorFlow-tutorial DCGAN and the course's DCGAN (`--models ...,chapter-04` adds the DCGAN chapter
// 04 trains live, with its recipe) on every available backend, side by side: wasm on
// one thread, on one thread pinned to one core (taskset), and on every core two ways: data-parallel
// worker threads (replicas.ts, the trainer's default) and the backend's kernels on a pool of threads
// (wasm-threads.ts, GANBOOK_KERNEL_THREADS); plus PyTorch when it is installed. Two more rows bound
// data parallelism: the pinned trainer on one thread's part of the batch, alone, and one such
// process per core at once.
//
//   npm run bench -- [--batch 64] [--steps 10] [--warmup 3] [--rounds 3] [--cpu-seconds 150] [--models tf-tutorial,course,chapter-04] [--images 5000]
//
// Rounds: the wasm variants run in turn, `--rounds` times over (one thread, pinned, all cores, then
// again), and the table shows each variant's median; the speed-ups are computed within each round,
// from runs minutes apart, so that a slow spell of a shared machine (whose speed moves by 10-50%
// over minutes) slows both sides of a ratio rather than one. The cpu and stock-wasm rows run once.
//
// Then one line for loading your own images: `--images N` PNGs of 64x64 (drawn here, in a
// temporary folder) through loadImageFolder at 32x32 in colour, as chapter 08 loads them (0 skips it;
// `--models none` times the images alone).
//
// Each measurement runs in its own child process (a clean heap, an honest peak memory, and a cap
// on the pure-JS cpu backend, which is reported as a lower bound when it cannot finish a step).
// Prints a table and writes build/bench/bench-<time>.json and build/bench/latest.json.
// A benchmark, not a test: it never fails on speed.
import { spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { BENCH_MODELS, DEFAULT_BENCH_MODELS, buildBenchTrainer, median, type BenchModel } from "./bench-models";

const REPO = path.resolve(__dirname, "..");
const VARIANTS = ["cpu", "wasm-stock", "wasm", "wasm-1-core", "wasm-1-core-part", "wasm-parts-together", "wasm-threads", "wasm-pool", "tensorflow"] as const;
/** The variants that use every core: data-parallel workers (the trainer's default), and the wasm kernel pool. */
const ALL_CORES: readonly Variant[] = ["wasm-threads", "wasm-pool"];
/**
 * The variants pinned to core 0 with taskset: the one-thread trainer on the whole batch, and on one
 * data-parallel part of it (the largest, batch / cores rounded up), which bounds what splitting the
 * batch over the cores can give: the whole batch's time over the part's.
 */
const PINNED: readonly Variant[] = ["wasm-1-core", "wasm-1-core-part"];
/**
 * wasm-parts-together: one process per core, each pinned to its core and training on one part, timed
 * from the same moment (a barrier after the warm-up): the slowest one's step bounds a data-parallel
 * step with cores that slow each other as they do here, but with nothing combined or sent.
 */
const TOGETHER: Variant = "wasm-parts-together";
type Variant = (typeof VARIANTS)[number];

interface Options {
  batch: number;
  steps: number;
  /** Steps trained before the timed ones (worker threads, wasm tier-up, XNNPACK operators, optimizer slots). */
  warmup: number;
  rounds: number;
  cpuSeconds: number;
  models: BenchModel[];
  images: number;
}

function parseArgs(argv: string[]): Options & { child?: [Variant, BenchModel]; barrier?: boolean } {
  const opts: Options & { child?: [Variant, BenchModel]; barrier?: boolean } = { batch: 64, steps: 10, warmup: 3, rounds: 3, cpuSeconds: 150, models: [...DEFAULT_BENCH_MODELS], images: 5000 };
  for (let i = 0; i < argv.length; i++) {
    const [flag, value] = [argv[i], argv[i + 1]];
    const int = () => {
      const n = Number(value);
      if (!Number.isInteger(n) || n <= 0) usage(`${flag} takes a positive integer; got ${value}`);
      i++;
      return n;
    };
    if (flag === "--batch") opts.batch = int();
    else if (flag === "--steps") opts.steps = int();
    else if (flag === "--warmup") opts.warmup = int();
    else if (flag === "--rounds") opts.rounds = int();
    else if (flag === "--cpu-seconds") opts.cpuSeconds = int();
    else if (flag === "--images") {
      opts.images = Number(value);
      if (!Number.isInteger(opts.images) || opts.images < 0) usage(`--images takes a whole number >= 0 (0 skips the line); got ${value}`);
      i++;
    }
    else if (flag === "--models") {
      opts.models = value === "none" ? [] : ((value ?? "").split(",") as BenchModel[]);
      for (const m of opts.models) if (!BENCH_MODELS.includes(m)) usage(`unknown model ${m}; choose from ${BENCH_MODELS.join(", ")}`);
      i++;
    } else if (flag === "--barrier") opts.barrier = true; // a child: wait for "go" on stdin before the timed steps
    else if (flag === "--child") {
      opts.child = [value as Variant, argv[i + 2] as BenchModel];
      i += 2;
    } else usage(`unknown option ${flag}`);
  }
  return opts;
}

function usage(message: string): never {
  console.error(`bench: ${message}\nusage: npm run bench -- [--batch 64] [--steps 10] [--warmup 3] [--rounds 3] [--cpu-seconds 150] [--models ${BENCH_MODELS.join(",")}] [--images 5000]`);
  process.exit(2);
}

// ---------------------------------------------------------------------------------------------
// child: one backend, one model

interface Measurement {
  variant: Variant;
  model: BenchModel;
  backend?: string;
  /** Threads of the training step (data-parallel replicas). */
  threads?: number;
  stepSeconds?: number;
  /** True when the step did not finish within the cap: stepSeconds is then a lower bound. */
  lowerBound?: boolean;
  flopsPerStep?: number;
  gflops?: number;
  matmulGflops?: number;
  convGflops?: number;
  peakRssMB?: number;
  error?: string;
  /** In the summary of several rounds: each round's s/step, in round order. */
  roundSeconds?: number[];
  /** The better of the matmul's and the conv's throughput with one copy running on every core at once. */
  allCoreGflops?: number;
}

/** Floating-point operations of the roofline's two operations: a 512x512 by 512x512 matmul, and a 5x5 conv of [64, 14, 14, 64] to 128 channels. */
const ROOFLINE_FLOPS = { matmul: 2 * 512 ** 3, conv: 2 * 64 * 14 * 14 * 5 * 5 * 64 * 128 };

/** What each worker of {@link allCoreGflops} runs: the bench's matmul or conv on the wasm backend, on request. */
const THROUGHPUT_WORKER = `
const { parentPort, workerData } = require("node:worker_threads");
process.env.GANBOOK_BACKEND = "wasm";
process.env.GANBOOK_THREADS = "1";
const gb = require(workerData.lib);
gb.ready().then(() => {
  const { tf } = gb;
  const op = workerData.kind === "matmul"
    ? ((a) => () => tf.matMul(a, a))(tf.randomNormal([512, 512], 0, 1, "float32", 1))
    : ((x, w) => () => tf.conv2d(x, w, 1, "same"))(tf.randomNormal([64, 14, 14, 64], 0, 1, "float32", 4), tf.randomNormal([5, 5, 64, 128], 0, 1, "float32", 5));
  const once = () => { const y = op(); y.dataSync(); y.dispose(); };
  once();
  parentPort.postMessage("ready");
  parentPort.on("message", (n) => { for (let i = 0; i < n; i++) once(); parentPort.postMessage("done"); });
});`;

/**
 * GFLOP/s of the bench's matmul (512x512) or conv (5x5, [64, 14, 14, 64] to 128 channels) with one
 * copy on each of `threads` worker threads at once: the all-core roofline as the machine delivers it,
 * cores sharing caches, memory and (on a VM) their host, rather than one core's times the cores.
 * Best of three rounds of 3 (conv) or 6 (matmul) operations on every thread, timed from start to the
 * last thread's end.
 */
async function allCoreGflops(kind: "matmul" | "conv", threads: number): Promise<number> {
  const { Worker } = await import("node:worker_threads");
  const lib = path.join(REPO, "lib", "dist", "index.js");
  const workers = Array.from({ length: threads }, () => new Worker(THROUGHPUT_WORKER, { eval: true, workerData: { lib, kind } }));
  const next = (w: import("node:worker_threads").Worker) =>
    new Promise<void>((resolve, reject) => {
      w.once("message", () => resolve());
      w.once("error", reject);
    });
  try {
    await Promise.all(workers.map(next));
    const reps = kind === "matmul" ? 6 : 3;
    let best = Infinity;
    for (let round = 0; round < 3; round++) {
      const t = performance.now();
      const done = workers.map(next);
      for (const w of workers) w.postMessage(reps);
      await Promise.all(done);
      best = Math.min(best, (performance.now() - t) / 1000);
    }
    return (threads * reps * ROOFLINE_FLOPS[kind]) / best / 1e9;
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
}

async function child(variant: Variant, model: BenchModel, opts: Options & { barrier?: boolean }): Promise<Measurement> {
  process.env.GANBOOK_BACKEND = variant.startsWith("wasm") ? "wasm" : variant;
  // The trainer's data-parallel threads (replicas.ts) for wasm-threads; the kernel pool's size
  // (wasm-threads.ts) for wasm-pool, set before ganbook starts its backend.
  const cores = ALL_CORES.includes(variant) ? os.cpus().length : 1;
  if (variant === "wasm-pool") process.env.GANBOOK_KERNEL_THREADS = String(cores);
  else delete process.env.GANBOOK_KERNEL_THREADS;
  const threads = variant === "wasm-threads" ? cores : 1;
  const batch = variant === "wasm-1-core-part" ? partBatch(opts.batch) : opts.batch;
  const gb = await import("../lib/src/index");
  const { tf } = gb;
  const report = await gb.ready();
  if (variant === "wasm-stock") gb.useStockWasmKernels();

  // The backend's own matmul throughput: 512x512 by 512x512, best of several runs.
  const a = tf.randomNormal([512, 512], 0, 1, "float32", 1);
  let best = Infinity;
  for (let i = 0; i < (variant === "cpu" ? 2 : 6); i++) {
    const t = performance.now();
    const product = tf.matMul(a, a);
    product.dataSync(); // (not returned from tf.tidy: tidy walks every element of a returned typed array)
    product.dispose();
    best = Math.min(best, (performance.now() - t) / 1000);
  }
  a.dispose();
  const matmulGflops = ROOFLINE_FLOPS.matmul / best / 1e9;
  // And its conv throughput: a 5x5 conv of a DCGAN-sized activation [64, 14, 14, 64] to 128 channels.
  const x = tf.randomNormal([64, 14, 14, 64], 0, 1, "float32", 4) as import("@tensorflow/tfjs").Tensor4D;
  const w = tf.randomNormal([5, 5, 64, 128], 0, 1, "float32", 5) as import("@tensorflow/tfjs").Tensor4D;
  let bestConv = Infinity;
  for (let i = 0; i < (variant === "cpu" ? 0 : 3); i++) {
    const t = performance.now();
    const y = tf.conv2d(x, w, 1, "same");
    y.dataSync();
    y.dispose();
    bestConv = Math.min(bestConv, (performance.now() - t) / 1000);
  }
  tf.dispose([x, w]);
  const convGflops = Number.isFinite(bestConv) ? ROOFLINE_FLOPS.conv / bestConv / 1e9 : undefined;
  // On every core: the same two operations on every core at once (the roofline the threaded step has).
  // On the kernel pool they already ran on every core above; worker threads beside the pool's
  // would share the cores with them.
  const allCore =
    variant === "wasm-pool" ? { matmul: matmulGflops, conv: convGflops ?? 0 }
    : cores > 1 ? { matmul: await allCoreGflops("matmul", cores), conv: await allCoreGflops("conv", cores) }
    : undefined;

  const { trainer } = buildBenchTrainer(gb, model, batch, threads);
  const { generator, discriminator } = trainer.gan;
  // Per image: D step = G fwd + D fwd (real, fake) + D backward (~2x fwd each) = G + 6D;
  // G step = G fwd + D fwd + D input-gradient (~D) + G backward (~2G) = 3G + 2D.
  const flopsPerStep = batch * (4 * gb.forwardFlops(generator) + 8 * gb.forwardFlops(discriminator));
  const base: Measurement = { variant, model, backend: report.backend, threads: Math.max(trainer.threads, gb.wasmKernelThreads()), flopsPerStep, matmulGflops, convGflops, allCoreGflops: allCore && Math.max(allCore.matmul, allCore.conv) };
  console.log(JSON.stringify({ ...base, partialStepSeconds: null })); // what a capped run still reports
  try {
    // Warm-up (worker threads, XNNPACK operators, kernel setup, optimizer slots, and V8 moving the
    // hot wasm code of every thread to its optimizing tier: with one warm-up step, the next 10 of the
    // course's DCGAN on two threads took 0.136-0.143 s against 0.117-0.122 s for 40), then the steps
    // in one call, as a chapter or `npm run train` runs them: each call of `train` also resends both
    // models' weights to the workers and sets up its progress, once per call rather than per step.
    if (variant !== "cpu") await trainer.train(opts.warmup, { progress: "none" });
    if (opts.barrier) await waitForGo();
    const steps = variant === "cpu" ? 1 : opts.steps;
    const t = performance.now();
    await trainer.train(steps, { progress: "none" });
    const stepSeconds = (performance.now() - t) / 1000 / steps;
    trainer.dispose();
    return { ...base, stepSeconds, gflops: flopsPerStep / stepSeconds / 1e9, peakRssMB: process.resourceUsage().maxRSS / 1024 };
  } catch (e) {
    return { ...base, error: (e as Error).message.split("\n")[0], peakRssMB: process.resourceUsage().maxRSS / 1024 };
  }
}

// ---------------------------------------------------------------------------------------------
// parent: run every child, then PyTorch, then print and save

/** Says "ready" on stdout and resolves when the parent writes a line to stdin (wasm-parts-together). */
function waitForGo(): Promise<void> {
  console.log("ready");
  return new Promise((resolve) => {
    process.stdin.once("data", () => {
      process.stdin.destroy();
      resolve();
    });
  });
}

/** One thread's part of a data-parallel batch on every core: the largest (splitBatch in threads.ts splits as evenly as it can). */
function partBatch(batch: number): number {
  return Math.ceil(batch / os.cpus().length);
}

/** How long a wasm child may run before it is stopped (the cpu backend's cap is `--cpu-seconds`). */
const WASM_CAP_SECONDS = 900;

/** Node's arguments for a child process that measures `variant` of `model` (this script with --child). */
function childArgs(variant: Variant, model: BenchModel, opts: Options, ...extra: string[]): string[] {
  return ["--import", "tsx", __filename, "--child", variant, model, "--batch", String(opts.batch), "--steps", String(opts.steps), "--warmup", String(opts.warmup), ...extra];
}

function runChild(variant: Variant, model: BenchModel, opts: Options): Measurement {
  const capSeconds = variant === "cpu" ? opts.cpuSeconds : WASM_CAP_SECONDS;
  const args = childArgs(variant, model, opts);
  const started = Date.now();
  // wasm-1-core(-part): the same one-thread trainer, pinned to core 0, so nothing else of the process (GC,
  // worker startup) borrows the second core either.
  const [command, argv] = PINNED.includes(variant) ? ["taskset", ["-c", "0", process.execPath, ...args]] : [process.execPath, args];
  const r = spawnSync(command, argv, { cwd: REPO, encoding: "utf8", timeout: capSeconds * 1000, env: { ...process.env, GANBOOK_BACKEND: undefined } });
  return childResult(variant, model, r, started, capSeconds);
}

/** A child's measurement from what it printed (its last JSON line), or its failure or cap. */
function childResult(variant: Variant, model: BenchModel, r: { stdout?: string; stderr?: string; error?: Error; signal?: NodeJS.Signals | null }, started: number, capSeconds: number): Measurement {
  const lines = (r.stdout ?? "").trim().split("\n").filter((l) => l.startsWith("{"));
  const last = lines.length ? (JSON.parse(lines.at(-1)!) as Measurement & { partialStepSeconds?: number }) : undefined;
  if (r.error || r.signal) {
    // Killed at the cap: the step took at least as long as the child ran.
    const elapsed = (Date.now() - started) / 1000;
    const { partialStepSeconds: _, ...known } = last ?? { variant, model };
    return { ...known, stepSeconds: elapsed, lowerBound: true, error: `did not finish one step in ${capSeconds} s` };
  }
  if (!last || "partialStepSeconds" in last) {
    return { variant, model, error: `child failed: ${(r.stderr ?? "").trim().split("\n").slice(-3).join(" ")}` };
  }
  return last;
}

/**
 * wasm-parts-together: one pinned child per core, each on one part of the batch; after their warm-up
 * all start their timed steps at once. The row is the slowest child's measurement.
 */
async function runTogether(model: BenchModel, opts: Options): Promise<Measurement> {
  const cores = os.cpus().length;
  const capSeconds = WASM_CAP_SECONDS;
  const args = childArgs("wasm-1-core-part", model, opts, "--barrier");
  const started = Date.now();
  const children = Array.from({ length: cores }, (_, core) =>
    spawn("taskset", ["-c", String(core), process.execPath, ...args], { cwd: REPO, env: { ...process.env, GANBOOK_BACKEND: undefined } }),
  );
  let ready = 0;
  const results = children.map(
    (c) =>
      new Promise<Measurement>((resolve) => {
        let [stdout, stderr, isReady] = ["", "", false];
        const timer = setTimeout(() => c.kill("SIGKILL"), capSeconds * 1000);
        c.stdin.on("error", () => {}); // (a child that already exited)
        c.stdout.on("data", (d: Buffer) => {
          stdout += d;
          if (!isReady && /^ready$/m.test(stdout)) {
            isReady = true;
            if (++ready === cores) for (const other of children) other.stdin.write("go\n");
          }
        });
        c.stderr.on("data", (d: Buffer) => (stderr += d));
        c.on("close", (_code, signal) => {
          clearTimeout(timer);
          // A child that failed before the barrier would leave the others waiting: let them go.
          if (ready < cores) for (const other of children) other.stdin.write("go\n");
          resolve(childResult("wasm-1-core-part", model, { stdout, stderr, signal }, started, capSeconds));
        });
      }),
  );
  const each = await Promise.all(results);
  const failed = each.find((m) => m.error || m.stepSeconds === undefined);
  if (failed) return { ...failed, variant: TOGETHER };
  const slowest = each.reduce((a, b) => (b.stepSeconds! > a.stepSeconds! ? b : a));
  // The work of the whole batch (every part), so GFLOP/s compares with the all-core rows.
  const flopsPerStep = each.reduce((sum, m) => sum + (m.flopsPerStep ?? 0), 0);
  return { ...slowest, variant: TOGETHER, threads: cores, flopsPerStep, gflops: flopsPerStep / slowest.stepSeconds! / 1e9, peakRssMB: Math.max(...each.map((m) => m.peakRssMB ?? 0)) };
}

function hasTfjsNode(): boolean {
  try {
    require.resolve("@tensorflow/tfjs-node");
    require("@tensorflow/tfjs-node");
    return true;
  } catch {
    return false;
  }
}

interface TorchResult {
  model: BenchModel;
  stepSeconds?: number;
  torch?: string;
  threads?: number;
  peakRssMB?: number;
  skipped?: string;
}

function runTorch(model: BenchModel, opts: Options): TorchResult {
  const python = "/usr/bin/python3";
  if (spawnSync(python, ["-c", "import torch"], { stdio: "ignore" }).status !== 0) {
    return { model, skipped: "no Python with PyTorch (Debian: apt-get install python3-torch)" };
  }
  const r = spawnSync(python, [path.join(REPO, "scripts", "bench_torch.py"), "--model", model, "--batch", String(opts.batch), "--steps", String(opts.steps)], { encoding: "utf8", timeout: 900_000 });
  const line = (r.stdout ?? "").trim().split("\n").pop() ?? "";
  try {
    return { model, ...JSON.parse(line) };
  } catch {
    return { model, skipped: `PyTorch run failed: ${(r.stderr ?? "").trim().split("\n").pop()}` };
  }
}

/**
 * Seconds loadImageFolder takes for `count` PNGs of 64x64 (each a few coloured discs on white, so
 * they compress like real images), loaded at 32x32 in colour. Writing them is not timed.
 */
async function benchImageFolder(count: number): Promise<{ count: number; seconds: number; summary: string }> {
  const { PNG } = await import("pngjs");
  const gb = await import("../lib/src/index");
  await gb.ready();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ganbook-bench-images-"));
  try {
    const random = gb.makeRandom(7);
    for (let i = 0; i < count; i++) {
      const png = new PNG({ width: 64, height: 64 });
      png.data.fill(255);
      for (let d = 0; d < 3; d++) {
        const [cx, cy, r] = [random() * 64, random() * 64, 6 + random() * 14];
        const rgb = [random() * 255, random() * 255, random() * 255];
        for (let y = 0; y < 64; y++) for (let x = 0; x < 64; x++) if ((x - cx) ** 2 + (y - cy) ** 2 < r * r) png.data.set([...rgb, 255], 4 * (64 * y + x));
      }
      fs.writeFileSync(path.join(dir, `${String(i).padStart(5, "0")}.png`), PNG.sync.write(png));
    }
    const started = Date.now();
    const result = gb.loadImageFolder(dir, { size: 32, channels: 3 });
    const seconds = (Date.now() - started) / 1000;
    result.images.dispose();
    return { count, seconds, summary: result.summary.replace(dir, "a temporary folder") };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

const fmt = (x: number | undefined, digits = 2) => (x === undefined ? "—" : x.toFixed(digits));

/**
 * One variant's runs over the rounds as one row: the median step time and the median of each round's
 * own roofline throughputs, the largest peak memory, and each round's time. A run that failed or hit
 * its cap stands for the variant as it is.
 */
function summarize(runs: Measurement[]): Measurement {
  const timed = runs.filter((m) => m.stepSeconds !== undefined && !m.lowerBound && !m.error);
  if (runs.length <= 1 || timed.length < runs.length) return runs.find((m) => m.error || m.lowerBound) ?? runs[0];
  const mid = (f: (m: Measurement) => number | undefined) => {
    const xs = timed.map(f).filter((x): x is number => x !== undefined);
    return xs.length ? median(xs) : undefined;
  };
  const stepSeconds = mid((m) => m.stepSeconds)!;
  return {
    ...timed[0],
    stepSeconds,
    gflops: timed[0].flopsPerStep ? timed[0].flopsPerStep / stepSeconds / 1e9 : undefined,
    matmulGflops: mid((m) => m.matmulGflops),
    convGflops: mid((m) => m.convGflops),
    allCoreGflops: mid((m) => m.allCoreGflops),
    peakRssMB: Math.max(...timed.map((m) => m.peakRssMB ?? 0)),
    roundSeconds: timed.map((m) => m.stepSeconds!),
  };
}

async function main(): Promise<void> {
  const opts = parseArgs(process.argv.slice(2));
  if (opts.child) {
    const result = await child(opts.child[0], opts.child[1], opts);
    console.log(JSON.stringify(result));
    return;
  }
  const hasTaskset = spawnSync("taskset", ["-c", "0", "true"]).status === 0;
  // The pinned rows need taskset; the all-core rows, and the parts of a batch split over the cores, more than one core.
  const needsTaskset = (v: Variant) => PINNED.includes(v) || v === TOGETHER;
  const needsCores = (v: Variant) => ALL_CORES.includes(v) || v === "wasm-1-core-part" || v === TOGETHER;
  const variants = VARIANTS.filter((v) => (v !== "tensorflow" || hasTfjsNode()) && (!needsTaskset(v) || hasTaskset) && (!needsCores(v) || os.cpus().length > 1));
  const cpuModel = os.cpus()[0]?.model ?? "unknown CPU";
  console.log(`ganbook bench: batch ${opts.batch}, mean of ${opts.steps} steps in one training call after ${opts.warmup} warm-up step(s), ${opts.rounds} round(s); ${os.cpus().length} cores (${cpuModel}), Node ${process.version}`);
  if (!variants.includes("tensorflow")) console.log("tfjs-node: not installed (optional dependency), skipped");

  // Each round runs every variant of every model; the cpu and stock-wasm variants (capped, or unable
  // to train) only in the first.
  const rounds: Measurement[][] = [];
  for (let r = 0; r < opts.rounds; r++) {
    if (opts.rounds > 1) console.log(`round ${r + 1} of ${opts.rounds}`);
    const round: Measurement[] = [];
    for (const model of opts.models) {
      for (const variant of variants) {
        if (r > 0 && (variant === "cpu" || variant === "wasm-stock")) continue;
        process.stdout.write(`  ${model} on ${variant} ... `);
        const m = variant === TOGETHER ? await runTogether(model, opts) : runChild(variant, model, opts);
        round.push(m);
        console.log(m.error && !m.lowerBound ? m.error : `${m.lowerBound ? ">" : ""}${fmt(m.stepSeconds, 3)} s/step`);
      }
    }
    rounds.push(round);
  }
  const results = opts.models.flatMap((model) => variants.map((variant) => summarize(rounds.flatMap((round) => round.filter((m) => m.model === model && m.variant === variant)))));
  const torch: TorchResult[] = [];
  // PyTorch has the issue's two models (scripts/bench_torch.py), not chapter 04's.
  for (const model of opts.models.filter((m) => m !== "chapter-04")) {
    process.stdout.write(`  ${model} on PyTorch ... `);
    const t = runTorch(model, opts);
    torch.push(t);
    console.log(t.skipped ?? `${fmt(t.stepSeconds, 3)} s/step (torch ${t.torch}, ${t.threads} thread(s))`);
  }

  // The roofline: the backend's best throughput (512x512 matmul or a 5x5 conv, measured in the same
  // child): on one thread, or with one copy on every core at once for the all-core rows (where the
  // note gives one core's times the cores too, the bound if the cores did not slow each other).
  const LABELS: Record<Variant, string> = {
    cpu: "cpu",
    "wasm-stock": "wasm (stock kernels)",
    wasm: "wasm + ganbook kernels, 1 thread",
    "wasm-1-core": "same, pinned to 1 core (taskset)",
    "wasm-1-core-part": `same, pinned, batch ${partBatch(opts.batch)} (one thread's part)`,
    "wasm-parts-together": `same, one such process per core at once (the slowest)`,
    "wasm-threads": "wasm + ganbook kernels, all cores",
    "wasm-pool": "same, all cores as a kernel pool",
    tensorflow: "tensorflow (tfjs-node)",
  };
  const header = "| model | backend | threads | s/step | GFLOP/s | % of roofline | roofline GFLOP/s | peak RSS MB | note |";
  const rows = [header, "|---|---|---|---|---|---|---|---|---|"];
  for (const m of results) {
    const gflops = m.stepSeconds && m.flopsPerStep ? m.flopsPerStep / m.stepSeconds / 1e9 : undefined;
    const pool = m.variant === "wasm-pool";
    const oneCore = m.matmulGflops && !pool ? Math.max(m.matmulGflops, m.convGflops ?? 0) : undefined;
    const roofline = m.allCoreGflops ?? (oneCore && oneCore * (m.threads ?? 1));
    const pct = gflops && roofline ? (100 * gflops) / roofline : undefined;
    const notes = [
      m.roundSeconds && `median of ${m.roundSeconds.map((x) => x.toFixed(3)).join(", ")}`,
      pool && m.allCoreGflops && `roofline: the conv and the matmul on the kernel pool`,
      m.allCoreGflops && oneCore && `roofline measured on ${m.threads} cores at once; ${m.threads} x one core's: ${fmt(oneCore * m.threads!, 1)} (${fmt(pct && (pct * m.allCoreGflops) / (oneCore * m.threads!), 0)}% of it)`,
    ].filter(Boolean);
    const note = m.lowerBound ? `lower bound: ${m.error}` : (m.error ?? notes.join("; "));
    rows.push(
      `| ${m.model} | ${LABELS[m.variant]} | ${m.threads ?? ""} | ` +
        `${m.stepSeconds === undefined ? "cannot train" : (m.lowerBound ? "> " : "") + fmt(m.stepSeconds, 3)} | ` +
        `${m.lowerBound ? "< " : ""}${fmt(gflops, 1)} | ${m.lowerBound ? "< " : ""}${fmt(pct, 0)} | ${fmt(roofline, 1)} | ${fmt(m.peakRssMB, 0)} | ${note.replace(/\|/g, "/")} |`,
    );
  }
  for (const t of torch) {
    rows.push(`| ${t.model} | PyTorch ${t.torch ?? ""} | ${t.threads ?? "?"} | ${fmt(t.stepSeconds, 3)} | | | | ${fmt(t.peakRssMB, 0)} | ${t.skipped ?? "Debian's build, generic BLAS"} |`);
  }
  console.log("\n" + rows.join("\n") + "\n");

  const ratios: string[] = [];
  for (const model of opts.models) {
    const ours = results.find((m) => m.model === model && m.variant === "wasm" && m.stepSeconds && !m.lowerBound);
    const cpu = results.find((m) => m.model === model && m.variant === "cpu" && m.stepSeconds);
    const t = torch.find((x) => x.model === model && x.stepSeconds);
    if (ours && t) ratios.push(`${model}: wasm + ganbook kernels takes ${(ours.stepSeconds! / t.stepSeconds!).toFixed(2)}x PyTorch's step time`);
    if (ours && cpu) ratios.push(`${model}: ${cpu.lowerBound ? "at least " : ""}${(cpu.stepSeconds! / ours.stepSeconds!).toFixed(0)}x faster than the cpu backend`);
    // Speed-ups within each round (runs minutes apart), then their median and range over the rounds.
    const within = (slow: Variant, label: (x: string) => string, fast: Variant = "wasm-threads") => {
      const each = rounds.flatMap((round) => {
        const [a, b] = [slow, fast].map((v) => round.find((m) => m.model === model && m.variant === v && m.stepSeconds && !m.lowerBound && !m.error));
        return a && b ? [a.stepSeconds! / b.stepSeconds!] : [];
      });
      if (!each.length) return;
      const spread = each.length > 1 ? ` (median of ${each.length} rounds: ${each.map((x) => x.toFixed(2)).join(", ")})` : "";
      ratios.push(`${model}: ${label(median(each).toFixed(2))}${spread}`);
    };
    const threads = results.find((m) => m.model === model && m.variant === "wasm-threads")?.threads;
    within("wasm", (x) => `all cores (${threads} threads) ${x}x faster than one thread`);
    within("wasm-1-core", (x) => `pinned to one core takes ${x}x as long as all cores`);
    within("wasm-1-core", (x) => `data-parallel ceiling: pinned, the whole batch takes ${x}x as long as one thread's part of it (batch ${partBatch(opts.batch)}), the most that splitting the batch over ${os.cpus().length} cores can give (were there no combining, no waiting, and cores that never slowed each other)`, "wasm-1-core-part");
    within("wasm-1-core", (x) => `data-parallel ceiling with the cores busy together: pinned, the whole batch takes ${x}x as long as the slowest of ${os.cpus().length} processes each on its part at once, each pinned to its own core (nothing combined or sent)`, TOGETHER);
    within("wasm", (x) => `the kernel pool (${threads} threads) ${x}x faster than one thread`, "wasm-pool");
    within("wasm-1-core", (x) => `pinned to one core takes ${x}x as long as the kernel pool`, "wasm-pool");
  }
  for (const r of ratios) console.log(r);

  const images = opts.images > 0 ? await benchImageFolder(opts.images) : undefined;
  if (images) console.log(`loadImageFolder: ${images.count} PNGs of 64x64 in ${images.seconds.toFixed(1)} s (${images.summary})`);

  const outDir = path.join(REPO, "build", "bench");
  fs.mkdirSync(outDir, { recursive: true });
  const json = JSON.stringify({ date: new Date().toISOString(), cpu: cpuModel, cores: os.cpus().length, node: process.version, options: opts, results, rounds, torch, ratios, images }, null, 2);
  const file = path.join(outDir, `bench-${new Date().toISOString().replace(/[:.]/g, "-")}.json`);
  fs.writeFileSync(file, json);
  fs.writeFileSync(path.join(outDir, "latest.json"), json);
  console.log(`\nwrote ${path.relative(REPO, file)}`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
