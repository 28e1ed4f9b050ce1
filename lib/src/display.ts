/**
 * Showing things in a notebook: HTML, Markdown, PNG images, plotly charts, polars tables, and
 * displays updated in place for live progress (chapter 00-welcome shows each one).
 *
 * Inside a tslab kernel these write rich outputs to the running cell. Outside one (tests, scripts)
 * they show nothing and never throw. They return nothing, because tslab prints a cell's last value:
 * to keep what would be shown, call the builders (`plotlyHtml`, `tableHtml`, `imageGridPng`).
 */
import * as fs from "fs";

/** The part of tslab's display API ganbook uses (tslab's `Display`). */
interface TslabDisplay {
  html(s: string): void;
  markdown(s: string): void;
  png(b: Uint8Array): void;
  gif(b: Uint8Array): void;
  text(s: string): void;
}

interface TslabModule {
  display: TslabDisplay;
  newDisplay(): TslabDisplay;
}

let tslabModule: TslabModule | null | undefined;

/** True for zeromq's "Socket is busy writing" error (EBUSY), which tslab's unawaited sends can raise. */
function isBusySocket(e: unknown): boolean {
  return e instanceof Error && (e as NodeJS.ErrnoException).code === "EBUSY" && /busy writing/.test(e.message);
}

let guarded = false;

/**
 * tslab 1.0.22 sends Jupyter messages without waiting for the previous send on the same zeromq socket,
 * and zeromq.js 6 allows one send at a time, throwing EBUSY at the next. After a large output (a GIF,
 * a chart with frames) the kernel's next "busy"/"idle" status message could fail so, an unhandled
 * rejection inside tslab that the wasm backend's emscripten handlers turn into an exit ("Kernel died";
 * chapter 05 lost its kernel this way in 3 of 4 full runs). Inside a kernel ganbook therefore (1)
 * queues the sends of each zeromq socket, each waiting for the one before, and (2) should an EBUSY
 * still escape, drops it with a line on stderr instead of exiting; every other error reaches the
 * handlers as before. Called by ganbook's display functions inside a kernel; exported for tests.
 */
export function keepKernelAliveOnBusySocket(): void {
  if (guarded) return;
  guarded = true;
  queueZeromqSends();
  for (const event of ["uncaughtException", "unhandledRejection"] as const) {
    const handlers = process.listeners(event as "uncaughtException") as ((error: unknown, ...rest: unknown[]) => void)[];
    process.removeAllListeners(event);
    process.on(event as "uncaughtException", (error: unknown, ...rest: unknown[]) => {
      if (isBusySocket(error)) {
        process.stderr.write(`ganbook: ignored a Jupyter message tslab could not send (${(error as Error).message})\n`);
        return;
      }
      if (!handlers.length) throw error; // what Node does with no handler: report and exit
      for (const handler of handlers) handler(error, ...rest);
    });
  }
}

/** Makes zeromq's `Socket.prototype.send` (the copy tslab loads) wait for the socket's previous send. */
function queueZeromqSends(): void {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const zmq = require(require.resolve("zeromq", { paths: [require.resolve("tslab")] })) as { Publisher: { prototype: object } };
    let proto: Record<string, unknown> | null = zmq.Publisher.prototype as Record<string, unknown>;
    while (proto && !Object.prototype.hasOwnProperty.call(proto, "send")) proto = Object.getPrototypeOf(proto);
    if (!proto || proto.ganbookQueued) return;
    const send = proto.send as (this: object, ...args: unknown[]) => Promise<void>;
    const pending = new WeakMap<object, Promise<unknown>>();
    proto.send = function (this: object, ...args: unknown[]) {
      const next = (pending.get(this) ?? Promise.resolve()).catch(() => undefined).then(() => send.apply(this, args));
      pending.set(this, next);
      return next;
    };
    proto.ganbookQueued = true;
  } catch {
    // zeromq not found next to tslab: leave the sends as they are (the handler above still guards).
  }
}

/** tslab's public module when this process is a tslab kernel that is executing a cell, else null. */
function tslab(): TslabModule | null {
  if (tslabModule === undefined) {
    try {
      // Resolved from ganbook's own folder, so it is the same module instance the kernel runs.
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      tslabModule = require("tslab") as TslabModule;
    } catch {
      tslabModule = null;
    }
  }
  if (!tslabModule) return null;
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const jupyter = require("tslab/dist/jupyter") as { lastWriteDisplayData: unknown };
    if (!jupyter.lastWriteDisplayData) return null;
    keepKernelAliveOnBusySocket();
    return tslabModule;
  } catch {
    return null;
  }
}

/** True when running inside a tslab Jupyter kernel (so rich outputs will be shown). */
export function inKernel(): boolean {
  return tslab() !== null;
}

/** Shows an HTML fragment. */
export function showHtml(html: string): void {
  tslab()?.display.html(html);
}

/** Shows Markdown (rendered by Jupyter, LaTeX included). */
export function showMarkdown(markdown: string): void {
  tslab()?.display.markdown(markdown);
}

/** Shows PNG bytes as an image. */
export function showPng(png: Uint8Array): void {
  tslab()?.display.png(png);
}

/** Shows GIF bytes (an animation). */
export function showGif(gif: Uint8Array): void {
  tslab()?.display.gif(gif);
}

/**
 * A display area updated in place: each call replaces what the previous one showed. Used for live
 * training progress (chapter 03). Outside a kernel, `text` lines go to stdout at most once per
 * `minIntervalMs` (plain-text progress) and everything else is dropped.
 */
export interface LiveDisplay {
  html(s: string): void;
  png(b: Uint8Array): void;
  text(s: string): void;
}

/** Creates a {@link LiveDisplay}; `silent` suppresses the plain-text fallback outside a kernel. */
export function newLiveDisplay(options: { silent?: boolean; minIntervalMs?: number } = {}): LiveDisplay {
  const kernel = tslab();
  if (kernel) {
    const d = kernel.newDisplay();
    return { html: (s) => d.html(s), png: (b) => d.png(b), text: (s) => d.text(s) };
  }
  let last = 0;
  const interval = options.minIntervalMs ?? 2000;
  return {
    html: () => {},
    png: () => {},
    text: (s) => {
      const now = Date.now();
      if (options.silent || now - last < interval) return;
      last = now;
      // In a terminal, redraw one line in place; in a log file, one line per update.
      process.stdout.write(process.stdout.isTTY ? `\r${s.slice(0, (process.stdout.columns || 120) - 1).padEnd((process.stdout.columns || 120) - 1)}` : s + "\n");
    },
  };
}

// ---------------------------------------------------------------------------------------------
// plotly charts

/** A plotly figure: traces and a layout, as in plotly.js's `Plotly.newPlot(div, data, layout)`. */
export interface PlotlyFigure {
  data: Record<string, unknown>[];
  layout?: Record<string, unknown>;
  config?: Record<string, unknown>;
  /** Plotly animation frames (`Plotly.addFrames`), for charts animated over training. */
  frames?: Record<string, unknown>[];
}

let plotlyLoaded = false;
let plotId = 0;

/** The inlined plotly.js bundle (plotly.js-dist-min), as a `<script>` that defines `window.Plotly`. */
export function plotlyScriptTag(): string {
  const file = require.resolve("plotly.js-dist-min/plotly.min.js");
  return `<script type="text/javascript">${fs.readFileSync(file, "utf8")}</script>`;
}

/**
 * The HTML for a plotly figure. The first chart of a kernel session carries plotly.js inlined
 * (~4.8 MB, works offline in JupyterLab, classic Notebook and nbconvert's HTML export); later charts
 * wait for it, so plotly.js is loaded once per session, not once per chart. `includePlotly` forces
 * the bundle in (or out).
 */
export function plotlyHtml(figure: PlotlyFigure, options: { includePlotly?: boolean } = {}): string {
  const include = options.includePlotly ?? !plotlyLoaded;
  const id = `ganbook-plot-${process.pid}-${Date.now().toString(36)}-${plotId++}`;
  const layout: Record<string, unknown> = { margin: { t: 40, r: 20, b: 40, l: 50 }, ...figure.layout };
  const config = { responsive: true, displaylogo: false, ...figure.config };
  // JSON inside a <script>: escape "<" so a string containing "</script>" cannot end the tag.
  const json = (v: unknown): string => JSON.stringify(v ?? null).replace(/</g, "\\u003c");
  const draw = `
(function () {
  var tries = 0;
  function draw() {
    var el = document.getElementById(${json(id)});
    if (!el) return;
    if (!window.Plotly) {
      if (++tries < 100) return setTimeout(draw, 100);
      el.textContent = "plotly.js is not loaded on this page: run the notebook's cells from the top (or trust the notebook) to see this chart.";
      return;
    }
    window.Plotly.newPlot(el, ${json(figure.data)}, ${json(layout)}, ${json(config)}).then(function () {
      var frames = ${json(figure.frames ?? null)};
      if (frames) return window.Plotly.addFrames(el, frames);
    });
  }
  draw();
})();`;
  const height = typeof layout.height === "number" ? layout.height : 420;
  return (
    (include ? plotlyScriptTag() : "") +
    `<div id="${id}" class="ganbook-plot" style="width:100%;height:${height}px;"></div>` +
    `<script type="text/javascript">${draw}</script>`
  );
}

/** Shows a plotly figure (see {@link plotlyHtml}). */
export function showPlot(figure: PlotlyFigure): void {
  const kernel = tslab();
  if (!kernel) return;
  kernel.display.html(plotlyHtml(figure));
  plotlyLoaded = true;
}

// ---------------------------------------------------------------------------------------------
// tables

/** Anything with polars' `toHTML()` (a nodejs-polars DataFrame). */
export interface HtmlTable {
  toHTML(): string;
  height?: number;
}

/** The HTML table of a nodejs-polars DataFrame, cut to its first `maxRows` rows. */
export function tableHtml(df: HtmlTable & { head?(n: number): HtmlTable }, maxRows = 50): string {
  const shown = df.head && (df.height ?? 0) > maxRows ? df.head(maxRows) : df;
  let html = shown.toHTML();
  if (shown !== df) html += `<p><em>first ${maxRows} of ${df.height} rows</em></p>`;
  return html;
}

/** Shows a nodejs-polars DataFrame as an HTML table (see {@link tableHtml}). */
export function showTable(df: HtmlTable & { head?(n: number): HtmlTable }, maxRows = 50): void {
  showHtml(tableHtml(df, maxRows));
}
