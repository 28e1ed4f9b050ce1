// The GAN losses, steps and trainer: hand-computed losses, which weights a step changes, bad input,
// NaN handling, no tensor leaks, checkpoints and resume.
import { before, test } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { ready, tf } from "../lib/src/index";
import { appendMinibatchStd, bceWithLogits, discriminatorLoss, discriminatorStep, generatorLoss, generatorStep, gradientPenalty, packSamples, type Gan } from "../lib/src/gan";
import { buildDcganGenerator, buildMlpDiscriminator, buildMlpGenerator } from "../lib/src/models";
import { GanTrainer } from "../lib/src/train";
import { generatorOutputRange, type TrainerOptions } from "../lib/src/trainer-options";
import { fileHandler, hasCheckpoint, readCheckpoint, writeCheckpoint } from "../lib/src/checkpoint";
import { toFloat16Bits } from "../lib/src/float16";
import { ring8, sampleMixture } from "../lib/src/toy";
import { batchIndices, makeRandom } from "../lib/src/random";
import { tempDir } from "./helpers";

before(() => ready());

const scalar = (t: tf.Tensor) => {
  const v = t.dataSync()[0];
  t.dispose();
  return v;
};
const close = (a: number, b: number, eps = 1e-5) => assert.ok(Math.abs(a - b) < eps, `${a} != ${b}`);

test("losses match hand-computed values", () => {
  const zero = tf.tensor2d([[0], [0]]);
  const two = tf.tensor2d([[2]]);
  close(scalar(bceWithLogits(zero, 1)), Math.LN2); // -log(sigmoid(0)) = log 2
  close(scalar(bceWithLogits(two, 0.9)), Math.log(1 + Math.exp(2)) - 0.9 * 2); // softplus(l) - y*l
  close(scalar(discriminatorLoss(zero, zero)), 2 * Math.LN2);
  close(scalar(generatorLoss(zero, { loss: "non-saturating" })), Math.LN2);
  close(scalar(generatorLoss(zero, { loss: "minimax" })), -Math.LN2); // log(1 - 1/2)
  close(scalar(generatorLoss(two, { loss: "minimax" })), -Math.log(1 + Math.exp(2))); // log(1 - sigmoid(2))
  const ones = tf.tensor2d([[1], [1]]);
  close(scalar(discriminatorLoss(ones, zero, { loss: "least-squares" })), 0);
  close(scalar(discriminatorLoss(zero, ones, { loss: "least-squares" })), 1); // 0.5 * (1 + 1)
  close(scalar(generatorLoss(zero, { loss: "least-squares" })), 0.5);
  close(scalar(discriminatorLoss(two, two, { realLabel: 0.9 })), Math.log(1 + Math.exp(2)) - 1.8 + Math.log(1 + Math.exp(2)));
  tf.dispose([zero, two, ones]);
});

function toyGan(seed = 1): Gan {
  return {
    generator: buildMlpGenerator({ latentDim: 3, dataShape: [2], hidden: [8], seed }),
    discriminator: buildMlpDiscriminator({ dataShape: [2], hidden: [8], seed: seed + 1 }),
    latentDim: 3,
  };
}
const weightsOf = (m: tf.LayersModel) => m.getWeights().map((w) => Array.from(w.dataSync()));

test("a discriminator step changes only D's weights; a generator step only G's", () => {
  const gan = toyGan();
  const real = tf.randomNormal([8, 2], 0, 1, "float32", 1);
  const z = tf.randomNormal([8, 3], 0, 1, "float32", 2);
  const [g0, d0] = [weightsOf(gan.generator), weightsOf(gan.discriminator)];
  const opt = tf.train.sgd(0.1);
  discriminatorStep(gan, opt, real, z);
  const [g1, d1] = [weightsOf(gan.generator), weightsOf(gan.discriminator)];
  assert.deepEqual(g1, g0, "D step left G unchanged");
  assert.notDeepEqual(d1, d0, "D step changed D");
  generatorStep(gan, opt, z);
  assert.deepEqual(weightsOf(gan.discriminator), d1, "G step left D unchanged");
  assert.notDeepEqual(weightsOf(gan.generator), g1, "G step changed G");
  tf.dispose([real, z]);
});

function ringData(n = 64): tf.Tensor2D {
  const { points } = sampleMixture(ring8(), n, 5);
  return points;
}

test("training leaks no tensors and records a history row per step", async () => {
  const data = ringData();
  const trainer = new GanTrainer({ gan: toyGan(), data, batchSize: 16, dSteps: 2, seed: 3 });
  await trainer.train(2, { progress: "none" });
  const before = tf.memory().numTensors;
  const result = await trainer.train(20, { progress: "none" });
  assert.equal(tf.memory().numTensors, before);
  assert.deepEqual([result.steps, result.step, result.stopped], [20, 22, false]); // this call's steps; the trainer's count
  const stopped = await trainer.train(5, { progress: "none", every: 1, onStep: (t) => t.stop() });
  assert.deepEqual([stopped.steps, stopped.step, stopped.stopped], [1, 23, true]);
  trainer.history.pop();
  trainer.step = 22;
  assert.deepEqual(trainer.history.map((r) => r.step), Array.from({ length: 22 }, (_, i) => i + 1));
  const df = trainer.historyFrame();
  assert.deepEqual(df.columns, ["step", "d_loss", "g_loss", "d_real", "d_fake", "d_accuracy", "seconds"]);
  assert.equal(df.height, 22);
  for (const r of trainer.history) assert.ok(r.dAccuracy >= 0 && r.dAccuracy <= 1 && Number.isFinite(r.dLoss));
  trainer.dispose();
  data.dispose();
});

test("bad input is a clear error before any training starts", () => {
  const data = ringData();
  const base = (): TrainerOptions => ({ gan: toyGan(), data, batchSize: 16 });
  const cases: [Partial<TrainerOptions> | ((o: TrainerOptions) => TrainerOptions), RegExp][] = [
    [{ batchSize: 0 }, /batchSize must be a positive integer; got 0/],
    [{ batchSize: 65 }, /batchSize 65 is larger than the data \(64 examples\)/],
    [{ dOptimizer: { learningRate: 0 } }, /dOptimizer\.learningRate must be a positive number; got 0/],
    [{ gOptimizer: { learningRate: -1e-3 } }, /gOptimizer\.learningRate must be a positive number/],
    [{ data: tf.zeros([64, 3]) }, /data has shape \[64,3\] but the generator outputs \[,2\]/],
    [(o) => ({ ...o, gan: { ...o.gan, latentDim: 5 } }), /Latent size mismatch: the generator takes z of size 3/],
    [(o) => ({ ...o, gan: { ...o.gan, discriminator: buildMlpDiscriminator({ dataShape: [3], hidden: [4] }) } }), /discriminator takes \[,3\] but is given samples shaped \[,2\]/],
    [{ data: tf.tensor2d([[NaN, 0], [1, 1]]), batchSize: 1 }, /contains NaN or Infinity/],
    [{ realLabel: 1.5 }, /realLabel must be in \(0\.5, 1\]/],
    [{ dSteps: 0 }, /dSteps must be a positive integer/],
    [{ unrolledSteps: -1 }, /unrolledSteps must be a whole number >= 0/],
    [(o) => ({ ...o, gan: { ...o.gan, prepare: packSamples(2) } }), /discriminator takes \[,2\] but is given samples shaped \[8,4\] \(after the GAN's prepare view\)/],
    // Data a bounded generator could never produce: pixels in 0..255 for tanh, [-1, 1] for sigmoid.
    [(o) => ({ ...o, data: tf.fill([64, 2], 255).mul(tf.randomUniform([64, 2], 0, 1, "float32", 4)), gan: { ...o.gan, generator: buildMlpGenerator({ latentDim: 3, dataShape: [2], hidden: [8], outputActivation: "tanh" }) } }),
      /The data lie in \[[0-9.]+, [0-9.]+\], but the generator ends in tanh, whose samples lie in \[-1, 1\].*0\.\.255 are the usual cause.*imagesToTensor\(images\)/],
    [(o) => ({ ...o, data: tf.fill([64, 2], -0.5), gan: { ...o.gan, generator: buildMlpGenerator({ latentDim: 3, dataShape: [2], hidden: [8], outputActivation: "sigmoid" }) } }),
      /The data lie in \[-0\.5, -0\.5\], but the generator ends in sigmoid, whose samples lie in \[0, 1\].*range: "unit"/],
  ];
  for (const [change, message] of cases) {
    const options = typeof change === "function" ? change(base()) : { ...base(), ...change };
    assert.throws(() => new GanTrainer(options), message);
  }
  data.dispose();
});

test("the data-range check reads the generator's output activation and lets fitting data through", () => {
  const tanh = buildMlpGenerator({ latentDim: 3, dataShape: [2], hidden: [8], outputActivation: "tanh" });
  assert.deepEqual(generatorOutputRange(tanh), { activation: "tanh", range: [-1, 1] });
  assert.deepEqual(generatorOutputRange(buildDcganGenerator({ latentDim: 4, width: 4 })), { activation: "tanh", range: [-1, 1] });
  assert.equal(generatorOutputRange(toyGan().generator), undefined, "a linear output is unbounded");
  const disc = buildMlpDiscriminator({ dataShape: [2], hidden: [8] });
  const inRange = tf.randomUniform([32, 2], -1, 1, "float32", 5);
  const big = tf.randomUniform([32, 2], 0, 255, "float32", 6);
  new GanTrainer({ gan: { generator: tanh, discriminator: disc, latentDim: 3 }, data: inRange, batchSize: 8 }).dispose();
  new GanTrainer({ gan: toyGan(), data: big, batchSize: 8 }).dispose(); // linear G: any range
  tf.dispose([inRange, big]);
});

// A huge learning rate blows the discriminator up within a few steps (seeded: the same step every run).
const LR = 1e12;
test("a NaN/Inf loss stops training, names the step and keeps the last good weights", async () => {
  const data = ringData();
  const trainer = new GanTrainer({ gan: toyGan(), data, batchSize: 16, seed: 1, dOptimizer: { kind: "sgd", learningRate: LR } });
  let message = "";
  let good: number[][] = [];
  try {
    await trainer.train(10, { progress: "none", every: 1, onStep: (t) => void (good = weightsOf(t.gan.discriminator)) });
  } catch (e) {
    message = (e as Error).message;
  }
  const stoppedAt = trainer.step + 1;
  assert.match(message, new RegExp(`Training stopped at step ${stoppedAt}: the (discriminator|generator)('s weights became NaN or Infinity| loss is (NaN|Infinity|-Infinity))`));
  assert.ok(stoppedAt >= 2, "step 1 was good");
  assert.equal(trainer.history.length, trainer.step);
  assert.deepEqual(weightsOf(trainer.gan.discriminator), good, "weights are those after the last good step");
  trainer.dispose();
  data.dispose();
});

test("a layer frozen or unfrozen after training began is a clear error before the next update, with the weights kept", async () => {
  const data = ringData();
  for (const role of ["discriminator", "generator"] as const) {
    const trainer = new GanTrainer({ gan: toyGan(), data, batchSize: 16, seed: 5 });
    const model = trainer.gan[role];
    model.layers[0].trainable = false; // before the first update: fine, the optimizers start from this list
    await trainer.train(2, { progress: "none" });
    model.layers[0].trainable = true;
    const kept = [weightsOf(trainer.gan.discriminator), weightsOf(trainer.gan.generator)];
    await assert.rejects(trainer.train(1, { progress: "none" }), new RegExp(`The ${role}'s trainable weights changed after training began \\(\\d+ then, \\d+ now`));
    assert.equal(trainer.step, 2);
    assert.deepEqual([weightsOf(trainer.gan.discriminator), weightsOf(trainer.gan.generator)], kept, "no update ran");
    model.layers[0].trainable = false; // as it was: training goes on
    await trainer.train(1, { progress: "none" });
    assert.equal(trainer.step, 3);
    trainer.dispose();
  }
  data.dispose();
});

test("a checkpoint resumes with the same next step, loads with tf.loadLayersModel, and survives a failed save", async () => {
  const dir = path.join(tempDir(), "ckpt");
  const data = ringData();
  const options = { data, batchSize: 16, dSteps: 2, seed: 9 };
  const a = new GanTrainer({ gan: toyGan(), ...options });
  await a.train(3, { progress: "none" });
  await a.save(dir);
  assert.ok(hasCheckpoint(dir));
  await a.train(2, { progress: "none" });

  const b = await GanTrainer.load(dir, data);
  assert.equal(b.step, 3);
  assert.equal(b.history.length, 3);
  await b.train(2, { progress: "none" });
  for (const [x, y] of [[a.gan.generator, b.gan.generator], [a.gan.discriminator, b.gan.discriminator]]) {
    weightsOf(x).forEach((w, i) => w.forEach((v, j) => close(v, weightsOf(y)[i][j], 1e-5)));
  }
  assert.deepEqual(b.history.map((r) => r.gLoss.toFixed(5)), a.history.map((r) => r.gLoss.toFixed(5)));

  const g = await tf.loadLayersModel(fileHandler(path.join(dir, "generator", "model.json")));
  assert.deepEqual(g.outputs[0].shape, [null, 2]);

  // A save that fails midway (the disk fails on the third file) leaves the old checkpoint loadable.
  const nodeFs = require("fs") as { fsyncSync: typeof fs.fsyncSync };
  const fsync = nodeFs.fsyncSync;
  let calls = 0;
  nodeFs.fsyncSync = (fd) => {
    if (++calls === 3) throw new Error("simulated disk failure");
    return fsync(fd);
  };
  try {
    await assert.rejects(a.save(dir), /simulated disk failure/);
  } finally {
    nodeFs.fsyncSync = fsync;
  }
  const old = await readCheckpoint<{ step: number }>(dir);
  assert.equal(old.state.step, 3);
  assert.deepEqual(fs.readdirSync(path.dirname(dir)), ["ckpt"], "no partial folder left behind");

  // A crash between the two renames leaves only <dir>.previous: it is found.
  fs.renameSync(dir, `${dir}.previous`);
  assert.equal((await readCheckpoint<{ step: number }>(dir)).state.step, 3);
  fs.renameSync(`${dir}.previous`, dir);

  // A truncated weights file is an error naming it.
  const weights = path.join(dir, "discriminator", "weights.bin");
  fs.truncateSync(weights, 10);
  await assert.rejects(readCheckpoint(dir), new RegExp(`Checkpoint file ${weights.replace(/[/.]/g, "\\$&")} is corrupt: it has 10 bytes`));
  a.dispose();
  b.dispose();
  data.dispose();
});

test("a checkpoint from before the preview's rename (fixedNoise) loads with its preview noise and size", async () => {
  const dir = path.join(tempDir(), "old");
  const data = ringData();
  const a = new GanTrainer({ gan: toyGan(), data, batchSize: 16, seed: 4, previewCount: 12 });
  await a.train(2, { progress: "none" });
  await a.save(dir);
  // Rewrite it as the earlier ganbook wrote it: the option and the tensor were called fixedNoise.
  const ckpt = await readCheckpoint<{ options: Record<string, unknown> }>(dir);
  const { previewCount, ...rest } = ckpt.state.options;
  assert.equal(previewCount, 12);
  const tensors = ckpt.tensors!.map((t) => (t.name === "previewNoise" ? { ...t, name: "fixedNoise" } : t));
  await writeCheckpoint(dir, { models: ckpt.models, tensors, state: { ...ckpt.state, options: { ...rest, fixedNoise: 12 } } });
  const b = await GanTrainer.load(dir, data);
  assert.deepEqual(b.previewNoise.shape, [12, a.gan.latentDim]);
  assert.deepEqual(Array.from(b.previewNoise.dataSync()), Array.from(a.previewNoise.dataSync()));
  await b.train(1, { progress: "none" });
  await a.train(1, { progress: "none" });
  assert.equal(b.history.at(-1)!.gLoss.toFixed(5), a.history.at(-1)!.gLoss.toFixed(5));
  tf.dispose([...Object.values(ckpt.models).flatMap((m) => m.weights.map((w) => w.read())), ...tensors.map((t) => t.tensor)]);
  a.dispose();
  b.dispose();
  data.dispose();
});

test("PacGAN packing and the minibatch standard deviation reshape batches as documented", () => {
  const x = tf.tensor2d([[1, 2], [3, 4], [5, 6], [7, 8]]);
  assert.deepEqual(packSamples(2)(x).arraySync(), [[1, 2, 3, 4], [5, 6, 7, 8]]);
  assert.throws(() => packSamples(3)(x), /must be a multiple of 3/);
  // std over the batch of each feature: both sqrt(5) (values 1,3,5,7 and 2,4,6,8); their mean sqrt(5)
  const withStd = appendMinibatchStd(x).arraySync() as number[][];
  withStd.forEach((row) => close(row[2], Math.sqrt(5), 1e-4));
  x.dispose();
});

test("the WGAN-GP penalty is 0 for a critic with unit gradient everywhere and trains through second-order gradients", () => {
  // D(x) = x1 (a dense layer with weights [1, 0], no hidden layers): ||grad|| = 1, penalty 0
  const critic = tf.sequential({ layers: [tf.layers.dense({ units: 1, inputShape: [2], kernelInitializer: "zeros" })] });
  critic.setWeights([tf.tensor2d([[1], [0]]), tf.tensor1d([0])]);
  const gan: Gan = { generator: toyGan().generator, discriminator: critic, latentDim: 3 };
  const real = tf.randomNormal([8, 2], 0, 1, "float32", 1);
  const fake = tf.randomNormal([8, 2], 0, 1, "float32", 2);
  close(scalar(gradientPenalty(gan, real, fake)), 0, 1e-6);
  critic.setWeights([tf.tensor2d([[3], [4]]), tf.tensor1d([0])]); // ||grad|| = 5: penalty (5 - 1)² = 16
  close(scalar(gradientPenalty(gan, real, fake)), 16, 1e-3);
  const wgan = toyGan(4);
  const before = weightsOf(wgan.discriminator);
  const metrics = discriminatorStep(wgan, tf.train.adam(1e-3), real, tf.randomNormal([8, 3], 0, 1, "float32", 3), { loss: "wgan-gp" });
  assert.ok(Number.isFinite(metrics.dLoss));
  assert.notDeepEqual(weightsOf(wgan.discriminator), before);
  tf.dispose([real, fake]);
});

test("unrolled look-ahead updates are undone: D after one step equals D trained without unrolling", async () => {
  const data = ringData();
  const plain = new GanTrainer({ gan: toyGan(), data, batchSize: 16, seed: 2 });
  const trainer = new GanTrainer({ gan: toyGan(), data, batchSize: 16, seed: 2, unrolledSteps: 3 });
  await plain.train(1, { progress: "none" });
  await trainer.train(1, { progress: "none" });
  const d = weightsOf(trainer.gan.discriminator);
  assert.deepEqual(d, weightsOf(plain.gan.discriminator), "only D's own update remains");
  assert.notDeepEqual(weightsOf(trainer.gan.generator), weightsOf(plain.gan.generator), "G answered the look-ahead D");
  const before = tf.memory().numTensors;
  await trainer.train(5, { progress: "none" });
  assert.equal(tf.memory().numTensors, before, "no leak");
  assert.notDeepEqual(weightsOf(trainer.gan.discriminator), d, "D still learns from its own updates");
  trainer.dispose();
  plain.dispose();
  data.dispose();
});

test("seeded runs repeat exactly, and 1,000 steps keep tensors and memory flat", async () => {
  const data = ringData(256);
  const runs = [0, 1].map(() => new GanTrainer({ gan: toyGan(7), data, batchSize: 32, seed: 11 }));
  for (const r of runs) await r.train(5, { progress: "none" });
  assert.deepEqual(weightsOf(runs[0].gan.generator), weightsOf(runs[1].gan.generator));
  assert.deepEqual(runs[0].history.map((h) => h.dLoss), runs[1].history.map((h) => h.dLoss));
  runs[1].dispose();

  const trainer = runs[0];
  await trainer.train(45, { progress: "none" }); // warm-up: optimizer slots, kernel caches
  const tensors = tf.memory().numTensors;
  // The wasm heap grows in steps and never shrinks, so memory is "flat" when a second window of
  // 500 steps adds (almost) nothing after a first one has let the allocator settle.
  const memory = () => {
    global.gc?.();
    return { heap: process.memoryUsage().heapUsed / 1e6, rss: process.memoryUsage().rss / 1e6 };
  };
  await trainer.train(500, { progress: "none" });
  const middle = memory();
  await trainer.train(500, { progress: "none" });
  const end = memory();
  assert.equal(tf.memory().numTensors, tensors, "no tensor leaks over 1,000 steps");
  // The history grows by 500 small rows per window; anything beyond a few MB would be a leak.
  assert.ok(end.heap - middle.heap < 10, `JS heap grew ${(end.heap - middle.heap).toFixed(1)} MB over the last 500 steps`);
  assert.ok(end.rss - middle.rss < 30, `resident memory grew ${(end.rss - middle.rss).toFixed(1)} MB over the last 500 steps`);
  trainer.dispose();
  data.dispose();
});

test("toFloat16Bits encodes hand-checked halves; a float16 checkpoint is half the bytes and loads back as float32 within half precision", async () => {
  await ready();
  // 1 = 0x3c00, -2 = 0xc000, 65504 (largest half) = 0x7bff, 65520 rounds up to infinity 0x7c00,
  // 0.1 = 0x2e66 (nearest), 2^-24 (smallest subnormal) = 0x0001, 2^-26 underflows to 0,
  // 1 + 2^-11 is a tie between 1 and 1 + 2^-10: to even, 0x3c00; 1 + 3 * 2^-11 ties up to 0x3c02.
  const cases: [number, number][] = [[1, 0x3c00], [-2, 0xc000], [65504, 0x7bff], [65520, 0x7c00], [0.1, 0x2e66], [2 ** -24, 0x0001], [2 ** -26, 0], [1 + 2 ** -11, 0x3c00], [1 + 3 * 2 ** -11, 0x3c02], [-0, 0x8000]];
  for (const [value, bits] of cases) assert.equal(toFloat16Bits(value), bits, `${value}`);

  const model = buildMlpGenerator({ latentDim: 3, dataShape: [2], hidden: [5], batchNorm: true, seed: 4 });
  const dir = tempDir();
  await writeCheckpoint(path.join(dir, "full"), { models: { g: model }, state: {} });
  await writeCheckpoint(path.join(dir, "half"), { models: { g: model }, state: {}, float16: true });
  const size = (d: string) => fs.statSync(path.join(dir, d, "g", "weights.bin")).size;
  assert.equal(size("half") * 2, size("full"));
  const { models } = await readCheckpoint(path.join(dir, "half"));
  const [before, after] = [model, models.g].map((m) => m.getWeights().map((w) => Array.from(w.dataSync())));
  before.forEach((w, i) => w.forEach((v, j) => assert.ok(Math.abs(after[i][j] - v) <= Math.abs(v) * 2 ** -11 + 2 ** -24, `weight ${i}[${j}]: ${v} -> ${after[i][j]}`)));
  assert.ok(before.flat().some((v, k) => v !== after.flat()[k]), "the halves are rounded, not the float32 values");
  model.dispose();
  models.g.dispose();
});

test("batchIndices: every epoch a seeded permutation cut into batches, the same from a cached epoch or a fresh one", () => {
  // The shuffle written out (Fisher-Yates from the top with mulberry32), as batchIndices did before it kept the last epoch.
  const reference = (n: number, size: number, seed: number, b: number) => {
    const perEpoch = Math.floor(n / size);
    const order = Array.from({ length: n }, (_, i) => i);
    const random = makeRandom(seed * 100003 + Math.floor(b / perEpoch));
    for (let i = n - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [order[i], order[j]] = [order[j], order[i]];
    }
    return order.slice((b % perEpoch) * size, (b % perEpoch) * size + size);
  };
  // 10 examples, batches of 3: 3 batches an epoch (example 9's place is skipped), epochs 0-2, two seeds, interleaved.
  const epoch0 = [0, 1, 2].flatMap((b) => Array.from(batchIndices(10, 3, 7, b)));
  assert.equal(epoch0.length, 9);
  assert.equal(new Set(epoch0).size, 9, "no example twice in an epoch");
  for (const [seed, b] of [[7, 4], [7, 4], [8, 4], [7, 5], [7, 0], [7, 8], [8, 8], [7, 3], [7, 3]]) {
    const got = batchIndices(10, 3, seed, b);
    assert.deepEqual(Array.from(got), reference(10, 3, seed, b), `seed ${seed}, batch ${b}`);
    got.fill(-1); // a caller's change must not reach the next batch of the same epoch
  }
  assert.deepEqual(Array.from(batchIndices(10, 3, 7, 4)), reference(10, 3, 7, 4));
  assert.notDeepEqual(Array.from(batchIndices(10, 3, 7, 0)), Array.from(batchIndices(10, 3, 7, 3)), "a new epoch, a new order");
});
