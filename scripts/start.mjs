// npm start: opens the course in JupyterLab if it is installed, else in classic Jupyter Notebook,
// serving notebooks/ on 127.0.0.1 (token authentication on) with the repo's TypeScript kernel.
// Extra arguments go to Jupyter: npm start -- --no-browser --port 8890
import { spawn } from "node:child_process";
import * as path from "node:path";
import { INSTALL_HELP, REPO, jupyterEnv, works } from "./jupyter.mjs";

const app = works("jupyter", ["lab", "--version"]) ? "lab" : works("jupyter", ["notebook", "--version"]) ? "notebook" : null;
if (!app) {
  console.error(INSTALL_HELP);
  process.exit(1);
}
// Jupyter refuses to run as root without --allow-root (containers and CI machines often are root).
const root = process.getuid?.() === 0 && !process.argv.includes("--allow-root") ? ["--allow-root"] : [];
if (root.length) console.log("Running as root: passing --allow-root to Jupyter.");
const args = [app, "--ip=127.0.0.1", `--notebook-dir=${path.join(REPO, "notebooks")}`, ...root, ...process.argv.slice(2)];
console.log(`Starting Jupyter ${app === "lab" ? "Lab" : "Notebook"} on notebooks/ (kernel: "TypeScript (ganbook)")`);
const child = spawn("jupyter", args, { stdio: "inherit", env: jupyterEnv() });
for (const signal of ["SIGINT", "SIGTERM"]) process.on(signal, () => child.kill(signal));
child.on("exit", (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
