// npm run score -- FILE... [--dataset mnist|fashion-mnist]
// Scores generated images stored in MNIST's IDX format ([N, 28, 28] unsigned bytes: what
// `npm run sample` writes, and what scripts/torch_reference.py writes for PyTorch runs) with the
// committed evaluator of chapter 07: classifier score, the share of samples read with p > 0.9, and
// each class's share. One line per file, then the real test set's numbers for reference.
import * as gb from "../lib/src/index";

const { tf } = gb;
const USAGE = "usage: npm run score -- FILE... [--dataset mnist|fashion-mnist]";

function fail(message: string): never {
  console.error(`score: ${message}\n${USAGE}`);
  process.exit(2);
}

function parse(argv: string[]): { files: string[]; dataset: gb.DatasetName } {
  const files: string[] = [];
  let dataset: gb.DatasetName = "mnist";
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === "--help" || arg === "-h") {
      console.log(USAGE);
      process.exit(0);
    } else if (arg === "--dataset") {
      const value = argv[++i];
      if (value !== "mnist" && value !== "fashion-mnist") fail(`--dataset must be mnist or fashion-mnist; got ${value ?? "nothing"}`);
      dataset = value;
    } else if (arg.startsWith("--")) fail(`unknown option ${arg}`);
    else files.push(arg);
  }
  if (files.length === 0) fail("name at least one IDX image file");
  return { files, dataset };
}

/** An IDX file's images as [N, 28, 28, 1] in [-1, 1]; a clear error for anything else. */
function readImages(file: string): gb.tf.Tensor4D {
  let idx: gb.IdxArray;
  try {
    idx = gb.readIdx(file);
  } catch (error) {
    fail((error as Error).message);
  }
  const [n, h, w] = idx.dims;
  if (idx.dims.length !== 3 || h !== 28 || w !== 28) fail(`${file}: expected images [N, 28, 28]; got dims [${idx.dims.join(", ")}]`);
  const pixels = Float32Array.from(idx.data, (v) => (v * 2) / 255 - 1);
  return tf.tensor4d(pixels, [n, 28, 28, 1]);
}

/** One line of numbers for a set of images. */
function describe(name: string, report: gb.SampleReport): string {
  const shares = report.histogram.map((c) => (100 * c) / report.count);
  return [
    name,
    `n ${report.count}`,
    `classifier score ${report.classifierScore.toFixed(2)}`,
    `p>0.9 ${(100 * report.confident).toFixed(1)}%`,
    `classes ${report.classesPresent}`,
    `shares ${Math.min(...shares).toFixed(1)}-${Math.max(...shares).toFixed(1)}% [${shares.map((s) => s.toFixed(0)).join(" ")}]`,
  ].join("  ");
}

async function main(): Promise<void> {
  const { files, dataset } = parse(process.argv.slice(2));
  await gb.ready();
  const evaluator = await gb.loadEvaluator(dataset);
  for (const file of files) {
    const images = readImages(file);
    console.log(describe(file, gb.evaluateImages(evaluator, images)));
    images.dispose();
  }
  const test = await gb.loadDataset(dataset, { split: "test" });
  const real = gb.imagesToTensor(test);
  console.log(describe(`real ${dataset} test set`, gb.evaluateImages(evaluator, real)));
  real.dispose();
}

main().catch((error) => {
  console.error(`score: ${(error as Error).message}`);
  process.exit(1);
});
