// npm run format:notebooks [--check]: formats every notebook's code cells with Prettier (TypeScript,
// lines of at most 100 characters where Prettier can break them), in place; --check only lists the
// cells that would change and exits 1 if any would. Cells that show a library region verbatim
// (`// #region chapter NN` blocks, kept the same by test/chapter-code.test.ts) are left as the library
// writes them.
import * as fs from "node:fs";
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import * as prettier from "prettier";

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
export const PRETTIER = { parser: "typescript", printWidth: 100 };

/** The bodies of the library's chapter regions (as a chapter cell shows them, without `export`). */
function regionBodies() {
  const dir = path.join(REPO, "lib", "src");
  return fs.readdirSync(dir).filter((f) => f.endsWith(".ts")).flatMap((f) => {
    const source = fs.readFileSync(path.join(dir, f), "utf8");
    return [...source.matchAll(/^\/\/ #region chapter (\d\d): ([^\n]*)\n([\s\S]*?)\n\/\/ #endregion$/gm)].map((m) => m[3].replace(/^export /gm, ""));
  });
}

/** Formats the code cells of one notebook; returns the indices of the cells that changed (or would). */
export async function formatNotebook(file, { write = true } = {}) {
  const regions = regionBodies();
  const nb = JSON.parse(fs.readFileSync(file, "utf8"));
  const changed = [];
  for (const [i, cell] of nb.cells.entries()) {
    if (cell.cell_type !== "code") continue;
    const source = Array.isArray(cell.source) ? cell.source.join("") : cell.source;
    if (regions.some((r) => source.includes(r))) continue;
    const formatted = (await prettier.format(source, PRETTIER)).replace(/\n$/, "");
    if (formatted === source) continue;
    changed.push(i);
    const lines = formatted.split("\n");
    cell.source = lines.map((l, k) => (k < lines.length - 1 ? `${l}\n` : l));
  }
  if (write && changed.length) fs.writeFileSync(file, `${JSON.stringify(nb, null, 1)}\n`);
  return changed;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const check = process.argv.includes("--check");
  const dir = path.join(REPO, "notebooks");
  let unformatted = 0;
  for (const name of fs.readdirSync(dir).filter((f) => f.endsWith(".ipynb")).sort()) {
    const changed = await formatNotebook(path.join(dir, name), { write: !check });
    if (changed.length) console.log(`${name}: ${check ? "would format" : "formatted"} cells ${changed.join(", ")}`);
    unformatted += changed.length;
  }
  if (check && unformatted) process.exit(1);
}
