/**
 * ganbook: the library behind the course. Import it in any notebook of the repository:
 *
 *   import { tf, setup, loadMnist, showImages } from "ganbook";
 *   await setup();
 *
 * Importing it starts selecting the TensorFlow.js backend (see backend.ts); `setup()` or `ready()`
 * waits for that choice.
 */
import * as tf from "@tensorflow/tfjs";
import { ready, requestedBackend } from "./backend";

export { tf };
export * from "./backend";
export * from "./checkpoint";
export * from "./collapse";
export * from "./course";
export * from "./data";
export * from "./display";
export * from "./kernel";
export * from "./evaluator";
export * from "./gan";
export * from "./sampling";
export * from "./images";
export * from "./image-folder";
export * from "./metrics";
export * from "./models";
export * from "./latent-code";
export * from "./nn";
export * from "./pix2pix";
export * from "./pix2pix-trainer";
export * from "./progress";
export * from "./quality";
export * from "./recipes";
export * from "./replicas";
export * from "./threads";
export { wasmKernelThreads } from "./wasm-threads";
export * from "./parallel-updates";
export * from "./rejection";
export * from "./toy";
export * from "./random";
export * from "./weights";
export * from "./train";
export * from "./training-loop";
export * from "./trainer-options";
export * from "./trainer-checkpoint";
export * from "./trained";
export * from "./views";
export * from "./figures";
export * from "./wasm-kernels";

// Check GANBOOK_BACKEND now, so a bad value fails the import with a clear message, then start
// selecting; the promise is kept (and awaited by setup/ready), so a failure surfaces there.
requestedBackend();
ready().catch(() => undefined);
