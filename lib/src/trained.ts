/**
 * Fully trained generators that ship with the course (chapters 03-06 show them beside the live run).
 * Each lives in `lib/trained/<name>/`: a ganbook checkpoint folder with the generator (the one to
 * sample: the moving average of G's weights where the recipe keeps one) and the discriminator, in
 * TensorFlow.js's layers format, plus `manifest.json`: the exact `npm run train` command, seed, steps,
 * training seconds, machine, backend, commit, the files' SHA-256, the metrics on 10,000 samples and
 * the quality-over-time curve (see quality.ts). `npm run ship` writes them from a training run.
 */
import { createHash } from "crypto";
import * as fs from "fs";
import * as path from "path";
import { readCheckpoint } from "./checkpoint";
import { packSamples, type Gan } from "./gan";
import type { QualityPoint } from "./quality";

/** The names the course uses, what each is, and its quality targets (checked by `npm test`). */
export const TRAINED_GANS = {
  "mlp-mnist": { about: "chapter 03's MLP GAN on MNIST", dataset: "mnist" },
  "dcgan-mnist": { about: "chapter 04's DCGAN on MNIST", dataset: "mnist" },
  "dcgan-fashion": { about: "chapter 04's DCGAN on Fashion-MNIST", dataset: "fashion-mnist" },
  "acgan-mnist": { about: "chapter 06's ACGAN on MNIST", dataset: "mnist" },
  "acgan-fashion": { about: "chapter 06's ACGAN on Fashion-MNIST", dataset: "fashion-mnist" },
  ring: { about: "chapter 05's best fix (PacGAN) on the ring of 8", dataset: "ring" },
  grid: { about: "chapter 05's best fix (PacGAN) on the grid of 25", dataset: "grid" },
} as const;
export type TrainedGanName = keyof typeof TRAINED_GANS;

/** What `npm run train` records in its output folder's `run.json`, one entry per start and resume. */
export interface TrainingRun {
  command: string;
  model: string;
  seed: number;
  targetSteps: number;
  fromStep: number;
  /** The commit, with "-dirty" when lib/ or scripts/ differed from it. */
  commit: string;
  machine: { cpu: string; cores: number; memoryGiB: number; platform: string };
  node: string;
  backend: string;
  /** Threads per training step (data-parallel); absent in runs made before there were threads (1). */
  threads?: number;
  /** Threads of the wasm backend's kernel pool (GANBOOK_KERNEL_THREADS); absent before there was one (1). */
  kernelThreads?: number;
  started: string;
}

/** What `manifest.json` records. */
export interface TrainedManifest {
  format: "ganbook-trained/1";
  name: TrainedGanName;
  about: string;
  /** `npm run train` model name, and the command(s) that trained it (a resumed run lists each). */
  model: string;
  commands: string[];
  seed: number;
  steps: number;
  trainingSeconds: number;
  machine: TrainingRun["machine"];
  node: string;
  backend: string;
  /** Threads per training step; absent in manifests from runs made before there were threads (1). */
  threads?: number;
  /** The commit each command ran at. */
  commits: string[];
  latentDim: number;
  classes?: number;
  auxiliaryClassifier?: boolean;
  /** InfoGAN: the code G's noise carries, and its loss's weight (chapter 04's shipped DCGAN). */
  infoCode?: Gan["infoCode"];
  /** PacGAN: how many samples D judges at once. */
  packSize?: number;
  /** Which generator the folder's `generator` is: the averaged one where the recipe kept it. */
  generator: "averaged" | "raw";
  /** The evaluator's numbers (or mode coverage) on 10,000 samples, and the real data's for reference. */
  metrics: QualityPoint;
  real?: { classifierScore: number; confident: number; labelAccuracy?: number; samples: number };
  /** Quality at each checkpoint of the run (2,000 samples each). */
  quality: QualityPoint[];
  /** Each of the name's targets ({@link TRAINED_TARGETS}) on the 10,000 samples, and whether it was met. */
  targets: { what: string; value: number | [number, number]; met: boolean }[];
  /** Relative path -> SHA-256 and size of every weights and topology file. */
  files: Record<string, { sha256: string; bytes: number }>;
}

/** The folder of shipped generators: `lib/trained/` (beside `dist/` and `src/`), or `GANBOOK_TRAINED_DIR`. */
export function trainedDir(): string {
  return process.env.GANBOOK_TRAINED_DIR || path.resolve(__dirname, "..", "trained");
}

/** The names that have a folder with a manifest in {@link trainedDir}. */
export function shippedGanNames(): TrainedGanName[] {
  return (Object.keys(TRAINED_GANS) as TrainedGanName[]).filter((n) => fs.existsSync(path.join(trainedDir(), n, "manifest.json")));
}

/** SHA-256 of a file, hex. */
export function sha256File(file: string): string {
  return createHash("sha256").update(fs.readFileSync(file)).digest("hex");
}

/** Reads and checks a shipped GAN's manifest; throws naming the problem and the fix. */
export function readTrainedManifest(name: string): TrainedManifest {
  const shipped = shippedGanNames();
  if (!(name in TRAINED_GANS)) {
    throw new Error(`Unknown trained GAN "${name}". Known: ${Object.keys(TRAINED_GANS).join(", ")} (shipped in this checkout: ${shipped.join(", ") || "none"}).`);
  }
  const dir = path.join(trainedDir(), name);
  const file = path.join(dir, "manifest.json");
  const restore = `restore it with: git checkout -- ${path.relative(process.cwd(), dir) || dir}`;
  if (!fs.existsSync(file)) {
    throw new Error(`The trained GAN "${name}" is not shipped in this checkout (${file} is missing; shipped: ${shipped.join(", ") || "none"}). If it was, ${restore}.`);
  }
  let manifest: TrainedManifest;
  try {
    manifest = JSON.parse(fs.readFileSync(file, "utf8"));
  } catch (e) {
    throw new Error(`${file} is not valid JSON (${(e as Error).message}): ${restore}`);
  }
  if (manifest.format !== "ganbook-trained/1") throw new Error(`${file} has format ${manifest.format}, expected ganbook-trained/1: ${restore}`);
  return manifest;
}

/**
 * Checks every file the manifest lists against its size and SHA-256; throws naming the first file
 * that is missing, truncated or changed, and how to restore it.
 */
export function verifyTrainedFiles(name: TrainedGanName, manifest = readTrainedManifest(name)): void {
  const dir = path.join(trainedDir(), name);
  for (const [rel, expected] of Object.entries(manifest.files)) {
    const file = path.join(dir, rel);
    const restore = `restore it with: git checkout -- ${path.relative(process.cwd(), file) || file}`;
    if (!fs.existsSync(file)) throw new Error(`${file} is missing: ${restore}`);
    const bytes = fs.statSync(file).size;
    if (bytes !== expected.bytes) throw new Error(`${file} is corrupt: it has ${bytes} bytes, the manifest records ${expected.bytes}: ${restore}`);
    const sha = sha256File(file);
    if (sha !== expected.sha256) throw new Error(`${file} is corrupt: its SHA-256 is ${sha}, the manifest records ${expected.sha256}: ${restore}`);
  }
}

/** A shipped GAN: ready to sample (`gan.generator`), and to train further (its discriminator ships too). */
export interface TrainedGan {
  gan: Gan;
  manifest: TrainedManifest;
}

/**
 * Loads a shipped generator and its discriminator by name (`mlp-mnist`, `dcgan-mnist`,
 * `dcgan-fashion`, `acgan-mnist`, `acgan-fashion`, `ring`, `grid`). An unknown or unshipped name lists
 * the shipped ones; a missing or corrupt file is an error naming it and how to restore it.
 */
export async function loadTrainedGan(name: string): Promise<TrainedGan> {
  const manifest = readTrainedManifest(name);
  verifyTrainedFiles(manifest.name, manifest);
  const { models } = await readCheckpoint(path.join(trainedDir(), name));
  const gan: Gan = {
    generator: models.generator,
    discriminator: models.discriminator,
    latentDim: manifest.latentDim,
    ...(manifest.classes ? { classes: manifest.classes } : {}),
    ...(manifest.auxiliaryClassifier ? { auxiliaryClassifier: true } : {}),
    ...(manifest.infoCode ? { infoCode: manifest.infoCode } : {}),
    ...(manifest.packSize && manifest.packSize > 1 ? { prepare: packSamples(manifest.packSize) } : {}),
  };
  return { gan, manifest };
}

/** One quality target of a shipped GAN: a metric of a {@link QualityPoint} and its bounds. */
export interface TrainedTarget {
  what: string;
  metric: "confident" | "labelAccuracy" | "scoreOfReal" | "classShares" | "classesPresent" | "highQuality" | "modes";
  min?: number;
  max?: number;
}

/** The targets each shipped GAN must meet (10,000 samples when shipped; `npm test` re-checks 2,000). */
export const TRAINED_TARGETS: Record<TrainedGanName, TrainedTarget[]> = {
  "mlp-mnist": [
    { what: "at least 80% of samples read with p > 0.9", metric: "confident", min: 0.8 },
    { what: "every digit present", metric: "classesPresent", min: 10 },
  ],
  "dcgan-mnist": [
    { what: "at least 80% of samples read with p > 0.9", metric: "confident", min: 0.8 },
    { what: "every digit between 5% and 15% of samples", metric: "classShares", min: 0.05, max: 0.15 },
    { what: "classifier score at least 90% of the real test set's", metric: "scoreOfReal", min: 0.9 },
  ],
  "dcgan-fashion": [{ what: "classifier score at least 80% of the real test set's", metric: "scoreOfReal", min: 0.8 }],
  "acgan-mnist": [
    { what: "label accuracy at least 98%", metric: "labelAccuracy", min: 0.98 },
    { what: "at least 85% of samples read with p > 0.9", metric: "confident", min: 0.85 },
  ],
  "acgan-fashion": [{ what: "label accuracy at least 85%", metric: "labelAccuracy", min: 0.85 }],
  ring: [
    { what: "8 of 8 modes", metric: "modes", min: 8 },
    { what: "at least 90% high-quality samples from G itself", metric: "highQuality", min: 0.9 },
  ],
  grid: [
    { what: "at least 24 of 25 modes", metric: "modes", min: 24 },
    { what: "at least 85% high-quality samples", metric: "highQuality", min: 0.85 },
  ],
};

/**
 * A target's metric of `point`: a number, or for `classShares` the smallest and largest share.
 * `real` (the real test set's classifier score) is needed for `scoreOfReal`.
 */
export function targetValue(target: TrainedTarget, point: QualityPoint, real?: { classifierScore: number }): number | [number, number] {
  const image = point.kind === "image" ? point : undefined;
  const toy = point.kind === "toy" ? point : undefined;
  const need = <T>(v: T | undefined, what: string): T => {
    if (v === undefined) throw new Error(`target "${target.what}" needs ${what}`);
    return v;
  };
  switch (target.metric) {
    case "confident": return need(image, "an image GAN's numbers").confident;
    case "labelAccuracy": return need(image?.labelAccuracy, "a conditional GAN's label accuracy");
    case "scoreOfReal": return need(image, "an image GAN's numbers").classifierScore / need(real, "the real test set's classifier score").classifierScore;
    case "classShares": { const s = need(image, "an image GAN's numbers").shares; return [Math.min(...s), Math.max(...s)]; }
    case "classesPresent": return need(image, "an image GAN's numbers").shares.filter((s) => s > 0).length;
    case "highQuality": return need(toy, "a toy GAN's numbers").highQuality;
    case "modes": return need(toy, "a toy GAN's numbers").modes;
  }
}

/**
 * Whether `point` meets `target`. `samples` sets the sampling tolerance: a share measured on n
 * samples may miss its true value by ~3 standard errors (3·sqrt(p(1-p)/n) at the threshold p, about
 * 2.7 points at p = 0.8 and n = 2,000); counts (modes, classes present) get none. Pass Infinity
 * for the exact check used when shipping. `doubt: "miss"` gives the tolerance to a miss instead: a
 * value within it of the threshold counts as missed (a recorded miss near the line, re-measured).
 */
export function meetsTarget(target: TrainedTarget, point: QualityPoint, real?: { classifierScore: number }, samples = Infinity, doubt: "meet" | "miss" = "meet"): boolean {
  const value = targetValue(target, point, real);
  const counted = target.metric === "modes" || target.metric === "classesPresent";
  const tolerance = (p: number) => (counted || !Number.isFinite(samples) ? 0 : target.metric === "scoreOfReal" ? 0.03 : 3 * Math.sqrt((p * (1 - p)) / samples));
  const slack = (p: number) => (doubt === "meet" ? tolerance(p) : -tolerance(p));
  const [lo, hi] = Array.isArray(value) ? value : [value, value];
  if (target.min !== undefined && lo < target.min - slack(target.min)) return false;
  if (target.max !== undefined && hi > target.max + slack(target.max)) return false;
  return true;
}

/** One Markdown line on how a shipped GAN was made: command(s), steps, training minutes, machine, commit. */
export function describeTraining(manifest: TrainedManifest): string {
  const commands = manifest.commands.map((c) => `\`${c}\``).join(", then ");
  const minutes = (manifest.trainingSeconds / 60).toFixed(0);
  const threads = (manifest.threads ?? 1) === 1 ? "one thread" : `${manifest.threads} threads`;
  const commits = manifest.commits.map((c) => c.slice(0, 10) + (c.endsWith("-dirty") ? " (with uncommitted changes)" : "")).join(", ");
  return (
    `**${manifest.name}** (${manifest.about}): ${commands} — ${manifest.steps.toLocaleString("en-US")} steps, ` +
    `${minutes} training minutes on ${threads} of a ${manifest.machine.cores}-core ${manifest.machine.cpu} (${manifest.backend} backend, Node ${manifest.node}), ` +
    `at commit ${commits}; sampled from the ${manifest.generator === "averaged" ? "moving average of G's weights" : "generator itself"}.`
  );
}

/** The shipped GAN's targets as one Markdown line: each target, its value on 10,000 samples, met or missed. */
export function describeTargets(manifest: TrainedManifest): string {
  const show = (v: number | [number, number]) => {
    const one = (x: number) => (x <= 1.5 ? `${(100 * x).toFixed(1)}%` : x.toFixed(x % 1 === 0 ? 0 : 2));
    return Array.isArray(v) ? `${one(v[0])}-${one(v[1])}` : one(v);
  };
  return `Targets (10,000 samples): ${manifest.targets.map((t) => `${t.what}: ${show(t.value)}, **${t.met ? "met" : "missed"}**`).join("; ")}.`;
}
