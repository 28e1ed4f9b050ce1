/**
 * Checkpoints (chapter 03 saves and resumes a GAN): models in TensorFlow.js's layers format
 * (`<name>/model.json` + `<name>/weights.bin`, loadable by `tf.loadLayersModel`), named tensors
 * (optimizer state, fixed noise) and a JSON state, written atomically.
 *
 * Atomic: everything is written to `<dir>.partial-<pid>`, then the old checkpoint is moved to
 * `<dir>.previous`, the new one renamed into place, and the previous one removed. A crash at any
 * point leaves either the old or the new checkpoint complete, and {@link readCheckpoint} finds it.
 */
import * as fs from "fs";
import * as path from "path";
import * as tf from "@tensorflow/tfjs";
import { toFloat16 } from "./float16";

/** The manifest written last: a checkpoint without it (or whose files do not match it) is incomplete. */
const MANIFEST = "checkpoint.json";
const FORMAT = "ganbook-checkpoint/1";

interface Manifest {
  format: string;
  created: string;
  models: string[];
  tensors: { name: string; shape: number[]; dtype: tf.DataType }[];
  files: Record<string, number>;
  state: unknown;
}

/** A tensor with a name (as optimizers' getWeights return them). */
export interface NamedTensor {
  name: string;
  tensor: tf.Tensor;
}

/** What a checkpoint holds. */
export interface CheckpointContents<S = unknown> {
  models: Record<string, tf.LayersModel>;
  tensors?: NamedTensor[];
  state: S;
  /**
   * Store the models' float32 weights as float16, in half the bytes (the shipped generators);
   * loading restores float32. Default false: a checkpoint to resume from keeps every bit.
   */
  float16?: boolean;
}

/** The model's layers-format artifacts (topology + one weights buffer), without writing anywhere. */
export async function modelArtifacts(model: tf.LayersModel): Promise<tf.io.ModelArtifacts> {
  let artifacts: tf.io.ModelArtifacts | undefined;
  await model.save(
    tf.io.withSaveHandler(async (a) => {
      artifacts = a;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: "JSON" } };
    }),
  );
  return artifacts!;
}

function concatWeights(data: tf.io.WeightData | undefined): Uint8Array {
  if (!data) return new Uint8Array(0);
  const buffers = Array.isArray(data) ? data : [data];
  return Buffer.concat(buffers.map((b) => Buffer.from(b)));
}

/** Writes `model` as `dir/model.json` + `dir/weights.bin`; returns the files' sizes by relative path. */
async function writeModel(model: tf.LayersModel, dir: string, prefix: string, float16 = false): Promise<Record<string, number>> {
  const a = await modelArtifacts(model);
  let weights = concatWeights(a.weightData);
  let specs = a.weightSpecs ?? [];
  if (float16) ({ weights, specs } = halveWeights(weights, specs));
  const modelJson = {
    format: "layers-model",
    generatedBy: `TensorFlow.js tfjs-layers v${tf.version.tfjs}`,
    convertedBy: null,
    modelTopology: a.modelTopology,
    weightsManifest: [{ paths: ["weights.bin"], weights: specs }],
  };
  fs.mkdirSync(dir, { recursive: true });
  const json = JSON.stringify(modelJson);
  writeFileDurable(path.join(dir, "model.json"), json);
  writeFileDurable(path.join(dir, "weights.bin"), weights);
  return { [`${prefix}/model.json`]: Buffer.byteLength(json), [`${prefix}/weights.bin`]: weights.length };
}

/** Each float32 weight as float16 (marked `quantization: float16` for the loader); others as they are. */
function halveWeights(weights: Uint8Array, specs: tf.io.WeightsManifestEntry[]): { weights: Uint8Array; specs: tf.io.WeightsManifestEntry[] } {
  const parts: Uint8Array[] = [];
  let offset = 0;
  const halved = specs.map((spec) => {
    const bytes = spec.shape.reduce((a, b) => a * b, 1) * 4; // float32 and int32 alike
    const part = weights.slice(offset, offset + bytes);
    offset += bytes;
    if (spec.dtype !== "float32") return parts.push(part), spec;
    const half = toFloat16(new Float32Array(part.buffer, part.byteOffset, bytes / 4));
    parts.push(new Uint8Array(half.buffer));
    return { ...spec, quantization: { dtype: "float16" as const } };
  });
  return { weights: Buffer.concat(parts), specs: halved };
}

/** Bytes per value of a stored weight: 2 for float16 (or uint16), 1 for uint8, else 4. */
function storedBytes(spec: tf.io.WeightsManifestEntry): number {
  const q = spec.quantization?.dtype;
  return q === "uint8" ? 1 : q === "float16" || q === "uint16" ? 2 : 4;
}

function writeFileDurable(file: string, data: string | Uint8Array): void {
  const fd = fs.openSync(file, "w");
  try {
    fs.writeSync(fd, typeof data === "string" ? Buffer.from(data) : data);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * Writes a checkpoint to `dir` atomically (see the module comment). The previous checkpoint in
 * `dir`, if any, stays complete until the new one is.
 */
export async function writeCheckpoint(dir: string, contents: CheckpointContents): Promise<void> {
  const target = path.resolve(dir);
  const partial = `${target}.partial-${process.pid}`;
  const previous = `${target}.previous`;
  removeStalePartials(target);
  fs.mkdirSync(partial, { recursive: true });
  try {
    const files: Record<string, number> = {};
    for (const [name, model] of Object.entries(contents.models)) {
      Object.assign(files, await writeModel(model, path.join(partial, name), name, contents.float16));
    }
    const tensors = contents.tensors ?? [];
    if (tensors.length) {
      // float32 and int32 values, 4 bytes each, in the order of the manifest's tensor list
      const bytes = Buffer.concat(tensors.map((t) => { const v = t.tensor.dataSync() as Float32Array | Int32Array; return Buffer.from(v.buffer, v.byteOffset, v.byteLength); }));
      writeFileDurable(path.join(partial, "tensors.bin"), bytes);
      files["tensors.bin"] = bytes.length;
    }
    const manifest: Manifest = {
      format: FORMAT,
      created: new Date().toISOString(),
      models: Object.keys(contents.models),
      tensors: tensors.map((t) => ({ name: t.name, shape: t.tensor.shape, dtype: t.tensor.dtype })),
      files,
      state: contents.state,
    };
    writeFileDurable(path.join(partial, MANIFEST), JSON.stringify(manifest, null, 1));
  } catch (e) {
    fs.rmSync(partial, { recursive: true, force: true });
    throw e;
  }
  recoverPrevious(target);
  if (fs.existsSync(target)) {
    fs.rmSync(previous, { recursive: true, force: true });
    fs.renameSync(target, previous);
  }
  fs.renameSync(partial, target);
  fs.rmSync(previous, { recursive: true, force: true });
}

/** Removes `<dir>.partial-<pid>` folders left by saves whose process died (kill -9, power loss). */
function removeStalePartials(target: string): void {
  const parent = path.dirname(target);
  const prefix = `${path.basename(target)}.partial-`;
  if (!fs.existsSync(parent)) return;
  for (const name of fs.readdirSync(parent)) {
    if (!name.startsWith(prefix)) continue;
    const pid = Number(name.slice(prefix.length));
    let alive = pid !== process.pid && Number.isInteger(pid);
    if (alive) {
      try {
        process.kill(pid, 0);
      } catch {
        alive = false;
      }
    }
    if (!alive) fs.rmSync(path.join(parent, name), { recursive: true, force: true });
  }
}

/** After a crash between the two renames only `<dir>.previous` is complete: move it back. */
function recoverPrevious(target: string): void {
  const previous = `${target}.previous`;
  if (!fs.existsSync(target) && fs.existsSync(path.join(previous, MANIFEST))) fs.renameSync(previous, target);
}

/** True when `dir` (or its `.previous` left by an interrupted save) holds a complete checkpoint. */
export function hasCheckpoint(dir: string): boolean {
  const target = path.resolve(dir);
  return fs.existsSync(path.join(target, MANIFEST)) || fs.existsSync(path.join(`${target}.previous`, MANIFEST));
}

function corrupt(file: string, why: string): Error {
  return new Error(`Checkpoint file ${file} is corrupt: ${why}. Delete the checkpoint folder or restore it from a backup.`);
}

function readJson(file: string): unknown {
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch (e) {
    throw corrupt(file, `cannot be read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    throw corrupt(file, `not valid JSON (${(e as Error).message})`);
  }
}

/**
 * An IO handler that loads a layers-format model from `model.json` and the weight files its
 * manifest names: `tf.loadLayersModel(fileHandler("ckpt/generator/model.json"))`. (With
 * @tensorflow/tfjs-node installed, `tf.loadLayersModel("file://ckpt/generator/model.json")` works too.)
 */
export function fileHandler(modelJsonPath: string): tf.io.IOHandler {
  return {
    load: async () => {
      const json = readJson(modelJsonPath) as {
        modelTopology?: object;
        weightsManifest?: { paths: string[]; weights: tf.io.WeightsManifestEntry[] }[];
      };
      if (!json.modelTopology || !Array.isArray(json.weightsManifest)) {
        throw corrupt(modelJsonPath, "it has no modelTopology or weightsManifest");
      }
      const specs: tf.io.WeightsManifestEntry[] = [];
      const buffers: Buffer[] = [];
      for (const group of json.weightsManifest) {
        specs.push(...group.weights);
        for (const p of group.paths) {
          const file = path.join(path.dirname(modelJsonPath), p);
          if (!fs.existsSync(file)) throw corrupt(file, "it is missing");
          buffers.push(fs.readFileSync(file));
        }
      }
      const data = Buffer.concat(buffers);
      const expected = specs.reduce((n, s) => n + s.shape.reduce((a, b) => a * b, 1) * storedBytes(s), 0);
      if (data.length !== expected) {
        const file = path.join(path.dirname(modelJsonPath), json.weightsManifest[0]?.paths[0] ?? "weights.bin");
        throw corrupt(file, `it has ${data.length} bytes of weights, the manifest needs ${expected}`);
      }
      const weightData = data.buffer.slice(data.byteOffset, data.byteOffset + data.length) as ArrayBuffer;
      return { modelTopology: json.modelTopology, weightSpecs: specs, weightData };
    },
  };
}

/** Loads a layers-format model from a `model.json` path (see {@link fileHandler}). */
export function loadModel(modelJsonPath: string): Promise<tf.LayersModel> {
  return tf.loadLayersModel(fileHandler(modelJsonPath));
}

/**
 * Reads the checkpoint in `dir` (or the complete `<dir>.previous` an interrupted save left).
 * Throws a clear error naming the file when it is missing, truncated or corrupt.
 */
export async function readCheckpoint<S = unknown>(dir: string): Promise<CheckpointContents<S>> {
  const target = path.resolve(dir);
  const source = fs.existsSync(path.join(target, MANIFEST)) ? target : `${target}.previous`;
  const manifestFile = path.join(source, MANIFEST);
  if (!fs.existsSync(manifestFile)) {
    throw new Error(
      fs.existsSync(target)
        ? `${target} is not a complete ganbook checkpoint: ${path.join(target, MANIFEST)} is missing`
        : `No checkpoint at ${target}`,
    );
  }
  const manifest = readJson(manifestFile) as Manifest;
  if (manifest.format !== FORMAT) throw corrupt(manifestFile, `format ${manifest.format}, expected ${FORMAT}`);
  for (const [rel, size] of Object.entries(manifest.files)) {
    const file = path.join(source, rel);
    if (!fs.existsSync(file)) throw corrupt(file, "it is missing");
    const actual = fs.statSync(file).size;
    if (actual !== size) throw corrupt(file, `it has ${actual} bytes, the checkpoint recorded ${size}`);
  }
  const models: Record<string, tf.LayersModel> = {};
  for (const name of manifest.models) models[name] = await loadModel(path.join(source, name, "model.json"));
  const tensors: NamedTensor[] = [];
  if (manifest.tensors.length) {
    const bytes = fs.readFileSync(path.join(source, "tensors.bin"));
    let offset = 0;
    for (const spec of manifest.tensors) {
      const size = spec.shape.reduce((a, b) => a * b, 1);
      const raw = bytes.buffer.slice(bytes.byteOffset + offset, bytes.byteOffset + offset + size * 4);
      const values = spec.dtype === "int32" ? new Int32Array(raw) : new Float32Array(raw);
      tensors.push({ name: spec.name, tensor: tf.tensor(values, spec.shape, spec.dtype) });
      offset += size * 4;
    }
  }
  return { models, tensors, state: manifest.state as S };
}
