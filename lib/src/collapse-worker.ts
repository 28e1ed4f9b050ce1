/**
 * The worker-thread side of {@link runCollapseJobs} (collapse.ts): selects a backend, runs the jobs
 * it is sent one at a time, and posts progress and results back. Not imported by the library itself.
 */
import { parentPort } from "node:worker_threads";
// The whole library, so the worker's backend gets what the main thread's does (ganbook's wasm kernels).
import { ready, runCollapse, type CollapseJob } from "./index";

if (!parentPort) throw new Error("collapse-worker runs in a worker thread (see runCollapseJobs)");
const port = parentPort;
port.on("message", async (message: { index: number; job: CollapseJob }) => {
  try {
    await ready();
    const result = await runCollapse(message.job, (point) => port.postMessage({ type: "progress", index: message.index, point }));
    port.postMessage({ type: "result", index: message.index, result });
  } catch (e) {
    port.postMessage({ type: "error", index: message.index, message: e instanceof Error ? e.message : String(e) });
  }
});
