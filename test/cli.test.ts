// The command-line trainer for real: a real process, a real Ctrl-C (SIGINT), a real kill -9 during
// a checkpoint write; and its usage errors.
import { test } from "node:test";
import * as assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { REPO, tempDir } from "./helpers";

const TRAIN = path.join(REPO, "scripts", "train.ts");

test("npm run train: --help, bad options exit 2, an existing output folder is not overwritten", () => {
  const run = (...args: string[]) => spawnSync(process.execPath, ["--import", "tsx", TRAIN, ...args], { cwd: REPO, encoding: "utf8", timeout: 60_000 });
  const help = run("--help");
  assert.equal(help.status, 0);
  assert.match(help.stdout, /models:[\s\S]*dcgan[\s\S]*ring-wgan-gp[\s\S]*--resume/);
  for (const bad of [["bogus"], ["ring", "--steps", "0"], ["ring", "--backend", "gpu"], ["ring", "--frobnicate"], [], ["dcgan", "--drop-at", "5", "--quick"]]) {
    const r = run(...bad);
    assert.equal(r.status, 2, `${bad.join(" ")}: ${r.stderr}`);
    assert.match(r.stderr, /usage: npm run train/);
  }
  const out = tempDir();
  const r = run("ring", "--out", out, "--steps", "5");
  assert.equal(r.status, 2);
  assert.match(r.stderr, /exists: pass --resume/);
  assert.deepEqual(fs.readdirSync(out), []);
});

test("npm run train: --steps sets the recipe's length, so its learning-rate drop falls at the same share of the run", { timeout: 120_000 }, () => {
  const out = path.join(tempDir(), "run");
  const r = spawnSync(process.execPath, ["--import", "tsx", TRAIN, "vanilla-wide", "--quick", "--steps", "10", "--out", out], { cwd: REPO, encoding: "utf8", timeout: 110_000 });
  assert.equal(r.status, 0, r.stderr);
  const state = JSON.parse(fs.readFileSync(path.join(out, "checkpoint", "checkpoint.json"), "utf8")).state;
  assert.equal(state.step, 10);
  // vanillaMnistWide drops both rates to a tenth for the last fifth of its steps: at step 8 of 10
  assert.deepEqual(state.options.learningRateDrops, [{ step: 8, factor: 0.1 }]);
});

test("a PacGAN run resumes from its checkpoint (the packing view is passed again)", { timeout: 120_000 }, () => {
  const run = (...args: string[]) => spawnSync(process.execPath, ["--import", "tsx", TRAIN, ...args], { cwd: REPO, encoding: "utf8", timeout: 60_000 });
  const out = path.join(tempDir(), "run");
  const first = run("ring-pacgan", "--out", out, "--steps", "6");
  assert.equal(first.status, 0, first.stderr);
  const second = run("ring-pacgan", "--out", out, "--steps", "10", "--resume");
  assert.equal(second.status, 0, second.stderr);
  assert.match(second.stdout, /done: 10 steps/);
  assert.equal(fs.readFileSync(path.join(out, "history.csv"), "utf8").trim().split("\n").length, 1 + 10);
});

test("Ctrl-C stops training after the current step and writes a checkpoint that resumes", { timeout: 180_000 }, async () => {
  const out = path.join(tempDir(), "run");
  const child = spawn(process.execPath, ["--import", "tsx", TRAIN, "ring", "--quick", "--out", out, "--steps", "100000", "--checkpoint-every", "100000"], { cwd: REPO });
  let stdout = "";
  child.stdout.on("data", (d) => (stdout += d));
  child.stderr.on("data", (d) => (stdout += d));
  await new Promise<void>((resolve, reject) => {
    const timer = setInterval(() => {
      if (/step \d+ \//.test(stdout)) {
        clearInterval(timer);
        child.kill("SIGINT");
        resolve();
      }
    }, 100);
    child.on("exit", () => reject(new Error(`exited before training: ${stdout}`)));
  });
  const code = await new Promise<number | null>((resolve) => child.on("exit", (c) => resolve(c)));
  assert.equal(code, 0, stdout);
  const stopped = /stopped at step (\d+) \(interrupted\)/.exec(stdout);
  assert.ok(stopped, stdout);
  const manifest = JSON.parse(fs.readFileSync(path.join(out, "checkpoint", "checkpoint.json"), "utf8"));
  assert.equal(manifest.state.step, Number(stopped![1]));
  assert.equal(manifest.state.history.length, Number(stopped![1]), "the history is intact");
  const resumed = spawnSync(process.execPath, ["--import", "tsx", TRAIN, "ring", "--quick", "--out", out, "--steps", String(Number(stopped![1]) + 3), "--resume"], { cwd: REPO, encoding: "utf8", timeout: 60_000 });
  assert.equal(resumed.status, 0, resumed.stderr);
  assert.match(resumed.stdout, new RegExp(`done: ${Number(stopped![1]) + 3} steps`));
});

test("kill -9 during checkpoint writes always leaves a loadable checkpoint", { timeout: 180_000 }, async () => {
  const dir = path.join(tempDir(), "ckpt");
  // A child that writes checkpoints of a ~4 MB model in a loop, counting up its state.
  const code = `
    const gb = require(${JSON.stringify(path.join(REPO, "lib", "src", "index.ts"))});
    (async () => {
      await gb.ready();
      const model = gb.buildMlp({ inputs: 1000, hidden: [1000], outputs: 10 });
      for (let i = 0; ; i++) { await gb.writeCheckpoint(${JSON.stringify(dir)}, { models: { model }, state: { i } }); if (i === 0) console.log("first"); }
    })();`;
  const { readCheckpoint } = await import("../lib/src/checkpoint");
  for (const delay of [50, 120, 200, 310, 420]) {
    const child = spawn(process.execPath, ["--import", "tsx", "-e", code], { cwd: REPO });
    await new Promise<void>((resolve) => child.stdout.once("data", () => resolve()));
    await new Promise((r) => setTimeout(r, delay));
    child.kill("SIGKILL");
    await new Promise((r) => child.on("exit", r));
    const ckpt = await readCheckpoint<{ i: number }>(dir);
    assert.ok(Number.isInteger(ckpt.state.i), `after kill -9 at ${delay} ms the checkpoint loads (i = ${ckpt.state.i})`);
    ckpt.models.model.dispose();
  }
});

test("your own images: train dcgan on a folder (--data, --size, --channels), resume it, and sample a PNG grid", { timeout: 240_000 }, async () => {
  const { PNG } = await import("pngjs");
  const images = tempDir("ganbook-folder-");
  // 70 small colour images (some 40x40, some 20x30: cropped and resized to 32x32), and one broken file.
  for (let i = 0; i < 70; i++) {
    const [w, h] = i % 2 ? [40, 40] : [20, 30];
    const p = new PNG({ width: w, height: h });
    for (let k = 0; k < w * h; k++) p.data.set([(i * 37) % 256, (k * 3) % 256, 200, 255], 4 * k);
    fs.mkdirSync(path.join(images, i % 3 ? "a" : "b"), { recursive: true });
    fs.writeFileSync(path.join(images, i % 3 ? "a" : "b", `${i}.png`), PNG.sync.write(p));
  }
  fs.writeFileSync(path.join(images, "broken.png"), Buffer.from([0x89, 0x50, 0x4e, 0x47, 1, 2, 3]));
  const out = path.join(tempDir(), "run");
  const run = (...args: string[]) => spawnSync(process.execPath, ["--import", "tsx", TRAIN, ...args], { cwd: REPO, encoding: "utf8", timeout: 200_000 });
  const first = run("dcgan", "--data", images, "--size", "32", "--channels", "3", "--steps", "2", "--checkpoint-every", "1", "--out", out);
  assert.equal(first.status, 0, first.stderr);
  assert.match(first.stdout, /70 image\(s\) from .* as 32x32x3; 1 skipped: 1 do not decode/);
  const state = JSON.parse(fs.readFileSync(path.join(out, "checkpoint", "checkpoint.json"), "utf8")).state;
  assert.equal(state.step, 2);
  assert.ok(fs.existsSync(path.join(out, "samples-step-000002.png")), "a sample grid per checkpoint");
  assert.ok(!fs.existsSync(path.join(out, "quality.json")), "no evaluator knows these images: no quality.json");
  const resumed = run("dcgan", "--data", images, "--size", "32", "--steps", "3", "--out", out, "--resume");
  assert.equal(resumed.status, 0, resumed.stderr);
  assert.equal(JSON.parse(fs.readFileSync(path.join(out, "checkpoint", "checkpoint.json"), "utf8")).state.step, 3);
  // Sampling: a PNG grid of 16 colour samples; IDX is refused for 32x32 colour with the way out.
  const SAMPLE = path.join(REPO, "scripts", "sample.ts");
  const grid = path.join(out, "grid.png");
  const sampled = spawnSync(process.execPath, ["--import", "tsx", SAMPLE, "--checkpoint", path.join(out, "checkpoint"), "--count", "16", "--out", grid], { cwd: REPO, encoding: "utf8", timeout: 60_000 });
  assert.equal(sampled.status, 0, sampled.stderr);
  const png = PNG.sync.read(fs.readFileSync(grid));
  // A 4 x 4 grid of 32x32 samples shown at twice their size (plus thin gaps).
  assert.equal(png.width, png.height);
  assert.ok(png.width >= 4 * 64 && png.width <= 4 * 64 + 40, `grid width ${png.width}`);
  const colours = new Set<string>();
  for (let k = 0; k < png.data.length; k += 4 * 97) colours.add(`${png.data[k]},${png.data[k + 1]},${png.data[k + 2]}`);
  assert.ok([...colours].some((c) => new Set(c.split(",")).size > 1), "colour pixels, not grey");
  const idx = spawnSync(process.execPath, ["--import", "tsx", SAMPLE, "--checkpoint", path.join(out, "checkpoint"), "--count", "4", "--out", path.join(out, "x-images.idx")], { cwd: REPO, encoding: "utf8", timeout: 60_000 });
  assert.equal(idx.status, 2);
  assert.match(idx.stderr, /IDX files hold 28x28 grey images\. Give --out a \.png name/);
  // Fewer images than one batch: a clear error before any training, nothing written.
  const few = tempDir("ganbook-few-");
  for (let i = 0; i < 3; i++) fs.copyFileSync(path.join(images, "a", "1.png"), path.join(few, `${i}.png`));
  const fewOut = path.join(tempDir(), "few");
  const tooFew = run("dcgan", "--data", few, "--out", fewOut);
  assert.notEqual(tooFew.status, 0);
  assert.match(tooFew.stderr, /gave 3 image\(s\), fewer than one batch \(64\): add images/);
  assert.ok(!fs.existsSync(fewOut), "no output folder for a run that never started");
  // Usage errors: --data on a model that has its own data set, --size without --data.
  assert.equal(run("acgan", "--data", images).status, 2);
  assert.match(run("acgan", "--data", images).stderr, /the models that take a folder of images are dcgan, dcgan-long/);
  assert.match(run("dcgan", "--size", "32").stderr, /--size and --channels go with --data DIR/);
  assert.match(run("dcgan", "--data", images, "--size", "48").stderr, /--size takes 32 or 64/);
});
