/**
 * Views of a GAN learning toy data, in the spirit of GAN Lab (chapter 03; chapter 05 reuses them):
 * real and generated samples, the discriminator's output D(x) as a heatmap over the plane, and
 * arrows showing where the generator's gradient pushes each of its samples. As a plotly chart (with
 * frames and a slider for an animation over training) and as an animated GIF.
 * 1D data get the same idea: real and generated histograms with the curve D(x).
 */
import * as tf from "@tensorflow/tfjs";
import type { PlotlyFigure } from "./display";
import type { Gan } from "./gan";
import { encodeGif, type Raster } from "./images";

/** The plane shown: [[xMin, xMax], [yMin, yMax]]. */
export type Bounds = [number, number][];

/** What the 2D view shows at one moment of training. */
export interface View2dFrame {
  step: number;
  real: { x: number[]; y: number[] };
  fake: { x: number[]; y: number[] };
  /**
   * D(x) = sigmoid(logit) on a grid: z[row][col] at (x[col], y[row]). Empty (z = [], no arrows) when D
   * does not judge single points (a GAN with a `prepare` view: PacGAN, minibatch std).
   */
  heat: { x: number[]; y: number[]; z: number[][] };
  /** Arrow tails (the fake samples) and heads (moved along the generator's gradient, scaled to be visible). */
  arrows: { x0: number[]; y0: number[]; x1: number[]; y1: number[] };
}

export interface View2dOptions {
  bounds?: Bounds;
  /** Heatmap cells per side. Default 40. */
  grid?: number;
  /** Fixed noise [M, latentDim] for the fake samples (keep it fixed across frames to see them move). */
  noise: tf.Tensor2D;
  /** Real points to show (at most this many of `real` are drawn). Default 500. */
  maxReal?: number;
  /** Arrows drawn for the first `arrows` fake samples. Default 60. */
  arrows?: number;
}

/** Bounds that hold the points with a margin. */
export function boundsOf(points: tf.Tensor2D, margin = 0.5): Bounds {
  const v = points.dataSync();
  let [x0, x1, y0, y1] = [Infinity, -Infinity, Infinity, -Infinity];
  for (let i = 0; i < v.length; i += 2) {
    [x0, x1] = [Math.min(x0, v[i]), Math.max(x1, v[i])];
    [y0, y1] = [Math.min(y0, v[i + 1]), Math.max(y1, v[i + 1])];
  }
  return [[x0 - margin, x1 + margin], [y0 - margin, y1 + margin]];
}

function columns(points: tf.Tensor2D, max: number): { x: number[]; y: number[] } {
  const v = points.dataSync();
  const n = Math.min(points.shape[0], max);
  const x: number[] = [];
  const y: number[] = [];
  for (let i = 0; i < n; i++) {
    x.push(round(v[2 * i]));
    y.push(round(v[2 * i + 1]));
  }
  return { x, y };
}

const round = (v: number) => Math.round(v * 1000) / 1000;

/** Captures one {@link View2dFrame} of a 2D GAN: G(noise), D over the plane and G's gradient arrows. */
export function snapshot2d(gan: Gan, real: tf.Tensor2D, step: number, options: View2dOptions): View2dFrame {
  const bounds = options.bounds ?? boundsOf(real);
  const cells = options.grid ?? 40;
  const [[x0, x1], [y0, y1]] = bounds;
  const gx = Array.from({ length: cells }, (_, i) => round(x0 + ((i + 0.5) * (x1 - x0)) / cells));
  const gy = Array.from({ length: cells }, (_, i) => round(y0 + ((i + 0.5) * (y1 - y0)) / cells));
  // D judges single points only without a prepare view; PacGAN's D needs several at once.
  const judgesPoints = !gan.prepare;
  const { fake, heat, grad } = tf.tidy(() => {
    const fakeT = gan.generator.predict(options.noise) as tf.Tensor2D;
    if (!judgesPoints) return { fake: fakeT, heat: undefined, grad: undefined };
    const plane = tf.tensor2d(gy.flatMap((y) => gx.map((x) => [x, y])));
    const heatT = tf.sigmoid(gan.discriminator.predict(plane) as tf.Tensor);
    // The generator ascends log D(G(z)) (non-saturating loss): its samples move along this gradient.
    const n = Math.min(options.arrows ?? 60, fakeT.shape[0]);
    const tails = fakeT.slice([0, 0], [n, 2]);
    // log σ(l) = -softplus(-l) (tf.logSigmoid's custom gradient reads a disposed tensor inside tf.tidy)
    const gradT = tf.grad((x: tf.Tensor) => tf.neg(tf.sum(tf.softplus(tf.neg(gan.discriminator.apply(x) as tf.Tensor)))))(tails);
    return { fake: fakeT, heat: heatT, grad: tf.concat([tails, gradT], 1) };
  });
  const h = heat?.dataSync();
  const z = h ? gy.map((_, r) => Array.from(h.subarray(r * cells, (r + 1) * cells), round)) : [];
  const g = grad?.dataSync() ?? new Float32Array(0);
  const span = Math.max(x1 - x0, y1 - y0);
  let longest = 1e-12;
  for (let i = 0; i < g.length; i += 4) longest = Math.max(longest, Math.hypot(g[i + 2], g[i + 3]));
  const scale = (0.08 * span) / longest; // the longest arrow is 8% of the plane
  const arrows = { x0: [] as number[], y0: [] as number[], x1: [] as number[], y1: [] as number[] };
  for (let i = 0; i < g.length; i += 4) {
    arrows.x0.push(round(g[i]));
    arrows.y0.push(round(g[i + 1]));
    arrows.x1.push(round(g[i] + scale * g[i + 2]));
    arrows.y1.push(round(g[i + 1] + scale * g[i + 3]));
  }
  const frame = { step, real: columns(real, options.maxReal ?? 500), fake: columns(fake as tf.Tensor2D, 10_000), heat: { x: gx, y: gy, z }, arrows };
  tf.dispose([fake, ...(heat ? [heat, grad!] : [])]);
  return frame;
}

/** The plotly traces of one frame: heatmap, real, fake, arrows. */
function traces2d(f: View2dFrame): Record<string, unknown>[] {
  const ax: (number | null)[] = [];
  const ay: (number | null)[] = [];
  f.arrows.x0.forEach((_, i) => {
    ax.push(f.arrows.x0[i], f.arrows.x1[i], null);
    ay.push(f.arrows.y0[i], f.arrows.y1[i], null);
  });
  const heat = f.heat.z.length ? [{ type: "heatmap", x: f.heat.x, y: f.heat.y, z: f.heat.z, zmin: 0, zmax: 1, colorscale: "RdBu", reversescale: true, opacity: 0.55, colorbar: { title: { text: "D(x)" }, len: 0.8 }, hoverinfo: "skip" }] : [];
  return [
    ...heat,
    { type: "scatter", mode: "markers", name: "real", x: f.real.x, y: f.real.y, marker: { size: 4, color: "#222" } },
    { type: "scatter", mode: "markers", name: "generated", x: f.fake.x, y: f.fake.y, marker: { size: 4, color: "#e4572e" } },
    { type: "scatter", mode: "lines", name: "G's gradient", x: ax, y: ay, line: { color: "#7b2d26", width: 1.2 }, hoverinfo: "skip" },
  ];
}

/**
 * A plotly figure of 2D frames: the last frame, plus (with several frames) a slider and a play
 * button that animate training.
 */
export function view2dFigure(frames: View2dFrame[], title = "GAN on 2D data"): PlotlyFigure {
  if (frames.length === 0) throw new Error("view2dFigure needs at least one frame");
  const last = frames[frames.length - 1];
  const layout: Record<string, unknown> = {
    title: { text: `${title} — step ${last.step}` },
    xaxis: { range: [last.heat.x[0], last.heat.x.at(-1)], zeroline: false },
    yaxis: { range: [last.heat.y[0], last.heat.y.at(-1)], scaleanchor: "x", zeroline: false },
    height: 520,
    legend: { orientation: "h", y: -0.12 },
  };
  if (frames.length === 1) return { data: traces2d(last), layout };
  const name = (f: View2dFrame) => `step ${f.step}`;
  layout.updatemenus = [
    {
      type: "buttons",
      showactive: false,
      x: 0,
      y: 1.12,
      xanchor: "left",
      buttons: [
        { label: "▶ play", method: "animate", args: [null, { frame: { duration: 250, redraw: true }, fromcurrent: true, transition: { duration: 0 } }] },
        { label: "❚❚", method: "animate", args: [[null], { mode: "immediate", frame: { duration: 0, redraw: false } }] },
      ],
    },
  ];
  layout.sliders = [
    {
      active: frames.length - 1,
      currentvalue: { prefix: "" },
      steps: frames.map((f) => ({ label: String(f.step), method: "animate", args: [[name(f)], { mode: "immediate", frame: { duration: 0, redraw: true } }] })),
    },
  ];
  return { data: traces2d(last), layout, frames: frames.map((f) => ({ name: name(f), data: traces2d(f) })) };
}

/** Renders one 2D frame to an RGBA raster: D(x) as a blue (fake) to red (real) background, real points black, fakes orange. */
export function rasterize2d(f: View2dFrame, size = 240): Raster {
  const data = new Uint8Array(size * size * 4);
  const [x0, x1] = [f.heat.x[0], f.heat.x.at(-1)!];
  const [y0, y1] = [f.heat.y[0], f.heat.y.at(-1)!];
  const cells = f.heat.x.length;
  for (let py = 0; py < size; py++) {
    const r = Math.min(cells - 1, Math.floor(((size - 1 - py) / size) * cells)); // y grows upwards
    for (let px = 0; px < size; px++) {
      const c = Math.min(cells - 1, Math.floor((px / size) * cells));
      const d = f.heat.z[r]?.[c] ?? 0.5; // no heatmap: white
      const o = (py * size + px) * 4;
      // white at D = 0.5, light red towards 1 ("real"), light blue towards 0 ("fake")
      data[o] = 255 - Math.round(110 * Math.max(0, 0.5 - d) * 2);
      data[o + 1] = 255 - Math.round(110 * Math.abs(d - 0.5) * 2);
      data[o + 2] = 255 - Math.round(110 * Math.max(0, d - 0.5) * 2);
      data[o + 3] = 255;
    }
  }
  const toPx = (x: number, y: number) => [Math.round(((x - x0) / (x1 - x0)) * (size - 1)), Math.round(((y1 - y) / (y1 - y0)) * (size - 1))];
  const dot = (x: number, y: number, rgb: number[]) => {
    const [cx, cy] = toPx(x, y);
    for (let dy = -1; dy <= 1; dy++) {
      for (let dx = -1; dx <= 1; dx++) {
        const [px, py] = [cx + dx, cy + dy];
        if (px < 0 || py < 0 || px >= size || py >= size) continue;
        data.set([...rgb, 255], (py * size + px) * 4);
      }
    }
  };
  f.real.x.forEach((x, i) => dot(x, f.real.y[i], [40, 40, 40]));
  f.fake.x.forEach((x, i) => dot(x, f.fake.y[i], [228, 87, 46]));
  return { width: size, height: size, data };
}

/** An animated GIF of 2D frames (see {@link rasterize2d}). */
export function view2dGif(frames: View2dFrame[], size = 240, delayMs = 200): Uint8Array {
  return encodeGif(frames.map((f) => rasterize2d(f, size)), delayMs);
}

// ---------------------------------------------------------------------------------------------
// 1D

/** What the 1D view shows at one moment: histograms of real and generated values, and D(x). */
export interface View1dFrame {
  step: number;
  centers: number[];
  real: number[];
  fake: number[];
  d: number[];
}

/** Captures one {@link View1dFrame} of a 1D GAN over [lo, hi] with `bins` histogram bins. */
export function snapshot1d(gan: Gan, real: tf.Tensor2D, step: number, options: { noise: tf.Tensor2D; range: [number, number]; bins?: number }): View1dFrame {
  const [lo, hi] = options.range;
  const bins = options.bins ?? 60;
  const width = (hi - lo) / bins;
  const centers = Array.from({ length: bins }, (_, i) => round(lo + (i + 0.5) * width));
  const density = (values: ArrayLike<number>) => {
    const counts = new Array(bins).fill(0);
    for (let i = 0; i < values.length; i++) {
      const b = Math.floor((values[i] - lo) / width);
      if (b >= 0 && b < bins) counts[b]++;
    }
    return counts.map((c) => round(c / (values.length * width)));
  };
  const fakeT = tf.tidy(() => gan.generator.predict(options.noise) as tf.Tensor);
  const dT = tf.tidy(() => tf.sigmoid(gan.discriminator.predict(tf.tensor2d(centers, [bins, 1])) as tf.Tensor));
  const frame = { step, centers, real: density(real.dataSync()), fake: density(fakeT.dataSync()), d: Array.from(dT.dataSync(), round) };
  tf.dispose([fakeT, dT]);
  return frame;
}

function traces1d(f: View1dFrame): Record<string, unknown>[] {
  return [
    { type: "bar", name: "real density", x: f.centers, y: f.real, marker: { color: "rgba(40,40,40,0.45)" } },
    { type: "bar", name: "generated density", x: f.centers, y: f.fake, marker: { color: "rgba(228,87,46,0.55)" } },
    { type: "scatter", mode: "lines", name: "D(x)", x: f.centers, y: f.d, yaxis: "y2", line: { color: "#1f77b4", width: 2 } },
  ];
}

/** A plotly figure of 1D frames (last frame shown; a slider animates earlier ones). */
export function view1dFigure(frames: View1dFrame[], title = "GAN on 1D data"): PlotlyFigure {
  if (frames.length === 0) throw new Error("view1dFigure needs at least one frame");
  const last = frames[frames.length - 1];
  const layout: Record<string, unknown> = {
    title: { text: `${title} — step ${last.step}` },
    barmode: "overlay",
    bargap: 0,
    xaxis: { title: { text: "x" } },
    yaxis: { title: { text: "density" } },
    yaxis2: { title: { text: "D(x)" }, overlaying: "y", side: "right", range: [0, 1] },
    height: 400,
    legend: { orientation: "h", y: -0.2 },
  };
  if (frames.length > 1) {
    layout.sliders = [
      {
        active: frames.length - 1,
        steps: frames.map((f) => ({ label: String(f.step), method: "animate", args: [[`step ${f.step}`], { mode: "immediate", frame: { duration: 0, redraw: true } }] })),
      },
    ];
  }
  return { data: traces1d(last), layout, frames: frames.length > 1 ? frames.map((f) => ({ name: `step ${f.step}`, data: traces1d(f) })) : undefined };
}

