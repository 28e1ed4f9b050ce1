// npm run profile: where one training step's time goes, kernel by kernel (README, Performance).
//
//   npm run profile -- [--model course|tf-tutorial] [--steps 3] [--batch 64] [--by-shape]
//
// --by-shape splits each kernel's row by its input shapes.
// One thread, the wasm backend with ganbook's kernels: `tf.profile` over `--steps` steps (a D step
// and a G step each, through GanTrainer, after two of warm-up), kernel milliseconds summed by kernel
// and divided by the steps. ganbook's kernels (wasm-kernels.ts) call the wasm backend's kernels
// directly, so their Conv2D, Transpose and Slice calls count in their own row, not twice. "outside
// kernels" is the rest of the step's wall time: JavaScript between kernels (the gradient tape, the
// optimizer's bookkeeping, the trainer).
process.env.GANBOOK_BACKEND = "wasm";
import { BENCH_MODELS, buildBenchTrainer, type BenchModel } from "./bench-models";

interface Options {
  model: BenchModel;
  steps: number;
  batch: number;
  byShape: boolean;
}

function parseArgs(argv: string[]): Options {
  const opts: Options = { model: "course", steps: 3, batch: 64, byShape: false };
  for (let i = 0; i < argv.length; i++) {
    const [flag, value] = [argv[i], argv[i + 1]];
    if (flag === "--by-shape") opts.byShape = true;
    else if (flag === "--model") {
      if (!BENCH_MODELS.includes(value as BenchModel)) usage(`unknown model ${value}; choose from ${BENCH_MODELS.join(", ")}`);
      opts.model = value as BenchModel;
      i++;
    } else if (flag === "--steps" || flag === "--batch") {
      const n = Number(value);
      if (!Number.isInteger(n) || n <= 0) usage(`${flag} takes a positive integer; got ${value}`);
      opts[flag === "--steps" ? "steps" : "batch"] = n;
      i++;
    } else usage(`unknown option ${flag}`);
  }
  return opts;
}

function usage(message: string): never {
  console.error(`profile: ${message}\nusage: npm run profile -- [--model ${BENCH_MODELS.join("|")}] [--steps 3] [--batch 64] [--by-shape]`);
  process.exit(2);
}

async function main(): Promise<void> {
  const opts = parseArgs(process.argv.slice(2));
  const gb = await import("../lib/src/index");
  const { tf } = gb;
  await gb.ready();
  const { trainer, data } = buildBenchTrainer(gb, opts.model, opts.batch, 1);
  await trainer.train(2, { progress: "none" }); // warm-up: XNNPACK operators, optimizer slots

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

void main();
