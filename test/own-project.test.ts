// ganbook in a project of your own, as the README's "Use ganbook in your own project" says: pack the
// library, install it with tslab into a new folder outside this repository, register that folder's
// kernel with `tslab install --binary`, and run a notebook there through Jupyter: MNIST, a tiny DCGAN
// trained a few steps, the evaluator scoring its samples.
import { test } from "node:test";
import * as assert from "node:assert/strict";
import { spawnSync, type SpawnSyncOptions } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { REPO, tempDir } from "./helpers";

const python = ["/usr/bin/python3", "python3"].find(
  (py) => spawnSync(py, ["-c", "import nbclient, jupyter_client"], { stdio: "ignore" }).status === 0,
);

// The same Node as this test (CI runs the tests under several), first on PATH for npm, tslab and the kernel.
const env = { ...process.env, PATH: path.dirname(process.execPath) + path.delimiter + process.env.PATH, GANBOOK_QUICK: undefined, GANBOOK_BACKEND: undefined, JUPYTER_PATH: undefined };

function run(cmd: string, args: string[], options: SpawnSyncOptions) {
  const r = spawnSync(cmd, args, { encoding: "utf8", env, timeout: 240_000, ...options });
  assert.equal(r.status, 0, `${cmd} ${args.join(" ")} failed:\n${r.stdout}\n${r.stderr}`);
  return String(r.stdout);
}

let cells = 0;
const cell = (source: string) => ({ id: `cell-${cells++}`, cell_type: "code", metadata: {}, execution_count: null, outputs: [], source });
const NOTEBOOK = {
  nbformat: 4,
  nbformat_minor: 5,
  metadata: { kernelspec: { name: "tslab", display_name: "TypeScript", language: "typescript" } },
  cells: [
    cell(`import { tf, ready, loadMnist, imagesToTensor, buildDcganGenerator, buildDcganDiscriminator, GanTrainer, loadEvaluator, evaluateImages, sampleNoise } from "ganbook";
const env = await ready();
console.log("BACKEND=" + env.backend);`),
    cell(`const mnist = await loadMnist({ limit: 256 });
const images = imagesToTensor(mnist);
console.log("DATA=" + images.shape.join("x"));`),
    cell(`const gan = { generator: buildDcganGenerator({ latentDim: 16, width: 16 }), discriminator: buildDcganDiscriminator({ width: 16 }), latentDim: 16 };
const trainer = new GanTrainer({ gan, data: images, batchSize: 32, seed: 0 });
await trainer.train(4);
console.log("STEPS=" + trainer.history.length + " LOSSES=" + JSON.stringify(trainer.history.map((h) => [h.dLoss, h.gLoss])));`),
    cell(`const evaluator = await loadEvaluator("mnist");
const samples = tf.tidy(() => gan.generator.predict(sampleNoise(200, 16, 1)) as tf.Tensor4D);
const report = evaluateImages(evaluator, samples);
console.log("SCORE=" + report.classifierScore + " COUNT=" + report.count);`),
  ],
};

test("ganbook packed and installed into a new folder runs a notebook there through Jupyter, with that folder's kernel", { skip: !python && "no Python with nbclient", timeout: 600_000 }, () => {
  const tmp = tempDir("ganbook-own-");
  // 1. The library as npm would publish it (lib/dist is built by npm install).
  const packed = run("npm", ["pack", "--silent", "--pack-destination", tmp], { cwd: path.join(REPO, "lib") }).trim().split("\n").pop()!;
  const tarball = path.join(tmp, packed);
  assert.ok(fs.existsSync(tarball), `npm pack wrote ${tarball}`);

  // 2. A new project outside the repository: the tarball and tslab, from the npm registry (or its cache).
  const project = path.join(tmp, "my-gans");
  fs.mkdirSync(project);
  fs.writeFileSync(path.join(project, "package.json"), JSON.stringify({ name: "my-gans", version: "1.0.0", private: true }, null, 2));
  run("npm", ["install", "--no-audit", "--no-fund", "--prefer-offline", tarball, "tslab@1.0.22"], { cwd: project });

  // 3. Its kernel, as the README says (--prefix keeps it out of the user's Jupyter).
  const tslab = path.join(project, "node_modules", ".bin", "tslab");
  run(process.execPath, [path.join(project, "node_modules", "tslab", "bin", "tslab"), "install", `--binary=${tslab}`, `--python=${python}`, `--prefix=${path.join(tmp, "jupyter")}`], { cwd: project });
  const spec = JSON.parse(fs.readFileSync(path.join(tmp, "jupyter", "share", "jupyter", "kernels", "tslab", "kernel.json"), "utf8"));
  assert.equal(spec.argv[0], tslab);

  // 4. A notebook in that folder, run through Jupyter with that kernel.
  const notebook = path.join(project, "gans.ipynb");
  fs.writeFileSync(notebook, JSON.stringify(NOTEBOOK, null, 1));
  const out = path.join(tmp, "executed");
  const r = spawnSync(python!, [path.join(REPO, "scripts", "run_notebooks.py"), "--kernel", "tslab", "--out", out, notebook], {
    encoding: "utf8",
    cwd: project,
    timeout: 300_000,
    env: { ...env, JUPYTER_PATH: path.join(tmp, "jupyter", "share", "jupyter") },
  });
  assert.equal(r.status, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /notebooks: 1 passed, 0 failed/);

  const executed = JSON.parse(fs.readFileSync(path.join(out, "gans.ipynb"), "utf8"));
  const text = executed.cells.flatMap((c: { outputs: { text?: string[] | string }[] }) => c.outputs.map((o) => [o.text ?? ""].flat().join(""))).join("");
  assert.match(text, /BACKEND=wasm/);
  assert.match(text, /DATA=256x28x28x1/);
  const losses = JSON.parse(/LOSSES=(\[.*\])/.exec(text)![1]) as number[][];
  assert.equal(losses.length, 4);
  assert.ok(losses.flat().every(Number.isFinite), `finite losses: ${losses}`);
  const score = Number(/SCORE=([0-9.]+) COUNT=200/.exec(text)![1]);
  assert.ok(score >= 1 && score <= 10, `a classifier score in [1, 10]: ${score}`);
  // The installed copy is the packed one, not a link back into this repository.
  assert.ok(!fs.lstatSync(path.join(project, "node_modules", "ganbook")).isSymbolicLink());
});
