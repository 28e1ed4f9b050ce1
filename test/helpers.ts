// Shared test helpers: temporary folders and running a snippet of code against the built ganbook.
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

export const REPO = path.resolve(__dirname, "..");

/** A new empty temporary folder, removed when the process exits. */
export function tempDir(prefix = "ganbook-test-"): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  process.on("exit", () => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Runs CommonJS `code` in a fresh Node process from the repo root (so `require("ganbook")` works). */
export function runNode(code: string, env: Record<string, string | undefined> = {}) {
  const r = spawnSync(process.execPath, ["-e", code], {
    cwd: REPO,
    env: { ...process.env, ...env },
    encoding: "utf8",
    timeout: 120_000,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}
