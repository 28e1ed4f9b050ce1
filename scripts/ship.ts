// npm run ship -- RUN_DIR --name NAME [--force] [--allow-unmet]
// Turns an `npm run train` run into a shipped generator in lib/trained/NAME: the checkpoint's sampling
// generator (the averaged one where the recipe keeps it) and discriminator, and manifest.json with the
// run's commands, seed, steps, training seconds, machine, backend and commits (run.json), its quality
// curve (quality.json), the metrics on 10,000 samples beside the real test set's, and each file's
// SHA-256. It refuses a run that misses the name's targets (lib/src/trained.ts, TRAINED_TARGETS) unless
// --allow-unmet, which ships it with the misses recorded in the manifest (chapters and README show
// them); it never replaces a shipped generator without --force. Weights are stored as float16.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as gb from "../lib/src/index";

const USAGE = `usage: npm run ship -- RUN_DIR --name NAME [--force] [--allow-unmet]
  NAME: ${Object.keys(gb.TRAINED_GANS).join(", ")}`;

function fail(message: string, code = 2): never {
  console.error(`ship: ${message}${code === 2 ? `\n${USAGE}` : ""}`);
  process.exit(code);
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  let run: string | undefined;
  let name: string | undefined;
  let force = false;
  let allowUnmet = false;
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === "--force") force = true;
    else if (argv[i] === "--allow-unmet") allowUnmet = true;
    else if (argv[i] === "--name") name = argv[++i];
    else if (argv[i] === "--help" || argv[i] === "-h") {
      console.log(USAGE);
      return;
    } else if (!argv[i].startsWith("--") && !run) run = argv[i];
    else fail(`unknown argument ${argv[i]}`);
  }
  if (!run) fail("name the run folder (npm run train's --out)");
  if (!name || !(name in gb.TRAINED_GANS)) fail(`--name must be one of ${Object.keys(gb.TRAINED_GANS).join(", ")}; got ${name ?? "nothing"}`);
  const key = name as gb.TrainedGanName;
  for (const file of ["run.json", "quality.json", "checkpoint"]) {
    if (!fs.existsSync(path.join(run, file))) fail(`${path.join(run, file)} is missing: is ${run} an npm run train output folder?`);
  }
  const dest = path.join(gb.trainedDir(), key);
  if (fs.existsSync(dest) && !force) fail(`${dest} exists; pass --force to replace it`);

  await gb.ready();
  const runs: gb.TrainingRun[] = JSON.parse(fs.readFileSync(path.join(run, "run.json"), "utf8"));
  const quality: gb.QualityPoint[] = JSON.parse(fs.readFileSync(path.join(run, "quality.json"), "utf8"));
  const { models: trained, state } = await gb.readCheckpoint<gb.TrainerState>(path.join(run, "checkpoint"));
  // Shipped weights are stored as float16 (half the bytes): stage them so, and measure the models as
  // they load back, so the manifest's metrics are those of the files that ship.
  const staged = fs.mkdtempSync(path.join(os.tmpdir(), "ganbook-ship-"));
  const shipped = { generator: trained.averagedGenerator ?? trained.generator, discriminator: trained.discriminator };
  await gb.writeCheckpoint(staged, { models: shipped, state: { shipped: key }, float16: true });
  const { models } = await gb.readCheckpoint(staged);
  fs.rmSync(staged, { recursive: true, force: true });
  const generator = models.generator;
  const dataset = gb.TRAINED_GANS[key].dataset;
  const toy = gb.isToyMixtureName(dataset) ? gb.toyMixture(dataset) : undefined;
  // PacGAN's D judges packSize samples at once: its input is packSize times a sample's size.
  const packSize = toy ? (models.discriminator.inputs[0].shape[1] as number) / 2 : undefined;
  const gan: gb.Gan = {
    generator,
    discriminator: models.discriminator,
    latentDim: state.latentDim,
    classes: state.classes,
    auxiliaryClassifier: state.auxiliaryClassifier,
    infoCode: state.infoCode,
  };
  const at = { step: state.step, seconds: state.history.at(-1)?.seconds ?? 0 };

  // The metrics on 10,000 samples, and the real test set's beside them.
  let metrics: gb.QualityPoint;
  let real: gb.TrainedManifest["real"];
  if (toy) metrics = gb.measureToyQuality(gan, toy, at, 10_000, 11);
  else {
    const evaluator = await gb.loadEvaluator(dataset as gb.DatasetName);
    metrics = gb.measureImageQuality(gan, evaluator, at, 10_000, 11);
    const test = gb.imagesToTensor(await gb.loadDataset(dataset as gb.DatasetName, { split: "test" }));
    const report = gb.evaluateImages(evaluator, test);
    real = { classifierScore: report.classifierScore, confident: report.confident, samples: report.count, ...(gan.classes ? { labelAccuracy: evaluator.info?.testAccuracy } : {}) };
    test.dispose();
  }
  const results = gb.TRAINED_TARGETS[key].map((t) => ({ target: t.what, value: gb.targetValue(t, metrics, real), met: gb.meetsTarget(t, metrics, real) }));
  for (const r of results) console.log(`${r.met ? "met    " : "MISSED "} ${r.target}: ${JSON.stringify(r.value)}`);
  if (results.some((r) => !r.met) && !allowUnmet) fail(`${run} misses ${key}'s targets (above): not shipped (--allow-unmet ships it with the misses recorded)`, 1);

  // The models as a ganbook checkpoint folder (atomic), then the manifest with every file's checksum.
  await gb.writeCheckpoint(dest, { models: { generator, discriminator: models.discriminator }, state: { shipped: key }, float16: true });
  const files: gb.TrainedManifest["files"] = {};
  const walk = (dir: string) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const file = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(file);
      else if (entry.name !== "manifest.json") files[path.relative(dest, file)] = { sha256: gb.sha256File(file), bytes: fs.statSync(file).size };
    }
  };
  walk(dest);
  const first = runs[0];
  const manifest: gb.TrainedManifest = {
    format: "ganbook-trained/1",
    name: key,
    about: gb.TRAINED_GANS[key].about,
    model: first.model,
    commands: runs.map((r) => r.command),
    seed: first.seed,
    steps: state.step,
    trainingSeconds: Math.round(at.seconds),
    machine: first.machine,
    node: first.node,
    backend: first.backend,
    threads: first.threads ?? 1,
    commits: [...new Set(runs.map((r) => r.commit))],
    latentDim: state.latentDim,
    ...(state.classes ? { classes: state.classes } : {}),
    ...(state.auxiliaryClassifier ? { auxiliaryClassifier: true } : {}),
    ...(state.infoCode ? { infoCode: state.infoCode } : {}),
    ...(packSize && packSize > 1 ? { packSize } : {}),
    generator: trained.averagedGenerator ? "averaged" : "raw",
    metrics,
    ...(real ? { real } : {}),
    quality,
    targets: results.map((r) => ({ what: r.target, value: r.value, met: r.met })),
    files,
  };
  fs.writeFileSync(path.join(dest, "manifest.json"), JSON.stringify(manifest, null, 1) + "\n");
  const bytes = Object.values(files).reduce((n, f) => n + f.bytes, 0);
  console.log(`shipped ${key} to ${path.relative(process.cwd(), dest)} (${(bytes / 2 ** 20).toFixed(1)} MB, ${state.step} steps, ${(at.seconds / 60).toFixed(1)} training minutes)`);
}

main().catch((e) => fail((e as Error).message, 1));
