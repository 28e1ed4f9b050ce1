// npm run results [-- --only ring,mnist-mlp]: trains the chapters' full-mode recipes (seeded, the
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

/** Trains a recipe for its full number of steps. */
async function trainRecipe(recipe: gb.Recipe, data: gb.tf.Tensor): Promise<gb.GanTrainer> {
  const trainer = new gb.GanTrainer({ gan: recipe.gan, data, ...recipe.options });
  await trainer.train(recipe.steps, { progress: "auto", title: "training" });
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
