// loadImageFolder: a folder of your own images, made here (PNG and JPEG, nested, several sizes and
// colour modes, transparent pixels), and every bad input: corrupt, truncated and non-image files
// (skipped and named), a missing folder, a file instead of a folder, no images, bad options.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import * as jpeg from "jpeg-js";
import { PNG } from "pngjs";
import * as gb from "../lib/src/index";
import { tempDir } from "./helpers";

/** A PNG of w x h pixels, each (r, g, b, a). */
function png(w: number, h: number, pixel: (x: number, y: number) => [number, number, number, number]): Buffer {
  const image = new PNG({ width: w, height: h });
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) image.data.set(pixel(x, y), 4 * (y * w + x));
  return PNG.sync.write(image);
}

function jpg(w: number, h: number, rgb: [number, number, number]): Buffer {
  const data = Buffer.alloc(w * h * 4);
  for (let i = 0; i < w * h; i++) data.set([...rgb, 255], 4 * i);
  return jpeg.encode({ data, width: w, height: h }, 95).data;
}

function folder(files: Record<string, Buffer | string>): string {
  const dir = tempDir("ganbook-images-");
  for (const [name, content] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    fs.writeFileSync(path.join(dir, name), content);
  }
  return dir;
}

test("loads PNGs and JPEGs under a folder, nested, as [N, size, size, channels] in [-1, 1]", async () => {
  await gb.ready();
  const red = png(8, 8, () => [255, 0, 0, 255]);
  const dir = folder({
    "a.png": red,
    "sub/b.jpg": jpg(16, 16, [0, 0, 255]),
    "sub/deeper/c.PNG": png(4, 4, () => [255, 255, 255, 255]),
  });
  const rgb = gb.loadImageFolder(dir, { size: 4 });
  assert.deepEqual(rgb.images.shape, [3, 4, 4, 3]);
  assert.deepEqual(rgb.files, ["a.png", path.join("sub", "b.jpg"), path.join("sub", "deeper", "c.PNG")]);
  assert.deepEqual(rgb.skipped, []);
  assert.match(rgb.summary, /^3 image\(s\) from .* as 4x4x3$/);
  const values = rgb.images.arraySync();
  assert.deepEqual(values[0][1][2].map((v) => Math.round(v * 100) / 100), [1, -1, -1], "red in [-1, 1]");
  const blue = values[1][2][2];
  assert.ok(blue[2] > 0.9 && blue[0] < -0.9, `JPEG blue stays blue: ${blue}`);
  const grey = gb.loadImageFolder(dir, { size: 4, channels: 1 });
  assert.deepEqual(grey.images.shape, [3, 4, 4, 1]);
  // Luma of pure red: 0.299 * 255 -> 76.2 -> 76.2 / 127.5 - 1
  assert.ok(Math.abs(grey.images.arraySync()[0][0][0][0] - (0.299 * 255) / 127.5 + 1) < 1e-4);
  assert.equal(gb.loadImageFolder(dir, { size: 4, limit: 2 }).files.length, 2);
  rgb.images.dispose();
  grey.images.dispose();
});

test("non-square images are centre-cropped, large ones averaged down, transparent pixels composited over white", async () => {
  await gb.ready();
  // 12 wide x 4 high: left third black, middle white, right third black; the centre square is the white middle.
  const wide = png(12, 4, (x) => (x >= 4 && x < 8 ? [255, 255, 255, 255] : [0, 0, 0, 255]));
  // 64 x 64 checkerboard of 1-pixel squares: averaged down to 8 x 8 it is mid-grey everywhere (no aliasing).
  const checker = png(64, 64, (x, y) => ((x + y) % 2 ? [255, 255, 255, 255] : [0, 0, 0, 255]));
  const clear = png(4, 4, () => [0, 0, 0, 0]); // fully transparent black
  const dir = folder({ "1-wide.png": wide, "2-checker.png": checker, "3-clear.png": clear });
  const { images } = gb.loadImageFolder(dir, { size: 8, channels: 1 });
  const [w, c, t] = images.arraySync();
  assert.ok(w.flat(2).every((v) => v > 0.99), "the centre square of the wide image is all white");
  assert.ok(c.flat(2).every((v) => Math.abs(v) < 0.02), "the checkerboard averages to mid-grey");
  assert.ok(t.flat(2).every((v) => v > 0.99), "transparent pixels become white");
  images.dispose();
});

test("corrupt, truncated and non-image files are skipped and named; a PNG named .jpg still loads", async () => {
  await gb.ready();
  const good = png(4, 4, () => [10, 20, 30, 255]);
  const dir = folder({
    "good.png": good,
    "actually-png.jpg": good,
    "truncated.png": good.subarray(0, 40),
    "corrupt.jpg": Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.alloc(50, 7)]),
    "notes.txt": "not an image",
    ".DS_Store": "ignored",
  });
  const r = gb.loadImageFolder(dir, { size: 4 });
  assert.deepEqual(r.files, ["actually-png.jpg", "good.png"]);
  const reasons = Object.fromEntries(r.skipped.map((s) => [s.file, s.reason]));
  assert.deepEqual(Object.keys(reasons).sort(), ["corrupt.jpg", "notes.txt", "truncated.png"]);
  assert.match(reasons["truncated.png"], /does not decode .*corrupt or truncated/);
  assert.match(reasons["corrupt.jpg"], /does not decode/);
  assert.match(reasons["notes.txt"], /not a PNG or JPEG/);
  assert.match(r.summary, /^2 image\(s\) from .*; 3 skipped: /);
  assert.match(r.summary, /2 do not decode \(corrupt or truncated\?\)/);
  assert.match(r.summary, /1 not a PNG or JPEG/);
  r.images.dispose();
});

test("a missing folder, a file, an empty folder, a folder of non-images and bad options are clear errors", () => {
  const dir = folder({ "x.txt": "text" });
  assert.throws(() => gb.loadImageFolder(path.join(dir, "nope"), { size: 32 }), /there is no folder .*nope\. Give the folder that holds your PNG or JPEG images/);
  assert.throws(() => gb.loadImageFolder(path.join(dir, "x.txt"), { size: 32 }), /is a file, not a folder/);
  assert.throws(() => gb.loadImageFolder(folder({}), { size: 32 }), /holds no PNG or JPEG image that decodes \(it is empty\)/);
  assert.throws(() => gb.loadImageFolder(dir, { size: 32 }), /holds no PNG or JPEG image that decodes \(1 file\(s\) skipped, e\.g\. x\.txt: not a PNG or JPEG/);
  assert.throws(() => gb.loadImageFolder(dir, { size: 2 }), /size is the side of the square images/);
  assert.throws(() => gb.loadImageFolder(dir, { size: 32, channels: 2 as 1 }), /channels must be 1 \(greyscale\) or 3 \(RGB\)/);
  assert.throws(() => gb.loadImageFolder(dir, { size: 32, limit: 0 }), /limit must be a positive whole number/);
});

test("pixelFeatures: images averaged to side x side and flattened; Fréchet distance on them tells varied sets from copies", async () => {
  await gb.ready();
  const varied = gb.tf.tidy(() => gb.tf.tanh(gb.tf.randomNormal([300, 16, 16, 3], 0, 1, "float32", 1))) as gb.tf.Tensor4D;
  const other = gb.tf.tidy(() => gb.tf.tanh(gb.tf.randomNormal([300, 16, 16, 3], 0, 1, "float32", 2))) as gb.tf.Tensor4D;
  const copies = gb.tf.tidy(() => gb.tf.tile(varied.slice(0, 1), [300, 1, 1, 1])) as gb.tf.Tensor4D;
  const f = (x: gb.tf.Tensor4D) => gb.pixelFeatures(x, 4);
  const [fv, fo, fc] = [f(varied), f(other), f(copies)];
  assert.deepEqual(fv.shape, [300, 48]);
  // Averaging 4x4 blocks: the first feature is the mean of the first block's red values.
  const block = gb.tf.tidy(() => gb.tf.mean(varied.slice([0, 0, 0, 0], [1, 4, 4, 1])).dataSync()[0]);
  assert.ok(Math.abs(fv.dataSync()[0] - block) < 1e-5);
  const same = gb.frechetDistance(fv, fo);
  const collapsed = gb.frechetDistance(fv, fc);
  assert.ok(same < 0.5 * collapsed, `two varied sets (${same}) are closer than a varied set and copies of one image (${collapsed})`);
  assert.throws(() => gb.pixelFeatures(varied, 32), /side must be a whole number from 1 to 16/);
  gb.tf.dispose([varied, other, copies, fv, fo, fc]);
});

test("emojiFolder says how to fetch the emoji when they are not there", () => {
  const saved = process.env.GANBOOK_DATASETS;
  process.env.GANBOOK_DATASETS = tempDir("ganbook-no-data-");
  try {
    assert.throws(() => gb.emojiFolder(), /The emoji images are not in .*emoji-google-64: run `npm run data:emoji` once/);
  } finally {
    if (saved === undefined) delete process.env.GANBOOK_DATASETS;
    else process.env.GANBOOK_DATASETS = saved;
  }
});

test("fetchEmoji unpacks the package's PNGs into place, keeps an existing folder, and leaves nothing behind on a failure", async () => {
  const saved = process.env.GANBOOK_DATASETS;
  const datasets = tempDir("ganbook-fetch-");
  process.env.GANBOOK_DATASETS = datasets;
  try {
    // A stand-in for the npm package, as a local tarball (npm pack accepts one offline).
    const pkg = folder({ "package/package.json": '{"name":"fake-emoji","version":"1.0.0"}', "package/img/google/64/a.png": png(4, 4, () => [1, 2, 3, 255]), "package/img/google/64/b.png": png(4, 4, () => [4, 5, 6, 255]) });
    const tgz = path.join(pkg, "fake-emoji-1.0.0.tgz");
    const tar = spawnSync("tar", ["czf", tgz, "-C", pkg, "package"]);
    assert.equal(tar.status, 0, String(tar.stderr));
    const lines: string[] = [];
    const source = { package: tgz, folder: "package/img/google/64", images: 2 };
    await assert.rejects(gb.fetchEmoji({ ...source, images: 3 }, (l) => lines.push(l)), /expected 3 images in .*fake-emoji-1\.0\.0\.tgz, found 2/);
    assert.equal(fs.existsSync(path.join(datasets, "emoji-google-64")), false, "a failed fetch writes no folder");
    await assert.rejects(gb.fetchEmoji({ ...source, package: path.join(pkg, "missing.tgz") }, () => {}), /npm pack .*missing\.tgz .*failed/);
    const dir = await gb.fetchEmoji(source, (l) => lines.push(l));
    assert.equal(dir, path.join(datasets, "emoji-google-64"));
    assert.deepEqual(fs.readdirSync(dir).sort(), ["a.png", "b.png"]);
    assert.equal(gb.emojiFolder(), dir);
    assert.match(lines.join("\n"), /wrote 2 images to/);
    fs.writeFileSync(path.join(dir, "mine.png"), png(4, 4, () => [0, 0, 0, 255]));
    assert.equal(await gb.fetchEmoji({ ...source, package: "never-fetched" }), dir, "an existing folder is kept, not fetched again");
    assert.ok(fs.existsSync(path.join(dir, "mine.png")));
  } finally {
    if (saved === undefined) delete process.env.GANBOOK_DATASETS;
    else process.env.GANBOOK_DATASETS = saved;
  }
});
