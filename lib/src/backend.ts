/**
 * Backend selection: which TensorFlow.js engine runs the course's tensors (chapter 00-welcome).
 *
 * On import, ganbook starts choosing a backend in this order:
 *   1. `tensorflow` — `@tensorflow/tfjs-node`, native libtensorflow, if it is installed and loads;
 *   2. `wasm`       — `@tensorflow/tfjs-backend-wasm` (XNNPACK), plus ganbook's training kernels;
 *   3. `cpu`        — TensorFlow.js's pure-JavaScript backend (slow for convolutions).
 * `GANBOOK_BACKEND=tensorflow|wasm|cpu` forces one; an unknown or unavailable value is an error.
 * Await {@link ready} (every notebook's setup cell does) before the first tensor operation.
 */
import * as tf from "@tensorflow/tfjs";

/** The backends ganbook can run on, in the order it prefers them. */
export const BACKENDS = ["tensorflow", "wasm", "cpu"] as const;
export type BackendName = (typeof BACKENDS)[number];

/** What {@link ready} resolves to: the backend in use, why, and the versions behind it. */
export interface BackendReport {
  backend: BackendName;
  /** Why this backend: forced by GANBOOK_BACKEND, or the first that loaded (with what failed before it). */
  reason: string;
  versions: Record<string, string>;
  /** Backends tried before this one and why each was passed over. */
  skipped: { backend: BackendName; error: string }[];
  /** Extra kernels ganbook registered for this backend (see wasm-kernels.ts). */
  extraKernels: string[];
}

/** Hooks run when a backend has been selected, e.g. registering missing wasm training kernels. */
const onSelected: Partial<Record<BackendName, () => string[]>> = {};

/** Lets another ganbook module add kernels when `name` is selected; returns nothing. */
export function registerBackendHook(name: BackendName, hook: () => string[]): void {
  onSelected[name] = hook;
}

/** Reads GANBOOK_BACKEND and checks it; throws an error naming the choices when it is unknown. */
export function requestedBackend(value: string | undefined = process.env.GANBOOK_BACKEND): BackendName | undefined {
  if (value === undefined || value.trim() === "") return undefined;
  const name = value.trim().toLowerCase();
  if (name === "node" || name === "tfjs-node") return "tensorflow";
  if (!(BACKENDS as readonly string[]).includes(name)) {
    throw new Error(
      `GANBOOK_BACKEND=${value} is not a backend ganbook knows. Choose one of: ${BACKENDS.join(", ")} ` +
        `(or unset it to let ganbook pick the fastest that loads).`,
    );
  }
  return name as BackendName;
}

/**
 * Silences the cpu backend's "install tfjs-node" banner, which would otherwise land in notebook
 * outputs. The engine may create cpu backends more than once (each time it initialises backends),
 * so the registered factory is wrapped, and any instance that already exists is silenced too.
 */
function silenceCpuBanner(): void {
  type Silenceable = { firstUse?: boolean };
  const engine = tf.engine() as unknown as {
    registryFactory: Record<string, { factory: () => unknown; silenced?: boolean }>;
    registry: Record<string, Silenceable>;
  };
  const entry = engine.registryFactory.cpu;
  if (entry && !entry.silenced) {
    const original = entry.factory;
    entry.factory = () => {
      const backend = original() as Silenceable;
      backend.firstUse = false;
      return backend;
    };
    entry.silenced = true;
  }
  if (engine.registry.cpu) engine.registry.cpu.firstUse = false;
}

/** Tries to make `name` the active backend; throws with the reason it is unavailable. */
async function activate(name: BackendName): Promise<void> {
  if (name === "tensorflow") {
    try {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      require("@tensorflow/tfjs-node");
    } catch (e) {
      throw new Error(
        `@tensorflow/tfjs-node is not installed or does not load (${firstLine(e)}). It is optional: its ` +
          `install downloads libtensorflow, which fails offline, on Windows and on Node 22+.`,
      );
    }
  } else if (name === "wasm") {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    require("@tensorflow/tfjs-backend-wasm");
  }
  const ok = await tf.setBackend(name);
  if (!ok || tf.getBackend() !== name) throw new Error(`tf.setBackend("${name}") failed to initialise`);
}

function firstLine(e: unknown): string {
  return String(e instanceof Error ? e.message : e).split("\n")[0].replace(/\.$/, "");
}

function versions(): Record<string, string> {
  const out: Record<string, string> = { node: process.version, "@tensorflow/tfjs": tf.version.tfjs };
  for (const pkg of ["@tensorflow/tfjs-backend-wasm", "@tensorflow/tfjs-node", "tslab", "nodejs-polars"]) {
    try {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      out[pkg] = require(`${pkg}/package.json`).version;
    } catch {
      /* not installed: left out of the report */
    }
  }
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  out.ganbook = require("../package.json").version;
  return out;
}

/**
 * Selects the backend (forced, or the first of {@link BACKENDS} that loads) and reports the choice.
 * Rejects with an error naming the choices when GANBOOK_BACKEND is unknown or cannot load.
 */
export async function selectBackend(forced: BackendName | undefined = requestedBackend()): Promise<BackendReport> {
  silenceCpuBanner();
  const order: BackendName[] = forced ? [forced] : [...BACKENDS];
  const skipped: BackendReport["skipped"] = [];
  for (const name of order) {
    try {
      await activate(name);
    } catch (e) {
      if (forced) {
        throw new Error(
          `GANBOOK_BACKEND=${forced} cannot be used: ${firstLine(e)}. Choose another of: ${BACKENDS.join(", ")}, ` +
            `or unset GANBOOK_BACKEND.`,
        );
      }
      skipped.push({ backend: name, error: firstLine(e) });
      continue;
    }
    const extraKernels = onSelected[name]?.() ?? [];
    const reason = forced
      ? `forced by GANBOOK_BACKEND=${forced}`
      : skipped.length === 0
        ? `the fastest backend, and it loaded`
        : `the first that loaded (${skipped.map((s) => s.backend).join(", ")} did not)`;
    return { backend: name, reason, versions: versions(), skipped, extraKernels };
  }
  throw new Error(`No TensorFlow.js backend loaded: ${skipped.map((s) => `${s.backend}: ${s.error}`).join("; ")}`);
}

silenceCpuBanner();

let pending: Promise<BackendReport> | undefined;

/**
 * Resolves when the backend is chosen (once per process; later calls share the first result).
 * Every notebook's setup cell awaits it: `const env = await ready();`.
 */
export function ready(): Promise<BackendReport> {
  if (!pending) pending = selectBackend();
  return pending;
}

/** A short human-readable description of a {@link BackendReport}, one fact per line. */
export function describeBackend(report: BackendReport): string {
  const lines = [`backend: ${report.backend} (${report.reason})`];
  for (const s of report.skipped) lines.push(`  skipped ${s.backend}: ${s.error}`);
  if (report.extraKernels.length) lines.push(`ganbook kernels: ${report.extraKernels.join(", ")}`);
  for (const [k, v] of Object.entries(report.versions)) lines.push(`${k}: ${v}`);
  return lines.join("\n");
}
