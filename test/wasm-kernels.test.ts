// ganbook's wasm training kernels against the cpu backend's reference implementations.
import { before, test } from "node:test";
import * as assert from "node:assert/strict";
import { ready, tf } from "../lib/src/index";
import { registerWasmTrainingKernels, useStockWasmKernels } from "../lib/src/wasm-kernels";

before(async () => {
  const report = await ready();
  if (report.backend !== "wasm") await tf.setBackend("wasm");
  registerWasmTrainingKernels();
});

/** A deterministic pseudo-random array in [-0.5, 0.5) (so cpu and wasm see the same numbers). */
function values(n: number, seed: number): Float32Array {
  const out = new Float32Array(n);
  let s = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = s / 2 ** 32 - 0.5;
  }
  return out;
}

/** Max |a - b| relative to the largest |a| (float32 sums of hundreds of terms: ~1e-6). */
function relativeError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length);
  let err = 0;
  let scale = 1e-6;
  for (let i = 0; i < a.length; i++) {
    err = Math.max(err, Math.abs(a[i] - b[i]));
    scale = Math.max(scale, Math.abs(a[i]));
  }
  return err / scale;
}

type Pad = "same" | "valid" | [[number, number], [number, number], [number, number], [number, number]];
interface Case {
  batch: number;
  size: [number, number];
  inChannels: number;
  outChannels: number;
  kernel: [number, number];
  strides: [number, number];
  pad: Pad;
}

/** y = conv2d(x, w); returns dL/dx and dL/dw for L = sum(y * r) on `backend`. */
async function convGrads(backend: string, c: Case) {
  await tf.setBackend(backend);
  return tf.tidy(() => {
    const x = tf.tensor4d(values(c.batch * c.size[0] * c.size[1] * c.inChannels, 1), [c.batch, ...c.size, c.inChannels]);
    const w = tf.tensor4d(values(c.kernel[0] * c.kernel[1] * c.inChannels * c.outChannels, 2), [...c.kernel, c.inChannels, c.outChannels]);
    const conv = (a: tf.Tensor, b: tf.Tensor) => tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, c.strides, c.pad);
    const y = conv(x, w);
    const r = tf.tensor(values(y.size, 3), y.shape);
    const [dx, dw] = tf.grads((a: tf.Tensor, b: tf.Tensor) => conv(a, b).mul(r).sum())([x, w]);
    return { dx, dw };
  });
}

/** Reads and disposes tensors. (Typed arrays are not returned from tf.tidy: it walks every element.) */
function read<K extends string>(tensors: Record<K, tf.Tensor>): Record<K, Float32Array> {
  const out = {} as Record<K, Float32Array>;
  for (const k of Object.keys(tensors) as K[]) {
    out[k] = tensors[k].dataSync() as Float32Array;
    tensors[k].dispose();
  }
  return out;
}

/** y = conv2dTranspose(x, w) to `outSize`; returns y, dL/dx and dL/dw on `backend`. */
async function transposeGrads(backend: string, c: Case & { outSize: [number, number] }) {
  await tf.setBackend(backend);
  return tf.tidy(() => {
    const x = tf.tensor4d(values(c.batch * c.size[0] * c.size[1] * c.inChannels, 4), [c.batch, ...c.size, c.inChannels]);
    // conv2dTranspose's filter is [kh, kw, outChannels, inChannels]
    const w = tf.tensor4d(values(c.kernel[0] * c.kernel[1] * c.inChannels * c.outChannels, 5), [...c.kernel, c.outChannels, c.inChannels]);
    const shape: [number, number, number, number] = [c.batch, ...c.outSize, c.outChannels];
    const f = (a: tf.Tensor, b: tf.Tensor) => tf.conv2dTranspose(a as tf.Tensor4D, b as tf.Tensor4D, shape, c.strides, c.pad as "same" | "valid");
    const y = f(x, w);
    const r = tf.tensor(values(y.size, 6), y.shape);
    const [dx, dw] = tf.grads((a: tf.Tensor, b: tf.Tensor) => f(a, b).mul(r).sum())([x, w]);
    return { y, dx, dw };
  });
}

const TOLERANCE = 1e-4;
const explicit: Pad = [[0, 0], [1, 2], [2, 0], [0, 0]];
const cases: Case[] = [];
for (const strides of [[1, 1], [2, 2], [3, 3], [2, 1], [1, 3]] as [number, number][]) {
  for (const kernel of [[1, 1], [2, 2], [3, 3], [5, 5], [2, 3], [5, 1], [4, 4]] as [number, number][]) {
    for (const pad of ["same", "valid", explicit] as Pad[]) {
      for (const size of [[7, 7], [9, 6], [8, 11]] as [number, number][]) {
        cases.push({ batch: 2, size, inChannels: 3, outChannels: 4, kernel, strides, pad });
      }
    }
  }
}
// batch 1, one input channel (a discriminator's first layer), and a DCGAN-sized layer
cases.push({ batch: 1, size: [13, 13], inChannels: 1, outChannels: 8, kernel: [5, 5], strides: [2, 2], pad: "same" });
cases.push({ batch: 1, size: [5, 7], inChannels: 1, outChannels: 1, kernel: [3, 2], strides: [2, 3], pad: "valid" });
cases.push({ batch: 4, size: [14, 14], inChannels: 16, outChannels: 32, kernel: [5, 5], strides: [2, 2], pad: "same" });

test(`conv2d gradients on wasm equal the cpu backend's (${cases.length} cases)`, async () => {
  const failures: string[] = [];
  for (const c of cases) {
    const cpu = read(await convGrads("cpu", c));
    const wasm = read(await convGrads("wasm", c));
    for (const key of ["dx", "dw"] as const) {
      const err = relativeError(cpu[key], wasm[key]);
      if (!(err < TOLERANCE)) failures.push(`${key} relative error ${err.toExponential(2)} for ${JSON.stringify(c)}`);
    }
  }
  assert.deepEqual(failures, []);
});

test("conv2dTranspose forward and gradients on wasm equal the cpu backend's", async () => {
  const failures: string[] = [];
  const transposeCases: (Case & { outSize: [number, number] })[] = [
    { batch: 2, size: [7, 7], inChannels: 6, outChannels: 4, kernel: [5, 5], strides: [1, 1], pad: "same", outSize: [7, 7] },
    { batch: 2, size: [7, 7], inChannels: 6, outChannels: 4, kernel: [5, 5], strides: [2, 2], pad: "same", outSize: [14, 14] },
    { batch: 1, size: [4, 5], inChannels: 3, outChannels: 1, kernel: [4, 4], strides: [2, 2], pad: "same", outSize: [8, 10] },
    { batch: 2, size: [3, 3], inChannels: 2, outChannels: 3, kernel: [3, 3], strides: [2, 2], pad: "valid", outSize: [7, 7] },
    { batch: 2, size: [3, 4], inChannels: 2, outChannels: 3, kernel: [3, 2], strides: [3, 2], pad: "valid", outSize: [9, 8] },
    { batch: 3, size: [5, 5], inChannels: 2, outChannels: 2, kernel: [5, 3], strides: [3, 3], pad: "same", outSize: [15, 15] },
  ];
  for (const c of transposeCases) {
    const cpu = read(await transposeGrads("cpu", c));
    const wasm = read(await transposeGrads("wasm", c));
    for (const key of ["y", "dx", "dw"] as const) {
      const err = relativeError(cpu[key], wasm[key]);
      if (!(err < TOLERANCE)) failures.push(`${key} relative error ${err.toExponential(2)} for ${JSON.stringify(c)}`);
    }
  }
  assert.deepEqual(failures, []);
});

/** y = conv2d(x, w) (through tf.fused.conv2d with a bias, as tf.layers.conv2d runs it); y, dL/dx, dL/dw. */
async function fusedConvGrads(backend: string, c: Case) {
  await tf.setBackend(backend);
  return tf.tidy(() => {
    const x = tf.tensor4d(values(c.batch * c.size[0] * c.size[1] * c.inChannels, 21), [c.batch, ...c.size, c.inChannels]);
    const w = tf.tensor4d(values(c.kernel[0] * c.kernel[1] * c.inChannels * c.outChannels, 22), [...c.kernel, c.inChannels, c.outChannels]);
    const bias = tf.tensor1d(values(c.outChannels, 23));
    const f = (a: tf.Tensor, b: tf.Tensor) => tf.fused.conv2d({ x: a as tf.Tensor4D, filter: b as tf.Tensor4D, strides: c.strides, pad: c.pad, bias });
    const y = f(x, w);
    const r = tf.tensor(values(y.size, 24), y.shape);
    const [dx, dw] = tf.grads((a: tf.Tensor, b: tf.Tensor) => f(a, b).mul(r).sum())([x, w]);
    return { y, dx, dw };
  });
}

/** A seeded generator of integers in [lo, hi] (its own LCG, so the search is the same on every run). */
function integers(seed: number): (lo: number, hi: number) => number {
  let s = seed >>> 0;
  return (lo, hi) => {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    return lo + ((s >>> 8) % (hi - lo + 1));
  };
}

/**
 * Random convolutions of every kind tf.layers.conv2d and conv2dTranspose accept: kernels 1-5 per
 * axis, strides 1-3 per axis (often unequal), same / valid / explicit padding, sizes from the kernel
 * up (odd ones included), batch 1-3, channels 1-8.
 */
function randomCases(count: number, seed: number): (Case & { outSize: [number, number] })[] {
  const int = integers(seed);
  const out: (Case & { outSize: [number, number] })[] = [];
  while (out.length < count) {
    const kernel: [number, number] = [int(1, 5), int(1, 5)];
    const strides: [number, number] = [int(1, 3), int(1, 3)];
    const size: [number, number] = [kernel[0] + int(0, 8), kernel[1] + int(0, 8)];
    const kind = int(0, 2);
    const pad: Pad = kind === 0 ? "same" : kind === 1 ? "valid" : [[0, 0], [int(0, kernel[0] - 1), int(0, kernel[0] - 1)], [int(0, kernel[1] - 1), int(0, kernel[1] - 1)], [0, 0]];
    // conv2dTranspose's output size: the input of the forward conv that maps it back to `size`.
    const outSize = [0, 1].map((a) =>
      pad === "same" ? size[a] * strides[a] : pad === "valid" ? (size[a] - 1) * strides[a] + kernel[a] : (size[a] - 1) * strides[a] + kernel[a] - pad[a + 1][0] - pad[a + 1][1],
    ) as [number, number];
    if (outSize[0] < 1 || outSize[1] < 1) continue;
    out.push({ batch: int(1, 3), size, inChannels: int(1, 8), outChannels: int(1, 8), kernel, strides, pad, outSize });
  }
  return out;
}

test("random search: conv2d, fused conv2d and conv2dTranspose on wasm equal the cpu backend (forward and both gradients, 240 shapes)", async () => {
  const failures: string[] = [];
  const named: (Case & { outSize: [number, number] })[] = [
    // The wasm backend's stock conv2d gave zeros here (same padding, unequal strides).
    { batch: 1, size: [5, 4], inChannels: 1, outChannels: 1, kernel: [2, 1], strides: [1, 2], pad: "same", outSize: [5, 8] },
    // A transposed conv whose gradients came out all zeros the same way.
    { batch: 3, size: [9, 2], inChannels: 8, outChannels: 3, kernel: [1, 2], strides: [3, 1], pad: "same", outSize: [27, 2] },
  ];
  const all = [...named, ...randomCases(240, 2026)];
  for (const c of all) {
    for (const [what, run] of [["conv2d", fusedConvGrads], ["conv2dTranspose", transposeGrads]] as const) {
      const cpu = read(await run("cpu", c));
      const wasm = read(await run("wasm", c));
      for (const key of ["y", "dx", "dw"] as const) {
        const err = relativeError(cpu[key], wasm[key]);
        if (!(err < TOLERANCE)) failures.push(`${what} ${key}: relative error ${err.toExponential(2)} for ${JSON.stringify(c)}`);
      }
    }
  }
  assert.deepEqual(failures.slice(0, 10), [], `${failures.length} of ${all.length * 6} comparisons differ`);
});

test("the named unequal-stride example gives the cpu backend's numbers on wasm", async () => {
  await tf.setBackend("wasm");
  const x = tf.tensor4d(Array.from({ length: 20 }, (_, i) => i + 1), [1, 5, 4, 1]);
  const f = tf.ones([2, 1, 1, 1]) as tf.Tensor4D;
  const y = read({ y: tf.conv2d(x, f, [1, 2], "same") }).y;
  assert.deepEqual(Array.from(y), [6, 10, 14, 18, 22, 26, 30, 34, 17, 19]); // rows i and i+1 of columns 0 and 2
  tf.dispose([x, f]);
});

test("matMul with transposed operands on wasm equals the cpu backend's", async () => {
  const failures: string[] = [];
  const shapes: [number[], number[]][] = [
    [[5, 7], [7, 3]],
    [[40, 30], [30, 50]],
    [[2, 6, 4], [2, 4, 5]],
    [[3, 6, 4], [1, 4, 5]], // broadcast batch
    [[64, 100], [100, 1]],
  ];
  for (const [sa, sb] of shapes) {
    for (const [ta, tb] of [[false, false], [true, false], [false, true], [true, true]]) {
      const swap = (s: number[], t: boolean) => (t ? [...s.slice(0, -2), s.at(-1)!, s.at(-2)!] : s);
      const product = async (backend: string) => {
        await tf.setBackend(backend);
        const a = tf.tensor(values(sa.reduce((x, y) => x * y), 11), swap(sa, ta));
        const b = tf.tensor(values(sb.reduce((x, y) => x * y), 12), swap(sb, tb));
        const out = read({ y: tf.matMul(a, b, ta, tb) }).y;
        tf.dispose([a, b]);
        return out;
      };
      const err = relativeError(await product("cpu"), await product("wasm"));
      if (!(err < TOLERANCE)) failures.push(`relative error ${err} for ${sa} x ${sb}, transposeA=${ta}, transposeB=${tb}`);
    }
  }
  assert.deepEqual(failures, []);
});

test("LeakyRelu, Sum, Mean and batch norm on wasm equal the cpu backend's (LeakyRelu: the stock kernel's exactly), and free what they make", async () => {
  type Op = [string, (t: (values: Float32Array, shape: number[]) => tf.Tensor) => tf.Tensor, number];
  const x = (t: (v: Float32Array, s: number[]) => tf.Tensor, shape: number[], seed = 21) => t(values(shape.reduce((a, b) => a * b), seed), shape);
  const ops: Op[] = [
    // LeakyRelu is exact: x or alpha * x in float32, the stock wasm kernel's numbers, zeros included.
    ["leakyRelu 0.2", (t) => tf.leakyRelu(tf.concat([x(t, [4, 6, 6, 8]).reshape([-1]), tf.zeros([5])]), 0.2), 0],
    ["leakyRelu 0.3 [64, 3136]", (t) => tf.leakyRelu(x(t, [64, 3136]), 0.3), 0],
    ["sum over N, H, W", (t) => tf.sum(x(t, [16, 7, 7, 16]), [0, 1, 2]), TOLERANCE],
    ["sum over N, H, W, keepDims", (t) => tf.sum(x(t, [16, 7, 7, 16]), [2, 0, 1], true), TOLERANCE],
    ["sum over the batch of [N, C]", (t) => tf.sum(x(t, [33, 12]), 0), TOLERANCE],
    ["sum over two leading axes of [3, 4, 10]", (t) => tf.sum(x(t, [3, 4, 10]), [0, 1]), TOLERANCE],
    ["sum over a middle axis (stock)", (t) => tf.sum(x(t, [3, 4, 10]), 1), TOLERANCE],
    ["sum over everything (stock)", (t) => tf.sum(x(t, [3, 4, 10])), TOLERANCE],
    ["int32 sum (stock)", (t) => tf.sum(tf.cast(tf.mul(x(t, [20, 9]), 100), "int32"), 0), 0],
    ["mean over N, H, W", (t) => tf.mean(x(t, [9, 5, 5, 24]), [0, 1, 2]), TOLERANCE],
    ["mean over the batch, keepDims", (t) => tf.mean(x(t, [7, 40]), 0, true), TOLERANCE],
    ["mean over the last axis (stock)", (t) => tf.mean(x(t, [7, 40]), -1), TOLERANCE],
    ["batch norm [N, H, W, C] with offset and scale", (t) => tf.batchNorm(x(t, [6, 5, 5, 9]), x(t, [9], 22), tf.abs(x(t, [9], 23)), x(t, [9], 24), x(t, [9], 25), 1e-3), TOLERANCE],
    ["batch norm [N, C] without offset and scale", (t) => tf.batchNorm(x(t, [8, 12]), x(t, [12], 26), tf.add(tf.abs(x(t, [12], 27)), 0.1)), TOLERANCE],
    ["batch norm with [1, 1, 1, C] statistics", (t) => tf.batchNorm(x(t, [2, 3, 3, 10]), x(t, [1, 1, 1, 10], 28), tf.abs(x(t, [1, 1, 1, 10], 29)), x(t, [1, 1, 1, 10], 30), undefined, 1e-3), TOLERANCE],
  ];
  const failures: string[] = [];
  for (const [name, op, tolerance] of ops) {
    const result = async (backend: string, stockKernels = false) => {
      await tf.setBackend(backend);
      if (stockKernels) useStockWasmKernels();
      const idsBefore = tf.engine().backend.numDataIds();
      const y = tf.tidy(() => op((v, shape) => tf.tensor(v, shape)));
      const out = { shape: y.shape, values: y.dataSync() as Float32Array };
      y.dispose();
      if (stockKernels) registerWasmTrainingKernels();
      return { ...out, leaked: tf.engine().backend.numDataIds() - idsBefore };
    };
    // Exact ones against the stock wasm kernel (the cpu backend rounds alpha * x in float64 first).
    const exact = tolerance === 0;
    const reference = await result(exact ? "wasm" : "cpu", exact);
    const wasm = await result("wasm");
    const against = exact ? "the stock wasm kernel" : "cpu";
    if (wasm.leaked !== 0) failures.push(`${name}: ${wasm.leaked} tensors left in wasm memory`);
    if (JSON.stringify(reference.shape) !== JSON.stringify(wasm.shape)) failures.push(`${name}: shape ${wasm.shape} on wasm, ${reference.shape} on ${against}`);
    else {
      const err = exact ? (reference.values.every((v, i) => v === wasm.values[i]) ? 0 : Infinity) : relativeError(reference.values, wasm.values);
      if (!(err <= tolerance)) failures.push(`${name}: relative error ${err}`);
    }
  }
  assert.deepEqual(failures, []);
});

test("GatherV2 of rows on wasm gives the stock kernel's values exactly, for every index shape, and its error for an index out of range", async () => {
  const x = (shape: number[], seed = 31) => tf.tensor(values(shape.reduce((a, b) => a * b), seed), shape);
  const cases: [string, () => tf.Tensor][] = [
    ["rows of [10, 4, 3], repeated and last", () => tf.gather(x([10, 4, 3]), tf.tensor1d([3, 0, 9, 3], "int32"))],
    ["a [2, 2] block of indices", () => tf.gather(x([10, 5]), tf.tensor2d([[1, 2], [0, 9]], [2, 2], "int32"))],
    ["one scalar index", () => tf.gather(x([6, 2, 2, 1]), tf.scalar(5, "int32"))],
    ["elements of a vector", () => tf.gather(x([7]), tf.tensor1d([6, 1, 1], "int32"))],
    ["no indices", () => tf.gather(x([4, 3]), tf.tensor1d([], "int32"))],
    ["axis 1 (stock)", () => tf.gather(x([4, 5, 2]), tf.tensor1d([4, 0], "int32"), 1)],
    ["int32 rows (stock)", () => tf.gather(tf.tensor2d([[1, 2], [3, 4], [5, 6]], [3, 2], "int32"), tf.tensor1d([2, 0], "int32"))],
  ];
  const run = async (f: () => tf.Tensor, stockKernels: boolean) => {
    await tf.setBackend("wasm");
    if (stockKernels) useStockWasmKernels();
    try {
      const idsBefore = tf.engine().backend.numDataIds();
      const y = tf.tidy(f);
      const out = { shape: y.shape, values: Array.from(y.dataSync()) };
      y.dispose();
      return { ...out, leaked: tf.engine().backend.numDataIds() - idsBefore };
    } finally {
      if (stockKernels) registerWasmTrainingKernels();
    }
  };
  for (const [name, f] of cases) {
    const [stock, ours] = [await run(f, true), await run(f, false)];
    assert.deepEqual(ours, { ...stock, leaked: 0 }, name);
  }
  for (const bad of [10, -1]) {
    const rows = x([10, 3]);
    assert.throws(() => tf.gather(rows, tf.tensor1d([0, bad], "int32")), { message: `GatherV2: the index value ${bad} is not in [0, 9]` });
    rows.dispose();
  }
});

/** A tiny DCGAN-like stack: conv2dTranspose up, then conv2d down, trained with SGD. */
function buildModel(): tf.Sequential {
  const init = (seed: number) => tf.initializers.glorotUniform({ seed });
  return tf.sequential({
    layers: [
      tf.layers.conv2dTranspose({ inputShape: [4, 4, 3], filters: 5, kernelSize: 3, strides: 2, padding: "same", kernelInitializer: init(1) }),
      tf.layers.leakyReLU({ alpha: 0.2 }),
      tf.layers.conv2d({ filters: 4, kernelSize: [3, 2], strides: [2, 1], padding: "valid", kernelInitializer: init(2) }),
      tf.layers.flatten(),
      tf.layers.dense({ units: 1, kernelInitializer: init(3) }),
    ],
  });
}

async function trainedWeights(backend: string, steps: number): Promise<Float32Array[]> {
  await tf.setBackend(backend);
  const model = buildModel();
  const optimizer = tf.train.sgd(0.05);
  const x = tf.tensor4d(values(2 * 4 * 4 * 3, 7), [2, 4, 4, 3]);
  const y = tf.tensor2d([[1], [-1]]);
  for (let i = 0; i < steps; i++) {
    tf.dispose(optimizer.minimize(() => tf.losses.meanSquaredError(y, model.apply(x) as tf.Tensor) as tf.Scalar, true)!);
  }
  const weights = model.getWeights().map((w) => w.dataSync() as Float32Array);
  tf.dispose([x, y]);
  optimizer.dispose();
  model.dispose();
  return weights;
}

test("Identity and same-dtype Cast on wasm share the input's memory instead of copying, and each tensor lives until its own dispose", async () => {
  await tf.setBackend("wasm");
  const backend = tf.engine().backend;
  const idsBefore = backend.numDataIds();
  const x = tf.tensor([1.5, -2.25, 3, 0], [2, 2]);
  const clone = tf.clone(x);
  const same = tf.cast(x, "float32");
  assert.equal(backend.numDataIds(), idsBefore + 1, "clone and cast to float32 add no wasm buffer");
  const ints = tf.cast(x, "int32");
  assert.equal(backend.numDataIds(), idsBefore + 2, "a cast to another dtype makes its own buffer");
  assert.deepEqual(Array.from(ints.dataSync()), [1, -2, 3, 0]);
  x.dispose();
  assert.deepEqual(Array.from(clone.dataSync()), [1.5, -2.25, 3, 0], "the clone outlives the original");
  clone.dispose();
  assert.deepEqual(Array.from(same.dataSync()), [1.5, -2.25, 3, 0], "the cast outlives both");
  // The gradient tape's pass-through gradients are Identity too.
  const v = tf.tensor([1, 2, 3]);
  const g = tf.grad((t: tf.Tensor) => tf.sum(tf.square(tf.clone(t))))(v);
  assert.deepEqual(Array.from(g.dataSync()), [2, 4, 6]);
  tf.dispose([same, ints, v, g]);
  assert.equal(backend.numDataIds(), idsBefore, "nothing left in wasm memory");
});

test("tf.layers conv2d and conv2dTranspose training steps on wasm match the cpu backend", async () => {
  const cpu = await trainedWeights("cpu", 3);
  const wasm = await trainedWeights("wasm", 3);
  assert.equal(cpu.length, wasm.length);
  cpu.forEach((w, i) => assert.ok(relativeError(w, wasm[i]) < 1e-3, `weight ${i} differs`));
});

test("100 training steps on wasm leak no tensors", async () => {
  await tf.setBackend("wasm");
  const model = buildModel();
  const optimizer = tf.train.adam(1e-3);
  const x = tf.tensor4d(values(2 * 4 * 4 * 3, 8), [2, 4, 4, 3]);
  const y = tf.tensor2d([[1], [-1]]);
  const step = () => tf.dispose(optimizer.minimize(() => tf.losses.meanSquaredError(y, model.apply(x) as tf.Tensor) as tf.Scalar, true)!);
  step();
  const after1 = tf.memory().numTensors;
  for (let i = 0; i < 99; i++) step();
  assert.equal(tf.memory().numTensors, after1);
  tf.dispose([x, y]);
  optimizer.dispose();
  model.dispose();
});

test("stock wasm cannot train a conv net; ganbook's kernels can", async () => {
  await tf.setBackend("wasm");
  const x = tf.ones([1, 4, 4, 1]);
  const w = tf.ones([2, 2, 1, 1]);
  const gradW = () => read({ g: tf.grad((b: tf.Tensor) => tf.conv2d(x as tf.Tensor4D, b as tf.Tensor4D, 1, "valid").sum())(w) }).g;
  useStockWasmKernels();
  try {
    assert.throws(gradW, /Conv2DBackpropFilter/);
  } finally {
    registerWasmTrainingKernels();
  }
  assert.deepEqual(Array.from(gradW()), [9, 9, 9, 9]); // each tap sees 3x3 ones
  tf.dispose([x, w]);
});
