// npm run test:notebooks [notebook.ipynb ...]: executes every notebook in notebooks/ (or the ones
// named) through Jupyter's nbclient with the repo's kernelspec, one at a time, in quick mode
// (GANBOOK_QUICK=1 unless set). See scripts/run_notebooks.py for what it checks.
import { spawnSync } from "node:child_process";
import * as path from "node:path";
import { REPO, findPython, jupyterEnv } from "./jupyter.mjs";

const python = findPython(["nbclient", "nbformat", "jupyter_client"]);
if (!python) {
  console.error(
    "The notebook tests need Python with nbclient and jupyter_client.\n" +
      "  Debian/Ubuntu: sudo apt-get install jupyter-notebook jupyter-nbconvert python3-nbclient jupyter-client\n" +
      "  elsewhere:     python3 -m pip install nbclient jupyter_client",
  );
  process.exit(1);
}
const env = jupyterEnv({ GANBOOK_QUICK: process.env.GANBOOK_QUICK ?? "1" });
const r = spawnSync(python, [path.join(REPO, "scripts", "run_notebooks.py"), ...process.argv.slice(2)], { stdio: "inherit", env });
process.exit(r.status ?? 1);
