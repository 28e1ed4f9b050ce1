/**
 * Neurons and networks before GANs: toy labelled points and the perceptron learning rule (chapter 01),
 * backpropagation by hand and the confusion matrix (chapter 02). Their charts are in figures.ts.
 */
import * as tf from "@tensorflow/tfjs";
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
