// The code a chapter shows is the library's code: each `// #region chapter NN: ...` block of a
// lib/src file must appear, verbatim (without `export`), inside one code cell of chapter NN, so the
// chapter and the library that later chapters call cannot drift apart (d2l saves its chapter code
// into its library the same way, in the other direction).
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { REPO } from "./helpers";

interface Region {
  file: string;
  chapter: string;
  title: string;
  body: string;
}

/** The marked regions of the library, with `export ` dropped (a notebook cell declares, it does not export). */
export function chapterRegions(source: string, file: string): Region[] {
  const regions: Region[] = [];
  const pattern = /^\/\/ #region chapter (\d\d): ([^\n]*)\n([\s\S]*?)\n\/\/ #endregion$/gm;
  for (const m of source.matchAll(pattern)) regions.push({ file, chapter: m[1], title: m[2], body: m[3].replace(/^export /gm, "") });
  return regions;
}

function notebookFor(chapter: string): { name: string; cells: string[] } {
  const name = fs.readdirSync(path.join(REPO, "notebooks")).find((f) => f.startsWith(`${chapter}-`) && f.endsWith(".ipynb"));
  assert.ok(name, `no notebook for chapter ${chapter}`);
  const nb = JSON.parse(fs.readFileSync(path.join(REPO, "notebooks", name), "utf8")) as { cells: { cell_type: string; source: string[] | string }[] };
  return { name, cells: nb.cells.filter((c) => c.cell_type === "code").map((c) => (Array.isArray(c.source) ? c.source.join("") : c.source)) };
}

const regions = fs
  .readdirSync(path.join(REPO, "lib", "src"))
  .filter((f) => f.endsWith(".ts"))
  .flatMap((f) => chapterRegions(fs.readFileSync(path.join(REPO, "lib", "src", f), "utf8"), f));

test("the library marks the code chapter 03 shows (the game: gradients, D's and G's updates)", () => {
  const titles = regions.filter((r) => r.chapter === "03").map((r) => r.title);
  assert.equal(titles.length, 5, titles.join("; "));
  for (const name of ["gradientsOf", "discriminatorGradients", "discriminatorStep", "generatorGradients", "generatorStep"]) {
    assert.ok(regions.some((r) => r.body.includes(`function ${name}(`)), `${name} is in a marked region`);
  }
});

test("every marked region appears verbatim in one code cell of its chapter, each cell at most 30 lines of it", () => {
  for (const region of regions) {
    const { name, cells } = notebookFor(region.chapter);
    const holders = cells.filter((c) => c.includes(region.body));
    assert.equal(holders.length, 1, `${region.file} "${region.title}" must appear in exactly one code cell of ${name} (found ${holders.length}): copy the region into the notebook`);
    assert.ok(region.body.split("\n").length <= 30, `${region.file} "${region.title}" is ${region.body.split("\n").length} lines: split it (a chapter cell is at most 30)`);
  }
});

test("the check finds a drift: a region that differs from every cell by one character fails", () => {
  const [region] = regions;
  const { cells } = notebookFor(region.chapter);
  const drifted = region.body.replace(/\)/, "))");
  assert.equal(cells.filter((c) => c.includes(drifted)).length, 0);
  const parsed = chapterRegions("// #region chapter 03: x\nexport function f() {}\n// #endregion\n", "t.ts");
  assert.deepEqual(parsed, [{ file: "t.ts", chapter: "03", title: "x", body: "function f() {}" }]);
});
