// npm run data:emoji: the colour data set of chapter 08, Google's Noto emoji as 64x64 PNGs (3,786
// images; Apache License 2.0), from the npm registry's emoji-datasource-google package, into
// datasets/emoji-google-64/. About 75 MB to download, 20 MB on disk. Optional: nothing else needs it.
// Written atomically (a .partial folder, renamed when complete); an existing folder is kept.
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

const PACKAGE = "emoji-datasource-google@16.0.0";
const EXPECTED = 3786;
const root = process.env.GANBOOK_DATASETS || path.resolve(import.meta.dirname ?? path.dirname(new URL(import.meta.url).pathname), "..", "datasets");
const dest = path.join(root, "emoji-google-64");

if (fs.existsSync(dest)) {
  const count = fs.readdirSync(dest).filter((f) => f.endsWith(".png")).length;
  console.log(`${dest} is there already (${count} images); remove it to fetch again.`);
  process.exit(0);
}
const work = fs.mkdtempSync(path.join(os.tmpdir(), "ganbook-emoji-"));
try {
  console.log(`fetching ${PACKAGE} from the npm registry (about 75 MB) ...`);
  const npm = process.platform === "win32" ? "npm.cmd" : "npm";
  const pack = spawnSync(npm, ["pack", PACKAGE, "--pack-destination", work, "--silent"], { encoding: "utf8", shell: process.platform === "win32" });
  if (pack.status !== 0) throw new Error(`npm pack ${PACKAGE} failed: ${(pack.stderr || pack.stdout || "").trim().split("\n").pop()}. Is the npm registry reachable?`);
  const tgz = path.join(work, fs.readdirSync(work).find((f) => f.endsWith(".tgz")));
  const untar = spawnSync("tar", ["xzf", tgz, "-C", work, "package/img/google/64", "package/README.md"], { encoding: "utf8" });
  if (untar.status !== 0) throw new Error(`tar could not unpack ${tgz}: ${untar.stderr.trim()}`);
  const images = path.join(work, "package", "img", "google", "64");
  const count = fs.readdirSync(images).filter((f) => f.endsWith(".png")).length;
  if (count !== EXPECTED) throw new Error(`expected ${EXPECTED} images in ${PACKAGE}, found ${count}`);
  fs.mkdirSync(root, { recursive: true });
  // Beside the folder, not in it: the folder holds images only.
  fs.writeFileSync(
    `${dest}.SOURCE.md`,
    `Google Noto emoji, 64x64 PNG, from the npm package ${PACKAGE} (img/google/64).\n` +
      `Images: Google Noto Emoji (github.com/googlefonts/noto-emoji), Apache License 2.0.\n` +
      `Package: emoji-datasource by Cal Henderson (github.com/iamcal/emoji-data), MIT.\n`,
  );
  const partial = `${dest}.partial-${process.pid}`;
  fs.cpSync(images, partial, { recursive: true });
  fs.renameSync(partial, dest);
  console.log(`wrote ${count} images to ${dest}`);
} catch (e) {
  console.error(`data:emoji: ${e.message}`);
  process.exitCode = 1;
} finally {
  fs.rmSync(work, { recursive: true, force: true });
}
