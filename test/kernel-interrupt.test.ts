// Jupyter's Kernel > Interrupt (SIGINT to the tslab kernel) during training: the kernel survives,
// training stops after the current step, the history is intact and the models keep working.
import { test } from "node:test";
import * as assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as path from "node:path";
import { REPO } from "./helpers";

const python = ["/usr/bin/python3", "python3"].find((py) => spawnSync(py, ["-c", "import jupyter_client"], { stdio: "ignore" }).status === 0);

test("a kernel interrupt stops training after a step; the kernel, models and history survive", { skip: !python && "no Python with jupyter_client", timeout: 240_000 }, () => {
  const r = spawnSync(python!, [path.join(REPO, "test", "fixtures", "interrupt_kernel.py")], {
    cwd: path.join(REPO, "notebooks"),
    env: { ...process.env, JUPYTER_PATH: path.join(REPO, "jupyter") },
    encoding: "utf8",
    timeout: 230_000,
  });
  assert.equal(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout.trim().split("\n").pop()!);
  assert.equal(out.alive, true, "the kernel is still running");
  assert.match(out.cellError, /Interrupted/, "the training cell was interrupted");
  const s = out.state;
  assert.ok(s.step > 0 && s.step < 1_000_000, `training stopped early (step ${s.step})`);
  assert.equal(s.history, s.step + 3, "one history row per completed step, and training continues");
  assert.equal(s.lastStep, s.step + 3);
  assert.deepEqual(s.sampleShape, [4, 2]);
  assert.equal(s.finite, 1, "the generator still works");
});
