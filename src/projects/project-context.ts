/**
 * The SDK's reproducibility capture, aimed at a project run: git state and
 * dependency files are read from the project folder (not from wherever
 * `ciclo` itself is installed), and there is no script — the command line
 * recorded is the project's command, set by project-runner.ts as a tag
 * (tags given to `startRun` win over captured ones).
 * @module
 */
import { resolve } from "node:path";
import { createContextCapture } from "../sdk/context-capture.js";
import type { ContextCapture } from "../sdk/fluent-options.js";

export function projectContextCapture(projectDir: string): ContextCapture {
  return createContextCapture({ cwd: resolve(projectDir), argv: [process.execPath], execArgv: [] });
}
