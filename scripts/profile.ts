// npm run profile: where one training step's time goes, kernel by kernel (README, Performance).
//
//   npm run profile -- [--model course|tf-tutorial|chapter-04] [--steps 3] [--batch 64] [--by-shape] [--threads N]
//
// --by-shape splits each kernel's row by its input shapes.
// --threads N (N > 1): instead of kernels, where each update's time goes over N threads
// (data-parallel, replicas.ts): this thread's part of the batch, each worker's, the wait for the
// slowest worker, and combining and applying the gradients; medians over the steps (20 or more
// make sense: the parts' times vary from update to update).
// One thread, the wasm backend with ganbook's kernels: `tf.profile` over `--steps` steps (a D step
// and a G step each, through GanTrainer, after two of warm-up), kernel milliseconds summed by kernel
// and divided by the steps. ganbook's kernels (wasm-kernels.ts) call the wasm backend's kernels
// directly, so their Conv2D, Transpose and Slice calls count in their own row, not twice. "outside
// kernels" is the rest of the step's wall time: JavaScript between kernels (the gradient tape, the
// optimizer's bookkeeping, the trainer).
process.env.GANBOOK_BACKEND = "wasm";
import { BENCH_MODELS, buildBenchTrainer, median, type BenchModel } from "./bench-models";

interface Options {
  model: BenchModel;
  steps: number;
  batch: number;
  byShape: boolean;
  threads: number;
}

function parseArgs(argv: string[]): Options {
  const opts: Options = { model: "course", steps: 3, batch: 64, byShape: false, threads: 1 };
  for (let i = 0; i < argv.length; i++) {
    const [flag, value] = [argv[i], argv[i + 1]];
    if (flag === "--by-shape") opts.byShape = true;
    else if (flag === "--model") {
      if (!BENCH_MODELS.includes(value as BenchModel)) usage(`unknown model ${value}; choose from ${BENCH_MODELS.join(", ")}`);
      opts.model = value as BenchModel;
      i++;
    } else if (flag === "--steps" || flag === "--batch" || flag === "--threads") {
      const n = Number(value);
      if (!Number.isInteger(n) || n <= 0) usage(`${flag} takes a positive integer; got ${value}`);
      opts[flag.slice(2) as "steps" | "batch" | "threads"] = n;
      i++;
    } else usage(`unknown option ${flag}`);
  }
  return opts;
}

function usage(message: string): never {
  console.error(`profile: ${message}\nusage: npm run profile -- [--model ${BENCH_MODELS.join("|")}] [--steps 3] [--batch 64] [--by-shape] [--threads N]`);
  process.exit(2);
}

async function main(): Promise<void> {
  const opts = parseArgs(process.argv.slice(2));
  const gb = await import("../lib/src/index");
  const { tf } = gb;
  await gb.ready();
  const { trainer, data } = buildBenchTrainer(gb, opts.model, opts.batch, opts.threads);
  await trainer.train(2, { progress: "none" }); // warm-up: XNNPACK operators, optimizer slots, worker threads
  if (opts.threads > 1) {
    await profileThreads(trainer, opts);
    trainer.dispose();
    tf.dispose(data);
    return;
  }

  const started = performance.now();
  const info = await tf.profile(async () => {
    await trainer.train(opts.steps, { progress: "none" });
    return [];
  });
  const wallMs = (performance.now() - started) / opts.steps;
  const byKernel = new Map<string, { ms: number; calls: number }>();
  for (const k of info.kernels) {
    // A fused op ("fusedConv2d__op") is listed as an op and again as its kernel: count the kernel.
    if (k.name.endsWith("__op")) continue;
    const name = opts.byShape ? `${k.name} ${k.inputShapes.map((s) => `[${s}]`).join(" ")}` : k.name;
    const row = byKernel.get(name) ?? { ms: 0, calls: 0 };
    row.ms += (k.kernelTimeMs as number) / opts.steps;
    row.calls += 1 / opts.steps;
    byKernel.set(name, row);
  }
  const rows = [...byKernel.entries()].sort((a, b) => b[1].ms - a[1].ms);
  const total = rows.reduce((s, [, r]) => s + r.ms, 0);
  console.log(`profile: ${opts.model} DCGAN, batch ${opts.batch}, one thread, wasm + ganbook kernels, mean of ${opts.steps} steps (D step + G step)`);
  console.log(`step wall time ${wallMs.toFixed(1)} ms; kernels ${total.toFixed(1)} ms; outside kernels ${(wallMs - total).toFixed(1)} ms\n`);
  console.log("| kernel | ms per step | calls per step | share of step |");
  console.log("|---|---|---|---|");
  for (const [name, r] of rows) {
    if (r.ms < 0.5) continue;
    console.log(`| ${name} | ${r.ms.toFixed(1)} | ${Number.isInteger(r.calls) ? r.calls : r.calls.toFixed(1)} | ${((100 * r.ms) / wallMs).toFixed(1)}% |`);
  }
  const small = rows.filter(([, r]) => r.ms < 0.5);
  if (small.length) {
    const ms = small.reduce((s, [, r]) => s + r.ms, 0);
    const calls = small.reduce((s, [, r]) => s + r.calls, 0);
    console.log(`| ${small.length} other kernels | ${ms.toFixed(1)} | ${calls.toFixed(0)} | ${((100 * ms) / wallMs).toFixed(1)}% |`);
  }
  trainer.dispose();
  tf.dispose(data);
}

/** Where each update's time goes over the threads: medians of the trainer's update timings. */
async function profileThreads(trainer: import("../lib/src/index").GanTrainer, opts: Options): Promise<void> {
  if (trainer.threads !== opts.threads) throw new Error(`the trainer runs on ${trainer.threads} threads, not ${opts.threads}: ${trainer.threadsReason}`);
  trainer.updateTimings = [];
  const started = performance.now();
  await trainer.train(opts.steps, { progress: "none" });
  const stepMs = (performance.now() - started) / opts.steps;
  console.log(`profile: ${opts.model} DCGAN, batch ${opts.batch}, ${opts.threads} threads (data-parallel), wasm + ganbook kernels, medians of ${opts.steps} steps`);
  console.log(`step wall time ${stepMs.toFixed(1)} ms (mean)\n`);
  console.log(`| update | this thread's part | ${Array.from({ length: opts.threads - 1 }, (_, k) => `worker ${k + 1}'s part`).join(" | ")} | wait for the workers | combine and apply | update |`);
  console.log(`|---|---|${"---|".repeat(opts.threads - 1)}---|---|---|`);
  for (const update of ["discriminator", "generator"] as const) {
    const rows = trainer.updateTimings.filter((t) => t.update === update);
    const cells = [median(rows.map((t) => t.mine)), ...Array.from({ length: opts.threads - 1 }, (_, k) => median(rows.map((t) => t.theirs[k]))), median(rows.map((t) => t.wait)), median(rows.map((t) => t.combine)), median(rows.map((t) => t.mine + t.wait + t.combine))];
    console.log(`| ${update} | ${cells.map((c) => c.toFixed(1)).join(" | ")} |`);
  }
  const spread = (f: (t: import("../lib/src/index").UpdateTiming) => number) => {
    const xs = trainer.updateTimings!.map(f);
    return `${Math.min(...xs).toFixed(0)}-${Math.max(...xs).toFixed(0)} ms`;
  };
  console.log(`\nrange over the updates: this thread's part ${spread((t) => t.mine)}, worker 1's ${spread((t) => t.theirs[0])}, wait ${spread((t) => t.wait)}`);
}

void main();
