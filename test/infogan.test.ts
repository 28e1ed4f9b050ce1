// InfoGAN (latent-code.ts, gan.ts): the discrete code G's noise carries, the layer that turns it
// into a one-hot choice, the losses that teach D to read it back, and the trainer's checks.
import { before, test } from "node:test";
import * as assert from "node:assert/strict";
import * as path from "node:path";
import { tempDir } from "./helpers";
import { ready, tf } from "../lib/src/index";
import { discriminatorStep, generatorStep, noiseCodes, splitOutput, type Gan } from "../lib/src/gan";
import { readCheckpoint, writeCheckpoint } from "../lib/src/checkpoint";
import { LatentCode, latentCodes, normalQuantile } from "../lib/src/latent-code";
import { buildDcganDiscriminator, buildDcganGenerator } from "../lib/src/models";
import { codeGrid, sampleNoise } from "../lib/src/sampling";
import { GanTrainer } from "../lib/src/train";

before(() => ready());

test("normalQuantile inverts the normal's CDF at known points", () => {
  assert.ok(Math.abs(normalQuantile(0.5)) < 1e-6);
  assert.ok(Math.abs(normalQuantile(0.975) - 1.959964) < 1e-5);
  assert.ok(Math.abs(normalQuantile(0.1) + 1.281552) < 1e-5);
  assert.throws(() => normalQuantile(1), /between 0 and 1/);
});

test("latentCodes: z[:, 0] between the c/k and (c+1)/k quantiles is code c; the codes are equally likely", () => {
  // k = 4: the bounds are the quartiles -0.674, 0, 0.674
  const z = tf.tensor2d([[-2, 5], [-0.5, 5], [0.1, 5], [1.5, 5]]);
  assert.deepEqual(Array.from(tf.argMax(latentCodes(z, 4), 1).dataSync()), [0, 1, 2, 3]);
  const counts = latentCodes(sampleNoise(20_000, 3, 1), 10).sum(0).dataSync();
  for (const c of counts) assert.ok(Math.abs(c / 20_000 - 0.1) < 0.01, `share ${c / 20_000}`);
  assert.throws(() => latentCodes(z, 1), /codes must be an integer >= 2/);
});

test("LatentCode: [N, d] -> [N, k + d - 1], the code then the other noise numbers; it survives a save and load", async () => {
  const g = buildDcganGenerator({ latentDim: 5, width: 8, latentCodes: 3, seed: 1 });
  assert.ok(g.layers[0] instanceof LatentCode);
  const z = tf.tensor2d([[2, 0.1, 0.2, 0.3, 0.4]]);
  assert.deepEqual(Array.from((g.layers[0].apply(z) as tf.Tensor).dataSync()).map((v) => Number(v.toFixed(3))), [0, 0, 1, 0.1, 0.2, 0.3, 0.4]);
  const dir = path.join(tempDir("latent-code"), "ckpt");
  await writeCheckpoint(dir, { models: { generator: g }, state: {} });
  const loaded = (await readCheckpoint(dir)).models.generator;
  const zs = sampleNoise(4, 5, 2);
  assert.deepEqual(Array.from((loaded.predict(zs) as tf.Tensor).dataSync()), Array.from((g.predict(zs) as tf.Tensor).dataSync()));
});

function tinyInfoGan(weight = 1): Gan {
  return {
    generator: buildDcganGenerator({ latentDim: 4, width: 4, latentCodes: 3, seed: 1 }),
    discriminator: buildDcganDiscriminator({ width: 4, outputs: 4, seed: 2 }),
    latentDim: 4,
    infoCode: { codes: 3, weight },
  };
}

test("InfoGAN: the code loss is D's cross-entropy on G's samples against their noise's codes, times the weight", () => {
  const z = tf.tensor2d([[-2, 0, 0, 0], [2, 0, 0, 0]]); // codes 0 and 2
  assert.deepEqual(Array.from(noiseCodes(tinyInfoGan(), z)!.dataSync()), [1, 0, 0, 0, 0, 1]);
  assert.equal(noiseCodes({ ...tinyInfoGan(), infoCode: undefined }, z), undefined);
  // output [logit, code logits 0, ln 3, 0]: softmax of the codes [1/5, 3/5, 1/5]
  const out = tf.tensor2d([[0.5, 0, Math.log(3), 0]]);
  const { logits, classLoss } = splitOutput(tinyInfoGan(0.5), out, tf.tensor2d([[0, 1, 0]]));
  assert.deepEqual(Array.from(logits.dataSync()), [0.5]);
  assert.ok(Math.abs(classLoss!.dataSync()[0] - 0.5 * -Math.log(0.6)) < 1e-6);
});

test("InfoGAN: the code's loss adds to D's; D's step changes only D, code head included; G's step only G; no leak", () => {
  const real = tf.randomUniform([6, 28, 28, 1], -1, 1, "float32", 1);
  const z = tf.randomNormal([6, 4], 0, 1, "float32", 2);
  const snapshot = (m: tf.LayersModel) => m.trainableWeights.map((w) => Array.from(w.read().dataSync()));
  const dLoss = (weight: number) => {
    const gan = tinyInfoGan(weight);
    const loss = discriminatorStep(gan, tf.train.sgd(0), real, z).dLoss;
    gan.generator.dispose();
    gan.discriminator.dispose();
    return loss;
  };
  const [plain, coded] = [dLoss(0), dLoss(1)];
  assert.ok(coded > plain + 0.5, `the code's cross-entropy (about ln 3) adds to D's loss: ${plain} -> ${coded}`);
  const gan = tinyInfoGan();
  const opt = tf.train.sgd(0.05);
  discriminatorStep(gan, opt, real, z);
  generatorStep(gan, opt, z);
  const before = tf.memory().numTensors;
  const [g0, d0] = [snapshot(gan.generator), snapshot(gan.discriminator)];
  discriminatorStep(gan, opt, real, z);
  assert.deepEqual(snapshot(gan.generator), g0);
  const d1 = snapshot(gan.discriminator);
  const dense = d1.length - 2; // the last dense kernel [features, 1 + codes]
  assert.notDeepEqual(d1[dense], d0[dense]);
  generatorStep(gan, opt, z);
  assert.deepEqual(snapshot(gan.discriminator), d1);
  assert.notDeepEqual(snapshot(gan.generator), g0);
  assert.equal(tf.memory().numTensors, before);
  tf.dispose([real, z]);
});

test("InfoGAN: bad setups are clear errors; a trainer saves the code and resumes with it", async () => {
  const data = tf.randomUniform([8, 28, 28, 1], -1, 1, "float32", 3);
  const gan = tinyInfoGan();
  const plainG = buildDcganGenerator({ latentDim: 4, width: 4, seed: 1 });
  assert.throws(() => new GanTrainer({ gan: { ...gan, generator: plainG }, data, batchSize: 4 }), /carries no code: build it with buildDcganGenerator\(\{ latentCodes: 3 \}\)/);
  assert.throws(() => new GanTrainer({ gan: { ...gan, infoCode: { codes: 3, weight: -1 } }, data, batchSize: 4 }), /weight must be a number >= 0/);
  assert.throws(() => new GanTrainer({ gan, data, batchSize: 4, loss: "wgan-gp" }), /wgan-gp is not supported for an InfoGAN/);
  const plainD = buildDcganDiscriminator({ width: 4, seed: 2 });
  assert.throws(() => new GanTrainer({ gan: { ...gan, discriminator: plainD }, data, batchSize: 4 }), /InfoGAN's discriminator must output a real\/fake logit and 3 code logits/);
  const trainer = new GanTrainer({ gan, data, batchSize: 4, threads: 1 });
  await trainer.train(2, { progress: "none" });
  const dir = path.join(tempDir("infogan"), "ckpt");
  await trainer.save(dir);
  const resumed = await GanTrainer.load(dir, data, { threads: 1 });
  assert.deepEqual(resumed.gan.infoCode, { codes: 3, weight: 1 });
  await resumed.train(1, { progress: "none" });
  assert.equal(resumed.step, 3);
  trainer.dispose();
  resumed.dispose();
  data.dispose();
});

test("codeGrid: row c draws code c for every column's style; a GAN without a code is a clear error", () => {
  const gan = tinyInfoGan();
  const noise = sampleNoise(2, 4, 5);
  const grid = codeGrid(gan, noise);
  assert.deepEqual(grid.shape, [6, 28, 28, 1]);
  // the same images as G given noise whose first number is the middle of each code's range
  const middles = [normalQuantile(1 / 6), 0, normalQuantile(5 / 6)];
  const rows = middles.flatMap((m) => [0, 1].map((c) => [m, ...Array.from(noise.dataSync().slice(c * 4 + 1, c * 4 + 4))]));
  const expected = gan.generator.predict(tf.tensor2d(rows)) as tf.Tensor;
  assert.ok(tf.max(tf.abs(tf.sub(grid, expected))).dataSync()[0] < 1e-5);
  assert.deepEqual(Array.from(tf.argMax(latentCodes(tf.tensor2d(rows), 3), 1).dataSync()), [0, 0, 1, 1, 2, 2]);
  assert.throws(() => codeGrid({ ...gan, infoCode: undefined }, noise), /codeGrid needs an InfoGAN/);
});
