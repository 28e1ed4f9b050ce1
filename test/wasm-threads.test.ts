// The wasm backend's kernels on a pool of threads (lib/src/wasm-threads.ts): the same numbers as one
// thread, bit for bit; scripts exit by themselves; GANBOOK_KERNEL_THREADS sizes the pool; the trainer stays
// on one thread of JavaScript; kernels stay right after the shared heap grows.
import { test } from "node:test";
import * as assert from "node:assert/strict";
import { wasmPoolSize } from "../lib/src/backend";
import { availableCores } from "../lib/src/threads";
import { runNode } from "./helpers";

// A seeded conv GAN (chapter 04's builders, narrow) trained 3 steps; prints the pool's size, the
// trainer's threads and every weight's bits. No process.exit: the script must end by itself.
const TRAIN = `
const gb = require("ganbook");
const { tf } = gb;
gb.ready().then(async (report) => {
  const gan = { generator: gb.buildDcganGenerator({ width: 16, latentDim: 16 }), discriminator: gb.buildDcganDiscriminator({ width: 16 }), latentDim: 16 };
  const data = tf.randomUniform([64, 28, 28, 1], -1, 1, "float32", 7);
  const trainer = new gb.GanTrainer({ gan, data, batchSize: 32, seed: 5 });
  await trainer.train(3, { progress: "none" });
  let h = 2166136261;
  for (const w of [...gan.generator.getWeights(), ...gan.discriminator.getWeights()]) {
    for (const u of new Uint32Array(w.dataSync().slice().buffer)) h = Math.imul(h ^ u, 16777619) >>> 0;
  }
  console.log(JSON.stringify({ backend: report.backend, pool: gb.wasmKernelThreads(), trainerThreads: trainer.threads, reason: trainer.threadsReason, notes: report.notes, hash: h }));
  trainer.dispose();
  data.dispose();
});`;

function train(threads: string) {
  // The one-thread run: no pool, and no data-parallel workers either (GANBOOK_THREADS=1).
  const r = runNode(TRAIN, { GANBOOK_BACKEND: "wasm", GANBOOK_KERNEL_THREADS: threads, GANBOOK_THREADS: threads ? undefined : "1" });
  assert.equal(r.status, 0, `GANBOOK_KERNEL_THREADS=${threads}: exit ${r.status} ${r.stderr.slice(-2000)}`);
  const line = r.stdout.trim().split("\n").at(-1)!;
  return JSON.parse(line) as { backend: string; pool: number; trainerThreads: number; reason: string; notes: string[]; hash: number };
}

test("a pool of 2 threads trains a seeded GAN to exactly the weights of one thread, and the script exits", () => {
  const one = train("");
  const two = train("2");
  assert.equal(one.backend, "wasm");
  assert.equal(one.pool, 1);
  assert.equal(two.pool, 2, "the threaded build started with two threads");
  assert.ok(two.notes.some((n) => /kernels on 2 threads/.test(n)), `the report says so: ${two.notes.join("; ")}`);
  // The pool already puts both cores into each kernel: no data-parallel workers on top of it.
  assert.equal(two.trainerThreads, 1);
  assert.match(two.reason, /kernels run on 2 threads/);
  assert.equal(two.hash, one.hash, "bit-identical weights after 3 steps");
});

test("the pool's kernels stay right after the shared heap grows", () => {
  // Grow the heap by 400 MB (typed-array views of the old memory go stale), then compare a
  // transposed conv to 1 channel (ganbook's scatter, JavaScript over the heap) and to 8 channels
  // (phase convolutions) and a matMul with the cpu backend.
  const code = `
const gb = require("ganbook");
const { tf } = gb;
gb.ready().then(async () => {
  const big = tf.zeros([100 * 2 ** 20]);
  const run = () => tf.tidy(() => {
    const dy = tf.randomNormal([3, 7, 7, 16], 0, 1, "float32", 1);
    const out = [];
    for (const c of [1, 8]) out.push(tf.conv2dTranspose(dy, tf.randomNormal([5, 5, c, 16], 0, 1, "float32", c), [3, 14, 14, c], 2, "same"));
    out.push(tf.matMul(tf.randomNormal([64, 300], 0, 1, "float32", 3), tf.randomNormal([300, 200], 0, 1, "float32", 4)));
    return out.map((t) => Array.from(t.dataSync()));
  });
  const got = run();
  big.dispose();
  await tf.setBackend("cpu");
  const want = run();
  let worst = 0;
  got.forEach((g, k) => g.forEach((v, i) => { worst = Math.max(worst, Math.abs(v - want[k][i]) / (1 + Math.abs(want[k][i]))); }));
  console.log(JSON.stringify({ pool: gb.wasmKernelThreads(), worst, sizes: got.map((g) => g.length) }));
});`;
  const r = runNode(code, { GANBOOK_BACKEND: "wasm", GANBOOK_KERNEL_THREADS: "2" });
  assert.equal(r.status, 0, r.stderr.slice(-2000));
  const out = JSON.parse(r.stdout.trim().split("\n").at(-1)!) as { pool: number; worst: number; sizes: number[] };
  assert.equal(out.pool, 2);
  assert.deepEqual(out.sizes, [3 * 14 * 14, 3 * 14 * 14 * 8, 64 * 200]);
  assert.ok(out.worst < 1e-4, `largest relative difference ${out.worst}`);
});

test("GANBOOK_KERNEL_THREADS sizes the pool: off unless set, all cores, one in a worker thread, a clear error when bad", () => {
  assert.equal(wasmPoolSize(undefined, true), 1);
  assert.equal(wasmPoolSize(" ", true), 1);
  assert.equal(wasmPoolSize("all", true), availableCores());
  assert.equal(wasmPoolSize("3", true), 3);
  assert.equal(wasmPoolSize("3", false), 1);
  for (const bad of ["0", "-2", "1.5", "two"]) assert.throws(() => wasmPoolSize(bad, true), /GANBOOK_KERNEL_THREADS=.*whole number of threads >= 1, or all/);
  const r = runNode(`require("ganbook").ready().then(() => console.log("ok"), (e) => { console.error(e.message); process.exit(3); })`, { GANBOOK_BACKEND: "wasm", GANBOOK_KERNEL_THREADS: "zero" });
  assert.equal(r.status, 3);
  assert.match(r.stderr, /GANBOOK_KERNEL_THREADS=zero: give a whole number of threads/);
});
