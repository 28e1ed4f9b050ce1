// The native backend (`tensorflow`, from @tensorflow/tfjs-node) on every Node version, without
// libtensorflow: test/fixtures/native-standin holds a stand-in @tensorflow/tfjs-node, put on NODE_PATH
// for these child processes only. Its kernels call util.isNullOrUndefined (as tfjs-node 4.22's do, and
// Node 23 removed it), then run the cpu backend's kernels; GANBOOK_STANDIN=throw|wrong breaks them.
import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as path from "node:path";
import { restoreNodeUtil } from "../lib/src/backend";
import { REPO, runNode } from "./helpers";

const STANDIN = { NODE_PATH: path.join(REPO, "test", "fixtures", "native-standin") };
const NODE_HAS_UTIL = typeof (require("util") as Record<string, unknown>).isNullOrUndefined === "function";

/** Selects a backend in a child process, trains a tiny DCGAN 3 steps (seeded), prints the report and losses. */
const TRAIN = `
const gb = require("ganbook");
gb.ready().then(async (report) => {
  const tf = gb.tf;
  const data = tf.tidy(() => tf.randomUniform([32, 28, 28, 1], -1, 1, "float32", 5));
  const gan = {
    generator: gb.buildDcganGenerator({ latentDim: 8, width: 8, seed: 1 }),
    discriminator: gb.buildDcganDiscriminator({ width: 8, seed: 2 }),
    latentDim: 8,
  };
  const trainer = new gb.GanTrainer({ gan, data, batchSize: 8, seed: 3, threads: 1 }); // one thread on both: the same arithmetic
  await trainer.train(3);
  const losses = trainer.history.map((h) => [h.dLoss, h.gLoss]);
  console.log("RESULT=" + JSON.stringify({ backend: report.backend, skipped: report.skipped, notes: report.notes, losses }));
}, (e) => { console.error(e.message); process.exit(3); });`;

function result(r: { status: number | null; stdout: string; stderr: string }) {
  assert.equal(r.status, 0, r.stderr);
  const line = r.stdout.split("\n").find((l) => l.startsWith("RESULT="));
  assert.ok(line, `no result in: ${r.stdout}`);
  return JSON.parse(line.slice("RESULT=".length));
}

test("restoreNodeUtil adds only the missing util functions, and they behave as Node's did", () => {
  const empty: Record<string, unknown> = {};
  assert.deepEqual(restoreNodeUtil(empty), ["isNullOrUndefined", "isArray"]);
  const isNullOrUndefined = empty.isNullOrUndefined as (v: unknown) => boolean;
  assert.deepEqual([null, undefined, 0, "", false, NaN, {}].map(isNullOrUndefined), [true, true, false, false, false, false, false]);
  assert.deepEqual([[], [1], {}, "ab"].map(empty.isArray as (v: unknown) => boolean), [true, true, false, false]);

  const mine = () => true;
  const present: Record<string, unknown> = { isNullOrUndefined: mine, isArray: mine };
  assert.deepEqual(restoreNodeUtil(present), []);
  assert.equal(present.isNullOrUndefined, mine, "an existing function is never replaced");
});

test("the stand-in is faithful: without ganbook, its ops throw on a Node without util.isNullOrUndefined", () => {
  const r = runNode(
    `const tf = require("@tensorflow/tfjs"); require("@tensorflow/tfjs-node");
     try { console.log("SUM=" + tf.add(1, 2).dataSync()[0]); } catch (e) { console.log("THREW=" + e.constructor.name + ": " + e.message); }`,
    STANDIN,
  );
  assert.equal(r.status, 0, r.stderr);
  if (NODE_HAS_UTIL) assert.match(r.stdout, /SUM=3/);
  else assert.match(r.stdout, /THREW=TypeError: .*isNullOrUndefined\)? is not a function/);
});

test(`a working native backend is selected and trains exactly as the cpu backend does (Node ${process.version})`, () => {
  const native = result(runNode(TRAIN, { ...STANDIN, GANBOOK_BACKEND: undefined }));
  assert.equal(native.backend, "tensorflow");
  assert.deepEqual(native.skipped, []);
  if (NODE_HAS_UTIL) assert.ok(!native.notes.some((n: string) => n.includes("restored")), "nothing restored where Node has it");
  else assert.ok(native.notes.some((n: string) => n.includes("restored util.isNullOrUndefined")), JSON.stringify(native.notes));
  const cpu = result(runNode(TRAIN, { GANBOOK_BACKEND: "cpu" }));
  assert.equal(cpu.backend, "cpu");
  assert.equal(native.losses.length, 3);
  assert.ok(native.losses.flat().every(Number.isFinite));
  assert.deepEqual(native.losses, cpu.losses);
});

test("a native backend whose ops throw is skipped with the reason, and wasm is used", () => {
  const r = result(runNode(TRAIN, { ...STANDIN, GANBOOK_STANDIN: "throw", GANBOOK_BACKEND: undefined }));
  assert.equal(r.backend, "wasm");
  assert.equal(r.skipped[0].backend, "tensorflow");
  assert.match(r.skipped[0].error, /it loaded, but its ops throw \(stand-in tfjs-node: kernel \w+ failed\)/);
  assert.ok(r.losses.flat().every(Number.isFinite));
});

test("a native backend that computes wrong numbers is skipped with the op that disagreed", () => {
  const r = result(runNode(TRAIN, { ...STANDIN, GANBOOK_STANDIN: "wrong", GANBOOK_BACKEND: undefined }));
  assert.equal(r.backend, "wasm");
  assert.match(r.skipped[0].error, /it loaded, but its conv2d disagrees with the cpu backend's/);
});

test("GANBOOK_BACKEND=tensorflow on a broken native backend is an error naming the cause and the fix", () => {
  const r = runNode(TRAIN, { ...STANDIN, GANBOOK_STANDIN: "throw", GANBOOK_BACKEND: "tensorflow" });
  assert.equal(r.status, 3);
  assert.match(r.stderr, /GANBOOK_BACKEND=tensorflow cannot be used: it loaded, but its ops throw \(stand-in tfjs-node: kernel \w+ failed\)/);
  assert.match(r.stderr, /npm rebuild @tensorflow\/tfjs-node.*unset GANBOOK_BACKEND/);
});
