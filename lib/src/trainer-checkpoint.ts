/**
 * A trainer's checkpoint on disk (checkpoint.ts's atomic folder): G, D and the averaged G, the optimizer
 * slots of both players, the preview noise, and the state (step, history, options) that lets
 * `GanTrainer.load` take the same next step as a run that never stopped.
 */
import * as tf from "@tensorflow/tfjs";
import { readCheckpoint, writeCheckpoint, type NamedTensor } from "./checkpoint";
import type { Gan } from "./gan";
import type { HistoryRow } from "./train";
import type { ResolvedTrainerOptions } from "./trainer-options";

/** What a trainer saves besides tensors: JSON in the checkpoint. */
export interface TrainerState {
  step: number;
  history: HistoryRow[];
  options: ResolvedTrainerOptions;
  latentDim: number;
  classes?: number;
  auxiliaryClassifier?: boolean;
  infoCode?: Gan["infoCode"];
}

/** A trainer checkpoint's contents, as {@link readTrainerCheckpoint} returns them. */
export interface TrainerCheckpoint {
  generator: tf.LayersModel;
  discriminator: tf.LayersModel;
  averagedGenerator?: tf.LayersModel;
  state: TrainerState;
  /** The preview noise [previewCount, latentDim] (absent in checkpoints of before it was saved). */
  previewNoise?: tf.Tensor2D;
  /** The optimizers' slot variables in their order (empty before the first update). */
  dSlots: tf.Tensor[];
  gSlots: tf.Tensor[];
}

/** Writes a trainer's checkpoint to `dir`, atomically. */
export async function writeTrainerCheckpoint(dir: string, c: { gan: Gan; averagedGenerator?: tf.LayersModel; state: TrainerState; previewNoise: tf.Tensor2D; dSlots: tf.Tensor[]; gSlots: tf.Tensor[] }): Promise<void> {
  const tensors: NamedTensor[] = [
    { name: "previewNoise", tensor: c.previewNoise },
    ...c.dSlots.map((tensor, i) => ({ name: `dOptimizer/${i}`, tensor })),
    ...c.gSlots.map((tensor, i) => ({ name: `gOptimizer/${i}`, tensor })),
  ];
  const models: Record<string, tf.LayersModel> = { generator: c.gan.generator, discriminator: c.gan.discriminator };
  if (c.averagedGenerator) models.averagedGenerator = c.averagedGenerator;
  await writeCheckpoint(dir, { models, tensors, state: c.state });
}

/** Reads a checkpoint written by {@link writeTrainerCheckpoint} (or by ganbook before the preview's rename). */
export async function readTrainerCheckpoint(dir: string): Promise<TrainerCheckpoint> {
  const ckpt = await readCheckpoint<TrainerState & { options: { fixedNoise?: number } }>(dir);
  const { generator, discriminator, averagedGenerator } = ckpt.models;
  if (!generator || !discriminator) throw new Error(`${dir} holds no generator and discriminator: it is not a GAN trainer checkpoint`);
  const state = ckpt.state;
  // Checkpoints written before the rename call the preview's size `fixedNoise`.
  const { fixedNoise, ...options } = state.options;
  state.options = { ...options, previewCount: options.previewCount ?? fixedNoise ?? 64 };
  const tensors = ckpt.tensors ?? [];
  const slots = (prefix: string) =>
    tensors
      .filter((t) => t.name.startsWith(prefix + "/"))
      .sort((a, b) => Number(a.name.split("/")[1]) - Number(b.name.split("/")[1]))
      .map((t) => t.tensor);
  const noise = tensors.find((t) => t.name === "previewNoise" || t.name === "fixedNoise");
  return { generator, discriminator, averagedGenerator, state, previewNoise: noise?.tensor as tf.Tensor2D | undefined, dSlots: slots("dOptimizer"), gSlots: slots("gOptimizer") };
}
