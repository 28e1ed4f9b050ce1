// Finding Jupyter and pointing it at the repository's kernelspec (jupyter/kernels/ganbook-ts).
// Shared by `npm start`, `npm run kernel:install` and `npm run test:notebooks`.
import { spawnSync } from "node:child_process";
import * as path from "node:path";
import { fileURLToPath } from "node:url";

export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
export const KERNEL_NAME = "ganbook-ts";

/** The environment with the repo's jupyter/ folder first on JUPYTER_PATH, so its kernelspec is found. */
export function jupyterEnv(extra = {}) {
  const own = path.join(REPO, "jupyter");
  const rest = process.env.JUPYTER_PATH ? path.delimiter + process.env.JUPYTER_PATH : "";
  return { ...process.env, JUPYTER_PATH: own + rest, ...extra };
}

/** True when `cmd args` runs and exits 0. */
export function works(cmd, args) {
  const r = spawnSync(cmd, args, { stdio: "ignore", env: jupyterEnv() });
  return r.status === 0;
}

/** The first Python that can import every module in `modules`, or undefined. Debian's comes first. */
export function findPython(modules) {
  const code = modules.map((m) => `import ${m}`).join("; ");
  return ["/usr/bin/python3", "python3", "python"].find((py) => works(py, ["-c", code]));
}

export const INSTALL_HELP = `No Jupyter was found. Install one of:
  JupyterLab with pipx (any OS):    pipx install --include-deps jupyterlab   (Debian/Ubuntu: sudo apt-get install pipx; pipx ensurepath)
  JupyterLab in a virtual env:      python3 -m venv ~/.venvs/jupyter && ~/.venvs/jupyter/bin/pip install jupyterlab
                                    then put ~/.venvs/jupyter/bin on PATH (plain "pip install" is refused on
                                    Debian 12, Ubuntu 23.04+ and other systems whose Python is externally managed)
  Classic Notebook (Debian/Ubuntu): sudo apt-get install jupyter-notebook
then run npm start again.`;
