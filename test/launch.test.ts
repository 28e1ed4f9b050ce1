// npm start: serves the course on 127.0.0.1 with token authentication and the course's kernel;
// without Jupyter it exits non-zero with the install commands.
import { test } from "node:test";
import * as assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { REPO, tempDir } from "./helpers";

const START = path.join(REPO, "scripts", "start.mjs");

test("without Jupyter, npm start exits non-zero and prints the install commands", () => {
  const bin = tempDir();
  fs.symlinkSync(process.execPath, path.join(bin, "node"));
  const r = spawnSync(process.execPath, [START], { env: { ...process.env, PATH: bin }, encoding: "utf8" });
  assert.equal(r.status, 1);
  assert.match(r.stderr, /pipx install --include-deps jupyterlab/);
  assert.match(r.stderr, /python3 -m venv .*\/bin\/pip install jupyterlab/);
  assert.match(r.stderr, /apt-get install jupyter-notebook/);
});

const hasJupyter = spawnSync("jupyter", ["notebook", "--version"], { stdio: "ignore" }).status === 0 || spawnSync("jupyter", ["lab", "--version"], { stdio: "ignore" }).status === 0;

test("npm start serves notebooks/ on 127.0.0.1 with a token, listing the TypeScript (ganbook) kernel", { skip: !hasJupyter && "no Jupyter installed", timeout: 90_000 }, async () => {
  const port = 20000 + Math.floor(Math.random() * 20000);
  const home = tempDir();
  const child = spawn(process.execPath, [START, "--no-browser", `--port=${port}`], { cwd: REPO, env: { ...process.env, HOME: home }, detached: true });
  let log = "";
  child.stdout.on("data", (d) => (log += d));
  child.stderr.on("data", (d) => (log += d));
  try {
    let token: string | undefined;
    for (let i = 0; i < 100 && !token; i++) {
      await new Promise((r) => setTimeout(r, 300));
      token = /127\.0\.0\.1:\d+\/(?:lab|tree)?\?token=([0-9a-f]+)/.exec(log)?.[1];
    }
    assert.ok(token, `Jupyter printed a tokenised 127.0.0.1 URL:\n${log}`);
    const unauthorised = await fetch(`http://127.0.0.1:${port}/api/kernelspecs`);
    assert.equal(unauthorised.status, 403, "token authentication is on");
    const specs = (await (await fetch(`http://127.0.0.1:${port}/api/kernelspecs?token=${token}`)).json()) as { kernelspecs: Record<string, { spec: { display_name: string } }> };
    assert.equal(specs.kernelspecs["ganbook-ts"]?.spec.display_name, "TypeScript (ganbook)");
  } finally {
    process.kill(-child.pid!, "SIGTERM");
  }
});
