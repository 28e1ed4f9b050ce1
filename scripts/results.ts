// npm run results [-- --only ring,mnist-mlp,dcgan,conditional,collapse] [--steps N]: trains the chapters' full-mode recipes (seeded, the
// same settings the notebooks use) and checks their quality targets. Prints a table with the times,
// writes build/results/latest.json, and exits 1 when a target is missed. The README's results table
// is copied from its output.
import * as fs from "node:fs";
import * as path from "node:path";
import * as gb from "../lib/src/index";

const { tf } = gb;

interface Result {
  id: string;
  chapter: string;
  what: string;
  value: string;
  target: string;
  pass: boolean;
  seconds: number;
}

/** `--steps N` overrides every recipe's step count (a smoke test of this script, not a result). */
const stepsOverride = (() => {
  const i = process.argv.indexOf("--steps");
  return i >= 0 ? Number(process.argv[i + 1]) : undefined;
})();

/** Trains a recipe for its full number of steps (or --steps). */
async function trainRecipe(recipe: gb.Recipe, data: gb.tf.Tensor, labels?: ArrayLike<number>): Promise<gb.GanTrainer> {
  const trainer = new gb.GanTrainer({ gan: recipe.gan, data, labels, ...recipe.options });
  await trainer.train(stepsOverride ?? recipe.steps, { progress: "auto", title: "training" });
  return trainer;
}

/** Reverse KL to 2 decimals; "∞" (as in chapter 05's table) for a run with no high-quality sample, which has no histogram over the modes. */
function formatKL(value: number): string {
  return Number.isFinite(value) ? value.toFixed(2) : "∞";
}

const CHECKS: Record<string, () => Promise<Result[]>> = {
  /** Chapter 03: the vanilla GAN on the ring of 8 covers at least 6 modes. */
  async ring() {
    const started = Date.now();
    const recipe = gb.vanillaRing(0);
    const data = gb.sampleMixture(gb.RING, 10_000, 0).points;
    const trainer = await trainRecipe(recipe, data);
    const samples = gb.sampleGan<gb.tf.Tensor2D>(trainer, 2500, 7);
    const r = gb.modeCoverage(samples, gb.RING);
    const seconds = (Date.now() - started) / 1000;
    return [
      { id: "ring", chapter: "03", what: "ring of 8: modes covered (high-quality share, reverse KL)", value: `${r.modesCovered} of 8 (${(100 * r.highQuality).toFixed(1)}% HQ, rKL ${formatKL(r.reverseKL)})`, target: ">= 6 of 8", pass: r.modesCovered >= 6, seconds },
    ];
  },

  /** Chapter 03: the MNIST MLP GAN's samples are recognisable digits (80% read with p > 0.9; the live-run target 65%). */
  async "mnist-mlp"() {
    const started = Date.now();
    const recipe = gb.vanillaMnist(0);
    const data = gb.imagesToTensor(await gb.loadMnist({ split: "train" }));
    const trainer = await trainRecipe(recipe, data);
    const evaluator = await gb.loadEvaluator("mnist");
    const samples = gb.sampleGan(trainer, 1000, 77);
    const report = gb.evaluateImages(evaluator, samples);
    const seconds = (Date.now() - started) / 1000;
    return [
      { id: "mnist-mlp", chapter: "03", what: "MLP GAN on MNIST: samples the evaluator classifies with p > 0.9", value: `${(100 * report.confident).toFixed(1)}% (classifier score ${report.classifierScore.toFixed(2)}, ${report.classesPresent} digits present)`, target: ">= 80%", pass: report.confident >= 0.8, seconds },
      { id: "mnist-mlp-live", chapter: "03", what: "the same, against the live-run target", value: `${(100 * report.confident).toFixed(1)}%`, target: ">= 65%", pass: report.confident >= 0.65, seconds },
    ];
  },

  /** Chapter 04: the DCGAN's samples score at least 90% of real test data, at least 60% read with p > 0.9 with every digit present, every digit 5-15% of 10,000. */
  async dcgan() {
    const started = Date.now();
    const recipe = gb.dcganLive(0);
    const trainer = await trainRecipe(recipe, gb.imagesToTensor(await gb.loadMnist({ split: "train" })));
    const evaluator = await gb.loadEvaluator("mnist");
    const samples = gb.sampleGan(trainer, 10_000, 3);
    const test = gb.imagesToTensor(await gb.loadMnist({ split: "test" }));
    const fake = gb.evaluateImages(evaluator, samples);
    const real = gb.evaluateImages(evaluator, test);
    const shares = fake.histogram.map((c) => c / fake.count);
    const seconds = (Date.now() - started) / 1000;
    return [
      { id: "dcgan", chapter: "04", what: "DCGAN on MNIST: classifier score vs real test set", value: `${fake.classifierScore.toFixed(2)} vs ${real.classifierScore.toFixed(2)} (${((100 * fake.classifierScore) / real.classifierScore).toFixed(0)}%)`, target: ">= 90% of real", pass: fake.classifierScore >= 0.9 * real.classifierScore, seconds },
      { id: "dcgan-read", chapter: "04", what: "DCGAN on MNIST: samples the evaluator classifies with p > 0.9 (of 10,000), every digit present", value: `${(100 * fake.confident).toFixed(1)}%, ${fake.classesPresent} digits present (real ${(100 * real.confident).toFixed(1)}%)`, target: ">= 60%, 10 digits", pass: fake.confident >= 0.6 && fake.classesPresent === 10, seconds },
      { id: "dcgan-digits", chapter: "04", what: "DCGAN on MNIST: each digit's share of 10,000 samples", value: `${(100 * Math.min(...shares)).toFixed(1)}%-${(100 * Math.max(...shares)).toFixed(1)}%`, target: "all within 5-15%", pass: shares.every((p) => p >= 0.05 && p <= 0.15), seconds },
    ];
  },

  /** Chapter 06: the ACGAN draws the digit asked for, as read by the evaluator; Fashion-MNIST reported. */
  async conditional() {
    /** Trains an ACGAN recipe on a labelled dataset; the evaluator's label accuracy on 1,000 samples asked by class. */
    const labelAccuracy = async (recipe: gb.Recipe, dataset: "mnist" | "fashion-mnist", seed: number) => {
      const train = dataset === "mnist" ? await gb.loadMnist({ split: "train" }) : await gb.loadFashionMnist({ split: "train" });
      const trainer = await trainRecipe(recipe, gb.imagesToTensor(train), train.labels);
      const evaluator = await gb.loadEvaluator(dataset);
      const asked = gb.sampleByClass(trainer.samplingGan, 1000, seed);
      return { accuracy: gb.labelAccuracy(evaluator.probabilities(asked.samples as gb.tf.Tensor4D), asked.requested), evaluator };
    };
    const started = Date.now();
    const { accuracy } = await labelAccuracy(gb.acgan(0), "mnist", 7);
    const seconds = (Date.now() - started) / 1000;
    const fashionStarted = Date.now();
    const fashion = await labelAccuracy(gb.acgan(0, 160), "fashion-mnist", 8);
    return [
      { id: "conditional", chapter: "06", what: "ACGAN on MNIST: evaluator label accuracy", value: `${(100 * accuracy).toFixed(1)}%`, target: ">= 97%", pass: accuracy >= 0.97, seconds },
      { id: "conditional-fashion", chapter: "06", what: "ACGAN on Fashion-MNIST (160 steps): evaluator label accuracy", value: `${(100 * fashion.accuracy).toFixed(1)}% (evaluator on real: ${(100 * fashion.evaluator.info!.testAccuracy).toFixed(1)}%)`, target: "reported; sane: >= 50% (chance: 10%)", pass: fashion.accuracy >= 0.5, seconds: (Date.now() - fashionStarted) / 1000 },
    ];
  },

  /**
   * Chapter 05: the plain GAN collapses in the collapse setting (at most 4 of 8 ring modes, every seed);
   * the fixes in the same setting; PacGAN in the quality setting on the ring (8 of 8, >= 90% high
   * quality) and the grid (>= 24 of 25, >= 85%). Three seeds each, spread over the cores.
   */
  async collapse() {
    const started = Date.now();
    const seeds = [0, 1, 2];
    const quality = { setting: gb.QUALITY_SETTING, label: "quality", steps: stepsOverride ?? gb.QUALITY_SETTING.steps, rejection: true };
    const steps = stepsOverride ?? gb.COLLAPSE_SETTING.steps;
    const jobs: gb.CollapseJob[] = [
      ...seeds.map((seed) => ({ mixture: "ring" as const, method: "unrolled" as const, seed, steps })),
      ...seeds.flatMap((seed) => [{ mixture: "grid" as const, method: "pacgan" as const, seed, ...quality, steps: stepsOverride ?? gb.QUALITY_GRID_STEPS }, { mixture: "ring" as const, method: "pacgan" as const, seed, ...quality }]),
      ...seeds.flatMap((seed) => (["vanilla", "minibatch-std", "pacgan"] as const).map((method) => ({ mixture: "ring" as const, method, seed, steps }))),
    ];
    const results = await gb.runCollapseJobs(jobs);
    const seconds = (Date.now() - started) / 1000;
    const runsOf = (label: string, mixture: string, method: string) => results.filter((r) => r.job.label === label && r.job.mixture === mixture && r.job.method === method);
    const describe = (runs: gb.CollapseResult[]) =>
      `${runs.map((r) => r.final.modesCovered).join(", ")} modes; ${runs.map((r) => (100 * r.final.highQuality).toFixed(1)).join(", ")}% HQ; rKL ${runs.map((r) => formatKL(r.final.reverseKL)).join(", ")} (seeds ${seeds.join(", ")})`;
    // The same runs' samples after discriminator rejection sampling with their own D (rejection.ts);
    // a run whose rejection sampling failed fails the row, with the reason.
    const rejectionRow = (id: string, what: string, runs: gb.CollapseResult[], target: string, good: (r: gb.ModeReport) => boolean): Result => {
      const failed = runs.find((r) => !r.rejection);
      if (failed) return { id, chapter: "05", what, value: `rejection sampling failed (seed ${failed.job.seed}): ${failed.rejectionError ?? "not run"}`, target, pass: false, seconds };
      const rejected = runs.map((r) => ({ ...r, final: r.rejection!.final }));
      const kept = `; kept ${runs.map((r) => (100 * r.rejection!.acceptance).toFixed(0)).join(", ")}% of draws`;
      return { id, chapter: "05", what, value: describe(rejected) + kept, target, pass: rejected.every((r) => good(r.final)), seconds };
    };
    const vanilla = runsOf("collapse", "ring", "vanilla");
    const rows: Result[] = [
      { id: "collapse-vanilla", chapter: "05", what: "collapse setting, ring: plain GAN", value: describe(vanilla), target: "<= 4 of 8 modes, every seed", pass: vanilla.every((r) => r.final.modesCovered <= 4), seconds },
    ];
    // The fixes' coverage in the collapse setting is reported; a sane fix covers at least as many modes
    // on average as the plain GAN does (every seed's final count).
    const meanModes = (runs: gb.CollapseResult[]) => runs.reduce((sum, r) => sum + r.final.modesCovered, 0) / runs.length;
    for (const method of ["minibatch-std", "unrolled", "pacgan"]) {
      const runs = runsOf("collapse", "ring", method);
      rows.push({
        id: `collapse-${method}`, chapter: "05", what: `collapse setting, ring: ${method}`, value: describe(runs),
        target: `reported; sane: mean modes >= the plain GAN's (${meanModes(vanilla).toFixed(1)})`, pass: meanModes(runs) >= meanModes(vanilla), seconds,
      });
    }
    const ring = runsOf("quality", "ring", "pacgan");
    const grid = runsOf("quality", "grid", "pacgan");
    const ringTarget = "8 of 8 and >= 90% HQ, every seed";
    const ringGood = (r: gb.ModeReport) => r.modesCovered === 8 && r.highQuality >= 0.9;
    const gridTarget = ">= 24 of 25 and >= 85% HQ, every seed";
    const gridGood = (r: gb.ModeReport) => r.modesCovered >= 24 && r.highQuality >= 0.85;
    rows.push(
      { id: "quality-ring", chapter: "05", what: "quality setting, ring: PacGAN2", value: describe(ring), target: ringTarget, pass: ring.every((r) => ringGood(r.final)), seconds },
      { id: "quality-grid", chapter: "05", what: `quality setting (${stepsOverride ?? gb.QUALITY_GRID_STEPS} steps), grid: PacGAN4`, value: describe(grid), target: gridTarget, pass: grid.every((r) => gridGood(r.final)), seconds },
      rejectionRow("quality-ring-rejection", "the same ring runs + rejection sampling by their D", ring, ringTarget, ringGood),
      rejectionRow("quality-grid-rejection", "the same grid runs + rejection sampling by their D", grid, gridTarget, gridGood),
    );
    return rows;
  },
};

async function main(): Promise<void> {
  const only = process.argv.indexOf("--only");
  const ids = only >= 0 ? (process.argv[only + 1] ?? "").split(",") : Object.keys(CHECKS);
  for (const id of ids) {
    if (!CHECKS[id]) {
      console.error(`results: unknown check ${id}; choose from ${Object.keys(CHECKS).join(", ")}`);
      process.exit(2);
    }
  }
  const env = await gb.ready();
  console.log(gb.describeBackend(env).split("\n")[0]);
  const results: Result[] = [];
  for (const id of ids) {
    console.log(`\n== ${id}`);
    results.push(...(await CHECKS[id]()));
  }
  const rows = ["| chapter | result | value | target | met | time (s) |", "|---|---|---|---|---|---|"];
  for (const r of results) rows.push(`| ${r.chapter} | ${r.what} | ${r.value} | ${r.target} | ${r.pass ? "yes" : "**no**"} | ${r.seconds.toFixed(0)} |`);
  console.log("\n" + rows.join("\n"));
  const dir = path.resolve(__dirname, "..", "build", "results");
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, "latest.json"), JSON.stringify({ date: new Date().toISOString(), backend: env.backend, results }, null, 2));
  const passed = results.filter((r) => r.pass).length;
  console.log(`\nresults: ${passed} passed, ${results.length - passed} failed`);
  process.exit(passed === results.length ? 0 : 1);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
