/**
 * The loop every trainer runs (`GanTrainer`, `Pix2PixTrainer`): one step after another until the
 * steps asked for are done or `stop()` is called (Ctrl-C and Kernel > Interrupt call it too), with
 * live progress and a preview, a callback every `every` steps, and a yield to the event loop after
 * each step so that an interrupt is seen. What a step is, and what "bad" means, is the trainer's.
 */
import { listenForInterrupts } from "./kernel";
import { TrainingProgress, type ProgressPoint } from "./progress";

/** What one call of `train` did. */
export interface TrainResult {
  /** Steps this call ran (fewer than asked when stopped). */
  steps: number;
  /** The trainer's step count after the call (all calls so far). */
  step: number;
  /** True when stop() (or an interrupt) ended the run early. */
  stopped: boolean;
  /** Seconds this call took. */
  seconds: number;
}

/** A trainer as the loop sees it. */
export interface LoopTrainer {
  /** Steps done so far; the loop's `takeStep` advances it. */
  readonly step: number;
  /** Threads per step, shown in the progress title when more than one. */
  readonly threads: number;
  /** True once `stop()` has been asked for during this call of `train`. */
  readonly stopping: boolean;
  stop(): void;
}

export interface LoopOptions<Row> {
  /** Takes one step and returns its row (after advancing the trainer's `step`); throws to end the run. */
  takeStep: () => Promise<Row>;
  /** Live progress: "auto" (a live display in a kernel, text lines elsewhere) or "none". */
  progress?: "auto" | "none";
  title?: string;
  /** Steps between callbacks. Default 100. */
  every?: number;
  /** Called every `every` steps with the latest row; may stop the trainer or set weights. */
  onStep?: (row: Row) => void | Promise<void>;
  /** The image the live display shows, encoded only when the display redraws. */
  preview: () => Uint8Array | undefined;
  /** The loss curves' point of a row. */
  point: (row: Row) => ProgressPoint;
}

/** Runs `steps` more steps of `trainer`; resolves when done or stopped, rejects when a step throws. */
export async function runTrainingLoop<Row>(trainer: LoopTrainer, steps: number, o: LoopOptions<Row>): Promise<TrainResult> {
  if (!Number.isInteger(steps) || steps <= 0) throw new Error(`steps must be a positive integer; got ${steps}`);
  const started = Date.now();
  const target = trainer.step + steps;
  const title = [o.title, trainer.threads > 1 ? `${trainer.threads} threads` : ""].filter(Boolean).join(" · ") || undefined;
  const progress = o.progress === "none" ? undefined : new TrainingProgress({ total: target, title });
  const every = o.every ?? 100;
  const onSigint = () => trainer.stop();
  let last: Row | undefined;
  try {
    await listenForInterrupts(onSigint);
    while (trainer.step < target && !trainer.stopping) {
      last = await o.takeStep();
      progress?.update(o.point(last), o.preview, trainer.step === target);
      if (o.onStep && trainer.step % every === 0) await o.onStep(last);
      // Yield to the event loop so an interrupt (SIGINT) or a stop() from a callback is seen.
      await new Promise((resolve) => setImmediate(resolve));
    }
  } finally {
    process.off("SIGINT", onSigint);
  }
  if (progress && last !== undefined) progress.update(o.point(last), o.preview, true);
  return { steps: steps - (target - trainer.step), step: trainer.step, stopped: trainer.step < target, seconds: (Date.now() - started) / 1000 };
}
