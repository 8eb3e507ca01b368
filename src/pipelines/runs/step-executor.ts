/**
 * Where a step's process runs. By default on the server's host
 * (step-process.ts); a step with `runs-on: kubernetes` runs as a Kubernetes
 * Job through the {@link StepExecutor} the module passes in
 * (kubernetes/k8s-step-executor.ts). Both answer with the same result: the
 * exit code, stdout (for the step's outputs), or why the step was stopped.
 * @module
 */
import type { StepProcessResult } from "./step-process.js";

/** One step attempt as the executor sees it. */
export interface StepAttempt {
  pipelineRunId: string;
  stepId: string;
  /** The step's child run. */
  stepRunId: string;
  attempt: number;
  image: string;
  timeoutSeconds?: number;
  /** A local file the step's `key=value` outputs are written to (the plan reads it after the step). */
  outputsFile: string;
}

export interface StepExecutor {
  /**
   * Runs the plan and resolves when it ends. An abort whose reason's message
   * starts with `interrupted` (a shutdown) leaves the work running for the next
   * server to find again; any other abort (cancel, timeout) stops it.
   */
  run(
    plan: { shell?: string; argv?: string[]; env: NodeJS.ProcessEnv },
    attempt: StepAttempt,
    opts: { signal: AbortSignal; onLine(stream: "stdout" | "stderr", line: string): void; note(line: string): void },
  ): Promise<StepProcessResult>;
}

/** The server's Kubernetes settings for `runs-on: kubernetes` steps. */
export interface RemoteSteps {
  executor: StepExecutor;
  /** The server's URL as the cluster's pods reach it. */
  trackingUri(): Promise<string>;
  /** How to run ciclo inside the runner image (default `ciclo`). */
  cli: readonly string[];
}
