/**
 * Mode collapse and its fixes on the toy mixtures (chapter 05): one seeded setting in which a plain
 * GAN collapses, the same setting with each fix, and a run that records which modes the generator
 * covers as it trains. Runs are plain data in and out, so {@link runCollapseJobs} can spread them
 * over worker threads (one per core).
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { Worker } from "node:worker_threads";
import * as tf from "@tensorflow/tfjs";
import { sampleNoise } from "./sampling";
import { COLLAPSE_METHODS, collapseRecipe, collapseSteps, packSizeOf, type CollapseSetting, type CollapseSpec } from "./recipes";
import { modeCoverage, sampleMixture, toyMixture, type ModeReport } from "./toy";
import { GanTrainer } from "./train";
import { availableCores } from "./threads";
import { newLiveDisplay } from "./display";
import { snapshot2d, type View2dFrame } from "./views";
import { discriminatorScore, rejectionSample } from "./rejection";

/** One run of chapter 05: a {@link CollapseSpec} and what to record while it trains. */
export interface CollapseJob extends CollapseSpec {
  /** Record coverage every this many steps. Default steps / 20. */
  every?: number;
  /** Also record GAN-Lab-style 2D frames (G's samples; D's heatmap when D sees single points). */
  frames?: boolean;
  /** A name for the setting in tables. Default "collapse" (no `setting`) or "custom". */
  label?: string;
  /**
   * After training, also draw the final samples by discriminator rejection sampling with the GAN's own
   * D (rejection.ts): vanilla, unrolled and PacGAN only (minibatch std's and WGAN-GP's D give no
   * density ratio for one sample).
   */
  rejection?: boolean;
}

/** A job's label for tables. */
function jobLabel(job: CollapseJob): string {
  return job.label ?? (job.setting ? "custom" : "collapse");
}

/** Coverage at one moment of a run. */
export interface CoveragePoint {
  step: number;
  modesCovered: number;
  highQuality: number;
  reverseKL: number;
  /** Share of the samples that are high quality at each mode ([modes]): the modes-by-step heatmap. */
  shares: number[];
}

export interface CollapseResult {
  job: Required<Omit<CollapseJob, "frames" | "setting" | "rejection">> & { setting?: Partial<CollapseSetting> };
  /** Coverage of 2,500 samples at the end. */
  final: ModeReport;
  timeline: CoveragePoint[];
  frames: View2dFrame[];
  /** The final samples, [x0, y0, x1, y1, ...] (2,500 points). */
  samples: number[];
  /** With `job.rejection`: the coverage of 2,500 samples kept by rejection sampling, the share kept, and the samples. */
  rejection?: { final: ModeReport; acceptance: number; samples: number[] };
  /**
   * With `job.rejection`, when rejection sampling could not keep enough samples (a D so sharp that it
   * rejects almost every draw): why. The run's own results above are kept either way.
   */
  rejectionError?: string;
  seconds: number;
}

/** Rounds coordinates to 3 decimals (results travel between threads and into notebooks as JSON). */
const roundedPoints = (values: ArrayLike<number>) => Array.from(values, (v) => Math.round(v * 1000) / 1000);

/** A coverage report of n samples at a step, as a {@link CoveragePoint}. */
function coveragePoint(step: number, report: ModeReport, n: number): CoveragePoint {
  return { step, modesCovered: report.modesCovered, highQuality: report.highQuality, reverseKL: report.reverseKL, shares: report.counts.map((c) => c / n) };
}

/**
 * Trains one job and records its coverage over time. Seeded: the same job gives the same result.
 * `onProgress` is called at every recorded point.
 */
export async function runCollapse(job: CollapseJob, onProgress?: (point: CoveragePoint) => void): Promise<CollapseResult> {
  const started = Date.now();
  const recipe = collapseRecipe(job);
  const setting = recipe.setting;
  const mixture = toyMixture(job.mixture);
  const every = job.every ?? Math.max(1, Math.round(recipe.steps / 20));
  const data = sampleMixture(mixture, 10_000, job.seed).points;
  const noise = sampleNoise(setting.samples, setting.latentDim, 1000 + job.seed);
  const frameNoise = noise.slice(0, 500);
  const timeline: CoveragePoint[] = [];
  const frames: View2dFrame[] = [];
  // The latest recording's samples [x0, y0, ...] and coverage: the run's result once training ends.
  let last: { values: Float32Array; report: ModeReport } | undefined;
  const record = (step: number) => {
    const points = tf.tidy(() => trainer.samplingGan.generator.predict(noise) as tf.Tensor2D);
    const values = points.dataSync() as Float32Array;
    points.dispose();
    last = { values, report: modeCoverage(values, mixture) };
    const point = coveragePoint(step, last.report, setting.samples);
    timeline.push(point);
    onProgress?.(point);
    if (job.frames) frames.push(snapshot2d(trainer.samplingGan, data, step, { noise: frameNoise, bounds: mixture.bounds, maxReal: 400, grid: 30 }));
  };
  const trainer = new GanTrainer({ gan: recipe.gan, data, ...recipe.options });
  try {
    record(0);
    await trainer.train(recipe.steps, { progress: "none", every, onStep: (t) => record(t.step) });
    if (timeline.at(-1)!.step !== trainer.step) record(trainer.step);
    let rejection: CollapseResult["rejection"];
    let rejectionError: string | undefined;
    if (job.rejection) {
      try {
        const drawn = rejectionSample(trainer.samplingGan, discriminatorScore(recipe.gan, data, packSizeOf(job), job.seed), setting.samples, { seed: job.seed });
        const values = drawn.samples.dataSync() as Float32Array;
        drawn.samples.dispose();
        rejection = { final: modeCoverage(values, mixture), acceptance: drawn.acceptance, samples: roundedPoints(values) };
      } catch (error) {
        rejectionError = (error as Error).message; // the trained run is still worth returning
      }
    }
    return {
      job: { mixture: job.mixture, method: job.method, seed: job.seed, steps: recipe.steps, every, setting: job.setting, label: jobLabel(job) },
      final: last!.report,
      timeline,
      frames,
      samples: roundedPoints(last!.values),
      rejection,
      rejectionError,
      seconds: (Date.now() - started) / 1000,
    };
  } finally {
    trainer.dispose();
    tf.dispose([data, noise, frameNoise]);
    recipe.gan.generator.dispose();
    recipe.gan.discriminator.dispose();
  }
}

/**
 * Runs collapse jobs on `workers` worker threads (default: one per core), each with its own
 * TensorFlow.js backend, and resolves with the results in job order. A toy GAN keeps one core busy,
 * so two cores run two seeds in the time of one. `workers: 0` runs them here, one after another.
 * `onProgress(i, point)` reports job i's coverage as it trains. A failing job rejects the whole run
 * with its message, after the other workers are stopped.
 */
export async function runCollapseJobs(
  jobs: CollapseJob[],
  options: { workers?: number; onProgress?: (index: number, point: CoveragePoint) => void; progress?: "auto" | "none" } = {},
): Promise<CollapseResult[]> {
  const live = options.progress === "none" ? undefined : collapseProgress(jobs);
  const report = options.onProgress;
  options = { ...options, onProgress: (i, p) => (live?.(i, p), report?.(i, p)) };
  const count = Math.min(options.workers ?? availableCores(), jobs.length);
  if (!Number.isInteger(count) || count < 0) throw new Error(`workers must be a whole number >= 0; got ${options.workers}`);
  for (const job of jobs) {
    if (!COLLAPSE_METHODS.includes(job.method)) throw new Error(`Unknown method ${job.method}: use one of ${COLLAPSE_METHODS.join(", ")}`);
    if (job.rejection && (job.method === "minibatch-std" || job.method === "wgan-gp")) {
      throw new Error(`rejection needs a D that judges single samples (or packs): not ${job.method}, whose D ${job.method === "wgan-gp" ? "is a critic, not a density ratio" : "looks at batch statistics"}`);
    }
    toyMixture(job.mixture);
  }
  const results: CollapseResult[] = new Array(jobs.length);
  if (count === 0) {
    for (const [i, job] of jobs.entries()) results[i] = await runCollapse(job, (p) => options.onProgress?.(i, p));
    return results;
  }
  // The compiled worker sits in dist/ both for dist/collapse.js and for lib/src/collapse.ts run by tsx.
  const script = path.resolve(__dirname, "..", "dist", "collapse-worker.js");
  if (!fs.existsSync(script)) throw new Error(`${script} is missing: build the library (npm run build), or pass workers: 0 to run here`);
  // One GAN per core: a worker trains on one thread (GANBOOK_THREADS=1), or the cores would be oversubscribed.
  const pool = Array.from({ length: count }, () => new Worker(script, { env: { ...process.env, GANBOOK_THREADS: "1" } }));
  let next = 0;
  try {
    await Promise.all(
      pool.map(
        (worker) =>
          new Promise<void>((resolve, reject) => {
            const send = () => {
              if (next >= jobs.length) return resolve();
              const index = next++;
              worker.postMessage({ index, job: jobs[index] });
            };
            worker.on("message", (m: { type: string; index: number; point?: CoveragePoint; result?: CollapseResult; message?: string }) => {
              if (m.type === "progress") options.onProgress?.(m.index, m.point!);
              else if (m.type === "result") {
                results[m.index] = m.result!;
                send();
              } else reject(new Error(`Collapse job ${m.index} (${JSON.stringify(jobs[m.index])}) failed: ${m.message}`));
            });
            worker.on("error", reject);
            worker.on("exit", (code) => (next < jobs.length || code !== 0 ? reject(new Error(`A collapse worker exited with code ${code}`)) : undefined));
            send();
          }),
      ),
    );
  } finally {
    await Promise.all(pool.map((w) => w.terminate()));
  }
  return results;
}

/**
 * Live progress of collapse jobs: in a notebook, a table (one row per job: step, modes covered,
 * high-quality share) updated in place; elsewhere a text line now and then.
 */
function collapseProgress(jobs: CollapseJob[]): (index: number, point: CoveragePoint) => void {
  const display = newLiveDisplay();
  const latest: (CoveragePoint | undefined)[] = jobs.map(() => undefined);
  const started = Date.now();
  let last = 0;
  return (index, point) => {
    latest[index] = point;
    const done = latest.filter((p, i) => p && p.step >= collapseSteps(jobs[i])).length;
    const now = Date.now();
    if (now - last < 500 && done < jobs.length) return;
    last = now;
    const rows = jobs.map((j, i) => {
      const p = latest[i];
      const cells = [jobLabel(j), j.mixture, j.method, j.seed, p ? `${p.step} / ${collapseSteps(j)}` : "waiting", p ? p.modesCovered : "", p ? `${(100 * p.highQuality).toFixed(1)}%` : ""];
      return `<tr>${cells.map((c) => `<td>${c}</td>`).join("")}</tr>`;
    });
    const seconds = ((now - started) / 1000).toFixed(0);
    display.html(`<div><b>${done} of ${jobs.length} runs done</b> · ${seconds} s<table><tr><th>setting</th><th>data</th><th>method</th><th>seed</th><th>step</th><th>modes</th><th>high quality</th></tr>${rows.join("")}</table></div>`);
    display.text(`collapse runs: ${done}/${jobs.length} done, ${seconds} s`);
  };
}

/** Mean and spread of a list, as "m (a, b, c)" with each run's value. */
function perSeed(values: number[], digits: number, scale = 1): string {
  const f = (v: number) => (Number.isFinite(v) ? (v * scale).toFixed(digits) : "∞");
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  return values.length === 1 ? f(mean) : `${f(mean)} (${values.map(f).join(", ")})`;
}

/**
 * The results table of chapter 05: one row per mixture and method, with modes covered, the
 * high-quality share and the reverse KL, each as the mean over seeds followed by every seed's value
 * (reverse KL is ∞ for a run with no sample on any mode).
 * Columns: setting, data, method, seeds, modes, high_quality_pct, reverse_kl.
 */
export function collapseSummary(results: CollapseResult[]): { setting: string[]; data: string[]; method: string[]; seeds: number[]; modes: string[]; high_quality_pct: string[]; reverse_kl: string[] } {
  const groups = new Map<string, CollapseResult[]>();
  // Rows in reading order: settings as first met, the ring before the grid, methods as COLLAPSE_METHODS lists them.
  const labels = [...new Set(results.map((r) => r.job.label))];
  const rank = (r: CollapseResult) => [labels.indexOf(r.job.label), r.job.mixture === "ring" ? 0 : 1, COLLAPSE_METHODS.indexOf(r.job.method), r.job.seed];
  const sorted = [...results].sort((a, b) => {
    const [ra, rb] = [rank(a), rank(b)];
    const i = ra.findIndex((v, k) => v !== rb[k]);
    return i < 0 ? 0 : ra[i] - rb[i];
  });
  for (const r of sorted) {
    const key = `${r.job.label}|${r.job.mixture}|${r.job.method}`;
    groups.set(key, [...(groups.get(key) ?? []), r]);
  }
  const table = { setting: [] as string[], data: [] as string[], method: [] as string[], seeds: [] as number[], modes: [] as string[], high_quality_pct: [] as string[], reverse_kl: [] as string[] };
  for (const [key, runs] of groups) {
    const [label, mixture, method] = key.split("|");
    table.setting.push(label);
    table.data.push(mixture);
    table.method.push(method);
    table.seeds.push(runs.length);
    table.modes.push(`${perSeed(runs.map((r) => r.final.modesCovered), 1)} of ${runs[0].final.modes}`);
    table.high_quality_pct.push(perSeed(runs.map((r) => r.final.highQuality), 1, 100));
    table.reverse_kl.push(perSeed(runs.map((r) => r.final.reverseKL), 2));
  }
  return table;
}
