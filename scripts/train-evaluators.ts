// npm run train:evaluators [-- --dataset mnist|fashion-mnist] [--epochs N] [--seed S]
// Trains the evaluator CNNs (lib/src/evaluator.ts) on the full training sets, reports test accuracy,
// and writes them atomically to lib/evaluators/<dataset>/ (a failed run leaves the old weights).
// Seeded: Math.random (tfjs's shuffling and dropout) is replaced by a seeded generator.
import seedrandom from "seedrandom";
import * as gb from "../lib/src/index";

const { tf } = gb;
const TARGETS: Record<gb.DatasetName, { accuracy: number; epochs: number }> = {
  mnist: { accuracy: 0.99, epochs: 4 },
  "fashion-mnist": { accuracy: 0.9, epochs: 6 },
};

function args(): { datasets: gb.DatasetName[]; epochs?: number; seed: number } {
  const a = process.argv.slice(2);
  const value = (flag: string) => {
    const i = a.indexOf(flag);
    return i >= 0 ? a[i + 1] : undefined;
  };
  for (let i = 0; i < a.length; i += 2) {
    if (!["--dataset", "--epochs", "--seed"].includes(a[i]) || a[i + 1] === undefined) {
      console.error(`usage: npm run train:evaluators -- [--dataset mnist|fashion-mnist] [--epochs N] [--seed S]`);
      process.exit(2);
    }
  }
  const d = value("--dataset");
  if (d && !(d in TARGETS)) {
    console.error(`unknown dataset ${d}: choose mnist or fashion-mnist`);
    process.exit(2);
  }
  return { datasets: d ? [d as gb.DatasetName] : ["mnist", "fashion-mnist"], epochs: value("--epochs") ? Number(value("--epochs")) : undefined, seed: Number(value("--seed") ?? 1) };
}

/** Test accuracy of `model` on the dataset's 10,000 test images. */
async function testAccuracy(evaluator: gb.Evaluator, dataset: gb.DatasetName): Promise<number> {
  const test = await gb.loadDataset(dataset, { split: "test" });
  const x = gb.imagesToTensor(test);
  const predicted = evaluator.predict(x);
  x.dispose();
  let right = 0;
  predicted.forEach((p, i) => (right += p === test.labels[i] ? 1 : 0));
  return right / test.count;
}

async function main(): Promise<void> {
  const opts = args();
  const report = await gb.ready();
  console.log(`backend: ${report.backend}`);
  let failed = false;
  for (const dataset of opts.datasets) {
    const epochs = opts.epochs ?? TARGETS[dataset].epochs;
    seedrandom(String(opts.seed), { global: true });
    const train = await gb.loadDataset(dataset, { split: "train" });
    const x = gb.imagesToTensor(train);
    const y = tf.oneHot(gb.labelsToTensor(train), 10);
    const model = gb.buildEvaluatorCnn(opts.seed);
    model.compile({ optimizer: tf.train.adam(1e-3), loss: (yTrue: gb.tf.Tensor, yPred: gb.tf.Tensor) => tf.losses.softmaxCrossEntropy(yTrue, yPred), metrics: [] });
    const started = Date.now();
    await model.fit(x, y, {
      epochs,
      batchSize: 128,
      shuffle: true,
      verbose: 0,
      callbacks: {
        onEpochEnd: async (epoch, logs) => console.log(`${dataset} epoch ${epoch + 1}/${epochs}: loss ${logs?.loss.toFixed(4)} (${((Date.now() - started) / 1000).toFixed(0)} s)`),
      },
    });
    tf.dispose([x, y]);
    const seconds = (Date.now() - started) / 1000;
    const accuracy = await testAccuracy(gb.wrapEvaluator(dataset, model), dataset);
    const target = TARGETS[dataset].accuracy;
    console.log(`${dataset}: test accuracy ${(100 * accuracy).toFixed(2)}% (target ${(100 * target).toFixed(0)}%) after ${epochs} epochs, ${seconds.toFixed(0)} s`);
    if (accuracy < target) {
      console.error(`${dataset}: below the target; the committed weights were not replaced`);
      failed = true;
      continue;
    }
    const info: gb.EvaluatorInfo = { dataset, testAccuracy: accuracy, epochs, seconds, seed: opts.seed };
    await gb.writeCheckpoint(gb.evaluatorDir(dataset), { models: { model }, state: info });
    console.log(`wrote ${gb.evaluatorDir(dataset)}`);
  }
  process.exit(failed ? 1 : 0);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
