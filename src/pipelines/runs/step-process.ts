/**
 * Runs a step's process: its own process group (so a timeout or a cancel
 * stops everything it started), stdout and stderr read line by line into
 * the step's log, stdout also kept for the step's outputs (up to a limit).
 * @module
 */
import { spawn } from "node:child_process";
import { createInterface } from "node:readline";

export interface StepProcessResult {
  exitCode: number;
  signal: NodeJS.Signals | null;
  stdout: string;
  /** Why it was stopped, when it was: the abort reason's message. */
  stopped?: string;
}

const STDOUT_KEEP = 1024 * 1024;
const LINE_MAX = 8192;

export function runStepProcess(
  plan: { shell?: string; argv?: string[]; cwd: string; env: NodeJS.ProcessEnv },
  opts: { signal: AbortSignal; onLine(stream: "stdout" | "stderr", line: string): void; killAfterMs?: number },
): Promise<StepProcessResult> {
  const [file, args] = plan.shell !== undefined ? ["/bin/sh", ["-c", plan.shell]] : [plan.argv![0], plan.argv!.slice(1)];
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { cwd: plan.cwd, env: plan.env, stdio: ["ignore", "pipe", "pipe"], detached: true });
    let stdout = "";
    let stopped: string | undefined;
    let killTimer: NodeJS.Timeout | undefined;
    const group = (sig: NodeJS.Signals) => {
      try {
        process.kill(-child.pid!, sig);
      } catch {
        // Already gone.
      }
    };
    const onAbort = () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const reason = opts.signal.reason as unknown;
      stopped = reason instanceof Error ? reason.message : String(reason ?? "stopped");
      group("SIGTERM");
      killTimer = setTimeout(() => group("SIGKILL"), opts.killAfterMs ?? 5_000);
      killTimer.unref();
    };
    if (opts.signal.aborted) queueMicrotask(onAbort);
    else opts.signal.addEventListener("abort", onAbort, { once: true });
    const read = (stream: "stdout" | "stderr") => {
      const rl = createInterface({ input: child[stream]!, crlfDelay: Infinity });
      rl.on("line", (line) => {
        if (stream === "stdout" && stdout.length < STDOUT_KEEP) stdout += `${line}\n`;
        opts.onLine(stream, line.length > LINE_MAX ? `${line.slice(0, LINE_MAX)}…` : line);
      });
      return new Promise<void>((r) => rl.once("close", r));
    };
    const streams = Promise.all([read("stdout"), read("stderr")]);
    child.once("error", (err) => {
      opts.signal.removeEventListener("abort", onAbort);
      reject(err);
    });
    child.once("exit", (code, signal) => {
      opts.signal.removeEventListener("abort", onAbort);
      if (killTimer) clearTimeout(killTimer);
      // The group may outlive its leader (a background child): end it with the step.
      group("SIGKILL");
      void streams.then(() => resolve({ exitCode: code ?? 128, signal, stdout, ...(stopped !== undefined && { stopped }) }));
    });
  });
}
