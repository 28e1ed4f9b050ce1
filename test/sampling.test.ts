// Sampling better than G alone: the averaged generator (generatorAverage) and discriminator
// rejection sampling (chapter 05). Hand-computed averages, checkpoints, bad input, no leaks.
import { before, test } from "node:test";
import * as assert from "node:assert/strict";
import * as path from "node:path";
import { ready, tf } from "../lib/src/index";
import { appendMinibatchStd, packSamples, type Gan } from "../lib/src/gan";
import { buildConditionalGenerator, buildMlpDiscriminator, buildMlpGenerator } from "../lib/src/models";
import { cloneModel } from "../lib/src/weights";
import { GanTrainer } from "../lib/src/train";
import { previewPng, previewRaster, previewSamples } from "../lib/src/sampling";
import { discriminatorScore, rejectionSample, trainCritic } from "../lib/src/rejection";
import { ring8, sampleMixture } from "../lib/src/toy";
import { tempDir } from "./helpers";

before(() => ready());

const close = (a: number, b: number, eps = 1e-5) => assert.ok(Math.abs(a - b) < eps, `${a} != ${b}`);
const weightsOf = (m: tf.LayersModel) => m.getWeights().map((w) => Array.from(w.dataSync()));

function toyGan(seed = 1, batchNorm = false): Gan {
  return {
    generator: buildMlpGenerator({ latentDim: 3, dataShape: [2], hidden: [8], batchNorm, seed }),
    discriminator: buildMlpDiscriminator({ dataShape: [2], hidden: [8], seed: seed + 1 }),
    latentDim: 3,
  };
}
const ringData = (n = 64) => sampleMixture(ring8(), n, 5).points;

test("cloneModel copies architecture and weights into new variables (Sequential and functional)", () => {
  const g = buildMlpGenerator({ latentDim: 3, dataShape: [2], hidden: [8], seed: 4 });
  const c = cloneModel(g);
  assert.deepEqual(weightsOf(c), weightsOf(g));
  c.weights[0].write(tf.zerosLike(c.weights[0].read()));
  assert.notDeepEqual(weightsOf(c)[0], weightsOf(g)[0], "the clone's variables are its own");
  const cg = buildConditionalGenerator({ latentDim: 4, width: 4, classes: 3, seed: 1 });
  const cc = cloneModel(cg);
  assert.equal(cc.inputs.length, 2);
  assert.deepEqual(weightsOf(cc), weightsOf(cg));
  [g, c, cg, cc].forEach((m) => m.dispose());
});

test("the averaged generator follows a = d*a + (1-d)*w with the warm-up decay, copies batch-norm statistics, and leaves training unchanged", async () => {
  const data = ringData();
  const plain = new GanTrainer({ gan: toyGan(3, true), data, batchSize: 16, seed: 2 });
  const averaged = new GanTrainer({ gan: toyGan(3, true), data, batchSize: 16, seed: 2, generatorAverage: 0.5 });
  assert.equal(plain.averagedGenerator, undefined);
  assert.equal(plain.samplingGan.generator, plain.gan.generator);
  const g = averaged.gan.generator;
  const a = averaged.averagedGenerator!;
  assert.equal(averaged.samplingGan.generator, a);
  assert.deepEqual(weightsOf(a), weightsOf(g), "starts as a copy of G");
  let expected = weightsOf(g);
  for (let t = 1; t <= 3; t++) {
    await averaged.train(1, { progress: "none" });
    await plain.train(1, { progress: "none" });
    // decay at update t: min(0.5, (1 + t) / (10 + t)) = 2/11, 3/12, 4/13.
    const d = Math.min(0.5, (1 + t) / (10 + t));
    const now = weightsOf(g);
    expected = expected.map((w, i) => (a.weights[i].trainable ? w.map((v, j) => d * v + (1 - d) * now[i][j]) : now[i]));
    weightsOf(a).forEach((w, i) => w.forEach((v, j) => close(v, expected[i][j])));
  }
  assert.ok(a.weights.some((w) => !w.trainable), "the generator has batch-norm statistics");
  assert.notDeepEqual(weightsOf(a), weightsOf(g), "the average lags G");
  assert.deepEqual(weightsOf(g), weightsOf(plain.gan.generator), "averaging does not change training");
  const sample = previewSamples(averaged);
  const expectSample = a.predict(averaged.previewNoise) as tf.Tensor;
  assert.deepEqual(Array.from(sample.dataSync()), Array.from(expectSample.dataSync()), "progress images come from the average");
  tf.dispose([sample, expectSample]);
  // Toy points make no image: no PNG for the live display, and a clear error for a raster.
  assert.equal(previewPng(averaged), undefined);
  assert.throws(() => previewRaster(averaged, { count: 4 }), /previewRaster needs an image GAN \(samples \[N, H, W, C\]\); its samples have shape \[4,2\]/);
  const before = tf.memory().numTensors;
  await averaged.train(5, { progress: "none" });
  assert.equal(tf.memory().numTensors, before, "no tensor leaks");
  averaged.dispose();
  plain.dispose();
  data.dispose();
});

test("a checkpoint keeps the averaged generator: resume continues the same average", async () => {
  const dir = path.join(tempDir(), "ckpt-avg");
  const data = ringData();
  const options = { data, batchSize: 16, seed: 5, generatorAverage: 0.9 };
  const a = new GanTrainer({ gan: toyGan(6), ...options });
  await a.train(3, { progress: "none" });
  await a.save(dir);
  await a.train(2, { progress: "none" });
  const b = await GanTrainer.load(dir, data);
  assert.ok(b.averagedGenerator);
  await b.train(2, { progress: "none" });
  weightsOf(a.averagedGenerator!).forEach((w, i) => w.forEach((v, j) => close(v, weightsOf(b.averagedGenerator!)[i][j])));
  a.dispose();
  b.dispose();
  data.dispose();
});

test("a decay outside [0, 1) is a clear error", () => {
  const data = ringData();
  for (const generatorAverage of [1, -0.1, NaN]) {
    assert.throws(() => new GanTrainer({ gan: toyGan(), data, batchSize: 16, generatorAverage }), /generatorAverage is the moving average's decay, in \[0, 1\)/);
  }
  data.dispose();
});

/** G(z) = z * (c, c) for z ~ N(0, 1) of size 1: samples spread along the diagonal. */
function lineGan(c: number): Gan {
  const generator = tf.sequential({ layers: [tf.layers.dense({ inputShape: [1], units: 2, trainable: false })] });
  generator.setWeights([tf.tensor2d([[c, c]]), tf.tensor1d([0, 0])]);
  return { generator, discriminator: buildMlpDiscriminator({ dataShape: [2], hidden: [4], seed: 1 }), latentDim: 1 };
}

test("rejection sampling keeps each sample with probability exp(d - d_max), seeded, without leaks", () => {
  // G(z) = z (c, c) with c = ln 2 / 2 and a critic d(x) = -(|x1| + |x2|) = -ln 2 |z|: a sample is kept
  // with probability 2^-|z| / 2^-min|z| (d_max is the first batch's largest logit, min |z| ≈ 0).
  const gan = lineGan(Math.LN2 / 2);
  const score = (x: tf.Tensor) => tf.tidy(() => tf.neg(tf.sum(tf.abs(x), 1, true)));
  // E[2^-|Z|] for Z ~ N(0, 1), by a Riemann sum: 0.6208 (= 2 e^{(ln 2)^2 / 2} Φ(-ln 2)).
  let expected = 0;
  for (let z = -8; z < 8; z += 1e-3) expected += (Math.exp(-(z * z) / 2) / Math.sqrt(2 * Math.PI)) * Math.pow(2, -Math.abs(z)) * 1e-3;
  close(expected, 0.6208, 1e-3);
  const before = tf.memory().numTensors;
  const r = rejectionSample(gan, score, 4000, { seed: 3 });
  assert.equal(tf.memory().numTensors, before + 1, "only the kept samples are new");
  assert.deepEqual(r.samples.shape, [4000, 2]);
  assert.ok(Math.abs(r.acceptance - expected) < 0.03, `acceptance ${r.acceptance} vs ${expected}`);
  assert.equal(Math.round(r.acceptance * r.drawn), 4000);
  const again = rejectionSample(gan, score, 4000, { seed: 3 });
  assert.deepEqual(Array.from(again.samples.dataSync()), Array.from(r.samples.dataSync()), "seeded");
  // Kept samples are nearer the critic's favourite point than G's: E|Z| = 0.798 drawn.
  const meanAbsZ = tf.tidy(() => tf.abs(r.samples).mean().dataSync()[0]) / (Math.LN2 / 2);
  assert.ok(meanAbsZ < 0.7, `mean |z| of the kept samples ${meanAbsZ}`);
  tf.dispose([r.samples, again.samples]);
  assert.throws(() => rejectionSample(gan, score, 0), /n must be a positive integer/);
  assert.throws(() => rejectionSample({ ...gan, classes: 10 }, score, 10), /for unconditional GANs/);
  assert.throws(() => rejectionSample(gan, score, 10, { quantile: 0 }), /quantile must be in \(0, 1\]/);
  // A critic whose first batch peaks at one sample and that then rejects everything runs out of draws.
  let calls = 0;
  const spoilt = (x: tf.Tensor) => tf.tidy(() => (calls++ === 0 ? tf.oneHot(tf.tensor1d([0], "int32"), x.shape[0]).reshape([-1, 1]).mul(100) : tf.fill([x.shape[0], 1], -100)));
  assert.throws(() => rejectionSample(gan, spoilt, 10, { maxDraws: 4096 }), /kept 1 of 4096 samples, fewer than the 10 asked for/);
  gan.generator.dispose();
  gan.discriminator.dispose();
});

test("a critic trained with G frozen rejects G's samples where the data never are", async () => {
  // G spreads samples along the diagonal; the data sit at (2, 2) and (-2, -2) only, never near the origin.
  const gan = lineGan(2);
  const data = tf.tensor2d(Array.from({ length: 256 }, (_, i) => (i % 2 ? [2, 2] : [-2, -2])));
  const critic = buildMlpDiscriminator({ dataShape: [2], hidden: [16, 16], seed: 3 });
  const gBefore = weightsOf(gan.generator);
  const loss = await trainCritic(gan, { data, critic, steps: 200, batchSize: 64, learningRate: 1e-2, seed: 1 });
  assert.ok(Number.isFinite(loss) && loss < 0.69, `critic loss ${loss}`);
  assert.deepEqual(weightsOf(gan.generator), gBefore, "G is frozen");
  const r = rejectionSample(gan, critic, 500, { seed: 2 });
  const nearOrigin = (t: tf.Tensor) => tf.tidy(() => tf.less(tf.norm(t, 2, 1), 1).toFloat().mean().dataSync()[0]);
  const raw = tf.tidy(() => gan.generator.predict(tf.randomNormal([2000, 1], 0, 1, "float32", 4)) as tf.Tensor);
  assert.ok(nearOrigin(r.samples) < nearOrigin(raw) / 2, `near the origin: ${nearOrigin(r.samples)} of the kept vs ${nearOrigin(raw)} of the drawn`);
  await assert.rejects(trainCritic(gan, { data, critic, batchSize: 1000 }), /batchSize must be a positive integer at most the data's 256 examples/);
  await assert.rejects(trainCritic({ ...gan, classes: 3 }, { data, critic }), /unconditional GANs/);
  tf.dispose([r.samples, raw, data]);
  [gan.generator, gan.discriminator, critic].forEach((m) => m.dispose());
});

test("discriminatorScore: a PacGAN's D judges each sample beside real ones; a batch-statistics D is refused", () => {
  // D(x1, x2) = w·x1 + w·x2 (a linear D on packs of 2), the data all at c: score(x) = w·x + w·c.
  const w = [0.5, -2];
  const c = [1, 3];
  const discriminator = tf.sequential({ layers: [tf.layers.dense({ inputShape: [4], units: 1, useBias: false, weights: [tf.tensor2d([[w[0]], [w[1]], [w[0]], [w[1]]])] })] });
  const gan: Gan = { generator: buildMlpGenerator({ latentDim: 3, dataShape: [2], hidden: [4], seed: 1 }), discriminator, latentDim: 3, prepare: packSamples(2) };
  const data = tf.tensor2d(Array.from({ length: 10 }, () => c));
  const x = tf.tensor2d([[0, 0], [1, 1], [2, -1]]);
  const scores = discriminatorScore(gan, data, 2, 0)(x);
  assert.deepEqual(scores.shape, [3, 1]);
  const wc = w[0] * c[0] + w[1] * c[1];
  Array.from(scores.dataSync()).forEach((v, i) => close(v, w[0] * x.arraySync()[i][0] + w[1] * x.arraySync()[i][1] + wc));
  assert.throws(() => discriminatorScore({ ...gan, prepare: appendMinibatchStd }, data), /has no verdict on one sample: train a critic of its own/);
  assert.throws(() => discriminatorScore(gan, data, 0), /pack must be a whole number >= 1/);
  assert.throws(() => discriminatorScore({ ...gan, classes: 3 }, data, 2), /for unconditional GANs/);
  tf.dispose([scores, data, x]);
  gan.generator.dispose();
  discriminator.dispose();
});
