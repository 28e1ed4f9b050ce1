// Data-parallel training (replicas.ts): how a batch is split, how many threads a trainer picks and
// why, that two threads train a GAN without batch statistics as one does (float tolerance), that a
// seeded two-thread run repeats exactly, that a worker's failure reaches the caller, that nothing
// leaks, and that a script exits without disposing its trainer.
import { test } from "node:test";
import assert from "node:assert/strict";
import * as gb from "../lib/src/index";
import { runNode } from "./helpers";

const { tf } = gb;

test("a batch splits into near-equal parts, each a multiple of the PacGAN pack", () => {
  assert.deepEqual(gb.splitBatch(64, 2), [[0, 32], [32, 64]]);
  assert.deepEqual(gb.splitBatch(10, 3), [[0, 3], [3, 7], [7, 10]]);
  assert.deepEqual(gb.splitBatch(12, 2, 4), [[0, 8], [8, 12]]); // 3 packs of 4: 2 + 1
  assert.deepEqual(gb.splitBatch(7, 1), [[0, 7]]);
});

test("GANBOOK_THREADS and the threads option are checked, with a message that says what to pass", () => {
  assert.equal(gb.requestedThreads(undefined, undefined), undefined);
  assert.equal(gb.requestedThreads(undefined, " 3 "), 3);
  assert.equal(gb.requestedThreads(2, "5"), 2, "the option wins over the environment");
  assert.throws(() => gb.requestedThreads(undefined, "two"), /GANBOOK_THREADS=two: the number of threads must be a whole number >= 1/);
  assert.throws(() => gb.requestedThreads(0), /threads 0: the number of threads must be a whole number >= 1 \(1 trains on one core/);
  assert.throws(() => gb.requestedThreads(1.5), /whole number/);
});

/** A small conv GAN without batch norm: G z[4] -> dense -> conv2dTranspose -> [8, 8, 1]; D conv -> dense logit. */
function tinyConvGan(seed: number): gb.Gan {
  const init = (s: number) => tf.initializers.glorotUniform({ seed: seed * 10 + s });
  const generator = tf.sequential({
    layers: [
      tf.layers.dense({ inputShape: [4], units: 4 * 4 * 3, activation: "relu", kernelInitializer: init(1) }),
      tf.layers.reshape({ targetShape: [4, 4, 3] }),
      tf.layers.conv2dTranspose({ filters: 1, kernelSize: 3, strides: 2, padding: "same", activation: "tanh", kernelInitializer: init(2) }),
    ],
  });
  const discriminator = tf.sequential({
    layers: [
      tf.layers.conv2d({ inputShape: [8, 8, 1], filters: 4, kernelSize: 3, strides: 2, padding: "same", kernelInitializer: init(3) }),
      tf.layers.leakyReLU({ alpha: 0.2 }),
      tf.layers.flatten(),
      tf.layers.dense({ units: 1, kernelInitializer: init(4) }),
    ],
  });
  return { generator, discriminator, latentDim: 4 };
}

const tinyData = () => tf.tidy(() => tf.tanh(tf.randomNormal([64, 8, 8, 1], 0, 1, "float32", 9)));

test("the trainer picks its threads and says why", async () => {
  await gb.ready();
  const data = tinyData();
  const dense: gb.Gan = { generator: gb.buildMlpGenerator({ latentDim: 2, dataShape: [8, 8, 1], hidden: [4], outputActivation: "tanh" }), discriminator: gb.buildMlpDiscriminator({ dataShape: [8, 8, 1], hidden: [4] }), latentDim: 2 };
  const conv = tinyConvGan(0);
  const cases: [gb.Gan, number | undefined, number, RegExp][] = [
    [dense, undefined, 1, /dense layers/],
    [dense, 2, 2, /2 threads \(asked for\)/],
    [conv, 1, 1, /one thread, as asked/],
    [conv, 4, 4, /4 threads/],
    [{ ...conv, prepare: (x) => x }, 2, 1, /cannot rebuild/],
  ];
  for (const [gan, threads, expected, reason] of cases) {
    const trainer = new gb.GanTrainer({ gan, data, batchSize: 8, threads });
    assert.equal(trainer.threads, expected, String(reason));
    assert.match(trainer.threadsReason, reason);
    trainer.dispose();
  }
  // Without a request, a conv GAN takes every core (capped by the batch: 3 parts of a batch of 3).
  const saved = process.env.GANBOOK_THREADS;
  delete process.env.GANBOOK_THREADS;
  try {
    const trainer = new gb.GanTrainer({ gan: conv, data, batchSize: 3 });
    assert.equal(trainer.threads, Math.min(gb.availableCores(), 3));
    trainer.dispose();
  } finally {
    if (saved !== undefined) process.env.GANBOOK_THREADS = saved;
  }
  data.dispose();
});

test("two threads train a GAN without batch norm as one does (float tolerance), and repeat exactly", async () => {
  await gb.ready();
  const data = tinyData();
  const run = async (threads: number) => {
    const gan = tinyConvGan(1);
    const trainer = new gb.GanTrainer({ gan, data, batchSize: 16, seed: 3, threads, dOptimizer: { learningRate: 1e-2 }, gOptimizer: { learningRate: 1e-2 } });
    await trainer.train(4, { progress: "none" });
    const weights = [...gan.generator.getWeights(), ...gan.discriminator.getWeights()].map((w) => Array.from(w.dataSync()));
    const history = trainer.history.map(({ seconds: _, ...row }) => row);
    trainer.dispose();
    tf.dispose([...gan.generator.weights.map((w) => w.read()), ...gan.discriminator.weights.map((w) => w.read())]);
    return { weights, history };
  };
  const one = await run(1);
  const two = await run(2);
  const again = await run(2);
  assert.deepEqual(again, two, "a seeded two-thread run repeats exactly");
  let largest = 0;
  let worst = 0;
  one.weights.forEach((w, i) => w.forEach((x, j) => ((largest = Math.max(largest, Math.abs(x))), (worst = Math.max(worst, Math.abs(x - two.weights[i][j]))))));
  assert.ok(worst <= 1e-5 * Math.max(1, largest), `weights differ by ${worst} (largest ${largest})`);
  one.history.forEach((row, i) => {
    for (const key of ["dLoss", "gLoss", "dReal", "dFake", "dAccuracy"] as const) {
      assert.ok(Math.abs(row[key] - two.history[i][key]) < 1e-5, `step ${row.step} ${key}: ${row[key]} vs ${two.history[i][key]}`);
    }
  });
  data.dispose();
});

test("on two threads the trainer records where each update's time went, only when asked", async () => {
  await gb.ready();
  const data = tinyData();
  const gan = tinyConvGan(2);
  const trainer = new gb.GanTrainer({ gan, data, batchSize: 16, seed: 3, threads: 2 });
  await trainer.train(1, { progress: "none" });
  assert.equal(trainer.updateTimings, undefined, "nothing recorded unless asked");
  trainer.updateTimings = [];
  await trainer.train(3, { progress: "none" });
  assert.deepEqual(trainer.updateTimings.map((t) => t.update), ["discriminator", "generator", "discriminator", "generator", "discriminator", "generator"]);
  for (const t of trainer.updateTimings) {
    assert.ok(t.mine > 0 && t.wait >= 0 && t.combine >= 0, JSON.stringify(t));
    assert.equal(t.theirs.length, 1);
    assert.ok(t.theirs[0] > 0, `the worker's part took ${t.theirs[0]} ms`);
  }
  trainer.dispose();
  data.dispose();
});

test("two threads match one with 2 D steps and 2 unrolled steps, and when weights are set during and between training calls", async () => {
  await gb.ready();
  const data = tinyData();
  const scale = (model: gb.tf.LayersModel, factor: number) => {
    const old = model.getWeights();
    const scaled = old.map((w) => tf.mul(w, factor));
    model.setWeights(scaled);
    tf.dispose(scaled);
  };
  const run = async (threads: number, steps: { dSteps?: number; unrolledSteps?: number }) => {
    const gan = tinyConvGan(5);
    const trainer = new gb.GanTrainer({ gan, data, batchSize: 16, seed: 4, threads, ...steps, dOptimizer: { learningRate: 1e-2 }, gOptimizer: { learningRate: 1e-2 } });
    // A learner's experiments: D's weights scaled inside a callback and between two calls. The worker
    // replicas must see both (ReplicaPool sends a model's weights only when it knows they changed;
    // D's last changed before G's update, which sent them).
    await trainer.train(3, { progress: "none", every: 2, onStep: (t) => scale(t.gan.discriminator, 0.5) });
    scale(gan.discriminator, 0.9);
    await trainer.train(2, { progress: "none" });
    const weights = [...gan.generator.getWeights(), ...gan.discriminator.getWeights()].map((w) => Array.from(w.dataSync()));
    const history = trainer.history.map(({ seconds: _, ...row }) => row);
    trainer.dispose();
    return { weights, history };
  };
  for (const steps of [{}, { dSteps: 2, unrolledSteps: 2 }]) {
    const one = await run(1, steps);
    const two = await run(2, steps);
    const what = JSON.stringify(steps);
    one.weights.forEach((w, i) => w.forEach((x, j) => assert.ok(Math.abs(x - two.weights[i][j]) <= 1e-5, `${what} weight ${i}[${j}]: ${x} vs ${two.weights[i][j]}`)));
    one.history.forEach((row, i) => {
      for (const key of ["dLoss", "gLoss"] as const) assert.ok(Math.abs(row[key] - two.history[i][key]) < 1e-5, `${what} step ${row.step} ${key}: ${row[key]} vs ${two.history[i][key]}`);
    });
  }
  data.dispose();
});

test("a conditional ACGAN and a PacGAN train on two threads; no tensor leaks over steps", async () => {
  await gb.ready();
  const images = tf.tidy(() => tf.tanh(tf.randomNormal([40, 28, 28, 1], 0, 1, "float32", 4)));
  const labels = Array.from({ length: 40 }, (_, i) => i % 10);
  const recipe = gb.acgan(0, 2);
  const trainer = new gb.GanTrainer({ gan: recipe.gan, data: images, labels, ...recipe.options, batchSize: 8, threads: 2 });
  await trainer.train(1, { progress: "none" });
  const before = tf.memory().numTensors;
  await trainer.train(2, { progress: "none" });
  assert.equal(tf.memory().numTensors, before, "two more steps leave no tensor behind");
  assert.ok(trainer.history.every((r) => Number.isFinite(r.dLoss) && Number.isFinite(r.gLoss)));
  trainer.dispose();

  const pac = tinyConvGan(2);
  const packed: gb.Gan = {
    ...pac,
    prepare: gb.packSamples(2),
    discriminator: tf.sequential({ layers: [tf.layers.dense({ inputShape: [128], units: 1 })] }),
  };
  // The pack view flattens pairs of 8x8 samples: D takes [N/2, 128]; parts must hold whole pairs.
  const t2 = new gb.GanTrainer({ gan: packed, data: tinyData(), batchSize: 6, threads: 2 });
  assert.equal(t2.threads, 2);
  await t2.train(2, { progress: "none" });
  assert.ok(Number.isFinite(t2.history.at(-1)!.dLoss));
  t2.dispose();
  images.dispose();
});

test("a worker's failure reaches the caller with its message", async () => {
  await gb.ready();
  const gan = tinyConvGan(3);
  const pool = await gb.ReplicaPool.start(gan, 1, { loss: "non-saturating" });
  // Noise of the wrong size for the replica's latent space (3 numbers for 2 samples of 4).
  await assert.rejects(pool.gradients("generator", gan, [{ count: 2, noise: new Float32Array(3) }]), /A training worker thread failed: .*size|shape/i);
  await pool.dispose();
  await assert.rejects(pool.gradients("generator", gan, [{ count: 1, noise: new Float32Array(4) }]), /stopped/);
});

test("a script that trains on two threads exits when done, without disposing the trainer", () => {
  const code = `
    const gb = require("ganbook");
    const { tf } = gb;
    (async () => {
      await gb.ready();
      const g = tf.sequential({ layers: [tf.layers.dense({ inputShape: [2], units: 16 }), tf.layers.reshape({ targetShape: [4, 4, 1] })] });
      const d = tf.sequential({ layers: [tf.layers.conv2d({ inputShape: [4, 4, 1], filters: 2, kernelSize: 3 }), tf.layers.flatten(), tf.layers.dense({ units: 1 })] });
      const t = new gb.GanTrainer({ gan: { generator: g, discriminator: d, latentDim: 2 }, data: tf.zeros([8, 4, 4, 1]), batchSize: 4, threads: 2 });
      await t.train(2, { progress: "none" });
      console.log("trained", t.threads, t.step);
    })();`;
  const started = Date.now();
  const r = runNode(code);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /trained 2 2/);
  assert.ok(Date.now() - started < 60_000);
});
