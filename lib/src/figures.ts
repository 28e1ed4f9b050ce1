/**
 * The course's charts, as plotly figures for `showPlot`: a perceptron's boundary and a confusion matrix
 * (chapters 01-02), a trainer's loss history, quality against training minutes (chapters 03-07), and
 * chapter 05's mode heatmaps and rejection-sampling panels. Each builder takes plain results and
 * returns a figure; none trains or samples anything. The 1D and 2D GAN views are in views.ts.
 */
import type { CollapseResult } from "./collapse";
import type { PlotlyFigure } from "./display";
import type { LabeledPoints, PerceptronState } from "./nn";
import type { ImageQuality, QualityPoint, ToyQuality } from "./quality";
import { toyMixture } from "./toy";
import type { HistoryRow } from "./train";

/** A line through the plane where w . x + b = 0, clipped to [lo, hi] (vertical when w[1] is 0). */
function boundaryLine(w: [number, number], b: number, lo: number, hi: number): { x: number[]; y: number[] } {
  if (Math.abs(w[1]) < 1e-9) return { x: [-b / (w[0] || 1e-9), -b / (w[0] || 1e-9)], y: [lo, hi] };
  return { x: [lo, hi], y: [lo, hi].map((x) => -(w[0] * x + b) / w[1]) };
}

/** Points coloured by label with the decision boundary of each state; a slider steps through epochs. */
export function boundaryFigure(data: LabeledPoints, states: PerceptronState[], title = "Perceptron decision boundary"): PlotlyFigure {
  const all = data.points.flat();
  const [lo, hi] = [Math.min(...all) - 0.5, Math.max(...all) + 0.5];
  const scatter = (label: number, color: string) => ({
    type: "scatter",
    mode: "markers",
    name: `label ${label}`,
    x: data.points.filter((_, i) => data.labels[i] === label).map((p) => p[0]),
    y: data.points.filter((_, i) => data.labels[i] === label).map((p) => p[1]),
    marker: { color, size: 7 },
  });
  const line = (s: PerceptronState) => ({ type: "scatter", mode: "lines", name: "w·x + b = 0", ...boundaryLine(s.w, s.b, lo, hi), line: { color: "#333", width: 2 } });
  const last = states[states.length - 1];
  const base = [scatter(0, "#1f77b4"), scatter(1, "#e4572e")];
  return {
    data: [...base, line(last)],
    layout: {
      title: { text: title },
      xaxis: { range: [lo, hi], title: { text: "x₁" } },
      yaxis: { range: [lo, hi], title: { text: "x₂" }, scaleanchor: "x" },
      height: 460,
      sliders: [
        {
          active: states.length - 1,
          currentvalue: { prefix: "epoch " },
          steps: states.map((s) => ({ label: String(s.epoch), method: "animate", args: [[`epoch ${s.epoch}`], { mode: "immediate", frame: { duration: 0, redraw: true } }] })),
        },
      ],
    },
    frames: states.map((s) => ({ name: `epoch ${s.epoch}`, data: [...base, line(s)] })),
  };
}

/** A heatmap of a confusion matrix, counts written in the cells. */
export function confusionFigure(matrix: number[][], classNames: readonly string[], title = "Confusion matrix"): PlotlyFigure {
  return {
    data: [
      {
        type: "heatmap",
        z: matrix,
        x: classNames,
        y: classNames,
        colorscale: "Blues",
        text: matrix.map((row) => row.map(String)),
        texttemplate: "%{text}",
        hovertemplate: "true %{y}, predicted %{x}: %{z}<extra></extra>",
      },
    ],
    layout: { title: { text: title }, xaxis: { title: { text: "predicted" }, type: "category" }, yaxis: { title: { text: "true" }, type: "category", autorange: "reversed" }, height: 480 },
  };
}

/** Loss curves (D and G) and D's accuracy over training, from a trainer's history. */
export function historyFigure(history: HistoryRow[], title = "Training history"): PlotlyFigure {
  const steps = history.map((r) => r.step);
  return {
    data: [
      { type: "scatter", mode: "lines", name: "D loss", x: steps, y: history.map((r) => r.dLoss), line: { color: "#1f77b4" } },
      { type: "scatter", mode: "lines", name: "G loss", x: steps, y: history.map((r) => r.gLoss), line: { color: "#ff7f0e" } },
      { type: "scatter", mode: "lines", name: "D accuracy", x: steps, y: history.map((r) => r.dAccuracy), yaxis: "y2", line: { color: "#2ca02c", width: 1 } },
    ],
    layout: {
      title: { text: title },
      xaxis: { title: { text: "generator step" } },
      yaxis: { title: { text: "loss" } },
      yaxis2: { title: { text: "D accuracy" }, overlaying: "y", side: "right", range: [0, 1] },
      height: 360,
      legend: { orientation: "h", y: -0.25 },
    },
  };
}

/**
 * Quality against training minutes: the evaluator's confident share (image GANs; label accuracy too
 * for conditional ones) or the high-quality share (toy GANs), one line per curve given.
 */
export function qualityFigure(curves: { name: string; points: QualityPoint[] }[], title = "Quality against training time"): PlotlyFigure {
  const data = curves.flatMap(({ name, points }) => {
    const minutes = points.map((p) => p.seconds / 60);
    const lines: Record<string, unknown>[] = [];
    if (points.every((p) => p.kind === "image")) {
      const image = points as ImageQuality[];
      lines.push({ type: "scatter", mode: "lines+markers", name: `${name}: read with p > 0.9`, x: minutes, y: image.map((p) => 100 * p.confident) });
      if (image.some((p) => p.labelAccuracy !== undefined)) {
        lines.push({ type: "scatter", mode: "lines+markers", name: `${name}: label accuracy`, x: minutes, y: image.map((p) => 100 * (p.labelAccuracy ?? NaN)) });
      }
    } else {
      lines.push({ type: "scatter", mode: "lines+markers", name: `${name}: high-quality samples`, x: minutes, y: points.map((p) => 100 * (p as ToyQuality).highQuality) });
    }
    return lines;
  });
  return {
    data,
    layout: { title: { text: title }, xaxis: { title: { text: "training minutes (2-core CPU)" } }, yaxis: { title: { text: "% of samples" }, range: [0, 100] }, height: 360 },
  };
}

/**
 * A heatmap of shares over training: one row per category (a mode, a digit), one column per step,
 * colour = the share of samples in that category at that step (`shares[column][row]`).
 */
export function sharesHeatmapFigure(o: { steps: number[]; rows: string[]; shares: number[][]; title: string }): PlotlyFigure {
  return {
    data: [
      {
        type: "heatmap",
        x: o.steps,
        y: o.rows,
        z: o.rows.map((_, r) => o.shares.map((column) => Math.round(column[r] * 1000) / 1000)),
        colorscale: "Viridis",
        zmin: 0,
        colorbar: { title: { text: "share" } },
      },
    ],
    layout: { title: { text: o.title }, xaxis: { title: { text: "generator step" } }, height: 200 + 12 * o.rows.length },
  };
}

/**
 * The modes-by-step heatmap of one run: a row per mode, a column per recorded step, colour = share of
 * the samples that are high quality at that mode. A collapsing generator is one bright cell per
 * column, moving from row to row as it hops.
 */
export function coverageHeatmapFigure(result: CollapseResult, title?: string): PlotlyFigure {
  const { timeline, job } = result;
  return sharesHeatmapFigure({
    steps: timeline.map((p) => p.step),
    rows: timeline[0].shares.map((_, m) => `mode ${m}`),
    shares: timeline.map((p) => p.shares),
    title: title ?? `${job.method} on the ${job.mixture}, seed ${job.seed}: which modes G covers`,
  });
}

/**
 * Rejection sampling at work (chapter 05): G's samples as drawn (left) and the ones D's verdict keeps
 * (right), each mode's high-quality disc (3 std) drawn as a circle. Needs a run with `rejection`.
 */
export function rejectionFigure(result: CollapseResult, title?: string): PlotlyFigure {
  const { rejection, job } = result;
  if (result.rejectionError) throw new Error(`rejectionFigure: this run's rejection sampling failed: ${result.rejectionError}`);
  if (!rejection) throw new Error("rejectionFigure needs a run made with rejection: true");
  const mixture = toyMixture(job.mixture);
  const panel = (values: number[], axis: "" | "2", name: string, color: string) => ({
    type: "scatter",
    mode: "markers",
    name,
    x: values.filter((_, i) => i % 2 === 0),
    y: values.filter((_, i) => i % 2 === 1),
    xaxis: `x${axis}`,
    yaxis: `y${axis}`,
    marker: { size: 3, color, opacity: 0.5 },
  });
  const r = 3 * mixture.std;
  const circles = ["", "2"].flatMap((axis) =>
    mixture.centers.map(([cx, cy]) => ({ type: "circle", xref: `x${axis}`, yref: `y${axis}`, x0: cx - r, x1: cx + r, y0: cy - r, y1: cy + r, line: { color: "black", width: 1 } })),
  );
  const pct = (v: number) => `${(100 * v).toFixed(1)}%`;
  const [range] = mixture.bounds;
  return {
    data: [
      panel(result.samples, "", `as drawn: ${pct(result.final.highQuality)} high quality`, "#d62728"),
      panel(rejection.samples, "2", `kept (${pct(rejection.acceptance)} of draws): ${pct(rejection.final.highQuality)} high quality`, "#2ca02c"),
    ],
    layout: {
      title: { text: title ?? `${job.method} on the ${job.mixture}, seed ${job.seed}: G's samples, then those D's verdict keeps` },
      xaxis: { domain: [0, 0.48], range },
      yaxis: { range, scaleanchor: "x" },
      xaxis2: { domain: [0.52, 1], range },
      yaxis2: { range, scaleanchor: "x2" },
      shapes: circles,
      height: 420,
      legend: { orientation: "h", y: -0.15 },
    },
  };
}
