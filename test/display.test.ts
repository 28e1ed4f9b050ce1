import { test } from "node:test";
import * as assert from "node:assert/strict";
import pl from "nodejs-polars";
import { newLiveDisplay, plotlyHtml, showHtml, showMarkdown, showPlot, showPng, showTable, tableHtml } from "../lib/src/display";
import { inKernel } from "../lib/src/kernel";

test("outside a kernel the display helpers do not throw and print nothing", () => {
  assert.equal(inKernel(), false);
  const written: string[] = [];
  const write = process.stdout.write;
  process.stdout.write = ((s: string) => written.push(s) > 0) as typeof write;
  try {
    showHtml("<b>x</b>");
    showMarkdown("# x");
    showPng(Uint8Array.from([1]));
    showPlot({ data: [{ x: [1, 2], y: [3, 4], type: "scatter" }], layout: { title: { text: "t" } } });
    showTable(pl.DataFrame({ a: [1] }));
    const live = newLiveDisplay({ silent: true });
    live.text("progress");
    live.html("<p>x</p>");
  } finally {
    process.stdout.write = write;
  }
  assert.deepEqual(written, [], "a silent live display writes nothing either");
  assert.match(plotlyHtml({ data: [{ x: [1, 2], y: [3, 4], type: "scatter" }] }), /Plotly\.newPlot/);
});

test("outside a kernel a live display prints its text as a line, at most once per interval", () => {
  const written: string[] = [];
  const write = process.stdout.write;
  process.stdout.write = ((s: string) => written.push(s) > 0) as typeof write;
  try {
    const live = newLiveDisplay({ minIntervalMs: 60_000 });
    live.text("step 1 of 10");
    live.text("step 2 of 10"); // within the interval: skipped
    live.html("<p>ignored outside a kernel</p>");
  } finally {
    process.stdout.write = write;
  }
  assert.equal(written.length, 1);
  assert.match(written[0], /step 1 of 10/);
});

test("plotly.js is inlined only when asked, and strings cannot close the script tag", () => {
  const withBundle = plotlyHtml({ data: [] }, { includePlotly: true });
  const without = plotlyHtml({ data: [{ name: "</script><b>" }] }, { includePlotly: false });
  assert.ok(withBundle.length > 1_000_000, "the bundle is inlined");
  assert.ok(without.length < 5_000);
  assert.ok(!without.includes("</script><b>"));
  assert.ok(without.includes("\\u003c/script>"));
});

test("showTable renders a polars DataFrame as an HTML table, cut to maxRows", () => {
  const df = pl.DataFrame({ step: [1, 2, 3], loss: [0.5, 0.25, 0.125] });
  const html = tableHtml(df, 2);
  assert.match(html, /<table/);
  assert.match(html, /first 2 of 3 rows/);
});

test("inside a kernel, zeromq's EBUSY is dropped even past handlers that rethrow (as the wasm backend's do); other errors still end the process", async () => {
  const { spawnSync } = await import("node:child_process");
  const run = (error: string) =>
    spawnSync(process.execPath, ["--import", "tsx", "-e", `
      const { keepKernelAliveOnBusySocket } = require("./lib/src/kernel.ts");
      // emscripten's handlers, installed when the wasm backend loads: rethrow everything
      process.on("uncaughtException", (e) => { throw e; });
      process.on("unhandledRejection", (r) => { throw r; });
      keepKernelAliveOnBusySocket();
      Promise.reject(${error});
      setTimeout(() => { console.log("still alive"); }, 50);
    `], { cwd: process.cwd(), encoding: "utf8" });
  const busy = run(`Object.assign(new Error("Socket is busy writing; only one send operation may be in progress at any time"), { code: "EBUSY" })`);
  assert.equal(busy.status, 0, busy.stderr);
  assert.match(busy.stdout, /still alive/);
  assert.match(busy.stderr, /ganbook: ignored a Jupyter message tslab could not send/);
  const other = run(`new Error("something else")`);
  assert.notEqual(other.status, 0);
  assert.doesNotMatch(other.stdout, /still alive/);
  assert.match(other.stderr, /something else/);
});
