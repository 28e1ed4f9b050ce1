/**
 * Showing things in a notebook: HTML, Markdown, PNG images, plotly charts, polars tables, and
 * displays updated in place for live progress (chapter 00-welcome shows each one).
 *
 * Inside a tslab kernel these write rich outputs to the running cell. Outside one (tests, scripts)
 * they show nothing and never throw. They return nothing, because tslab prints a cell's last value:
 * to keep what would be shown, call the builders (`plotlyHtml`, `tableHtml`, `imageGridPng`).
 * The tslab workarounds they rely on are in kernel.ts.
 */
import * as fs from "fs";
import { tslab } from "./kernel";

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
