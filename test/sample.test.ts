// npm run sample: IDX export of a checkpoint's samples, round-tripped through the IDX reader.
import { before, test } from "node:test";
import * as assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { ready, tf } from "../lib/src/index";
import { encodeIdx, loadMnist, readIdx } from "../lib/src/data";
import { writeCheckpoint } from "../lib/src/checkpoint";
import { buildMlpDiscriminator, buildMlpGenerator } from "../lib/src/models";
import { REPO, tempDir } from "./helpers";

before(() => ready());

const sample = (...args: string[]) =>
  spawnSync(process.execPath, ["--import", "tsx", path.join(REPO, "scripts", "sample.ts"), ...args], { cwd: REPO, encoding: "utf8", timeout: 120_000 });

test("sample export round-trips through the IDX reader, never overwrites without --force, and rejects bad arguments", async () => {
  const dir = tempDir();
  const ckpt = path.join(dir, "ckpt");
  const generator = buildMlpGenerator({ latentDim: 5, dataShape: [28, 28, 1], hidden: [8], outputActivation: "tanh", seed: 1 });
  const discriminator = buildMlpDiscriminator({ dataShape: [28, 28, 1], hidden: [8] });
  await writeCheckpoint(ckpt, { models: { generator, discriminator }, state: {} });
  const out = path.join(dir, "samples-images.idx");

  const r = sample("--checkpoint", ckpt, "--count", "37", "--out", out, "--seed", "4");
  assert.equal(r.status, 0, r.stderr);
  const idx = readIdx(out);
  assert.deepEqual(idx.dims, [37, 28, 28]);
  // the same images as the generator makes from the same seeded noise (tanh -> bytes)
  const expected = tf.tidy(() => {
    const z = tf.randomNormal([37, 5], 0, 1, "float32", 4000);
    return tf.clipByValue(tf.round(tf.mul(tf.add(generator.predict(z) as tf.Tensor, 1), 127.5)), 0, 255).dataSync();
  });
  let maxDiff = 0;
  idx.data.forEach((v, i) => (maxDiff = Math.max(maxDiff, Math.abs(v - expected[i]))));
  assert.ok(maxDiff <= 1, `bytes differ by ${maxDiff}`);

  const before = fs.readFileSync(out);
  const again = sample("--checkpoint", ckpt, "--count", "3", "--out", out);
  assert.equal(again.status, 2);
  assert.match(again.stderr, /exists; pass --force to overwrite it/);
  assert.deepEqual(fs.readFileSync(out), before, "the existing file is untouched");
  assert.equal(sample("--checkpoint", ckpt, "--count", "3", "--out", out, "--force").status, 0);
  assert.deepEqual(readIdx(out).dims, [3, 28, 28]);

  for (const bad of [["--count", "3", "--out", out], ["--checkpoint", ckpt, "--count", "0", "--out", out], ["--checkpoint", ckpt, "--count", "3", "--out", out, "--bogus"], ["--checkpoint", path.join(dir, "none"), "--count", "3", "--out", path.join(dir, "x.idx")]]) {
    const res = sample(...bad);
    assert.equal(res.status, 2, `${bad.join(" ")}: ${res.stderr}`);
    assert.match(res.stderr, /usage: npm run sample/);
  }
});

test("sample export draws from the averaged generator when the checkpoint has one", async () => {
  const dir = tempDir();
  const ckpt = path.join(dir, "ckpt");
  const generator = buildMlpGenerator({ latentDim: 5, dataShape: [28, 28, 1], hidden: [8], outputActivation: "tanh", seed: 1 });
  const averagedGenerator = buildMlpGenerator({ latentDim: 5, dataShape: [28, 28, 1], hidden: [8], outputActivation: "tanh", seed: 2 });
  const discriminator = buildMlpDiscriminator({ dataShape: [28, 28, 1], hidden: [8] });
  await writeCheckpoint(ckpt, { models: { generator, discriminator, averagedGenerator }, state: {} });
  const out = path.join(dir, "avg-images.idx");
  const r = sample("--checkpoint", ckpt, "--count", "4", "--out", out, "--seed", "4");
  assert.equal(r.status, 0, r.stderr);
  const bytes = (g: tf.LayersModel) =>
    tf.tidy(() => tf.clipByValue(tf.round(tf.mul(tf.add(g.predict(tf.randomNormal([4, 5], 0, 1, "float32", 4000)) as tf.Tensor, 1), 127.5)), 0, 255).dataSync());
  const [fromAverage, fromG] = [bytes(averagedGenerator), bytes(generator)];
  const data = readIdx(out).data;
  const diff = (e: ArrayLike<number>) => Math.max(...Array.from(data, (v, i) => Math.abs(v - e[i])));
  assert.ok(diff(fromAverage) <= 1, "the averaged generator's images");
  assert.ok(diff(fromG) > 1, "not G's");
});

const score = (...args: string[]) =>
  spawnSync(process.execPath, ["--import", "tsx", path.join(REPO, "scripts", "score.ts"), ...args], { cwd: REPO, encoding: "utf8", timeout: 120_000 });

test("npm run score reads IDX samples: real digits score high, one blank image repeated scores 1, bad files are named", async () => {
  const dir = tempDir();
  const test = await loadMnist({ split: "test", limit: 300 });
  const real = path.join(dir, "real.idx");
  fs.writeFileSync(real, encodeIdx([300, 28, 28], test.images));
  const blank = path.join(dir, "blank.idx");
  fs.writeFileSync(blank, encodeIdx([50, 28, 28], new Uint8Array(50 * 784)));
  const r = score(real, blank);
  assert.equal(r.status, 0, r.stderr);
  const line = (name: string) => r.stdout.split("\n").find((l) => l.startsWith(name)) ?? assert.fail(`no line for ${name}: ${r.stdout}`);
  const number = (l: string, label: string) => Number(new RegExp(`${label} ([0-9.]+)`).exec(l)?.[1]);
  assert.match(line(real), /n 300 /);
  assert.ok(number(line(real), "p>0.9") > 90, line(real));
  assert.ok(number(line(real), "classifier score") > 8, line(real));
  // one image, repeated: every sample has the same class probabilities, so the score is exactly 1
  assert.equal(number(line(blank), "classifier score"), 1, line(blank));
  assert.match(line(blank), /classes 1 /);
  assert.match(line("real mnist test set"), /n 10000 /);

  const labels = path.join(dir, "labels.idx");
  fs.writeFileSync(labels, encodeIdx([3], new Uint8Array([1, 2, 3])));
  const text = path.join(dir, "notes.txt");
  fs.writeFileSync(text, "not an IDX file");
  for (const [args, message] of [[[], /name at least one IDX image file/], [[labels], /expected images \[N, 28, 28\]/], [[text], /notes\.txt/], [[real, "--dataset", "cifar"], /--dataset must be/]] as const) {
    const res = score(...args);
    assert.equal(res.status, 2, `${args.join(" ")}: ${res.stderr}`);
    assert.match(res.stderr, message);
    assert.match(res.stderr, /usage: npm run score/);
  }
});
