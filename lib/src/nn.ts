/**
 * Neurons and networks before GANs: the perceptron learning rule and its decision boundary
 * (chapter 01), backpropagation by hand, classification metrics and nearest neighbours (chapter 02;
 * chapter 03 uses nearest neighbours to show that generated digits are new).
 */
import * as tf from "@tensorflow/tfjs";
import type { PlotlyFigure } from "./display";
import { makeNormal, makeRandom } from "./random";

/** Points with 0/1 labels. */
export interface LabeledPoints {
  /** [n][2] coordinates. */
  points: number[][];
  labels: number[];
}

/** Two Gaussian clusters (label 0 around (-d, -d), label 1 around (d, d)), linearly separable for d >= 1. Seeded. */
export function makeBlobs(n: number, seed = 0, distance = 1.5, std = 0.5): LabeledPoints {
  const normal = makeNormal(makeRandom(seed));
  const points: number[][] = [];
  const labels: number[] = [];
  for (let i = 0; i < n; i++) {
    const label = i % 2;
    const c = label ? distance : -distance;
    points.push([c + std * normal(), c + std * normal()]);
    labels.push(label);
  }
  return { points, labels };
}

/** XOR: the four corners of the unit square, labelled 1 when exactly one coordinate is 1. */
export const XOR: LabeledPoints = { points: [[0, 0], [0, 1], [1, 0], [1, 1]], labels: [0, 1, 1, 0] };

/** A perceptron's weights after an epoch, and how many points it got wrong during that epoch. */
export interface PerceptronState {
  epoch: number;
  w: [number, number];
  b: number;
  errors: number;
}

/**
 * Rosenblatt's perceptron rule: for each point, predict step(w·x + b); when wrong, move the weights
 * towards the point (w += lr * (y - prediction) * x). Returns the state after every epoch (epoch 0:
 * the start). On separable data it converges; on XOR it never does.
 */
export function trainPerceptronRule(data: LabeledPoints, options: { epochs?: number; learningRate?: number } = {}): PerceptronState[] {
  const { epochs = 20, learningRate = 0.1 } = options;
  let w: [number, number] = [0.5, -0.5];
  let b = 0;
  const states: PerceptronState[] = [{ epoch: 0, w: [...w], b, errors: NaN }];
  for (let epoch = 1; epoch <= epochs; epoch++) {
    let errors = 0;
    data.points.forEach(([x1, x2], i) => {
      const prediction = w[0] * x1 + w[1] * x2 + b > 0 ? 1 : 0;
      const error = data.labels[i] - prediction; // -1, 0 or +1
      if (error !== 0) {
        errors++;
        w = [w[0] + learningRate * error * x1, w[1] + learningRate * error * x2];
        b += learningRate * error;
      }
    });
    states.push({ epoch, w: [...w], b, errors });
    if (errors === 0) break; // converged: every point is on its side of the line
  }
  return states;
}

/** The line w·x + b = 0 across [lo, hi] (vertical when w2 = 0). */
function boundaryLine(w: [number, number], b: number, lo: number, hi: number): { x: number[]; y: number[] } {
  if (Math.abs(w[1]) < 1e-9) return { x: [-b / (w[0] || 1e-9), -b / (w[0] || 1e-9)], y: [lo, hi] };
  return { x: [lo, hi], y: [lo, hi].map((x) => -(w[0] * x + b) / w[1]) };
}

/** Points coloured by label with the decision boundary of each state; a slider steps through epochs. */
export function boundaryFigure(data: LabeledPoints, states: PerceptronState[], title = "Perceptron decision boundary"): PlotlyFigure {
  const all = data.points.flat();
  const [lo, hi] = [Math.min(...all) - 0.5, Math.max(...all) + 0.5];
  const scatter = (label: number, color: string) => ({
    type: "scatter",
    mode: "markers",
    name: `label ${label}`,
    x: data.points.filter((_, i) => data.labels[i] === label).map((p) => p[0]),
    y: data.points.filter((_, i) => data.labels[i] === label).map((p) => p[1]),
    marker: { color, size: 7 },
  });
  const line = (s: PerceptronState) => ({ type: "scatter", mode: "lines", name: "w·x + b = 0", ...boundaryLine(s.w, s.b, lo, hi), line: { color: "#333", width: 2 } });
  const last = states[states.length - 1];
  const base = [scatter(0, "#1f77b4"), scatter(1, "#e4572e")];
  return {
    data: [...base, line(last)],
    layout: {
      title: { text: title },
      xaxis: { range: [lo, hi], title: { text: "x₁" } },
      yaxis: { range: [lo, hi], title: { text: "x₂" }, scaleanchor: "x" },
      height: 460,
      sliders: [
        {
          active: states.length - 1,
          currentvalue: { prefix: "epoch " },
          steps: states.map((s) => ({ label: String(s.epoch), method: "animate", args: [[`epoch ${s.epoch}`], { mode: "immediate", frame: { duration: 0, redraw: true } }] })),
        },
      ],
    },
    frames: states.map((s) => ({ name: `epoch ${s.epoch}`, data: [...base, line(s)] })),
  };
}

/** Parameters of a 2-2-1 sigmoid network: h = σ(W1ᵀx + b1), ŷ = σ(W2ᵀh + b2). */
export interface TinyNet {
  W1: number[][]; // [2 inputs][2 hidden]
  b1: number[]; // [2]
  W2: number[]; // [2 hidden] -> 1 output
  b2: number;
}

const sigmoid = (v: number) => 1 / (1 + Math.exp(-v));

/**
 * Backpropagation by hand for one example through a {@link TinyNet} with cost C = ½(ŷ - y)²:
 * every intermediate of the forward pass and every partial derivative, by the chain rule.
 * Chapter 02 prints these and checks them against tf.grad.
 */
export function backpropByHand(net: TinyNet, x: [number, number], y: number) {
  // forward
  const z1 = [0, 1].map((j) => net.W1[0][j] * x[0] + net.W1[1][j] * x[1] + net.b1[j]);
  const h = z1.map(sigmoid);
  const z2 = net.W2[0] * h[0] + net.W2[1] * h[1] + net.b2;
  const yHat = sigmoid(z2);
  const cost = 0.5 * (yHat - y) ** 2;
  // backward: dC/dŷ = ŷ - y; σ'(z) = σ(z)(1 - σ(z))
  const dYHat = yHat - y;
  const dZ2 = dYHat * yHat * (1 - yHat);
  const dW2 = h.map((hj) => dZ2 * hj);
  const dB2 = dZ2;
  const dH = net.W2.map((w) => dZ2 * w);
  const dZ1 = dH.map((d, j) => d * h[j] * (1 - h[j]));
  const dW1 = [0, 1].map((i) => [0, 1].map((j) => dZ1[j] * x[i]));
  const dB1 = dZ1;
  return { forward: { z1, h, z2, yHat, cost }, backward: { dYHat, dZ2, dW2, dB2, dH, dZ1, dW1, dB1 } };
}

/** Confusion matrix: m[true][predicted] counts. */
export function confusionMatrix(labels: ArrayLike<number>, predictions: ArrayLike<number>, classes = 10): number[][] {
  const m = Array.from({ length: classes }, () => new Array(classes).fill(0));
  for (let i = 0; i < labels.length; i++) m[labels[i]][predictions[i]]++;
  return m;
}

/** A heatmap of a confusion matrix, counts written in the cells. */
export function confusionFigure(matrix: number[][], classNames: readonly string[], title = "Confusion matrix"): PlotlyFigure {
  return {
    data: [
      {
        type: "heatmap",
        z: matrix,
        x: classNames,
        y: classNames,
        colorscale: "Blues",
        text: matrix.map((row) => row.map(String)),
        texttemplate: "%{text}",
        hovertemplate: "true %{y}, predicted %{x}: %{z}<extra></extra>",
      },
    ],
    layout: { title: { text: title }, xaxis: { title: { text: "predicted" }, type: "category" }, yaxis: { title: { text: "true" }, type: "category", autorange: "reversed" }, height: 480 },
  };
}

/**
 * For each query [n, ...], the index of and Euclidean distance to its nearest example in `data`
 * [N, ...] (same trailing shape). Chapter 03 shows a generated digit beside its nearest training
 * digit: a GAN that memorised would reproduce them. Processes `data` in chunks.
 */
export function nearestNeighbors(queries: tf.Tensor, data: tf.Tensor, chunk = 5000): { indices: Int32Array; distances: Float32Array } {
  const n = queries.shape[0];
  const indices = new Int32Array(n);
  const distances = new Float32Array(n).fill(Infinity);
  const q = tf.tidy(() => queries.reshape([n, -1]));
  const qNorm = tf.tidy(() => tf.sum(tf.square(q), 1, true)); // [n, 1]
  for (let start = 0; start < data.shape[0]; start += chunk) {
    const size = Math.min(chunk, data.shape[0] - start);
    const [best, where] = tf.tidy(() => {
      const d = tf.reshape(tf.slice(data, start, size), [size, -1]);
      // |q - d|² = |q|² - 2 q·d + |d|²: one matMul for the whole chunk
      const dist = tf.add(tf.sub(qNorm, tf.mul(2, tf.matMul(q, d, false, true))), tf.transpose(tf.sum(tf.square(d), 1, true)));
      return [tf.min(dist, 1), tf.argMin(dist, 1)];
    });
    const b = best.dataSync();
    const w = where.dataSync();
    for (let i = 0; i < n; i++) {
      const dist = Math.sqrt(Math.max(0, b[i]));
      if (dist < distances[i]) [distances[i], indices[i]] = [dist, start + w[i]];
    }
    tf.dispose([best, where]);
  }
  tf.dispose([q, qNorm]);
  return { indices, distances };
}
