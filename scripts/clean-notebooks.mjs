// npm run clean:notebooks [files...]: strips outputs, execution counts and per-run metadata from
// notebooks/*.ipynb (and test/fixtures/*.ipynb), so they are committed clean. Writes a file only
// when it changes; keys are sorted and indented as nbformat writes them.
import * as fs from "node:fs";
import * as path from "node:path";
import { REPO } from "./jupyter.mjs";

const dirs = ["notebooks", path.join("test", "fixtures")];
const files = process.argv.length > 2
  ? process.argv.slice(2)
  : dirs.flatMap((d) => {
      const dir = path.join(REPO, d);
      return fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => f.endsWith(".ipynb")).map((f) => path.join(dir, f)) : [];
    });

function sortKeys(value) {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value && typeof value === "object") {
    return Object.fromEntries(Object.keys(value).sort().map((k) => [k, sortKeys(value[k])]));
  }
  return value;
}

let changed = 0;
for (const file of files) {
  const before = fs.readFileSync(file, "utf8");
  const nb = JSON.parse(before);
  for (const cell of nb.cells) {
    if (cell.cell_type === "code") {
      cell.outputs = [];
      cell.execution_count = null;
    }
    if (cell.metadata) {
      delete cell.metadata.execution;
      delete cell.metadata.collapsed;
      delete cell.metadata.scrolled;
    }
  }
  delete nb.metadata?.widgets;
  const after = JSON.stringify(sortKeys(nb), null, 1) + "\n";
  if (after !== before) {
    // Write to a temporary name and rename, so an interrupted run never leaves half a notebook.
    fs.writeFileSync(file + ".tmp", after);
    fs.renameSync(file + ".tmp", file);
    changed++;
    console.log(`cleaned ${path.relative(REPO, file)}`);
  }
}
console.log(`${files.length} notebook(s) checked, ${changed} cleaned`);
