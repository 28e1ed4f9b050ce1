/**
 * The Jupyter kernel glue: finding tslab's display module when a cell is running, and the workarounds
 * that keep a tslab kernel alive and interruptible while ganbook trains in it (zeromq's busy socket,
 * Ctrl-C / Kernel > Interrupt). Nothing here shows anything: display.ts does, through {@link tslab}.
 */

/** The part of tslab's display API ganbook uses (tslab's `Display`). */
export interface TslabDisplay {
  html(s: string): void;
  markdown(s: string): void;
  png(b: Uint8Array): void;
  gif(b: Uint8Array): void;
  text(s: string): void;
}

export interface TslabModule {
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
export function tslab(): TslabModule | null {
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

/**
 * Adds a SIGINT listener (Ctrl-C, or Jupyter's Kernel > Interrupt) that survives tslab. tslab runs a
 * cell's synchronous part under `vm` with `breakOnSigint`, whose watchdog restores the signal's
 * default action when it ends: a listener added during that part stays registered in JavaScript, but
 * the next SIGINT kills the kernel. So this first leaves the synchronous part, then removes and re-adds
 * every SIGINT listener, which makes Node install its signal handler again.
 */
export async function listenForInterrupts(listener: () => void): Promise<void> {
  await new Promise((resolve) => setImmediate(resolve));
  const existing = process.rawListeners("SIGINT") as ((...args: unknown[]) => void)[];
  process.removeAllListeners("SIGINT");
  for (const l of existing) process.on("SIGINT", l);
  process.on("SIGINT", listener);
}
