import { test } from "node:test";
import * as assert from "node:assert/strict";
import { BACKENDS, requestedBackend } from "../lib/src/backend";
import { runNode } from "./helpers";

const REPORT = `require("ganbook").ready().then(r => console.log("BACKEND=" + r.backend), e => { console.error(e.message); process.exit(3); })`;

test("GANBOOK_BACKEND values are parsed, and unknown ones name the choices", () => {
  assert.equal(requestedBackend(undefined), undefined);
  assert.equal(requestedBackend(""), undefined);
  assert.equal(requestedBackend("CPU"), "cpu");
  assert.equal(requestedBackend(" wasm "), "wasm");
  assert.equal(requestedBackend("tfjs-node"), "tensorflow");
  assert.throws(() => requestedBackend("bogus"), (e: Error) => {
    assert.match(e.message, /GANBOOK_BACKEND=bogus/);
    for (const b of BACKENDS) assert.ok(e.message.includes(b), `message names ${b}`);
    return true;
  });
});

test("GANBOOK_BACKEND=cpu and =wasm select those backends, with no tfjs-node banner", () => {
  for (const name of ["cpu", "wasm"]) {
    const code = `const gb = require("ganbook"); gb.ready().then(r => { gb.tf.tensor([1, 2]).square().dataSync(); console.log("BACKEND=" + r.backend); })`;
    const r = runNode(code, { GANBOOK_BACKEND: name });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`BACKEND=${name}\\b`));
    assert.doesNotMatch(r.stdout + r.stderr, /Hi, looks like you are running TensorFlow\.js/);
  }
});

test("GANBOOK_BACKEND=bogus fails the import with a clear error", () => {
  const r = runNode(REPORT, { GANBOOK_BACKEND: "bogus" });
  assert.notEqual(r.status, 0);
  assert.match(r.stderr, /GANBOOK_BACKEND=bogus is not a backend ganbook knows\. Choose one of: tensorflow, wasm, cpu/);
});

test("without GANBOOK_BACKEND the fastest loadable backend is chosen and reported with its reason", () => {
  const r = runNode(
    `require("ganbook").ready().then(r => console.log(JSON.stringify(r)))`,
    { GANBOOK_BACKEND: undefined },
  );
  assert.equal(r.status, 0, r.stderr);
  const report = JSON.parse(r.stdout.trim().split("\n").pop()!);
  let tfjsNode = true;
  try {
    require.resolve("@tensorflow/tfjs-node");
  } catch {
    tfjsNode = false;
  }
  assert.equal(report.backend, tfjsNode ? "tensorflow" : "wasm");
  assert.ok(report.reason.length > 0);
  assert.equal(report.versions["@tensorflow/tfjs"], "4.22.0");
  if (!tfjsNode) assert.equal(report.skipped[0].backend, "tensorflow");
});

test("a forced backend that cannot load is an error naming the choices", { skip: canLoadTfjsNode() }, () => {
  const r = runNode(REPORT, { GANBOOK_BACKEND: "tensorflow" });
  assert.equal(r.status, 3);
  assert.match(r.stderr, /GANBOOK_BACKEND=tensorflow cannot be used: .*Choose another of: tensorflow, wasm, cpu/);
});

function canLoadTfjsNode(): boolean {
  try {
    require("@tensorflow/tfjs-node");
    return true;
  } catch {
    return false;
  }
}
