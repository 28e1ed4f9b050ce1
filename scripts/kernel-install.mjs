// npm run kernel:install: registers this repository's TypeScript kernel ("TypeScript (ganbook)") with
// the Jupyter already on this machine, for the current user, so JupyterLab, classic Notebook and
// VS Code's notebook editor list it even when started without `npm start`.
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { INSTALL_HELP, KERNEL_NAME, REPO, works } from "./jupyter.mjs";

if (!works("jupyter", ["kernelspec", "--version"])) {
  console.error(INSTALL_HELP);
  process.exit(1);
}
const committed = path.join(REPO, "jupyter", "kernels", KERNEL_NAME);
const spec = JSON.parse(fs.readFileSync(path.join(committed, "kernel.json"), "utf8"));
// The installed copy lives outside the repo, so it names this checkout's node and tslab by absolute path.
spec.argv = [process.execPath, path.join(REPO, "node_modules", "tslab", "bin", "tslab"), ...spec.argv.slice(2)];
const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ganbook-kernel-"));
fs.writeFileSync(path.join(dir, "kernel.json"), JSON.stringify(spec, null, 2) + "\n");
const r = spawnSync("jupyter", ["kernelspec", "install", "--user", "--replace", "--name", KERNEL_NAME, dir], { stdio: "inherit" });
fs.rmSync(dir, { recursive: true, force: true });
if (r.status !== 0) process.exit(r.status ?? 1);
console.log(`Installed kernel "${spec.display_name}" (${KERNEL_NAME}) for this user, pointing at ${REPO} and at Node ${process.version} (${process.execPath}): run it again after you move this folder or switch Node versions.`);
