// The fully trained generators that ship with the course (lib/trained/): each loads, its files match
// its manifest, and its samples meet (or miss) its targets again here (2,000 seeded samples, within the
// sampling tolerance meetsTarget states, given to a met target or to a missed one); a damaged file is a clear error; npm run sample -- --trained and
// npm run ship behave.
import { before, test } from "node:test";
import * as assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { ready, tf } from "../lib/src/index";
import { readIdx, imagesToTensor, loadDataset, type DatasetName } from "../lib/src/data";
import { loadEvaluator, type Evaluator } from "../lib/src/evaluator";
import { evaluateImages } from "../lib/src/metrics";
import { measureImageQuality, measureToyQuality, type QualityPoint } from "../lib/src/quality";
import { isToyMixtureName, toyMixture } from "../lib/src/toy";
import {
  describeTraining, loadTrainedGan, meetsTarget, readTrainedManifest, sha256File, shippedGanNames, targetValue, trainedDir,
  TRAINED_GANS, TRAINED_TARGETS, type TrainedGanName,
} from "../lib/src/trained";
import { REPO, tempDir } from "./helpers";

/** The generators this version ships; removing one (or forgetting to commit it) fails here. */
const SHIPPED: TrainedGanName[] = ["mlp-mnist", "dcgan-mnist", "dcgan-fashion", "acgan-mnist", "acgan-fashion", "ring", "grid"];
const SAMPLES = 2000;

before(async () => {
  await ready();
});

test("the shipped generators are the ones this version promises, at most 20 MB together", () => {
  assert.deepEqual(shippedGanNames(), SHIPPED);
  let bytes = 0;
  for (const name of SHIPPED) for (const f of Object.values(readTrainedManifest(name).files)) bytes += f.bytes;
  assert.ok(bytes <= 20 * 2 ** 20, `${(bytes / 2 ** 20).toFixed(1)} MB`);
});

const evaluators: Partial<Record<DatasetName, Evaluator>> = {};
const realScores: Partial<Record<DatasetName, number>> = {};

for (const name of SHIPPED) {
  test(`${name}: loads, matches its manifest, and its samples meet (or miss) its targets as the manifest records, on ${SAMPLES} seeded samples`, async () => {
    const manifest = readTrainedManifest(name);
    const dir = path.join(trainedDir(), name);
    // Every file on disk is in the manifest (and loadTrainedGan checks each one's size and SHA-256).
    const onDisk: string[] = [];
    const walk = (d: string): void => fs.readdirSync(d, { withFileTypes: true }).forEach((e) => (e.isDirectory() ? walk(path.join(d, e.name)) : e.name !== "manifest.json" && onDisk.push(path.relative(dir, path.join(d, e.name)))));
    walk(dir);
    assert.deepEqual(onDisk.sort(), Object.keys(manifest.files).sort());
    const { gan } = await loadTrainedGan(name);
    assert.equal(gan.generator.inputs[0].shape[1], manifest.latentDim);
    const dataset = TRAINED_GANS[name].dataset;
    const at = { step: manifest.steps, seconds: manifest.trainingSeconds };
    let point: QualityPoint;
    let real: { classifierScore: number } | undefined;
    if (isToyMixtureName(dataset)) {
      assert.deepEqual(gan.generator.outputs[0].shape, [null, 2]);
      point = measureToyQuality(gan, toyMixture(dataset), at, SAMPLES, 3);
    } else {
      assert.deepEqual(gan.generator.outputs[0].shape, [null, 28, 28, 1]);
      assert.deepEqual(gan.discriminator.inputs[0].shape, [null, 28, 28, 1]);
      evaluators[dataset] ??= await loadEvaluator(dataset);
      if (realScores[dataset] === undefined) {
        const test = imagesToTensor(await loadDataset(dataset, { split: "test", limit: SAMPLES }));
        realScores[dataset] = evaluateImages(evaluators[dataset]!, test).classifierScore;
        test.dispose();
      }
      real = { classifierScore: realScores[dataset]! };
      point = measureImageQuality(gan, evaluators[dataset]!, at, SAMPLES, 3);
    }
    assert.deepEqual(manifest.targets.map((t) => t.what), TRAINED_TARGETS[name].map((t) => t.what), "the manifest reports every target");
    for (const target of TRAINED_TARGETS[name]) {
      const recorded = manifest.targets.find((t) => t.what === target.what)!;
      const value = JSON.stringify(targetValue(target, point, real));
      // What the manifest says of its 10,000-sample numbers is what they say.
      assert.equal(meetsTarget(target, manifest.metrics, manifest.real), recorded.met, `${name}'s manifest: ${target.what}`);
      if (recorded.met) assert.ok(meetsTarget(target, point, real, SAMPLES), `${name}: ${target.what}: ${value} on ${SAMPLES} samples`);
      else assert.ok(!meetsTarget(target, point, real, SAMPLES, "miss"), `${name}: the manifest records a miss of "${target.what}", but ${SAMPLES} samples give ${value}`);
    }
    // The 2,000 samples here and the manifest's 10,000 agree within sampling error (3 standard errors).
    if (point.kind === "image" && manifest.metrics.kind === "image") {
      const p = manifest.metrics.confident;
      assert.ok(Math.abs(point.confident - p) <= 3 * Math.sqrt((p * (1 - p)) / SAMPLES), `confident ${point.confident} here vs ${p} in the manifest`);
      if (manifest.metrics.labelAccuracy !== undefined) {
        const a = manifest.metrics.labelAccuracy;
        assert.ok(Math.abs(point.labelAccuracy! - a) <= 3 * Math.sqrt((a * (1 - a)) / SAMPLES) + 1e-3, `label accuracy ${point.labelAccuracy} here vs ${a}`);
      }
    } else if (point.kind === "toy" && manifest.metrics.kind === "toy") {
      const h = manifest.metrics.highQuality;
      assert.ok(Math.abs(point.highQuality - h) <= 3 * Math.sqrt((h * (1 - h)) / SAMPLES) + 1e-3, `high quality ${point.highQuality} here vs ${h}`);
    }
    // Its curve ends where the generator is, and runs forward in time.
    assert.equal(manifest.quality.at(-1)?.step, manifest.steps);
    manifest.quality.forEach((p, i) => i && assert.ok(p.seconds >= manifest.quality[i - 1].seconds));
    gan.generator.dispose();
    gan.discriminator.dispose();
  });
}

/** Runs `fn` with GANBOOK_TRAINED_DIR set to `root` (a stand-in checkout), then puts it back. */
async function withTrainedDir(root: string, fn: () => Promise<void>): Promise<void> {
  const before = process.env.GANBOOK_TRAINED_DIR;
  process.env.GANBOOK_TRAINED_DIR = root;
  try {
    await fn();
  } finally {
    if (before === undefined) delete process.env.GANBOOK_TRAINED_DIR;
    else process.env.GANBOOK_TRAINED_DIR = before;
  }
}

/** A copy of the first shipped generator in a temporary folder, to damage: its root and its folder. */
function copyShipped(): { root: string; dir: string; name: TrainedGanName } {
  const name = SHIPPED[0];
  const root = tempDir("ganbook-trained-");
  fs.cpSync(path.join(trainedDir(), name), path.join(root, name), { recursive: true });
  return { root, dir: path.join(root, name), name };
}

test("a missing, truncated or changed weights file is an error naming it and how to restore it", async () => {
  const { root, dir, name } = copyShipped();
  await withTrainedDir(root, async () => {
    const weights = path.join(dir, "generator", "weights.bin");
    const original = fs.readFileSync(weights);
    fs.writeFileSync(weights, original.subarray(0, 100));
    await assert.rejects(loadTrainedGan(name), new RegExp(`${weights.replace(/[/.]/g, "\\$&")} is corrupt: it has 100 bytes, the manifest records ${original.length}: restore it with: git checkout -- `));
    const changed = Buffer.from(original);
    changed[12345 % changed.length] ^= 0xff;
    fs.writeFileSync(weights, changed);
    await assert.rejects(loadTrainedGan(name), /generator\/weights\.bin is corrupt: its SHA-256 is [0-9a-f]{64}, the manifest records [0-9a-f]{64}: restore it with: git checkout/);
    fs.rmSync(weights);
    await assert.rejects(loadTrainedGan(name), /generator\/weights\.bin is missing: restore it with: git checkout/);
    fs.writeFileSync(path.join(dir, "manifest.json"), "{ not json");
    await assert.rejects(loadTrainedGan(name), /manifest\.json is not valid JSON .*restore it with: git checkout/);
  });
});

test("meetsTarget's sampling tolerance goes to a met target, or with doubt \"miss\" to a missed one", () => {
  const target = { what: "at least 80% read", metric: "confident" as const, min: 0.8 };
  const at = (confident: number): QualityPoint => ({ kind: "image", step: 1, seconds: 1, samples: 2000, classifierScore: 8, confident, shares: [] });
  const tolerance = 3 * Math.sqrt((0.8 * 0.2) / 2000); // 0.0268
  assert.equal(meetsTarget(target, at(0.79)), false, "exact: below the line");
  assert.equal(meetsTarget(target, at(0.8 - tolerance + 0.001), undefined, 2000), true, "within the tolerance below: may be met");
  assert.equal(meetsTarget(target, at(0.808), undefined, 2000, "miss"), false, "within the tolerance above: may be missed");
  assert.equal(meetsTarget(target, at(0.8 + tolerance + 0.001), undefined, 2000, "miss"), true, "clearly above: met");
  assert.equal(meetsTarget(target, at(0.8 - tolerance - 0.001), undefined, 2000), false, "clearly below: missed");
});

test("describeTraining names the threads a run trained on (one when the manifest predates threads)", () => {
  const grid = readTrainedManifest("grid");
  assert.match(describeTraining({ ...grid, threads: 2 }), /training minutes on 2 threads of a 2-core AMD EPYC/);
  const { threads: _, ...old } = grid;
  assert.match(describeTraining(old), new RegExp(`on one thread of a ${grid.machine.cores}-core`));
});

test("an unknown or unshipped name lists the known and shipped ones", async () => {
  await assert.rejects(loadTrainedGan("stylegan"), /Unknown trained GAN "stylegan"\. Known: mlp-mnist, dcgan-mnist, dcgan-fashion, acgan-mnist, acgan-fashion, ring, grid \(shipped in this checkout: /);
  // Every name ships now: a checkout with the ring's folder gone stands in for an unshipped one.
  const dir = tempDir();
  // shippedGanNames looks for each manifest only, so the manifests alone make the stand-in checkout.
  for (const name of SHIPPED.filter((n) => n !== "ring")) {
    fs.mkdirSync(path.join(dir, name));
    fs.copyFileSync(path.join(trainedDir(), name, "manifest.json"), path.join(dir, name, "manifest.json"));
  }
  await withTrainedDir(dir, async () => {
    const others = SHIPPED.filter((n) => n !== "ring").join(", ");
    await assert.rejects(loadTrainedGan("ring"), new RegExp(`"ring" is not shipped in this checkout .*shipped: ${others}\\)`));
  });
});

const sample = (...args: string[]) =>
  spawnSync(process.execPath, ["--import", "tsx", path.join(REPO, "scripts", "sample.ts"), ...args], { cwd: REPO, encoding: "utf8", timeout: 120_000 });

test("npm run sample -- --trained writes IDX images (and labels for a conditional GAN) and never overwrites without --force", () => {
  const dir = tempDir();
  const conditional = SHIPPED.find((n) => readTrainedManifest(n).classes) ?? SHIPPED[0];
  const out = path.join(dir, "images.idx");
  const r = sample("--trained", conditional, "--count", "20", "--out", out, "--seed", "3");
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(readIdx(out).dims, [20, 28, 28]);
  if (readTrainedManifest(conditional).classes) assert.deepEqual(Array.from(readIdx(path.join(dir, "labels.idx")).data), Array.from({ length: 20 }, (_, i) => i % 10));
  const before = fs.readFileSync(out);
  const again = sample("--trained", conditional, "--count", "20", "--out", out);
  assert.equal(again.status, 2);
  assert.match(again.stderr, /exists; pass --force to overwrite it/);
  assert.deepEqual(fs.readFileSync(out), before);
  for (const [args, message] of [
    [["--trained", "stylegan", "--count", "3", "--out", path.join(dir, "x.idx")], /unknown trained GAN stylegan; known: mlp-mnist/],
    [["--trained", "ring", "--count", "3", "--out", path.join(dir, "x.idx")], /ring is a toy GAN \(2D points\), not images/],
    [["--trained", conditional, "--checkpoint", dir, "--count", "3", "--out", path.join(dir, "x.idx")], /give one of --checkpoint DIR and --trained NAME/],
  ] as const) {
    const res = sample(...args);
    assert.equal(res.status, 2, res.stderr);
    assert.match(res.stderr, message);
  }
  assert.ok(!fs.existsSync(path.join(dir, "x.idx")));
});

test("npm run ship refuses a run that misses its targets, and writes nothing", () => {
  const run = path.join(tempDir(), "run");
  const trained = tempDir("ganbook-trained-");
  const train = spawnSync(process.execPath, ["--import", "tsx", path.join(REPO, "scripts", "train.ts"), "ring-pacgan", "--quick", "--steps", "6", "--checkpoint-every", "3", "--out", run], { cwd: REPO, encoding: "utf8", timeout: 120_000 });
  assert.equal(train.status, 0, train.stderr);
  const quality = JSON.parse(fs.readFileSync(path.join(run, "quality.json"), "utf8"));
  assert.deepEqual(quality.map((p: QualityPoint) => p.step), [3, 6], "a quality point at each checkpoint");
  const runs = JSON.parse(fs.readFileSync(path.join(run, "run.json"), "utf8"));
  assert.match(runs[0].command, /^npm run train -- ring-pacgan --quick --steps 6/);
  assert.match(runs[0].commit, /^([0-9a-f]{40}(-dirty)?|unknown)$/);
  const ship = spawnSync(process.execPath, ["--import", "tsx", path.join(REPO, "scripts", "ship.ts"), run, "--name", "ring"], { cwd: REPO, encoding: "utf8", timeout: 120_000, env: { ...process.env, GANBOOK_TRAINED_DIR: trained } });
  assert.equal(ship.status, 1, ship.stderr);
  assert.match(ship.stdout, /MISSED +at least 90% high-quality samples from G itself/);
  assert.match(ship.stderr, /misses ring's targets \(above\): not shipped/);
  assert.deepEqual(fs.readdirSync(trained), []);
  tf.disposeVariables();
});
