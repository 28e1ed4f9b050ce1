// Chapter 05's pieces and chapter 06's ACGAN: learning-rate drops, the ACGAN losses and checks,
// the collapse runs (on this thread and on worker threads, same results), their tables and views.
import { before, test } from "node:test";
import * as assert from "node:assert/strict";
import * as path from "node:path";
import { tempDir } from "./helpers";
import { ready, tf } from "../lib/src/index";
import { classCrossEntropy, discriminatorStep, generatorStep, packSamples, type Gan } from "../lib/src/gan";
import { buildAcganDiscriminator, buildConditionalGenerator, buildMlpDiscriminator, buildMlpGenerator } from "../lib/src/models";
import { GanTrainer } from "../lib/src/train";
import { collapseSummary, runCollapseJobs, type CollapseJob } from "../lib/src/collapse";
import { coverageHeatmapFigure, rejectionFigure } from "../lib/src/figures";
import { collapseRecipe, MIXTURE_1D } from "../lib/src/recipes";
import { GRID, RING, ring8, sampleMixture, toyMixture } from "../lib/src/toy";
import { snapshot2d, view2dFigure, rasterize2d } from "../lib/src/views";

before(() => ready());

const close = (a: number, b: number, eps = 1e-5) => assert.ok(Math.abs(a - b) < eps, `${a} != ${b}`);

test("class cross-entropy matches a hand-computed value", () => {
  // logits [0, ln 3] -> softmax [1/4, 3/4]; label 1 -> -ln(3/4); label 0 -> -ln(1/4)
  const logits = tf.tensor2d([[0, Math.log(3)], [0, Math.log(3)]]);
  const labels = tf.tensor2d([[0, 1], [1, 0]]);
  const ce = classCrossEntropy(logits, labels);
  close(ce.dataSync()[0], (-Math.log(0.75) - Math.log(0.25)) / 2);
  tf.dispose([logits, labels, ce]);
});

function tinyAcgan(): Gan {
  return {
    generator: buildConditionalGenerator({ latentDim: 4, width: 4, classes: 3, seed: 1 }),
    discriminator: buildAcganDiscriminator({ width: 4, classes: 3, seed: 2 }),
    latentDim: 4,
    classes: 3,
    auxiliaryClassifier: true,
  };
}

test("ACGAN: D outputs a logit and class logits; its step changes only D, G's step only G; no leak", () => {
  const gan = tinyAcgan();
  assert.deepEqual(gan.discriminator.outputs[0].shape, [null, 4]);
  const real = tf.randomUniform([6, 28, 28, 1], -1, 1, "float32", 1);
  const z = tf.randomNormal([6, 4], 0, 1, "float32", 2);
  const labels = tf.oneHot(tf.tensor1d([0, 1, 2, 0, 1, 2], "int32"), 3).toFloat();
  const opt = tf.train.sgd(0.05);
  // trainable weights only: G's batch-norm statistics move whenever G runs in training mode
  const snapshot = (m: tf.LayersModel) => m.trainableWeights.map((w) => Array.from(w.read().dataSync()));
  // warm up once so optimizer state exists before counting tensors
  discriminatorStep(gan, opt, real, z, {}, { real: labels, fake: labels });
  generatorStep(gan, opt, z, {}, labels);
  const before = tf.memory().numTensors;
  const [g0, d0] = [snapshot(gan.generator), snapshot(gan.discriminator)];
  const m = discriminatorStep(gan, opt, real, z, {}, { real: labels, fake: labels });
  assert.ok(Number.isFinite(m.dLoss) && m.dLoss > 0);
  assert.deepEqual(snapshot(gan.generator), g0);
  assert.notDeepEqual(snapshot(gan.discriminator), d0);
  const d1 = snapshot(gan.discriminator);
  const gLoss = generatorStep(gan, opt, z, {}, labels);
  assert.ok(Number.isFinite(gLoss));
  assert.deepEqual(snapshot(gan.discriminator), d1);
  assert.notDeepEqual(snapshot(gan.generator), g0);
  assert.equal(tf.memory().numTensors, before);
  tf.dispose([real, z, labels]);
});

test("ACGAN: bad setups are clear errors", () => {
  const gan = tinyAcgan();
  const data = tf.zeros([8, 28, 28, 1]);
  const labels = [0, 1, 2, 0, 1, 2, 0, 1];
  assert.throws(() => new GanTrainer({ gan: { ...gan, classes: undefined }, data, batchSize: 4 }), /auxiliaryClassifier \(ACGAN\) needs gan.classes/);
  assert.throws(() => new GanTrainer({ gan: { ...gan, classes: 5 }, data, labels, batchSize: 4 }), /1 \+ classes|real\/fake logit and 5 class logits/);
  const plainD = buildMlpDiscriminator({ dataShape: [28, 28, 1], hidden: [4] });
  assert.throws(() => new GanTrainer({ gan: { ...gan, discriminator: plainD }, data, labels, batchSize: 4 }), /real\/fake logit and 3 class logits/);
  const trainer = new GanTrainer({ gan, data, labels, batchSize: 4 });
  trainer.dispose();
  data.dispose();
});

test("learning-rate drops set both optimizers' rates from the given step on; setLearningRates changes or freezes them", async () => {
  const gan: Gan = {
    generator: buildMlpGenerator({ latentDim: 2, dataShape: [2], hidden: [4], seed: 1 }),
    discriminator: buildMlpDiscriminator({ dataShape: [2], hidden: [4], seed: 2 }),
    latentDim: 2,
  };
  const data = sampleMixture(ring8(), 64, 0).points;
  assert.throws(() => new GanTrainer({ gan, data, batchSize: 8, learningRateDrops: [{ step: 3, factor: 0 }] }), /positive factor/);
  const trainer = new GanTrainer({ gan, data, batchSize: 8, dOptimizer: { learningRate: 0.01 }, gOptimizer: { learningRate: 0.02 }, learningRateDrops: [{ step: 2, factor: 0.1 }] });
  const rates = () => [(trainer as unknown as { dOptimizer: { learningRate: number } }).dOptimizer.learningRate, (trainer as unknown as { gOptimizer: { learningRate: number } }).gOptimizer.learningRate];
  await trainer.train(2, { progress: "none" });
  assert.deepEqual(rates(), [0.01, 0.02]); // steps 1 and 2 at the base rates
  await trainer.train(1, { progress: "none" });
  close(rates()[0], 0.001);
  close(rates()[1], 0.002);
  // setLearningRates changes the base rates (the drop still applies); 0 freezes a player
  assert.throws(() => trainer.setLearningRates({ discriminator: -1 }), /must be a number >= 0/);
  trainer.setLearningRates({ discriminator: 0, generator: 0.5 });
  const dBefore = gan.discriminator.getWeights().map((w) => Array.from(w.dataSync()));
  const gBefore = gan.generator.getWeights().map((w) => Array.from(w.dataSync()));
  await trainer.train(1, { progress: "none" });
  close(rates()[1], 0.05);
  assert.deepEqual(gan.discriminator.getWeights().map((w) => Array.from(w.dataSync())), dBefore, "a frozen D does not move");
  assert.notDeepEqual(gan.generator.getWeights().map((w) => Array.from(w.dataSync())), gBefore);
  // A checkpoint saved while D is frozen loads, and D stays frozen.
  const dir = path.join(tempDir(), "frozen");
  await trainer.save(dir);
  const loaded = await GanTrainer.load(dir, data);
  const dSaved = loaded.gan.discriminator.getWeights().map((w) => Array.from(w.dataSync()));
  await loaded.train(1, { progress: "none" });
  assert.deepEqual(loaded.gan.discriminator.getWeights().map((w) => Array.from(w.dataSync())), dSaved, "still frozen after loading");
  close((loaded as unknown as { gOptimizer: { learningRate: number } }).gOptimizer.learningRate, 0.05);
  loaded.dispose();
  trainer.dispose();
  data.dispose();
});

test("toy mixtures: one registry, every mode well inside its plot bounds", () => {
  assert.equal(toyMixture("ring"), RING);
  assert.equal(toyMixture("grid"), GRID);
  assert.deepEqual(RING.bounds, [[-2.6, 2.6], [-2.6, 2.6]]); // radius 2, a 30% margin
  assert.deepEqual(GRID.bounds, [[-5, 5], [-5, 5]]); // modes at -4 .. 4
  assert.deepEqual(MIXTURE_1D.bounds, [[-4, 4]]); // modes at +-2, 5 std (0.4) beyond them
  for (const mix of [RING, GRID, MIXTURE_1D]) {
    for (const centre of mix.centers) centre.forEach((c, d) => assert.ok(c - 3 * mix.std > mix.bounds[d][0] && c + 3 * mix.std < mix.bounds[d][1]));
  }
  assert.throws(() => toyMixture("spiral" as "ring"), /Unknown toy mixture spiral: use "ring" or "grid"/);
});

test("collapse recipes: each method changes what it says", () => {
  const pac = collapseRecipe({ mixture: "grid", method: "pacgan", seed: 0 });
  assert.deepEqual(pac.gan.discriminator.inputs[0].shape, [null, 8]); // 4 packed 2D points
  const mb = collapseRecipe({ mixture: "ring", method: "minibatch-std", seed: 0 });
  assert.deepEqual(mb.gan.discriminator.inputs[0].shape, [null, 3]);
  assert.equal(collapseRecipe({ mixture: "ring", method: "unrolled", seed: 0 }).options.unrolledSteps, 5);
  const w = collapseRecipe({ mixture: "ring", method: "wgan-gp", seed: 0 });
  assert.equal(w.options.loss, "wgan-gp");
  assert.equal(w.options.dSteps, 5);
  assert.equal(collapseRecipe({ mixture: "ring", method: "vanilla", seed: 0, setting: { latentDim: 8 } }).gan.latentDim, 8);
  for (const r of [pac, mb, w]) tf.dispose([...r.gan.generator.weights.map((v) => v.read()), ...r.gan.discriminator.weights.map((v) => v.read())]);
});

test("collapse runs give the same results on worker threads as here, and summarise per method", async () => {
  const jobs: CollapseJob[] = [
    { mixture: "ring", method: "vanilla", seed: 3, steps: 6, every: 3, setting: { latentDim: 4, hidden: [8], discriminatorHidden: [8], batchSize: 32 } },
    { mixture: "ring", method: "pacgan", seed: 3, steps: 6, every: 3, frames: true, rejection: true, setting: { latentDim: 4, hidden: [8], discriminatorHidden: [8], batchSize: 32 } },
  ];
  const progress: number[] = [];
  const here = await runCollapseJobs(jobs, { workers: 0, progress: "none", onProgress: (i) => progress.push(i) });
  const there = await runCollapseJobs(jobs, { workers: 2, progress: "none" });
  for (const [i, r] of here.entries()) {
    assert.deepEqual(r.timeline.map((p) => p.step), [0, 3, 6]);
    assert.deepEqual(there[i].final, r.final, `job ${i}: same coverage on a worker`);
    assert.deepEqual(there[i].samples, r.samples);
    assert.equal(r.samples.length, 2 * 2500);
  }
  assert.equal(progress.length, 6);
  // Rejection sampling after training, by the run's own D: the same on a worker, 2,500 kept points.
  assert.equal(here[0].rejection, undefined);
  const kept = here[1].rejection!;
  assert.deepEqual(there[1].rejection, kept);
  assert.equal(kept.samples.length, 2 * 2500);
  assert.ok(kept.acceptance > 0 && kept.acceptance <= 1);
  assert.equal(rejectionFigure(here[1]).data.length, 2);
  assert.throws(() => rejectionFigure(here[0]), /needs a run made with rejection: true/);
  assert.equal(here[1].frames.length, 3);
  assert.equal(here[1].frames[0].heat.z.length, 0, "PacGAN's D judges pairs: no heatmap over single points");
  assert.ok(view2dFigure(here[1].frames).data.every((t) => (t as { type: string }).type !== "heatmap"));
  assert.equal(rasterize2d(here[1].frames[0], 40).data.length, 40 * 40 * 4);
  const fig = coverageHeatmapFigure(here[0]);
  assert.equal((fig.data[0] as { z: number[][] }).z.length, 8);
  const table = collapseSummary([...here, { ...here[0], job: { ...here[0].job, seed: 4 } }]);
  assert.deepEqual(table.method, ["vanilla", "pacgan"]);
  assert.deepEqual(table.seeds, [2, 1]);
  await assert.rejects(runCollapseJobs([{ mixture: "ring", method: "nope" as never, seed: 0 }], { progress: "none" }), /Unknown method nope/);
  await assert.rejects(runCollapseJobs([{ mixture: "ring", method: "minibatch-std", seed: 0, rejection: true }], { progress: "none" }), /rejection needs a D that judges single samples \(or packs\): not minibatch-std/);
  await assert.rejects(runCollapseJobs([{ mixture: "spiral" as never, method: "vanilla", seed: 0 }], { progress: "none" }), /Unknown toy mixture spiral/);
});

test("a run whose rejection sampling fails keeps its training results and says why", async () => {
  // D trains at a huge rate against a G that barely moves: it rejects nearly every sample G draws.
  const job: CollapseJob = { mixture: "grid", method: "vanilla", seed: 3, steps: 60, every: 30, rejection: true, setting: { latentDim: 4, hidden: [8], discriminatorHidden: [64, 64], batchSize: 32, learningRate: 0.3, generatorLearningRate: 1e-6, samples: 100 } };
  const [run] = await runCollapseJobs([job], { workers: 0, progress: "none" });
  assert.deepEqual(run.timeline.map((p) => p.step), [0, 30, 60]);
  assert.equal(run.samples.length, 2 * 100, "the run's own samples are returned");
  assert.equal(run.rejection, undefined);
  assert.match(run.rejectionError ?? "", /fewer than the 100 asked for/);
  assert.throws(() => rejectionFigure(run), /rejection sampling failed: rejectionSample: kept/);
});

test("a failing job on a worker rejects with its message", async () => {
  await assert.rejects(
    runCollapseJobs([{ mixture: "ring", method: "pacgan", seed: 0, steps: 2, setting: { batchSize: 33, latentDim: 2, hidden: [4], discriminatorHidden: [4] } }], { workers: 1, progress: "none" }),
    /Collapse job 0 .* failed: .*multiple of 2/,
  );
});

test("snapshot2d of a GAN whose D sees pairs keeps samples and leaves no tensors", () => {
  const gan: Gan = {
    generator: buildMlpGenerator({ latentDim: 2, dataShape: [2], hidden: [4], seed: 1 }),
    discriminator: buildMlpDiscriminator({ dataShape: [4], hidden: [4], seed: 2 }),
    latentDim: 2,
    prepare: packSamples(2),
  };
  const real = sampleMixture(ring8(), 20, 0).points;
  const noise = tf.randomNormal([10, 2], 0, 1, "float32", 1) as tf.Tensor2D;
  const before = tf.memory().numTensors;
  const f = snapshot2d(gan, real, 0, { noise });
  assert.equal(tf.memory().numTensors, before);
  assert.equal(f.fake.x.length, 10);
  assert.equal(f.arrows.x0.length, 0);
  tf.dispose([real, noise]);
});
