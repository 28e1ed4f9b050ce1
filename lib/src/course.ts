/**
 * Course plumbing shared by every chapter: quick mode and the setup cell (chapter 00-welcome).
 */
import { ready, describeBackend, type BackendReport } from "./backend";
import { showMarkdown } from "./display";
import { inKernel } from "./kernel";

/**
 * True under `GANBOOK_QUICK=1`: notebooks shrink data and training steps so the notebook tests stay
 * short. Results in quick mode are not the chapter's real results.
 */
export function isQuick(): boolean {
  const v = process.env.GANBOOK_QUICK;
  return v !== undefined && v !== "" && v !== "0" && v.toLowerCase() !== "false";
}

/** `full` normally, `quick` under {@link isQuick}: `const steps = pick(3000, 50);`. */
export function pick<T>(full: T, quick: T): T {
  return isQuick() ? quick : full;
}

/**
 * The setup cell of every chapter: waits for the backend, shows which one runs and why (with
 * versions and the mode), and returns the report.
 */
export async function setup(): Promise<BackendReport> {
  const report = await ready();
  const rows = [
    `| | |`,
    `|---|---|`,
    `| backend | **${report.backend}** — ${report.reason} |`,
    ...report.skipped.map((s) => `| skipped ${s.backend} | ${s.error.replace(/\|/g, "\\|")} |`),
    `| check | ${report.check} |`,
    ...report.notes.map((note) => `| note | ${note} |`),
    ...(report.extraKernels.length ? [`| ganbook kernels | ${report.extraKernels.join(", ")} |`] : []),
    ...Object.entries(report.versions).map(([k, v]) => `| ${k} | ${v} |`),
    `| mode | ${isQuick() ? "quick (GANBOOK_QUICK=1): small data, few steps" : "full"} |`,
  ];
  showMarkdown(rows.join("\n"));
  if (!inKernel()) process.stdout.write(describeBackend(report) + "\n");
  return report;
}
