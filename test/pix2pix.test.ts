// pix2pix (chapter 08): the completion task's inputs, the U-Net's and PatchGAN's shapes, the losses by
// hand, which weights a step changes, seeded repeatability, no tensor leaks, sharpness by hand, bad input.
import { before, test } from "node:test";
import * as assert from "node:assert/strict";
import { ready, tf } from "../lib/src/index";
import { buildPatchDiscriminator, buildUnet, completionReport, digitCompletion, hideLowerRows, HIDDEN, pix2pixGeneratorLoss, sharpness, type Pix2Pix } from "../lib/src/pix2pix";
import { Pix2PixTrainer } from "../lib/src/pix2pix-trainer";
import type { Evaluator } from "../lib/src/evaluator";

before(() => ready());

const close = (a: number, b: number, eps = 1e-5) => assert.ok(Math.abs(a - b) < eps, `${a} != ${b}`);

/** n seeded images [n, 8, 8, c] in [-1, 1]. */
const images = (n: number, seed: number, c = 1) => tf.randomUniform([n, 8, 8, c], -1, 1, "float32", seed) as tf.Tensor4D;
const tiny = (seed = 0, adversarial = true, c = 1): Pix2Pix => ({
  generator: buildUnet({ size: 8, channels: c, width: 4, seed: seed + 1 }),
  discriminator: adversarial ? buildPatchDiscriminator({ size: 8, channels: c, width: 4, seed: seed + 2 }) : undefined,
});
const weights = (m: tf.LayersModel) => m.getWeights().map((w) => Array.from(w.dataSync()));
const changed = (a: number[][], b: number[][]) => a.some((w, i) => w.some((v, j) => v !== b[i][j]));

test("hideLowerRows greys out the last rows and keeps the rest; bad row counts are clear errors", () => {
  const x = tf.tensor4d(Array.from({ length: 16 }, (_, i) => i / 16), [1, 4, 4, 1]);
  const hidden = hideLowerRows(x, 1);
  const v = hidden.dataSync();
  assert.deepEqual(Array.from(v.slice(0, 12)), Array.from(x.dataSync().slice(0, 12)));
  assert.deepEqual(Array.from(v.slice(12)), [HIDDEN, HIDDEN, HIDDEN, HIDDEN]);
  assert.deepEqual(hideLowerRows(x).dataSync().slice(8), new Float32Array(8).fill(HIDDEN), "default: the lower half");
  assert.throws(() => hideLowerRows(x, 4), /rows must be an integer from 1 to 3; got 4/);
  assert.throws(() => hideLowerRows(x, 0), /rows must be an integer from 1 to 3/);
  tf.dispose([x, hidden]);
});

test("the U-Net maps [N, s, s, c] to the same shape in [-1, 1]; the PatchGAN gives one logit per patch, [N, s/4, s/4, 1]", () => {
  for (const [size, c] of [[8, 1], [28, 1], [32, 3]] as const) {
    const g = buildUnet({ size, channels: c, width: 4 });
    const d = buildPatchDiscriminator({ size, channels: c, width: 4 });
    const x = tf.randomUniform([2, size, size, c], -1, 1, "float32", 1);
    const y = g.predict(x) as tf.Tensor;
    assert.deepEqual(y.shape, [2, size, size, c]);
    assert.ok(tf.max(tf.abs(y)).dataSync()[0] <= 1);
    const logits = d.predict([x, y]) as tf.Tensor;
    assert.deepEqual(logits.shape, [2, size / 4, size / 4, 1]);
    tf.dispose([x, y, logits]);
    g.dispose();
    d.dispose();
  }
  assert.throws(() => buildUnet({ size: 30 }), /size must be a multiple of 4 \(at least 8\); got 30/);
  assert.throws(() => buildPatchDiscriminator({ width: 0 }), /width must be a positive integer; got 0/);
  const a = weights(buildUnet({ size: 8, width: 4, seed: 3 }));
  assert.deepEqual(a, weights(buildUnet({ size: 8, width: 4, seed: 3 })), "seeded: the same weights");
  assert.ok(changed(a, weights(buildUnet({ size: 8, width: 4, seed: 4 }))), "another seed, other weights");
});

test("G's loss is the adversarial term plus λ times the mean |G(x) - y|; without D it is λ L1 alone", () => {
  const model = tiny();
  const x = images(4, 1);
  const y = images(4, 2);
  const withD = pix2pixGeneratorLoss(model, x, y, 10);
  // The same G output (training mode, batch statistics) computed here, and its L1 by hand.
  const out = model.generator.apply(x, { training: true }) as tf.Tensor;
  const l1 = tf.mean(tf.abs(tf.sub(out, y))).dataSync()[0];
  close(withD.l1.dataSync()[0], l1);
  close(withD.loss.dataSync()[0], withD.adversarial.dataSync()[0] + 10 * l1, 1e-4);
  const alone = pix2pixGeneratorLoss({ generator: model.generator }, x, y, 3);
  close(alone.adversarial.dataSync()[0], 0);
  close(alone.loss.dataSync()[0], 3 * l1, 1e-4);
  tf.dispose([x, y, out, withD.loss, withD.adversarial, withD.l1, alone.loss, alone.adversarial, alone.l1]);
});

test("a pix2pix step moves G's and D's weights; an L1-only step moves G's; seeded runs repeat; nothing leaks", async () => {
  const x = images(8, 3);
  const y = images(8, 4);
  const model = tiny();
  const trainer = new Pix2PixTrainer(model, x, y, { batchSize: 4, seed: 5, threads: 1 });
  const [g0, d0] = [weights(model.generator), weights(model.discriminator!)];
  await trainer.trainStep(); // creates the optimizers' slots
  assert.ok(changed(g0, weights(model.generator)), "G changed");
  assert.ok(changed(d0, weights(model.discriminator!)), "D changed");
  const before = tf.memory().numTensors;
  const row = await trainer.trainStep();
  assert.equal(tf.memory().numTensors, before, "no tensor leaks per step");
  assert.equal(row.step, 2);
  assert.ok([row.dLoss, row.gAdversarial, row.l1].every((v) => Number.isFinite(v) && v > 0));

  const again = new Pix2PixTrainer(tiny(), x, y, { batchSize: 4, seed: 5, threads: 1 });
  await again.trainStep();
  assert.deepEqual(await again.trainStep(), row, "the same seeds give the same losses");

  const plain = tiny(0, false);
  const l1Trainer = new Pix2PixTrainer(plain, x, y, { batchSize: 4, threads: 1 });
  const gPlain = weights(plain.generator);
  const l1Row = await l1Trainer.trainStep();
  assert.ok(changed(gPlain, weights(plain.generator)));
  assert.equal(l1Row.dLoss, 0);
  assert.equal(l1Row.gAdversarial, 0);
  tf.dispose([x, y]);
});

test("a layer frozen after the first step is a clear error before the next, with the weights kept", async () => {
  const [x, y] = [images(8, 3), images(8, 4)];
  const model = tiny();
  const trainer = new Pix2PixTrainer(model, x, y, { batchSize: 4, seed: 5, threads: 1 });
  await trainer.trainStep();
  const layer = model.generator.layers.find((l) => l.trainableWeights.length > 0)!;
  layer.trainable = false;
  const kept = [weights(model.generator), weights(model.discriminator!)];
  await assert.rejects(trainer.trainStep(), /The generator's trainable weights changed after training began \(\d+ then, \d+ now/);
  assert.deepEqual([weights(model.generator), weights(model.discriminator!)], kept, "no update ran");
  layer.trainable = true;
  assert.equal((await trainer.trainStep()).step, 2);
  tf.dispose([x, y]);
});

test("train runs the steps, calls onStep, stops when asked, and learns: L1 falls on a fixed batch", async () => {
  const x = images(8, 6);
  const y = images(8, 7);
  const trainer = new Pix2PixTrainer(tiny(0, false), x, y, { batchSize: 8, optimizer: { learningRate: 1e-2 }, threads: 1 });
  const seen: number[] = [];
  const result = await trainer.train(30, { progress: "none", every: 10, onStep: (t) => void seen.push(t.step) });
  assert.deepEqual(seen, [10, 20, 30]);
  assert.deepEqual([result.steps, result.step, result.stopped], [30, 30, false]);
  assert.ok(trainer.history.at(-1)!.l1 < 0.7 * trainer.history[0].l1, `L1 ${trainer.history[0].l1} -> ${trainer.history.at(-1)!.l1}`);
  const stopped = await trainer.train(10, { progress: "none", every: 2, onStep: (t) => t.stop() });
  assert.deepEqual([stopped.steps, stopped.step, stopped.stopped], [2, 32, true]); // this call ran 2 of its 10
  await assert.rejects(trainer.train(0), /steps must be a positive integer; got 0/);
  tf.dispose([x, y]);
});

test("the trainer refuses mismatched pairs, images of the wrong size, fewer pairs than a batch, a negative λ", () => {
  const x = images(8, 1);
  assert.throws(() => new Pix2PixTrainer(tiny(), x, images(7, 2)), /inputs \[8,8,8,1\] and targets \[7,8,8,1\] must have the same shape/);
  const big = tf.zeros([8, 12, 12, 1]) as tf.Tensor4D;
  assert.throws(() => new Pix2PixTrainer(tiny(), big, big), /the generator takes images \[8,8,1\]; the inputs are \[12,12,1\]/);
  assert.throws(() => new Pix2PixTrainer(tiny(), x, x), /8 pairs are fewer than one batch \(64\)/);
  assert.throws(() => new Pix2PixTrainer(tiny(), x, x, { batchSize: 4, l1Weight: -1 }), /l1Weight must be at least 0/);
  tf.dispose([x, big]);
});

/** A pix2pix pair of models without batch norm: split over threads, its gradients are the whole batch's. */
function withoutBatchNorm(seed: number): Pix2Pix {
  const init = (i: number) => tf.initializers.glorotUniform({ seed: seed * 10 + i });
  const generator = tf.sequential({ layers: [tf.layers.conv2d({ inputShape: [8, 8, 1], filters: 4, kernelSize: 3, padding: "same", activation: "relu", kernelInitializer: init(0) }), tf.layers.conv2d({ filters: 1, kernelSize: 3, padding: "same", activation: "tanh", kernelInitializer: init(1) })] });
  const [x, y] = [tf.input({ shape: [8, 8, 1] }), tf.input({ shape: [8, 8, 1] })];
  let h = tf.layers.concatenate().apply([x, y]) as tf.SymbolicTensor;
  h = tf.layers.conv2d({ filters: 4, kernelSize: 4, strides: 2, padding: "same", activation: "relu", kernelInitializer: init(2) }).apply(h) as tf.SymbolicTensor;
  h = tf.layers.conv2d({ filters: 1, kernelSize: 3, padding: "same", kernelInitializer: init(3) }).apply(h) as tf.SymbolicTensor;
  return { generator, discriminator: tf.model({ inputs: [x, y], outputs: h }) };
}

test("on two threads (worker replicas) a model without batch norm trains as on one, within float tolerance; seeded runs repeat", async () => {
  const x = images(16, 8);
  const y = images(16, 9);
  const run = async (threads: number) => {
    const model = withoutBatchNorm(3);
    const trainer = new Pix2PixTrainer(model, x, y, { batchSize: 8, seed: 2, l1Weight: 10, threads });
    for (let i = 0; i < 3; i++) await trainer.trainStep();
    // Weights set between steps (and during a train call's callback) reach the worker replicas.
    const halved = model.discriminator!.getWeights().map((w) => tf.mul(w, 0.5));
    model.discriminator!.setWeights(halved);
    tf.dispose(halved);
    await trainer.trainStep();
    await trainer.train(2, { progress: "none", every: 1, onStep: (t) => {
      const scaled = t.model.discriminator!.getWeights().map((w) => tf.mul(w, 0.9));
      t.model.discriminator!.setWeights(scaled);
      tf.dispose(scaled);
    } });
    trainer.dispose();
    return { rows: trainer.history, threads: trainer.threads, g: weights(model.generator), d: weights(model.discriminator!) };
  };
  const one = await run(1);
  const two = await run(2);
  assert.deepEqual([one.threads, two.threads], [1, 2]);
  for (const [i, row] of one.rows.entries()) for (const k of ["dLoss", "gAdversarial", "l1"] as const) close(two.rows[i][k], row[k], 1e-5);
  for (const [a, b] of [[one.g, two.g], [one.d, two.d]]) a.forEach((w, i) => w.forEach((v, j) => close(b[i][j], v, 1e-5)));
  const again = await run(2);
  assert.deepEqual(again.rows, two.rows, "two threads, the same seed: the same numbers");
  const bnModel = tiny();
  const before = tf.memory().numTensors;
  const bn = new Pix2PixTrainer(bnModel, x, y, { batchSize: 8, threads: 2 });
  await bn.trainStep();
  await bn.trainStep();
  bn.dispose();
  assert.equal(tf.memory().numTensors, before, "no leaks: the optimizers' slots, made by the steps, go with dispose()");
  tf.dispose([x, y]);
});

test("sharpness is the mean absolute 3x3 Laplacian (by hand on a dot), over the last rows when asked", () => {
  // One bright pixel in a 3x3 image of zeros: -4 at it, 1 at its 4 neighbours, 0 at the corners
  // (their neighbours outside the image repeat the border: zeros).
  const dot = tf.tensor4d([0, 0, 0, 0, 1, 0, 0, 0, 0], [1, 3, 3, 1]);
  close(sharpness(dot), 8 / 9);
  close(sharpness(dot, 1), 1 / 3, 1e-6); // the last row: 0, 1, 0
  const flat = tf.fill([2, 5, 5, 3], 0.3) as tf.Tensor4D;
  close(sharpness(tf.pad(flat, [[0, 0], [1, 1], [1, 1], [0, 0]], 0.3) as tf.Tensor4D), 0, 1e-6);
  tf.dispose([dot, flat]);
});

test("completionReport: the evaluator's accuracy against the labels, L1 and sharpness in the hidden rows", () => {
  // A stand-in evaluator that reads every image as a 3.
  const evaluator = { probabilities: (x: tf.Tensor4D) => tf.oneHot(tf.fill([x.shape[0]], 3, "int32") as tf.Tensor1D, 10).toFloat() } as unknown as Evaluator;
  const targets = tf.fill([4, 4, 4, 1], -1) as tf.Tensor4D;
  const outputs = tf.concat([targets.slice([0, 0, 0, 0], [4, 3, 4, 1]), tf.fill([4, 1, 4, 1], 0)], 1) as tf.Tensor4D;
  const report = completionReport(evaluator, outputs, targets, [3, 3, 1, 2], 1);
  close(report.accuracy, 0.5);
  close(report.l1, 1);
  close(report.sharpness, sharpness(outputs, 1));
  tf.dispose([targets, outputs]);
});

test("digitCompletion: chapter 08's recipe, with and without the discriminator, the same U-Net", () => {
  const a = digitCompletion(0, true, 7);
  const b = digitCompletion(0, false);
  assert.equal(a.steps, 7);
  assert.ok(a.model.discriminator && !b.model.discriminator);
  assert.deepEqual(weights(a.model.generator), weights(b.model.generator), "both start from the same generator");
  assert.equal(a.options.l1Weight, 10);
});
