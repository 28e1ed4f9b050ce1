// The code chapters teach with, checked against an independent computation: backprop by hand
// against tf.grad (chapter 02), nearest neighbours against brute force (03, 07), latent
// interpolation and directions (04), per-class sampling and grids (06), and every builder's
// output shape (tfjs-examples' gan_test.js checks [null, 28, 28, 1] the same way).
import { test } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import * as gb from "../lib/src/index";

test("backpropByHand gives tf.grad's gradients for a 2-2-1 sigmoid net (chapter 02)", async () => {
  await gb.ready();
  const net: gb.TinyNet = { W1: [[0.3, -0.8], [0.5, 0.2]], b1: [0.1, -0.4], W2: [0.7, -1.1], b2: 0.25 };
  const x: [number, number] = [0.9, -0.3];
  const y = 1;
  const hand = gb.backpropByHand(net, x, y);
  const cost = (W1: tf.Tensor, b1: tf.Tensor, W2: tf.Tensor, b2: tf.Tensor) =>
    tf.tidy(() => {
      const h = tf.sigmoid(tf.add(tf.matMul(tf.tensor2d([x]), W1), b1)); // [1, 2]
      const yHat = tf.sigmoid(tf.add(tf.matMul(h, tf.reshape(W2, [2, 1])), b2)); // [1, 1]
      return tf.mul(0.5, tf.sum(tf.square(tf.sub(yHat, y))));
    });
  const inputs = [tf.tensor2d(net.W1), tf.tensor1d(net.b1), tf.tensor1d(net.W2), tf.scalar(net.b2)];
  const [dW1, dB1, dW2, dB2] = tf.grads(cost)(inputs).map((g) => Array.from(g.dataSync()));
  const close = (a: number[], b: number[], what: string) => a.forEach((v, i) => assert.ok(Math.abs(v - b[i]) < 1e-6, `${what}[${i}]: ${v} vs ${b[i]}`));
  close(hand.backward.dW1.flat(), dW1, "dW1");
  close(hand.backward.dB1, dB1, "dB1");
  close(hand.backward.dW2, dW2, "dW2");
  close([hand.backward.dB2], dB2, "dB2");
  assert.ok(Math.abs(hand.forward.cost - cost(inputs[0], inputs[1], inputs[2], inputs[3]).dataSync()[0]) < 1e-6, "the same cost");
  tf.dispose(inputs);
});

test("nearestNeighbors finds what brute force finds, across chunk boundaries", async () => {
  await gb.ready();
  const data = tf.randomNormal([23, 3, 2], 0, 1, "float32", 1);
  const queries = tf.randomNormal([7, 3, 2], 0, 1, "float32", 2);
  const { indices, distances } = gb.nearestNeighbors(queries, data, 5); // 5 chunks of at most 5
  const d = data.reshape([23, 6]).arraySync() as number[][];
  const q = queries.reshape([7, 6]).arraySync() as number[][];
  q.forEach((row, i) => {
    const squared = d.map((other) => other.reduce((s, v, k) => s + (v - row[k]) ** 2, 0));
    const best = squared.indexOf(Math.min(...squared));
    assert.equal(indices[i], best, `query ${i}`);
    assert.ok(Math.abs(distances[i] - Math.sqrt(squared[best])) < 1e-3, `query ${i}: Euclidean distance ${distances[i]} vs ${Math.sqrt(squared[best])}`);
  });
  // A point of the data is its own nearest neighbour.
  const own = gb.nearestNeighbors(data.slice(4, 3), data, 10);
  assert.deepEqual(Array.from(own.indices), [4, 5, 6]);
  tf.dispose([data, queries]);
});

test("interpolateLatent starts and ends at its endpoints; slerp keeps the norm between them, linear shrinks it", async () => {
  await gb.ready();
  const z0 = gb.sampleNoise(1, 64, 3);
  const z1 = gb.sampleNoise(1, 64, 4);
  for (const mode of ["slerp", "linear"] as const) {
    const path = gb.interpolateLatent(z0, z1, 9, mode);
    assert.deepEqual(path.shape, [9, 64]);
    const rows = path.arraySync();
    const [a, b] = [z0.arraySync()[0], z1.arraySync()[0]];
    rows[0].forEach((v, i) => assert.ok(Math.abs(v - a[i]) < 1e-4, `${mode}: first row is z0`));
    rows[8].forEach((v, i) => assert.ok(Math.abs(v - b[i]) < 1e-4, `${mode}: last row is z1`));
    const norms = rows.map((r) => Math.hypot(...r));
    const [n0, n1] = [Math.hypot(...a), Math.hypot(...b)];
    const middle = norms[4];
    if (mode === "slerp") assert.ok(middle > Math.min(n0, n1) - 1e-3 && middle < Math.max(n0, n1) + 1e-3, `slerp keeps the norm: ${middle} between ${n0} and ${n1}`);
    else assert.ok(middle < 0.85 * Math.min(n0, n1), `linear shrinks the norm of two near-orthogonal vectors: ${middle} vs ${n0}, ${n1}`);
    path.dispose();
  }
  tf.dispose([z0, z1]);
});

test("latentDirection recovers the direction a synthetic generator's property follows", async () => {
  await gb.ready();
  // A "generator" whose sample's ink is w·z for a known w: the direction found must point along w.
  const w = tf.tidy(() => tf.div(tf.range(1, 17), tf.norm(tf.range(1, 17)))); // [16], unit
  const z = gb.sampleNoise(2000, 16, 5);
  const ink = tf.tidy(() => tf.sum(tf.mul(z, w), 1).dataSync() as Float32Array);
  const direction = gb.latentDirection(z, ink, 0.2);
  const cosine = tf.tidy(() => tf.div(tf.sum(tf.mul(direction.reshape([16]), w)), tf.norm(direction)).dataSync()[0]);
  assert.ok(cosine > 0.95, `cosine with the true direction: ${cosine}`);
  tf.dispose([w, z, direction]);
});

test("sampleByClass asks for classes in turn and classGrid holds a style per column (chapter 06)", async () => {
  await gb.ready();
  const gan: gb.Gan = { generator: gb.buildConditionalGenerator({ latentDim: 8, width: 4, classes: 3, seed: 1 }), discriminator: gb.buildConditionalDiscriminator({ width: 4, classes: 3, seed: 2 }), latentDim: 8, classes: 3 };
  const { samples, requested } = gb.sampleByClass(gan, 7, 9);
  assert.deepEqual(Array.from(requested), [0, 1, 2, 0, 1, 2, 0]);
  assert.deepEqual(samples.shape, [7, 28, 28, 1]);
  const noise = gb.sampleNoise(4, 8, 10);
  const grid = gb.classGrid(gan, noise);
  assert.deepEqual(grid.shape, [12, 28, 28, 1], "3 rows of 4");
  // Row 1, column 2 is G(noise[2], class 1).
  const one = tf.tidy(() => gb.generate(gan, noise.slice(2, 1), tf.oneHot(tf.tensor1d([1], "int32"), 3).toFloat(), false));
  const cell = grid.slice(4 + 2, 1);
  assert.ok(tf.tidy(() => tf.max(tf.abs(tf.sub(cell, one))).dataSync()[0]) < 1e-5);
  assert.throws(() => gb.sampleByClass({ ...gan, classes: undefined }, 2), /needs a conditional GAN/);
  tf.dispose([samples, noise, grid, one, cell]);
});

test("every builder outputs the shape it promises", async () => {
  await gb.ready();
  const shape = (m: tf.LayersModel) => m.outputs.map((o) => o.shape);
  assert.deepEqual(shape(gb.buildDcganGenerator({ latentDim: 16, width: 8 })), [[null, 28, 28, 1]]);
  assert.deepEqual(shape(gb.buildDcganDiscriminator({ width: 8 })), [[null, 1]]);
  assert.deepEqual(shape(gb.buildTfTutorialGenerator()), [[null, 28, 28, 1]]);
  assert.deepEqual(shape(gb.buildTfTutorialDiscriminator()), [[null, 1]]);
  assert.deepEqual(shape(gb.buildConditionalGenerator({ latentDim: 16, width: 8, classes: 10 })), [[null, 28, 28, 1]]);
  assert.deepEqual(shape(gb.buildConditionalDiscriminator({ width: 8, classes: 10 })), [[null, 1]]);
  assert.deepEqual(shape(gb.buildAcganDiscriminator({ width: 8, classes: 10 })), [[null, 11]], "real/fake logit and 10 class logits");
  assert.deepEqual(shape(gb.buildMlpGenerator({ latentDim: 4, dataShape: [28, 28, 1], hidden: [8], outputActivation: "tanh" })), [[null, 28, 28, 1]]);
  assert.deepEqual(shape(gb.buildMlpDiscriminator({ dataShape: [2], hidden: [8] })), [[null, 1]]);
  assert.deepEqual(shape(gb.buildPerceptron({ inputs: 3 })), [[null, 1]]);
  for (const size of [32, 64] as const) {
    for (const channels of [1, 3]) {
      assert.deepEqual(shape(gb.buildDcganGenerator({ latentDim: 16, width: 8, size, channels })), [[null, size, size, channels]]);
      assert.deepEqual(gb.buildDcganDiscriminator({ width: 8, size, channels }).inputs[0].shape, [null, size, size, channels]);
    }
  }
  assert.deepEqual(shape(gb.buildConditionalGenerator({ latentDim: 16, width: 8, classes: 3, size: 32, channels: 3 })), [[null, 32, 32, 3]]);
  assert.deepEqual(gb.buildConditionalDiscriminator({ width: 8, classes: 3, size: 32, channels: 3 }).inputs.map((i) => i.shape), [[null, 32, 32, 3], [null, 3]]);
  assert.throws(() => gb.buildDcganGenerator({ size: 48 as 32 }), /buildDcganGenerator: size must be one of 28, 32, 64; got 48/);
  assert.throws(() => gb.buildDcganDiscriminator({ size: 16 as 32 }), /buildDcganDiscriminator: size must be one of 28, 32, 64/);
  // refine adds one 3x3 stride-1 conv per scale but the output's: same shapes, the default unchanged.
  for (const size of [28, 64] as const) {
    const [plainG, deepG] = [false, true].map((refine) => gb.buildDcganGenerator({ latentDim: 16, width: 8, size, refine }));
    const [plainD, deepD] = [false, true].map((refine) => gb.buildDcganDiscriminator({ width: 8, size, refine }));
    assert.deepEqual(shape(deepG), shape(plainG));
    assert.deepEqual(shape(deepD), shape(plainD));
    const convs = (m: tf.LayersModel) => m.layers.filter((l) => l.getClassName() === "Conv2D").length;
    const scales = size === 28 ? 2 : 4; // G: 7, 14 (or 4 to 32); D: one per stride-2 conv
    assert.equal(convs(deepG) - convs(plainG), scales, `G ${size}`);
    assert.equal(convs(deepD) - convs(plainD), scales, `D ${size}`);
    assert.deepEqual(gb.buildDcganGenerator({ latentDim: 16, width: 8, size }).getWeights().map((w) => w.shape), plainG.getWeights().map((w) => w.shape));
  }
  // And a batch through the DCGAN generator has that shape, in tanh's range.
  const g = gb.buildDcganGenerator({ latentDim: 16, width: 8 });
  const out = tf.tidy(() => g.predict(gb.sampleNoise(3, 16, 1)) as tf.Tensor);
  assert.deepEqual(out.shape, [3, 28, 28, 1]);
  const [lo, hi] = [tf.min(out).dataSync()[0], tf.max(out).dataSync()[0]];
  assert.ok(lo >= -1 && hi <= 1);
  out.dispose();
});

test("sampleGan samples G (a trainer's averaged G when it keeps one) from seeded noise, and sends conditional GANs to sampleByClass", async () => {
  await gb.ready();
  const gan: gb.Gan = { generator: gb.buildMlpGenerator({ latentDim: 3, dataShape: [2], hidden: [4], seed: 1 }), discriminator: gb.buildMlpDiscriminator({ dataShape: [2], hidden: [4], seed: 2 }), latentDim: 3 };
  const direct = tf.tidy(() => gan.generator.predict(gb.sampleNoise(5, 3, 7)) as tf.Tensor);
  const sampled = gb.sampleGan<tf.Tensor2D>(gan, 5, 7);
  assert.deepEqual(Array.from(sampled.dataSync()), Array.from(direct.dataSync()));
  const data = tf.randomNormal([32, 2], 0, 1, "float32", 3);
  const trainer = new gb.GanTrainer({ gan, data, batchSize: 8, generatorAverage: 0.9 });
  await trainer.train(3, { progress: "none" });
  const fromTrainer = gb.sampleGan<tf.Tensor2D>(trainer, 5, 7);
  const fromAverage = tf.tidy(() => trainer.averagedGenerator!.predict(gb.sampleNoise(5, 3, 7)) as tf.Tensor);
  assert.deepEqual(Array.from(fromTrainer.dataSync()), Array.from(fromAverage.dataSync()), "a trainer samples its averaged generator");
  assert.throws(() => gb.sampleGan({ ...gan, classes: 10 }, 2), /sampleByClass/);
  trainer.dispose();
  tf.dispose([direct, sampled, data, fromTrainer, fromAverage]);
});

test("the long-run recipes build the networks and schedules their comments describe", async () => {
  await gb.ready();
  const units = (m: tf.LayersModel) => m.layers.filter((l) => l.getClassName() === "Dense").map((l) => (l.getConfig() as { units: number }).units);
  const filters = (m: tf.LayersModel) => m.layers.filter((l) => l.getClassName().startsWith("Conv2D")).map((l) => (l.getConfig() as { filters: number }).filters);
  const dispose = (r: gb.Recipe) => [r.gan.generator, r.gan.discriminator].forEach((m) => m.dispose());

  // vanillaMnistWide: a third hidden layer of 1,024 units in G; D and optimizer as vanillaMnist, whose
  // rate stays at 1e-3 to the end, with both rates a tenth for the last fifth.
  const [mlp, wide] = [gb.vanillaMnist(0, 10_000), gb.vanillaMnistWide(0, 10_000)];
  assert.deepEqual(units(mlp.gan.generator), [256, 512, 784]);
  assert.deepEqual(units(wide.gan.generator), [256, 512, 1024, 784]);
  assert.deepEqual(units(wide.gan.discriminator), units(mlp.gan.discriminator));
  assert.deepEqual(mlp.options.learningRateDrops, []);
  assert.deepEqual(wide.options, { ...mlp.options, learningRateDrops: [{ step: 8000, factor: 0.1 }] });

  // acganDeep: refine in both networks (one more conv than acgan's per scale), the classifier
  // head, the averaged G, the given rate for both players, a tenth of it after 5/8 of the steps.
  const [acgan, deep] = [gb.acgan(0, 3000), gb.acganDeep(0, 3000, 5e-4)];
  assert.equal(deep.gan.auxiliaryClassifier, true);
  assert.equal(filters(deep.gan.generator).length, filters(acgan.gan.generator).length + 2);
  assert.equal(filters(deep.gan.discriminator).length, filters(acgan.gan.discriminator).length + 2);
  assert.deepEqual(deep.gan.discriminator.outputs[0].shape, [null, 11]);
  assert.equal(deep.options.generatorAverage, 0.999);
  assert.equal(deep.options.dOptimizer?.learningRate, 5e-4);
  assert.equal(deep.options.gOptimizer?.learningRate, 5e-4);
  assert.deepEqual(deep.options.learningRateDrops, [{ step: 1875, factor: 0.1 }]);

  // dcganDeepWideG: G's feature maps 1.5x dcganDeep's, D the same.
  const [narrow, wideG] = [gb.dcganDeep(0, 6000), gb.dcganDeepWideG(0, 6000)];
  assert.deepEqual(filters(wideG.gan.generator), filters(narrow.gan.generator).map((f, i, all) => (i === all.length - 1 ? f : f * 1.5)));
  assert.deepEqual(filters(wideG.gan.discriminator), filters(narrow.gan.discriminator));
  assert.deepEqual(wideG.options, narrow.options);

  // dcganLive (chapter 04): dcganDeep's networks and averaged G with the least-squares loss, Adam 1e-3 and no drop.
  const live = gb.dcganLive(0);
  assert.equal(live.steps, 600);
  assert.deepEqual(filters(live.gan.generator), filters(narrow.gan.generator));
  assert.deepEqual(filters(live.gan.discriminator), filters(narrow.gan.discriminator));
  const adam1e3 = { learningRate: 1e-3, beta1: 0.5 };
  assert.deepEqual(live.options, { ...narrow.options, loss: "least-squares", learningRateDrops: [], dOptimizer: adam1e3, gOptimizer: adam1e3 });

  // dcganLiveLong (dcgan-mnist until session 16): the live recipe with both rates a tenth for the last fifth.
  const [liveLong, liveLongWideG] = [gb.dcganLiveLong(0), gb.dcganLiveLong(0, 3000, 96)];
  assert.equal(liveLong.steps, 3000);
  assert.deepEqual(filters(liveLong.gan.generator), filters(live.gan.generator));
  assert.deepEqual(filters(liveLong.gan.discriminator), filters(live.gan.discriminator));
  assert.deepEqual(liveLong.options, { ...live.options, learningRateDrops: [{ step: 2400, factor: 0.1 }] });
  assert.deepEqual(filters(liveLongWideG.gan.generator), filters(wideG.gan.generator));
  assert.deepEqual(liveLongWideG.options, liveLong.options);
  // dcganLiveInfo: dcganLiveLong as an InfoGAN, G's first layer the code, D 10 more outputs.
  const info = gb.dcganLiveInfo(0, 5000);
  assert.deepEqual(info.gan.infoCode, { codes: 10, weight: 0.2 });
  assert.ok(info.gan.generator.layers[0] instanceof gb.LatentCode);
  assert.deepEqual(filters(info.gan.generator), filters(live.gan.generator));
  assert.deepEqual(info.gan.discriminator.outputs[0].shape, [null, 11]);
  assert.deepEqual(info.options, { ...live.options, learningRateDrops: [{ step: 4000, factor: 0.1 }] });
  [mlp, wide, acgan, deep, narrow, wideG, live, liveLong, liveLongWideG, info].forEach(dispose);
});
