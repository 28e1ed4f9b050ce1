/**
 * Images: tiling a batch of images into one grid and encoding it as PNG (chapter 00-welcome;
 * every later chapter shows its samples this way).
 */
import * as tf from "@tensorflow/tfjs";
import { PNG } from "pngjs";
import { showPng } from "./display";

/** How to map pixel values to 0..255: `tanh` for [-1, 1] (generator outputs), `unit` for [0, 1], `byte` for 0..255. */
export type PixelRange = "tanh" | "unit" | "byte";

export interface GridOptions {
  /** Images per row; default: a near-square grid. */
  cols?: number;
  /** Each pixel drawn as a scale x scale block (MNIST's 28 px are small on screen). Default 2. */
  scale?: number;
  /** Pixel value range of the input. Default `tanh` for float tensors, `byte` for int32 / Uint8Array. */
  range?: PixelRange;
  /** Gap between images, in output pixels. Default 2. */
  gap?: number;
}

/** A batch of images: a tensor [N, H, W] or [N, H, W, C] (C = 1 or 3). */
export type ImageBatch = tf.Tensor3D | tf.Tensor4D;

/** An RGBA raster: width * height * 4 bytes, row-major. */
export interface Raster {
  width: number;
  height: number;
  data: Uint8Array;
}

/**
 * Tiles a batch of images [N, H, W(, C)] into a grid and encodes it as PNG bytes.
 * Grey images are drawn light-on-dark as in MNIST.
 */
export function imageGridPng(images: ImageBatch, options: GridOptions = {}): Uint8Array {
  return encodePng(imageGridRaster(images, options));
}

/** Encodes an RGBA raster as PNG bytes. */
export function encodePng(raster: Raster): Uint8Array {
  const png = new PNG({ width: raster.width, height: raster.height });
  png.data.set(raster.data);
  return new Uint8Array(PNG.sync.write(png));
}

/** Tiles a batch of images [N, H, W(, C)] into one RGBA raster (see {@link imageGridPng}). */
export function imageGridRaster(images: ImageBatch, options: GridOptions = {}): Raster {
  if (images.rank !== 3 && images.rank !== 4) {
    throw new Error(`imageGridPng expects images shaped [N, H, W] or [N, H, W, C]; got shape [${images.shape}]`);
  }
  const [n, h, w] = images.shape;
  const c = images.rank === 4 ? images.shape[3]! : 1;
  if (c !== 1 && c !== 3) throw new Error(`imageGridPng supports 1 or 3 channels; got ${c} (shape [${images.shape}])`);
  if (n === 0) throw new Error("imageGridPng got an empty batch (N = 0)");
  const range = options.range ?? (images.dtype === "float32" ? "tanh" : "byte");
  const values = images.dataSync();
  const toByte =
    range === "tanh" ? (v: number) => (v + 1) * 127.5 : range === "unit" ? (v: number) => v * 255 : (v: number) => v;

  const scale = options.scale ?? 2;
  const gap = options.gap ?? 2;
  const cols = Math.max(1, Math.min(n, options.cols ?? Math.ceil(Math.sqrt(n))));
  const rows = Math.ceil(n / cols);
  const width = cols * w * scale + (cols - 1) * gap;
  const height = rows * h * scale + (rows - 1) * gap;
  const png = { width, height, data: new Uint8Array(width * height * 4) };
  png.data.fill(255); // gaps are white; every image pixel is overwritten below
  for (let i = 0; i < n; i++) {
    const x0 = (i % cols) * (w * scale + gap);
    const y0 = Math.floor(i / cols) * (h * scale + gap);
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        const base = ((i * h + y) * w + x) * c;
        const rgb = [0, 1, 2].map((k) => clampByte(toByte(values[base + (c === 3 ? k : 0)])));
        for (let dy = 0; dy < scale; dy++) {
          for (let dx = 0; dx < scale; dx++) {
            const o = ((y0 + y * scale + dy) * width + x0 + x * scale + dx) * 4;
            png.data[o] = rgb[0];
            png.data[o + 1] = rgb[1];
            png.data[o + 2] = rgb[2];
            png.data[o + 3] = 255;
          }
        }
      }
    }
  }
  return png;
}

function clampByte(v: number): number {
  return v < 0 ? 0 : v > 255 ? 255 : Math.round(v);
}

/** Shows a batch of images as one PNG grid in the notebook (see {@link imageGridPng}). */
export function showImages(images: ImageBatch, options: GridOptions = {}): void {
  showPng(imageGridPng(images, options));
}

interface GifEncoderApi {
  GIFEncoder(): { writeFrame(index: Uint8Array, w: number, h: number, o: { palette: number[][]; delay: number; repeat?: number }): void; finish(): void; bytes(): Uint8Array };
  quantize(rgba: Uint8Array, maxColors: number): number[][];
  applyPalette(rgba: Uint8Array, palette: number[][]): Uint8Array;
}

/**
 * Encodes rasters of one size as an animated GIF that loops (gifenc; 256 colours per frame).
 * `delayMs` is the time each frame is shown. Chapters 03-05 animate training this way.
 */
export function encodeGif(frames: Raster[], delayMs = 200): Uint8Array {
  if (frames.length === 0) throw new Error("encodeGif needs at least one frame");
  const { width, height } = frames[0];
  if (frames.some((f) => f.width !== width || f.height !== height)) throw new Error("encodeGif: every frame must have the same size");
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const gif = require("gifenc") as GifEncoderApi;
  const encoder = gif.GIFEncoder();
  frames.forEach((frame, i) => {
    const palette = gif.quantize(frame.data, 256);
    encoder.writeFrame(gif.applyPalette(frame.data, palette), width, height, { palette, delay: delayMs, repeat: i === 0 ? 0 : undefined });
  });
  encoder.finish();
  return encoder.bytes();
}
