/**
 * Live training progress (chapter 03 onwards): one display updated in place with a progress bar
 * (step, rate, time left), the loss curves and a preview image (the fixed-noise samples). Outside a
 * kernel it prints a plain-text line every few seconds instead, or nothing when silent.
 */
import { newLiveDisplay, type LiveDisplay } from "./display";
import { inKernel } from "./kernel";

/** One point of the loss curves. */
export interface ProgressPoint {
  step: number;
  dLoss: number;
  gLoss: number;
}

export interface ProgressOptions {
  /** Steps the run will take (for the bar and the time left). */
  total: number;
  title?: string;
  /** No plain-text lines outside a kernel. */
  silent?: boolean;
  /** Minimum time between redraws, in ms (a redraw costs a PNG encode). Default 500. */
  minIntervalMs?: number;
}

/** Formats seconds as m:ss or h:mm:ss. */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return "?";
  const s = Math.round(seconds);
  const [h, m, r] = [Math.floor(s / 3600), Math.floor((s % 3600) / 60), s % 60];
  return h > 0 ? `${h}:${String(m).padStart(2, "0")}:${String(r).padStart(2, "0")}` : `${m}:${String(r).padStart(2, "0")}`;
}

/** An inline SVG of the D and G loss curves (inline in HTML: it survives nbconvert, unlike SVG outputs). */
export function lossCurveSvg(points: ProgressPoint[], width = 360, height = 150): string {
  if (points.length < 2) return "";
  const pad = 28;
  const xs = points.map((p) => p.step);
  const ys = points.flatMap((p) => [p.dLoss, p.gLoss]).filter(Number.isFinite);
  const [x0, x1] = [Math.min(...xs), Math.max(...xs)];
  let [y0, y1] = [Math.min(...ys), Math.max(...ys)];
  if (y1 - y0 < 1e-9) [y0, y1] = [y0 - 1, y1 + 1];
  const sx = (x: number) => pad + ((x - x0) / (x1 - x0 || 1)) * (width - pad - 8);
  const sy = (y: number) => height - pad + 8 - ((y - y0) / (y1 - y0)) * (height - pad - 4);
  const line = (key: "dLoss" | "gLoss") =>
    points.filter((p) => Number.isFinite(p[key])).map((p) => `${sx(p.step).toFixed(1)},${sy(p[key]).toFixed(1)}`).join(" ");
  return (
    `<svg width="${width}" height="${height}" style="font:10px sans-serif">` +
    `<polyline fill="none" stroke="#1f77b4" stroke-width="1.5" points="${line("dLoss")}"/>` +
    `<polyline fill="none" stroke="#ff7f0e" stroke-width="1.5" points="${line("gLoss")}"/>` +
    `<text x="${pad}" y="10" fill="#1f77b4">D loss</text><text x="${pad + 50}" y="10" fill="#ff7f0e">G loss</text>` +
    `<text x="2" y="${sy(y1) + 4}">${y1.toFixed(2)}</text><text x="2" y="${sy(y0)}">${y0.toFixed(2)}</text>` +
    `<text x="${sx(x0)}" y="${height - 4}">${x0}</text><text x="${sx(x1) - 24}" y="${height - 4}">step ${x1}</text>` +
    `</svg>`
  );
}

/** A progress display for a training run: call `update` every step (it throttles itself). */
export class TrainingProgress {
  private readonly display: LiveDisplay;
  private readonly started = Date.now();
  private lastDraw = 0;
  private readonly points: ProgressPoint[] = [];
  private firstStep: number | undefined;

  constructor(private readonly options: ProgressOptions) {
    this.display = newLiveDisplay({ silent: options.silent, minIntervalMs: 2000 });
  }

  /**
   * Records a step's losses and redraws when due (always when `force`). `preview` returns the
   * fixed-noise samples as PNG bytes; it is only called when the display is redrawn.
   */
  update(point: ProgressPoint, preview?: () => Uint8Array | undefined, force = false): void {
    this.firstStep ??= point.step - 1;
    this.points.push(point);
    if (this.points.length > 400) this.points.splice(0, this.points.length - 400); // enough for a curve
    const now = Date.now();
    if (!force && now - this.lastDraw < (this.options.minIntervalMs ?? 500)) return;
    this.lastDraw = now;
    const done = point.step - this.firstStep;
    const elapsed = (now - this.started) / 1000;
    const rate = done / Math.max(elapsed, 1e-3);
    const left = (this.options.total - point.step) / rate;
    const pct = Math.min(100, (100 * point.step) / this.options.total);
    const status = `step ${point.step} / ${this.options.total} · ${rate.toFixed(1)} steps/s · ${formatDuration(elapsed)} elapsed, ${formatDuration(left)} left`;
    const losses = `D loss ${point.dLoss.toFixed(3)} · G loss ${point.gLoss.toFixed(3)}`;
    if (!inKernel()) {
      this.display.text(`${this.options.title ? this.options.title + ": " : ""}${status} · ${losses}`);
      return;
    }
    const png = preview?.();
    const img = png ? `<img src="data:image/png;base64,${Buffer.from(png).toString("base64")}" style="image-rendering:pixelated"/>` : "";
    this.display.html(
      `<div class="ganbook-progress" style="font:13px sans-serif">` +
        (this.options.title ? `<b>${this.options.title}</b><br/>` : "") +
        `<div style="width:360px;height:12px;border:1px solid #888;border-radius:3px;margin:4px 0">` +
        `<div style="width:${pct.toFixed(1)}%;height:100%;background:#4c9be8"></div></div>` +
        `<div>${status}</div><div>${losses}</div>` +
        `<div style="display:flex;gap:12px;align-items:flex-start">${lossCurveSvg(this.points)}${img}</div></div>`,
    );
  }
}
