// npm run train -- <model> [options]: the course's GANs from a terminal, with a progress line,
// per-epoch checkpoints and sample grids in an output folder, resume, and a clean stop on Ctrl-C.
// Run `npm run train -- --help` for the models and options.
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type * as GB from "../lib/src/index";

/**
 * The models: what each is, its data, and its chapter's recipe for a run of `steps` generator steps
 * (undefined: the chapter's full run), so learning-rate drops fall at the same share of a longer run.
 */
interface Model {
  about: string;
  data: GB.DatasetName | GB.ToyMixtureName;
  /** `image`: set when the model trains on a folder of your own images (--data). */
  recipe: (gb: typeof GB, seed: number, steps?: number, image?: { size: GB.DcganSize; channels: 1 | 3 }) => GB.Recipe;
  /** Takes --data DIR (your own images) instead of its data set. */
  folder?: boolean;
}

/**
 * Chapter 05's fix `method` on the ring (or the grid), in its quality setting, changed by `change`
 * (a function of the library, which loads only once the backend is chosen).
 */
const ringFix = (method: GB.CollapseMethod, about: string, mixture: GB.ToyMixtureName = "ring", change: (gb: typeof GB) => Partial<GB.CollapseSetting> = () => ({})): Model => ({
  about: `chapter 05, quality setting: ${mixture} GAN with ${about}`,
  data: mixture,
  recipe: (gb, seed, steps) => gb.collapseRecipe({ mixture, method, seed, steps, setting: { ...gb.QUALITY_SETTING, ...change(gb) } }),
});

const MODELS: Record<string, Model> = {
  vanilla: { about: "chapter 03: MLP GAN on MNIST", data: "mnist", recipe: (gb, seed, steps) => gb.vanillaMnist(seed, steps) },
  "vanilla-wide": { about: "chapter 03's MLP GAN with G 256 -> 512 -> 1024 (long run): the shipped mlp-mnist", data: "mnist", recipe: (gb, seed, steps) => gb.vanillaMnistWide(seed, steps) },
  "dcgan-live": { about: "chapter 04: the deeper DCGAN with the least-squares loss on MNIST, 600 steps", data: "mnist", recipe: (gb, seed, steps) => gb.dcganLive(seed, steps) },
  "dcgan-fashion": { about: "chapter 04: the shallow DCGAN (dcgan) on Fashion-MNIST", data: "fashion-mnist", recipe: (gb, seed, steps) => gb.dcgan(seed, steps) },
  dcgan: { about: "chapter 04's shallow DCGAN, the course's network at Adam 2e-4 (or --data DIR: your own images, as in chapter 08)", data: "mnist", recipe: (gb, seed, steps, image) => gb.dcgan(seed, steps, image), folder: true },
  "dcgan-long": { about: "chapter 04's DCGAN, long run (averaged G, late drop)", data: "mnist", recipe: (gb, seed, steps, image) => gb.dcganLong(seed, steps, image), folder: true },
  "dcgan-wide": { about: "chapter 04's DCGAN twice as wide, Adam 5e-4, averaged G, late drop (long run)", data: "mnist", recipe: (gb, seed, steps) => gb.dcganWide(seed, steps) },
  "dcgan-live-long": { about: "dcgan-live trained longer (default 3,000 steps), both rates a tenth for the last fifth (long run): dcgan-mnist before dcgan-live-info-20", data: "mnist", recipe: (gb, seed, steps) => gb.dcganLiveLong(seed, steps) },
  "dcgan-live-info": { about: "dcgan-live-long as an InfoGAN: G's noise carries one of 10 codes that D learns to read back (long run)", data: "mnist", recipe: (gb, seed, steps) => gb.dcganLiveInfo(seed, steps) },
  "dcgan-live-info-20": { about: "dcgan-live-info with 20 codes instead of 10 (long run): the shipped dcgan-mnist (--steps 5000)", data: "mnist", recipe: (gb, seed, steps) => gb.dcganLiveInfo(seed, steps, 20) },
  "dcgan-live-long-wide-g": { about: "dcgan-live-long with G at width 96 (long-run trial)", data: "mnist", recipe: (gb, seed, steps) => gb.dcganLiveLong(seed, steps, 96) },
  "dcgan-deep": { about: "chapter 04's DCGAN with a 3x3 conv after every resolution change, as dcgan-wide otherwise (long run): dcgan-mnist before dcgan-live-long", data: "mnist", recipe: (gb, seed, steps) => gb.dcganDeep(seed, steps) },
  "dcgan-deep-wide-g": { about: "dcgan-deep with G at width 96 (long-run trial)", data: "mnist", recipe: (gb, seed, steps) => gb.dcganDeepWideG(seed, steps) },
  "dcgan-deep-ls": { about: "dcgan-deep with the least-squares loss (long-run trial)", data: "mnist", recipe: (gb, seed, steps) => gb.dcganDeep(seed, steps, "least-squares") },
  "dcgan-fashion-deep": { about: "dcgan-deep on Fashion-MNIST (long run)", data: "fashion-mnist", recipe: (gb, seed, steps) => gb.dcganDeep(seed, steps) },
  "dcgan-fashion-deep-wide-g": { about: "dcgan-deep-wide-g on Fashion-MNIST (long run): the shipped dcgan-fashion", data: "fashion-mnist", recipe: (gb, seed, steps) => gb.dcganDeepWideG(seed, steps) },
  "dcgan-fashion-deep-wide-g-ls": { about: "dcgan-fashion-deep-wide-g with the least-squares loss (long-run trial)", data: "fashion-mnist", recipe: (gb, seed, steps) => gb.dcganDeepWideG(seed, steps, "least-squares") },
  "dcgan-fashion-long": { about: "chapter 04's DCGAN on Fashion-MNIST, long run (as dcgan-long)", data: "fashion-mnist", recipe: (gb, seed, steps) => gb.dcganLong(seed, steps) },
  conditional: { about: "chapter 06: conditional DCGAN on MNIST (labels as channels)", data: "mnist", recipe: (gb, seed, steps) => gb.conditionalDcgan(seed, steps) },
  acgan: { about: "chapter 06: ACGAN (auxiliary classifier) on MNIST", data: "mnist", recipe: (gb, seed, steps) => gb.acgan(seed, steps) },
  "acgan-deep": { about: "chapter 06's ACGAN with a 3x3 conv after every resolution change and an averaged G (long run)", data: "mnist", recipe: (gb, seed, steps) => gb.acganDeep(seed, steps) },
  "acgan-deep-5e-4": { about: "acgan-deep with Adam 5e-4 for both players (long run): the shipped acgan-mnist", data: "mnist", recipe: (gb, seed, steps) => gb.acganDeep(seed, steps, 5e-4) },
  "acgan-fashion-deep-5e-4": { about: "acgan-deep-5e-4 on Fashion-MNIST (long run)", data: "fashion-mnist", recipe: (gb, seed, steps) => gb.acganDeep(seed, steps, 5e-4) },
  "acgan-fashion": { about: "chapter 06: ACGAN on Fashion-MNIST", data: "fashion-mnist", recipe: (gb, seed, steps) => gb.acgan(seed, steps) },
  ring: { about: "chapter 03: MLP GAN on the ring of 8 Gaussians", data: "ring", recipe: (gb, seed) => gb.vanillaRing(seed) },
  "ring-pacgan": ringFix("pacgan", "PacGAN (2 packed samples)"),
  "ring-pacgan-avg": ringFix("pacgan", "PacGAN (2 packed samples), sampled from G's moving average (decay 0.999)", "ring", () => ({ generatorAverage: 0.999 })),
  "ring-minibatch-std": ringFix("minibatch-std", "a minibatch standard deviation feature"),
  "ring-unrolled": ringFix("unrolled", "5 unrolled discriminator steps"),
  "ring-wgan-gp": ringFix("wgan-gp", "the WGAN-GP loss"),
  "grid-pacgan": ringFix("pacgan", "PacGAN (4 packed samples)", "grid"),
  "ring-pacgan-large": ringFix("pacgan", "PacGAN (2 packed samples), G 4 x 400 and D 3 x 200 units (long run): the shipped ring", "ring", (gb) => gb.PACGAN_TOY_NETWORKS),
  "grid-pacgan-large": ringFix("pacgan", "PacGAN (4 packed samples), G 4 x 400 and D 3 x 200 units (long-run trial)", "grid", (gb) => gb.PACGAN_TOY_NETWORKS),
};

const HELP = `usage: npm run train -- <model> [options]

models:
${Object.entries(MODELS).map(([m, d]) => `  ${m.padEnd(20)} ${d.about}`).join("\n")}

options:
  --out DIR            output folder (default runs/<model>); must not exist unless --resume
  --steps N            generator steps (default: the chapter's full run; learning-rate drops
                       fall at the same share of the run)
  --seed S             seed (default 0); seeded runs on the same backend and threads repeat exactly
  --drop-at STEP       move the recipe's learning-rate drop to this step (for recipes with one:
                       vanilla-wide and the other long runs, acgan, acgan-fashion, the ring
                       and grid fixes)
  --backend NAME       tensorflow | wasm | cpu (default: the fastest that loads)
  --data DIR           dcgan, dcgan-long: train on every PNG and JPEG under DIR instead of MNIST
  --size N             with --data: image side, 32 or 64 (default 32); images are centre-cropped
  --channels C         with --data: 3 for colour (default), 1 for greyscale
  --threads N          threads per training step (as GANBOOK_THREADS; default: every core for a conv
                       GAN, one for an MLP GAN); 1 turns data-parallel training off
  --kernel-threads N   the wasm backend's kernels on a pool of N threads (as GANBOOK_KERNEL_THREADS,
                       N or all; the same numbers as one thread); the trainer then uses one thread
  --checkpoint-every N steps between checkpoints and sample grids (default: one epoch of data)
  --resume             continue from the checkpoint in --out
  --quick              small data (as GANBOOK_QUICK=1), for trying things out
  --help               this text

Ctrl-C stops after the current step and writes a checkpoint before exiting. At every checkpoint the
samples' quality is measured (2,000 samples: the evaluator's numbers for images, mode coverage for toy
data; not for --data, which no evaluator knows) and appended to quality.json, with the training seconds so far; run.json records the command,
seed, commit, machine, backend and threads of each start and resume.`;

interface Args {
  model: string;
  out: string;
  steps?: number;
  dropAt?: number;
  seed: number;
  backend?: string;
  threads?: number;
  kernelThreads?: string;
  data?: string;
  size?: number;
  channels?: number;
  every?: number;
  resume: boolean;
  quick: boolean;
}

function usage(message: string): never {
  console.error(`train: ${message}\n\n${HELP}`);
  process.exit(2);
}

function parse(argv: string[]): Args {
  if (argv.includes("--help") || argv.includes("-h")) {
    console.log(HELP);
    process.exit(0);
  }
  const [model, ...rest] = argv;
  if (!model || model.startsWith("--")) usage("name a model");
  if (!MODELS[model]) usage(`unknown model ${model}`);
  const args: Args = { model, out: path.join("runs", model), seed: 0, resume: false, quick: false };
  const int = (flag: string, value: string | undefined, min: number) => {
    const n = Number(value);
    if (value === undefined || !Number.isInteger(n) || n < min) usage(`${flag} takes a whole number >= ${min}; got ${value ?? "nothing"}`);
    return n;
  };
  for (let i = 0; i < rest.length; i++) {
    const flag = rest[i];
    const value = rest[i + 1];
    if (flag === "--resume") args.resume = true;
    else if (flag === "--quick") args.quick = true;
    else if (flag === "--out") {
      if (!value || value.startsWith("--")) usage("--out needs a folder");
      args.out = value;
      i++;
    } else if (flag === "--steps") (args.steps = int(flag, value, 1)), i++;
    else if (flag === "--seed") (args.seed = int(flag, value, 0)), i++;
    else if (flag === "--drop-at") (args.dropAt = int(flag, value, 0)), i++;
    else if (flag === "--checkpoint-every") (args.every = int(flag, value, 1)), i++;
    else if (flag === "--backend") {
      if (!["tensorflow", "wasm", "cpu"].includes(value ?? "")) usage(`--backend takes tensorflow, wasm or cpu; got ${value ?? "nothing"}`);
      args.backend = value;
      i++;
    } else if (flag === "--threads") (args.threads = int(flag, value, 1)), i++;
    else if (flag === "--kernel-threads") {
      if (value !== "all") int(flag, value, 1);
      args.kernelThreads = value;
      i++;
    }
    else if (flag === "--data") {
      if (!value || value.startsWith("--")) usage("--data needs a folder of images");
      args.data = value;
      i++;
    } else if (flag === "--size") {
      args.size = int(flag, value, 1);
      if (args.size !== 32 && args.size !== 64) usage(`--size takes 32 or 64; got ${value}`);
      i++;
    } else if (flag === "--channels") {
      args.channels = int(flag, value, 1);
      if (args.channels !== 1 && args.channels !== 3) usage(`--channels takes 1 (greyscale) or 3 (colour); got ${value}`);
      i++;
    }
    else usage(`unknown option ${flag}`);
  }
  if (args.data === undefined && (args.size !== undefined || args.channels !== undefined)) usage("--size and --channels go with --data DIR (your own images)");
  if (args.data !== undefined && !MODELS[args.model].folder) {
    usage(`--data: ${args.model} trains on its own data set; the models that take a folder of images are ${Object.keys(MODELS).filter((m) => MODELS[m].folder).join(", ")}`);
  }
  return args;
}

async function main(): Promise<void> {
  const args = parse(process.argv.slice(2));
  if (args.backend) process.env.GANBOOK_BACKEND = args.backend;
  if (args.threads) process.env.GANBOOK_THREADS = String(args.threads);
  if (args.kernelThreads) process.env.GANBOOK_KERNEL_THREADS = args.kernelThreads;
  if (args.quick) process.env.GANBOOK_QUICK = "1";
  const out = path.resolve(args.out);
  const checkpointDir = path.join(out, "checkpoint");
  if (args.resume) {
    if (!fs.existsSync(out)) usage(`--resume: ${args.out} does not exist`);
  } else if (fs.existsSync(out)) {
    usage(`${args.out} exists: pass --resume to continue that run, or choose another --out (nothing was overwritten)`);
  }
  const gb = await import("../lib/src/index");
  const { tf } = gb;
  const env = await gb.ready();
  console.log(`${args.model} (${MODELS[args.model].about}) on ${env.backend}, output in ${args.out}`);

  // Data and recipe
  const quick = gb.isQuick();
  const model = MODELS[args.model];
  const image = args.data !== undefined ? { size: (args.size ?? 32) as GB.DcganSize, channels: (args.channels ?? 3) as 1 | 3 } : undefined;
  const recipe = model.recipe(gb, args.seed, args.steps, image);
  if (args.dropAt !== undefined) {
    const drops = recipe.options.learningRateDrops ?? [];
    if (drops.length !== 1) usage(`--drop-at: ${args.model}'s recipe has ${drops.length === 0 ? "no learning-rate drop" : `${drops.length} drops`} to move`);
    if (args.resume) usage("--drop-at applies to a new run; a resumed run keeps its checkpoint's schedule");
    recipe.options.learningRateDrops = [{ ...drops[0], step: args.dropAt }];
  }
  let labels: Uint8Array | undefined;
  let data: GB.tf.Tensor;
  const toy = gb.isToyMixtureName(model.data) ? gb.toyMixture(model.data) : undefined;
  if (toy) data = gb.sampleMixture(toy, 10_000, args.seed).points;
  else if (args.data !== undefined) {
    const folder = gb.loadImageFolder(args.data, { ...image!, limit: quick ? 3000 : undefined });
    console.log(folder.summary);
    const batch = recipe.options.batchSize ?? 64;
    if (folder.images.shape[0] < batch) {
      throw new Error(`${args.data} gave ${folder.images.shape[0]} image(s), fewer than one batch (${batch}): add images (a DCGAN learns from thousands; the emoji set has 3,786)`);
    }
    data = folder.images;
  } else {
    const ds = await gb.loadDataset(model.data as GB.DatasetName, { split: "train", limit: quick ? 3000 : undefined });
    labels = ds.labels;
    data = gb.imagesToTensor(ds);
  }
  const conditional = recipe.gan.classes !== undefined;
  const trainer = args.resume
    ? await gb.GanTrainer.load(checkpointDir, data, { labels: conditional ? labels : undefined, prepare: recipe.gan.prepare })
    : new gb.GanTrainer({ gan: recipe.gan, data, labels: conditional ? labels : undefined, ...recipe.options });
  if (!args.resume) fs.mkdirSync(out, { recursive: true });
  console.log(`training on ${trainer.threadsReason}`);
  const target = args.steps ?? (quick ? Math.min(recipe.steps, 50) : recipe.steps);
  const remaining = target - trainer.step;
  if (remaining <= 0) {
    console.log(`already at step ${trainer.step} of ${target}: nothing to do`);
    return;
  }
  const epoch = Math.max(1, Math.floor(data.shape[0] / (recipe.options.batchSize * (recipe.options.dSteps ?? 1))));
  const every = args.every ?? epoch;

  // What this start (or resume) was: enough to reproduce it and to say where its numbers come from.
  const runFile = path.join(out, "run.json");
  const runs: GB.TrainingRun[] = fs.existsSync(runFile) ? JSON.parse(fs.readFileSync(runFile, "utf8")) : [];
  runs.push({
    command: `npm run train -- ${process.argv.slice(2).join(" ")}`,
    model: args.model,
    seed: args.seed,
    targetSteps: target,
    fromStep: trainer.step,
    commit: gitCommit(),
    machine: { cpu: os.cpus()[0]?.model ?? "unknown", cores: os.cpus().length, memoryGiB: Math.round(os.totalmem() / 2 ** 30), platform: `${os.platform()}-${os.arch()}` },
    node: process.version,
    backend: env.backend,
    threads: trainer.threads,
    kernelThreads: gb.wasmKernelThreads(),
    started: new Date().toISOString(),
  });
  fs.writeFileSync(runFile, JSON.stringify(runs, null, 2) + "\n");

  // Quality at every checkpoint: the evaluator for images, mode coverage for toy data.
  const qualityFile = path.join(out, "quality.json");
  const quality: GB.QualityPoint[] = fs.existsSync(qualityFile) ? JSON.parse(fs.readFileSync(qualityFile, "utf8")) : [];
  // No evaluator knows your own images: a run on --data keeps its samples, losses and checkpoints only.
  const evaluator = toy || args.data !== undefined ? undefined : await gb.loadEvaluator(model.data as GB.DatasetName);
  const measure = () => {
    if (!toy && !evaluator) return;
    const at = { step: trainer.step, seconds: trainer.history.at(-1)?.seconds ?? 0 };
    if (quality.at(-1)?.step === at.step) return;
    const point = toy ? gb.measureToyQuality(trainer.samplingGan, toy, at) : gb.measureImageQuality(trainer.samplingGan, evaluator!, at);
    quality.push(point);
    fs.writeFileSync(qualityFile, JSON.stringify(quality, null, 1) + "\n");
    console.log(`quality at step ${at.step} (${(at.seconds / 60).toFixed(1)} min): ${describeQuality(point)}`);
  };

  const saveAll = async () => {
    await trainer.save(checkpointDir);
    const png = path.join(out, `samples-step-${String(trainer.step).padStart(6, "0")}.png`);
    if (data.rank === 4) fs.writeFileSync(png, gb.previewPng(trainer)!);
    else fs.writeFileSync(png, gb.encodePng(gb.rasterize2d(gb.snapshot2d(trainer.samplingGan, data as GB.tf.Tensor2D, trainer.step, { noise: trainer.previewNoise }), 320)));
    fs.writeFileSync(path.join(out, "history.csv"), trainer.historyFrame().writeCSV().toString());
    measure();
  };
  // A second Ctrl-C while saving would lose nothing either: the checkpoint write is atomic.
  const result = await trainer.train(remaining, { title: args.model, every, onStep: saveAll });
  await saveAll();
  console.log(
    result.stopped
      ? `stopped at step ${trainer.step} (interrupted); checkpoint written to ${path.relative(process.cwd(), checkpointDir)}. Continue with --resume.`
      : `done: ${trainer.step} steps in ${result.seconds.toFixed(0)} s; checkpoint and samples in ${args.out}`,
  );
  tf.dispose(data);
}

/** The commit this checkout is at, with "-dirty" when tracked files differ from it ("unknown" outside git). */
function gitCommit(): string {
  const head = spawnSync("git", ["rev-parse", "HEAD"], { encoding: "utf8" });
  if (head.status !== 0) return "unknown";
  const dirty = spawnSync("git", ["diff", "--quiet", "HEAD", "--", "lib", "scripts"], { encoding: "utf8" }).status !== 0;
  return head.stdout.trim() + (dirty ? "-dirty" : "");
}

function describeQuality(p: GB.QualityPoint): string {
  if (p.kind === "toy") return `${p.modes} of ${p.totalModes} modes, ${(100 * p.highQuality).toFixed(1)}% high quality`;
  const shares = p.shares.map((x) => (100 * x).toFixed(0)).join("/");
  const label = p.labelAccuracy === undefined ? "" : `, label accuracy ${(100 * p.labelAccuracy).toFixed(1)}%`;
  return `classifier score ${p.classifierScore.toFixed(2)}, ${(100 * p.confident).toFixed(1)}% read with p > 0.9${label}, classes ${shares}%`;
}

main().catch((e) => {
  console.error(`train: ${(e as Error).message}`);
  process.exit(1);
});
