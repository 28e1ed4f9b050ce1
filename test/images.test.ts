import { before, test } from "node:test";
import * as assert from "node:assert/strict";
import { PNG } from "pngjs";
import { ready, tf } from "../lib/src/index";

before(() => ready());
import { imageGridPng } from "../lib/src/images";

test("imageGridPng tiles images with gaps and maps [-1, 1] to 0..255", () => {
  // three 4x5 images: all -1, all 0, all +1; 2 columns, scale 1, gap 2 -> 12 x 10 pixels
  const images = tf.stack([tf.fill([4, 5], -1), tf.fill([4, 5], 0), tf.fill([4, 5], 1)]) as tf.Tensor3D;
  const png = PNG.sync.read(Buffer.from(imageGridPng(images, { cols: 2, scale: 1, gap: 2 })));
  assert.equal(png.width, 2 * 5 + 2);
  assert.equal(png.height, 2 * 4 + 2);
  const pixel = (x: number, y: number) => png.data[(y * png.width + x) * 4];
  assert.equal(pixel(0, 0), 0); // image 0: -1 -> black
  assert.equal(pixel(7, 0), 128); // image 1 starts at x = 5 + 2: 0 -> 127.5 rounds to 128
  assert.equal(pixel(0, 6), 255); // image 2 starts at y = 4 + 2: +1 -> white
  assert.equal(pixel(5, 0), 255); // the gap is white
  images.dispose();
});

test("imageGridPng scales pixels and rejects bad shapes", () => {
  const one = tf.zeros([1, 2, 3, 1]) as tf.Tensor4D;
  const png = PNG.sync.read(Buffer.from(imageGridPng(one, { scale: 3, range: "unit" })));
  assert.deepEqual([png.width, png.height], [9, 6]);
  assert.throws(() => imageGridPng(tf.zeros([2, 2]) as unknown as tf.Tensor3D), /expects images shaped \[N, H, W\]/);
  assert.throws(() => imageGridPng(tf.zeros([1, 2, 2, 2]) as tf.Tensor4D), /1 or 3 channels; got 2/);
  one.dispose();
});
