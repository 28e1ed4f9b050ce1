// npm run results [-- --only ring,mnist-mlp,dcgan,conditional] [--steps N]: trains the chapters' full-mode recipes (seeded, the
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

const CHECKS: Record<string, () => Promise<Result[]>> = {
  /** Chapter 03: the vanilla GAN on the ring of 8 covers at least 6 modes. */
  async ring() {
    const started = Date.now();
    const recipe = gb.vanillaRing(0);
    const data = gb.toyData(gb.RING, 0);
    await trainRecipe(recipe, data);
    const samples = tf.tidy(() => recipe.gan.generator.predict(gb.sampleNoise(2500, recipe.gan.latentDim, 7)) as gb.tf.Tensor2D);
    const r = gb.modeCoverage(samples, gb.RING);
    const seconds = (Date.now() - started) / 1000;
    return [
      { id: "ring", chapter: "03", what: "ring of 8: modes covered (high-quality share, reverse KL)", value: `${r.modesCovered} of 8 (${(100 * r.highQuality).toFixed(1)}% HQ, rKL ${r.reverseKL.toFixed(2)})`, target: ">= 6 of 8", pass: r.modesCovered >= 6, seconds },
    ];
  },

  /** Chapter 03: the MNIST MLP GAN's samples are recognisable digits. */
  async "mnist-mlp"() {
    const started = Date.now();
    const recipe = gb.vanillaMnist(0);
    const data = gb.imagesToTensor(await gb.loadMnist({ split: "train" }));
    await trainRecipe(recipe, data);
    const evaluator = await gb.loadEvaluator("mnist");
    const samples = tf.tidy(() => recipe.gan.generator.predict(gb.sampleNoise(1000, recipe.gan.latentDim, 77)) as gb.tf.Tensor4D);
    const report = gb.evaluateImages(evaluator, samples);
    const seconds = (Date.now() - started) / 1000;
    return [
      { id: "mnist-mlp", chapter: "03", what: "MLP GAN on MNIST: samples the evaluator classifies with p > 0.9", value: `${(100 * report.confident).toFixed(1)}% (classifier score ${report.classifierScore.toFixed(2)}, ${report.classesPresent} digits present)`, target: ">= 80%", pass: report.confident >= 0.8, seconds },
    ];
  },

  /** Chapter 04: the DCGAN's samples score at least 90% of real test data, every digit 5-15% of 10,000. */
  async dcgan() {
    const started = Date.now();
    const recipe = gb.dcgan(0);
    await trainRecipe(recipe, gb.imagesToTensor(await gb.loadMnist({ split: "train" })));
    const evaluator = await gb.loadEvaluator("mnist");
    const samples = tf.tidy(() => recipe.gan.generator.predict(gb.sampleNoise(10_000, recipe.gan.latentDim, 3)) as gb.tf.Tensor4D);
    const test = gb.imagesToTensor(await gb.loadMnist({ split: "test" }));
    const fake = gb.evaluateImages(evaluator, samples);
    const real = gb.evaluateImages(evaluator, test);
    const shares = fake.histogram.map((c) => c / fake.count);
    const seconds = (Date.now() - started) / 1000;
    return [
      { id: "dcgan", chapter: "04", what: "DCGAN on MNIST: classifier score vs real test set", value: `${fake.classifierScore.toFixed(2)} vs ${real.classifierScore.toFixed(2)} (${((100 * fake.classifierScore) / real.classifierScore).toFixed(0)}%)`, target: ">= 90% of real", pass: fake.classifierScore >= 0.9 * real.classifierScore, seconds },
      { id: "dcgan-digits", chapter: "04", what: "DCGAN on MNIST: each digit's share of 10,000 samples", value: `${(100 * Math.min(...shares)).toFixed(1)}%-${(100 * Math.max(...shares)).toFixed(1)}%`, target: "all within 5-15%", pass: shares.every((p) => p >= 0.05 && p <= 0.15), seconds },
    ];
  },

  /** Chapter 06: the conditional DCGAN draws the digit asked for, as read by the evaluator. */
  async conditional() {
    const started = Date.now();
    const recipe = gb.conditionalDcgan(0);
    const train = await gb.loadMnist({ split: "train" });
    await trainRecipe(recipe, gb.imagesToTensor(train), train.labels);
    const evaluator = await gb.loadEvaluator("mnist");
    const asked = gb.sampleByClass(recipe.gan, 1000, 7);
    const accuracy = gb.labelAccuracy(evaluator.probabilities(asked.samples as gb.tf.Tensor4D), asked.requested);
    const seconds = (Date.now() - started) / 1000;
    return [{ id: "conditional", chapter: "06", what: "conditional DCGAN on MNIST: evaluator label accuracy", value: `${(100 * accuracy).toFixed(1)}%`, target: ">= 97%", pass: accuracy >= 0.97, seconds }];
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
