// GAN metrics: Fréchet distance against closed forms, the class histogram, the toy mode metrics,
// and the committed evaluators' accuracy and classifier score on the real test sets.
import { before, test } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import { ready, tf } from "../lib/src/index";
import { classHistogram, classifierScore, confidentShare, frechetDistance, frechetFromStats, klToUniform, labelAccuracy, meanAndCovariance, symmetricEigen } from "../lib/src/metrics";
import { grid25, modeCoverage, ring8 } from "../lib/src/toy";
import { evaluatorDir, loadEvaluator } from "../lib/src/evaluator";
import { imagesToTensor, loadDataset } from "../lib/src/data";

before(() => ready());

const diag = (v: number[]) => v.map((x, i) => Float64Array.from(v, (_, j) => (i === j ? x : 0)));

test("Fréchet distance of a set with itself is ~0", () => {
  const x = tf.randomNormal([500, 8], 0, 1, "float32", 1) as tf.Tensor2D;
  assert.ok(frechetDistance(x, x) < 1e-6);
  x.dispose();
});

test("Fréchet distance of two Gaussians matches the closed form", () => {
  // Diagonal: ||m1 - m2||² + sum (s1 - s2)²
  const s1 = { mean: Float64Array.from([0, 1, 2]), cov: diag([1, 4, 9]) };
  const s2 = { mean: Float64Array.from([1, 1, 0]), cov: diag([4, 1, 9]) };
  const expected = 1 + 0 + 4 + (1 - 2) ** 2 + (2 - 1) ** 2 + 0;
  assert.ok(Math.abs(frechetFromStats(s1, s2) - expected) < 1e-8);
  // The same covariances rotated by 30 degrees in the first two axes (they still commute): same distance.
  const c = Math.cos(Math.PI / 6);
  const s = Math.sin(Math.PI / 6);
  const rotate = (m: Float64Array[]) => {
    const r = [[c, -s, 0], [s, c, 0], [0, 0, 1]];
    const rm = r.map((row) => [0, 1, 2].map((j) => row.reduce((acc, v, k) => acc + v * m[k][j], 0)));
    return rm.map((row) => Float64Array.from([0, 1, 2].map((j) => row.reduce((acc, v, k) => acc + v * r[j][k], 0))));
  };
  assert.ok(Math.abs(frechetFromStats({ ...s1, cov: rotate(s1.cov) }, { ...s2, cov: rotate(s2.cov) }) - expected) < 1e-8);
  // From samples: N(0, I) vs N(3, 4I) in 4 dimensions -> 4*9 + 4*(2-1)² = 40
  const a = tf.randomNormal([20000, 4], 0, 1, "float32", 2) as tf.Tensor2D;
  const b = tf.randomNormal([20000, 4], 3, 2, "float32", 3) as tf.Tensor2D;
  const fd = frechetDistance(a, b);
  assert.ok(Math.abs(fd - 40) < 1, `sampled Fréchet distance ${fd} vs 40`);
  tf.dispose([a, b]);
});

test("the Jacobi eigensolver recovers eigenvalues, and covariance divides by n - 1", () => {
  const { values } = symmetricEigen([Float64Array.from([2, 1]), Float64Array.from([1, 2])]);
  assert.deepEqual(Array.from(values, (v) => Math.round(v * 1e9) / 1e9).sort(), [1, 3]);
  const { mean, cov } = meanAndCovariance(tf.tensor2d([[1, 2], [3, 6]]));
  assert.deepEqual(Array.from(mean), [2, 4]);
  assert.deepEqual(cov.map((r) => Array.from(r)), [[2, 4], [4, 8]]);
});

test("the class histogram flags a one-class set; scores and accuracies are hand-checkable", () => {
  const oneClass = tf.oneHot(tf.fill([100], 3, "int32") as tf.Tensor1D, 10).toFloat() as tf.Tensor2D;
  const hist = classHistogram(oneClass);
  assert.equal(hist.filter((c) => c > 0).length, 1);
  assert.equal(hist[3], 100);
  assert.ok(Math.abs(klToUniform(hist) - Math.log(10)) < 1e-12);
  assert.ok(Math.abs(classifierScore(oneClass) - 1) < 1e-6, "confident but one class: score 1");
  const balanced = tf.oneHot(tf.tensor1d(Array.from({ length: 100 }, (_, i) => i % 10), "int32"), 10).toFloat() as tf.Tensor2D;
  assert.ok(Math.abs(classifierScore(balanced) - 10) < 1e-3, "confident and balanced: score 10");
  assert.equal(klToUniform(classHistogram(balanced)), 0);
  assert.equal(confidentShare(tf.tensor2d([[0.95, 0.05], [0.6, 0.4]])), 0.5);
  assert.equal(labelAccuracy(balanced, Array.from({ length: 100 }, (_, i) => (i < 50 ? i % 10 : 0))), 0.55);
  tf.dispose([oneClass, balanced]);
});

test("toy mode metrics count modes, high-quality samples and reverse KL on constructed points", () => {
  const ring = ring8();
  // 3 points on each of modes 0, 2 and 5 (exactly on the centre) and one far away point
  const pts = [0, 2, 5].flatMap((m) => [ring.centers[m], ring.centers[m], ring.centers[m]]).concat([[0, 0]]);
  const report = modeCoverage(tf.tensor2d(pts), ring);
  assert.equal(report.modesCovered, 3);
  assert.equal(report.highQuality, 9 / 10);
  assert.deepEqual(report.counts, [3, 0, 3, 0, 0, 3, 0, 0]);
  assert.ok(Math.abs(report.reverseKL - Math.log(8 / 3)) < 1e-12); // 3 equal modes of 8
  // just outside 3 std of a grid mode is not high quality
  const grid = grid25();
  const off = modeCoverage(tf.tensor2d([[0, 3.01 * grid.std], [0, 2.99 * grid.std]]), grid);
  assert.equal(off.highQuality, 0.5);
  assert.equal(off.modesCovered, 1);
});

for (const [dataset, target] of [["mnist", 0.99], ["fashion-mnist", 0.9]] as const) {
  const available = fs.existsSync(evaluatorDir(dataset)) && (dataset === "mnist" || fs.existsSync("/usr/share/datasets/fashion-mnist"));
  test(`the committed ${dataset} evaluator reaches ${target * 100}% test accuracy`, { skip: !available && "weights or data missing" }, async () => {
    const evaluator = await loadEvaluator(dataset);
    const data = await loadDataset(dataset, { split: "test" });
    const x = imagesToTensor(data);
    const p = evaluator.probabilities(x);
    const predicted = tf.tidy(() => tf.argMax(p, 1).dataSync());
    const acc = Array.from(predicted).reduce((n: number, c: number, i: number) => n + (c === data.labels[i] ? 1 : 0), 0) / data.count;
    assert.ok(acc >= target, `accuracy ${acc}`);
    assert.ok(Math.abs(acc - evaluator.info!.testAccuracy) < 1e-9, "matches what train:evaluators recorded");
    if (dataset === "mnist") {
      const score = classifierScore(p);
      assert.ok(score >= 9.5, `MNIST test set classifier score ${score}`);
    }
    tf.dispose([x, p]);
  });
}
