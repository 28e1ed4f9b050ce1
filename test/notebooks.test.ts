// The committed notebooks: clean (no outputs), the chapter skeleton, and the notebook runner itself.
import { test } from "node:test";
import * as assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { REPO, tempDir } from "./helpers";

interface Cell {
  cell_type: string;
  source: string | string[];
  outputs?: unknown[];
  execution_count?: number | null;
}
const text = (c: Cell) => (Array.isArray(c.source) ? c.source.join("") : c.source);
const notebooks = fs.readdirSync(path.join(REPO, "notebooks")).filter((f) => f.endsWith(".ipynb")).sort();
const load = (f: string) => JSON.parse(fs.readFileSync(path.join(REPO, "notebooks", f), "utf8"));

test("there are notebooks, named NN-name.ipynb", () => {
  assert.ok(notebooks.length > 0);
  for (const f of notebooks) assert.match(f, /^\d\d-[a-z0-9-]+\.ipynb$/);
});

for (const file of notebooks) {
  test(`${file} is committed without outputs or execution counts (npm run clean:notebooks)`, () => {
    const nb = load(file);
    for (const [i, cell] of (nb.cells as Cell[]).entries()) {
      if (cell.cell_type !== "code") continue;
      assert.deepEqual(cell.outputs, [], `cell ${i} has outputs`);
      assert.equal(cell.execution_count, null, `cell ${i} has an execution count`);
    }
  });

  test(`${file} follows the chapter skeleton and uses the course kernel`, () => {
    const nb = load(file);
    const cells = nb.cells as Cell[];
    assert.equal(nb.metadata.kernelspec.name, "ganbook-ts");
    const header = text(cells[0]);
    assert.equal(cells[0].cell_type, "markdown");
    assert.match(header, /^# \d\d · /, "header cell starts with the chapter title");
    assert.match(header, /What you will learn/i);
    assert.match(header, /Run time on a 2-core CPU/i);
    const firstCode = cells.find((c) => c.cell_type === "code")!;
    assert.match(text(firstCode), /await setup\(\)/, "the first code cell is the setup cell");
    const headings = cells.filter((c) => c.cell_type === "markdown").flatMap((c) => text(c).split("\n").filter((l) => l.startsWith("## ")));
    assert.equal(headings.at(-2), "## Summary");
    assert.equal(headings.at(-1), "## Exercises");
    assert.ok(nb.metadata.ganbook?.expects, "metadata.ganbook.expects lists the rich outputs the notebook promises");
  });
}

test("every notebook's code cells are formatted (npm run format:notebooks), so lines stay near 100 characters", () => {
  const r = spawnSync(process.execPath, [path.join(REPO, "scripts", "format-notebooks.mjs"), "--check"], { encoding: "utf8" });
  assert.equal(r.status, 0, `run npm run format:notebooks:\n${r.stdout}${r.stderr}`);
});

test("the notebook formatter changes a long line and leaves a chapter's library region as the library writes it", async () => {
  const { formatNotebook } = (await import(path.join(REPO, "scripts", "format-notebooks.mjs"))) as {
    formatNotebook: (file: string, o?: { write?: boolean }) => Promise<number[]>;
  };
  const region = fs.readFileSync(path.join(REPO, "lib", "src", "gan.ts"), "utf8").match(/^\/\/ #region chapter 03: [^\n]*\n([\s\S]*?)\n\/\/ #endregion$/m)![1].replace(/^export /gm, "");
  const long = `const x = [${Array.from({ length: 40 }, (_, i) => i).join(", ")}];`;
  const file = path.join(tempDir(), "nb.ipynb");
  const cells = [long, region].map((source) => ({ cell_type: "code", metadata: {}, source: [source], outputs: [], execution_count: null }));
  fs.writeFileSync(file, JSON.stringify({ cells, metadata: {}, nbformat: 4, nbformat_minor: 5 }));
  assert.deepEqual(await formatNotebook(file), [0]);
  const written = load2(file).cells.map(text);
  assert.ok(written[0].split("\n").length > 1 && written[0].split("\n").every((l: string) => l.length <= 100), written[0]);
  assert.equal(written[1], region);
  assert.deepEqual(await formatNotebook(file), [], "formatting twice changes nothing");
});
const load2 = (file: string) => JSON.parse(fs.readFileSync(file, "utf8")) as { cells: Cell[] };

const python = ["/usr/bin/python3", "python3"].find(
  (py) => spawnSync(py, ["-c", "import nbclient, jupyter_client"], { stdio: "ignore" }).status === 0,
);

test("the notebook runner reports a failing cell's source and error, and a notebook outside notebooks/ imports ganbook", { skip: !python && "no Python with nbclient", timeout: 180_000 }, () => {
  const out = tempDir();
  const fixture = path.join(REPO, "test", "fixtures", "failing.ipynb");
  const r = spawnSync(process.execPath, [path.join(REPO, "scripts", "test-notebooks.mjs"), fixture, "--out", out], { encoding: "utf8", timeout: 170_000 });
  const output = r.stdout + r.stderr;
  assert.equal(r.status, 1, output);
  assert.match(output, /FAIL test\/fixtures\/failing\.ipynb/);
  assert.match(output, /throw new Error\("deliberate failure 7f3a"\);/, "prints the failing cell's source");
  assert.match(output, /Error: deliberate failure 7f3a/, "prints the real error text");
  assert.match(output, /notebooks: 0 passed, 1 failed/);
  const executed = JSON.parse(fs.readFileSync(path.join(out, "failing.ipynb"), "utf8"));
  const first = executed.cells[1].outputs.map((o: { text?: string[] }) => (o.text ?? []).join("")).join("");
  assert.match(first, /\[ 3 \]/, "the cell that imports ganbook from test/fixtures/ ran a tensor op");
  assert.deepEqual(executed.cells.at(-1).outputs, [], "cells after the failure do not run");
});
