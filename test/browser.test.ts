// The notebooks in a real browser: classic Jupyter Notebook on 127.0.0.1 (a free port, a token, the
// repo's kernelspec), Debian's Chromium driven by playwright-core (no browser download). Runs every
// cell of 00-welcome and of a training chapter, checks that plotly charts and PNG images are
// rendered on the page and that the live progress display was updated in place, and renders
// nbconvert's HTML export offline. Screenshots go to build/browser/.
import { test } from "node:test";
import * as assert from "node:assert/strict";
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import * as fs from "node:fs";
import * as net from "node:net";
import * as path from "node:path";
import { REPO, tempDir } from "./helpers";

const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const SHOTS = path.join(REPO, "build", "browser");
const hasJupyter = spawnSync("jupyter", ["notebook", "--version"], { stdio: "ignore" }).status === 0;
const skip = !fs.existsSync(CHROMIUM) ? `no Chromium at ${CHROMIUM} (apt-get install chromium)` : !hasJupyter ? "no classic Jupyter Notebook" : false;

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = net.createServer().listen(0, "127.0.0.1", () => {
      const port = (server.address() as net.AddressInfo).port;
      server.close(() => resolve(port));
    });
  });
}

const CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"];

test("notebooks render their charts, images and live progress in a real browser", { skip, timeout: 600_000 }, async () => {
  const { chromium } = await import("playwright-core");
  fs.mkdirSync(SHOTS, { recursive: true });
  const port = await freePort();
  const token = `t${Date.now().toString(36)}`;
  const home = tempDir("ganbook-jupyter-");
  let server: ChildProcess | undefined;
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  try {
    const root = process.getuid?.() === 0 ? ["--allow-root"] : [];
    server = spawn("jupyter", ["notebook", "--no-browser", "--ip=127.0.0.1", `--port=${port}`, `--NotebookApp.token=${token}`, `--notebook-dir=${path.join(REPO, "notebooks")}`, ...root], {
      cwd: REPO,
      env: { ...process.env, JUPYTER_PATH: path.join(REPO, "jupyter"), GANBOOK_QUICK: "1", HOME: home, JUPYTER_RUNTIME_DIR: path.join(home, "runtime") },
      stdio: "ignore",
    });
    const base = `http://127.0.0.1:${port}`;
    for (let i = 0; ; i++) {
      try {
        const r = await fetch(`${base}/api/kernelspecs?token=${token}`);
        const specs = (await r.json()) as { kernelspecs: Record<string, unknown> };
        assert.ok("ganbook-ts" in specs.kernelspecs, "the server lists the course's TypeScript kernel");
        break;
      } catch (e) {
        if (i > 100) throw e;
        await new Promise((r) => setTimeout(r, 300));
      }
    }
    for (const name of ["00-welcome", "03-vanilla-gan"]) {
      const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
      // Open a copy so the committed notebook is never saved with outputs.
      const copy = `browser-test-${name}.ipynb`;
      fs.copyFileSync(path.join(REPO, "notebooks", `${name}.ipynb`), path.join(REPO, "notebooks", copy));
      try {
        await page.goto(`${base}/notebooks/${copy}?token=${token}`);
        await page.waitForFunction(() => (window as any).Jupyter?.notebook?.kernel?.is_connected?.(), null, { timeout: 60_000 });
        // Count display updates in place: every replacement of the progress output is one update.
        await page.evaluate(() => {
          (window as any).__progressUpdates = 0;
          new MutationObserver((records) => {
            for (const r of records) for (const n of Array.from(r.addedNodes)) if ((n as Element).querySelector?.(".ganbook-progress")) (window as any).__progressUpdates++;
          }).observe(document.body, { childList: true, subtree: true });
          (window as any).Jupyter.notebook.execute_all_cells();
        });
        await page.waitForFunction(
          () => {
            const nb = (window as any).Jupyter.notebook;
            const cells = nb.get_cells().filter((c: any) => c.cell_type === "code");
            return nb.kernel_busy === false && cells.every((c: any) => c.input_prompt_number !== null && c.input_prompt_number !== "*" && c.input_prompt_number !== undefined);
          },
          null,
          { timeout: 480_000, polling: 1000 },
        );
        const errors = await page.evaluate(() => Array.from(document.querySelectorAll(".output_stderr")).map((e) => e.textContent ?? "").filter((t) => /Error/.test(t)));
        assert.deepEqual(errors, [], `${name}: cells reported errors`);
        await page.waitForSelector(".js-plotly-plot .main-svg", { timeout: 30_000 });
        const rendered = await page.evaluate(() => ({
          plots: document.querySelectorAll(".js-plotly-plot .main-svg").length,
          images: Array.from(document.querySelectorAll(".output_png img, .output_area img")).filter((i) => (i as HTMLImageElement).naturalWidth > 0).length,
          progress: document.querySelectorAll(".ganbook-progress").length,
          updates: (window as any).__progressUpdates as number,
        }));
        await page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: true });
        assert.ok(rendered.plots >= 1, `${name}: a plotly chart is drawn (${JSON.stringify(rendered)})`);
        assert.ok(rendered.images >= 1, `${name}: a PNG image is drawn (${JSON.stringify(rendered)})`);
        if (name === "03-vanilla-gan") {
          // One progress display per training run (3 runs with progress), each redrawn many times.
          assert.equal(rendered.progress, 3, `one live display per training run (${JSON.stringify(rendered)})`);
          assert.ok(rendered.updates > rendered.progress, `the live displays were updated in place (${JSON.stringify(rendered)})`);
        }
      } finally {
        await page.close();
        fs.rmSync(path.join(REPO, "notebooks", copy), { force: true });
        fs.rmSync(path.join(REPO, "notebooks", ".ipynb_checkpoints"), { recursive: true, force: true });
      }
    }
    // nbconvert's HTML export of an executed notebook draws its charts offline.
    const executed = path.join(REPO, "build", "notebooks", "00-welcome.ipynb");
    const out = tempDir("ganbook-html-");
    const run = spawnSync("node", [path.join(REPO, "scripts", "test-notebooks.mjs"), path.join(REPO, "notebooks", "00-welcome.ipynb")], { cwd: REPO, encoding: "utf8", timeout: 300_000 });
    assert.equal(run.status, 0, run.stdout + run.stderr);
    const convert = spawnSync("jupyter", ["nbconvert", "--to", "html", executed, "--output-dir", out], { encoding: "utf8" });
    assert.equal(convert.status, 0, convert.stderr);
    const page = await browser.newPage();
    await page.route("**/*", (route) => (route.request().url().startsWith("file:") ? route.continue() : route.abort()));
    await page.goto(`file://${path.join(out, "00-welcome.html")}`);
    await page.waitForSelector(".js-plotly-plot .main-svg", { timeout: 30_000 });
    await page.screenshot({ path: path.join(SHOTS, "00-welcome-nbconvert.png"), fullPage: true });
  } finally {
    await browser.close();
    server?.kill("SIGTERM");
  }
});
