// ganbook's registered gradients (gradients.ts) give what autodiff through basic ops gives for the
// same function: batch norm without tfjs's Tile, LeakyReLU as step(x, alpha) * dy, Sum and Mean
// without tfjs's JavaScript array of ones (those two to the bit).
import { test } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import * as gb from "../lib/src/index";


function assertClose(a: tf.Tensor, b: tf.Tensor, what: string, tolerance = 1e-5) {
  assert.deepEqual(a.shape, b.shape, `${what}: shape`);
  const [x, y] = [a.dataSync(), b.dataSync()];
  const scale = Math.max(1, ...Array.from(y, Math.abs));
  const worst = Math.max(...Array.from(x, (v: number, i) => Math.abs(v - y[i])));
  assert.ok(worst <= tolerance * scale, `${what}: differs by ${worst}`);
}

test("the batch-norm gradient equals autodiff of (x - mean) * scale / sqrt(variance + eps) + offset, for [N, H, W, C] and [N, C]", async () => {
  await gb.ready();
  for (const shape of [[3, 4, 5, 6], [7, 6]]) {
    const c = shape.at(-1)!;
    const x = tf.randomNormal(shape, 0, 1, "float32", 1);
    const mean = tf.randomNormal([c], 0, 1, "float32", 2);
    const variance = tf.randomUniform([c], 0.5, 2, "float32", 3);
    const scale = tf.randomNormal([c], 1, 0.3, "float32", 4);
    const offset = tf.randomNormal([c], 0, 1, "float32", 5);
    const weights = tf.randomNormal(shape, 0, 1, "float32", 6); // a loss that weighs every output differently
    const fused = (a: tf.Tensor, m: tf.Tensor, v: tf.Tensor, s: tf.Tensor, o: tf.Tensor) => tf.sum(tf.mul(tf.batchNorm(a, m, v, o, s, 1e-3), weights));
    const basic = (a: tf.Tensor, m: tf.Tensor, v: tf.Tensor, s: tf.Tensor, o: tf.Tensor) =>
      tf.sum(tf.mul(tf.add(tf.div(tf.mul(tf.sub(a, m), s), tf.sqrt(tf.add(v, 1e-3))), o), weights));
    const inputs = [x, mean, variance, scale, offset];
    const got = tf.grads(fused)(inputs);
    const want = tf.grads(basic)(inputs);
    ["x", "mean", "variance", "scale", "offset"].forEach((name, i) => assertClose(got[i], want[i], `${shape}: d/d${name}`, 1e-4));
    tf.dispose([...inputs, weights, ...got, ...want]);
  }
});

test("the LeakyReLU gradient is dy where x > 0 and alpha * dy elsewhere (x = 0 included)", async () => {
  await gb.ready();
  const x = tf.tensor1d([-2, -0.5, 0, 0.5, 3]);
  const dy = tf.tensor1d([1, 2, 3, 4, 5]);
  const [dx] = tf.grads((a: tf.Tensor) => tf.leakyRelu(a, 0.2))([x], dy);
  assert.deepEqual(Array.from(dx.dataSync()).map((v) => Math.round(v * 1e6) / 1e6), [0.2, 0.4, 0.6, 4, 5]);
  // And through a layer, on a 4-D batch, against where(x > 0, dy, alpha * dy) written out.
  const big = tf.randomNormal([2, 5, 5, 3], 0, 1, "float32", 7);
  const up = tf.randomNormal([2, 5, 5, 3], 0, 1, "float32", 8);
  const [got] = tf.grads((a: tf.Tensor) => tf.leakyRelu(a, 0.3))([big], up);
  assertClose(got, tf.where(tf.greater(big, 0), up, tf.mul(up, 0.3)), "leakyRelu [2, 5, 5, 3]");
  tf.dispose([x, dy, dx, big, up, got]);
});

test("Sum and Mean gradients are tfjs's own formula (dy times ones, over the count) to the bit, on wasm and cpu, and leave no tensor", async () => {
  await gb.ready();
  const start = tf.getBackend();
  const cases: [number[], number | number[], boolean][] = [[[4, 3, 3, 5], [0, 1, 2], false], [[4, 3, 3, 5], [1, 0, 2], true], [[6, 7], 0, false], [[6, 7], -1, true], [[2, 3, 4], 1, false], [[5, 4], [0, 1], false]];
  for (const backend of ["wasm", "cpu"]) {
    await tf.setBackend(backend);
    for (const [shape, axis, keepDims] of cases) {
      const x = tf.randomNormal(shape, 0, 1, "float32", 11);
      const outShape = tf.sum(x, axis, keepDims).shape;
      const dy = tf.randomNormal(outShape, 0, 3, "float32", 12);
      for (const op of ["sum", "mean"] as const) {
        const before = tf.memory().numTensors;
        const [got] = tf.grads((a: tf.Tensor) => (op === "sum" ? tf.sum(a, axis, keepDims) : tf.mean(a, axis, keepDims)))([x], dy);
        assert.equal(tf.memory().numTensors, before + 1, `${backend} ${op} ${shape} over ${axis}: tensors left`);
        // tfjs's Sum_grad / Mean_grad written out.
        const want = tf.tidy(() => {
          const expanded = shape.slice();
          for (const a of tf.util.parseAxisParam(axis, shape)) expanded[a] = 1;
          const spread = tf.mul(tf.reshape(dy, expanded), tf.ones(shape, "float32"));
          const count = tf.util.parseAxisParam(axis, shape).reduce((n, a) => n * shape[a], 1);
          return op === "sum" ? spread : tf.div(spread, count);
        });
        assert.deepEqual(Array.from(got.dataSync()), Array.from(want.dataSync()), `${backend} ${op} ${shape} over ${axis}`);
        tf.dispose([got, want]);
      }
      tf.dispose([x, dy]);
    }
  }
  await tf.setBackend(start);
});
