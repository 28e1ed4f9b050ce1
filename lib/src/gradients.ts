/**
 * Gradients ganbook registers with TensorFlow.js, for every backend: ones it lacks, and faster
 * forms of four whose tfjs versions cost a DCGAN step time outside the matrix work (profiled in the
 * README's Performance section). Each gives the same numbers as the formula it replaces (tested in
 * test/gradients.test.ts against the gradient of the same function written with basic ops, or
 * against tfjs's own formula to the bit).
 */
import * as tf from "@tensorflow/tfjs";

// Comparison ops have zero gradient; tfjs has none registered, which stops the second-order
// gradients of WGAN-GP at LeakyReLU (its gradient uses a comparison).
for (const kernelName of ["Greater", "GreaterEqual", "Less", "LessEqual", "Equal", "NotEqual"]) {
  if (!tf.getGradient(kernelName)) {
    tf.registerGradient({
      kernelName,
      inputsToSave: ["a", "b"],
      gradFunc: (_dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => ({ a: () => tf.zerosLike(saved[0]), b: () => tf.zerosLike(saved[1]) }),
    });
  }
}

/**
 * Batch norm y = (x - mean) * scale / sqrt(variance + eps) + offset, with mean, variance, scale and
 * offset [C] over x [..., C]. tfjs's own gradient tiles 1/sqrt(variance + eps) to the whole of x
 * before multiplying ([1, 1, 1, C] -> [N, H, W, C]); the wasm backend's Tile is an element-by-element
 * copy that took 78 of a course DCGAN step's ~460 ms. Broadcasting the [C] vector gives the same
 * product without the copy.
 */
tf.registerGradient({
  kernelName: "FusedBatchNorm",
  inputsToSave: ["x", "mean", "variance", "scale"],
  gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[], attrs: tf.NamedAttrMap) => {
    const g = dy as tf.Tensor;
    const [x, mean, variance, scale] = saved;
    const epsilon = (attrs as unknown as { varianceEpsilon: number }).varianceEpsilon;
    const scaleValue = scale ?? tf.scalar(1);
    // Axes a [C] statistic was broadcast over (all but the last for [N, H, W, C]).
    const axes = mean.rank === 1 ? Array.from({ length: x.rank - 1 }, (_, i) => i) : [];
    const reduce = (t: tf.Tensor) => tf.reshape(axes.length ? tf.sum(t, axes) : t, mean.shape);
    const inverseStd = tf.rsqrt(tf.add(variance, epsilon));
    return {
      x: () => tf.mul(g, tf.mul(inverseStd, scaleValue)),
      mean: () => reduce(tf.mul(g, tf.neg(tf.mul(inverseStd, scaleValue)))),
      variance: () => reduce(tf.mul(tf.mul(g, tf.sub(x, mean)), tf.mul(tf.mul(-0.5, tf.pow(inverseStd, 3)), scaleValue))),
      scale: () => reduce(tf.mul(g, tf.mul(tf.sub(x, mean), inverseStd))),
      offset: () => reduce(g),
    };
  },
});

/**
 * LeakyReLU: dx = dy where x > 0, alpha * dy elsewhere. tfjs builds it from Greater, Multiply and
 * Select over the whole tensor; `step(x, alpha)` (1 where x > 0, alpha elsewhere) times dy is the
 * same in two ops.
 */
tf.registerGradient({
  kernelName: "LeakyRelu",
  inputsToSave: ["x"],
  gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[], attrs: tf.NamedAttrMap) => {
    const { alpha } = attrs as unknown as { alpha: number };
    return { x: () => tf.mul(dy as tf.Tensor, tf.step(saved[0], alpha)) };
  },
});

/**
 * Sum and Mean over some axes: dx is dy broadcast back to x's shape (divided by the count for Mean).
 * tfjs multiplies dy by `tf.ones(x.shape)`, an array of ones filled in JavaScript and copied into the
 * backend (2.7 ms for a [64, 14, 14, 32] activation on wasm, in every batch norm's gradient).
 * `tf.fill` makes the ones in the backend; dy * 1 and (dy * 1) / n are dy and dy / n exactly, so
 * the gradient is tfjs's to the bit.
 */
for (const [kernelName, divide] of [["Sum", false], ["Mean", true]] as const) {
  tf.registerGradient({
    kernelName,
    inputsToSave: ["x"],
    gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[], attrs: tf.NamedAttrMap) => {
      const [x] = saved;
      const axes = tf.util.parseAxisParam((attrs as unknown as { axis: number | number[] }).axis, x.shape);
      const kept = tf.reshape(dy as tf.Tensor, x.shape.map((d, i) => (axes.includes(i) ? 1 : d))); // dy with the reduced axes as 1
      const spread = divide ? tf.div(kept, axes.reduce((n, a) => n * x.shape[a], 1)) : kept;
      return { x: () => tf.mul(spread, tf.fill(x.shape, 1, "float32")) };
    },
  });
}
