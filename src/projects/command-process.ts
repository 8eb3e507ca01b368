/**
 * Runs a project's command (`/bin/sh -c …`) the way a terminal user expects
 * from a wrapper: output streams straight through, Ctrl-C and `kill` reach
 * the command, and the wrapper reports how it ended.
 *
 * The command gets its own process group, and SIGINT/SIGTERM/SIGHUP received
 * by ciclo are forwarded to the whole group, once: `sh`, the script and any
 * process the script started (a Python worker, `npm run`) all see the signal,
 * and a terminal's Ctrl-C is not delivered twice. A second signal of the same
 * kind while the command is still running kills the group (SIGKILL).
 * @module
 */
import { spawn, type StdioOptions } from "node:child_process";
import { constants } from "node:os";

export interface CommandExit {
  /** Exit code to hand on: the command's, or 128 + signal number when it died by a signal. */
  exitCode: number;
  /** The signal that ended the command, or the one ciclo forwarded to it. */
  signal?: NodeJS.Signals;
}

export interface CommandOptions {
  cwd: string;
  env: NodeJS.ProcessEnv;
  /** Where the command's stdout goes: ciclo's stdout (default) or its stderr (when stdout carries JSON). */
  stdout?: "stdout" | "stderr";
  /** Called once the command is running (e.g. to print its pid). */
  onSpawn?(pid: number): void;
  /** stdout and stderr to this file descriptor instead (a sweep's trials each write their own log). */
  outputFd?: number;
  /** Pass ciclo's own SIGINT/SIGTERM/SIGHUP on to the command (default true; a sweep stops its trials itself). */
  forwardSignals?: boolean;
  /** Aborting sends SIGTERM to the command's group, and SIGKILL `killAfterMs` later if it is still there. */
  signal?: AbortSignal;
  killAfterMs?: number;
}

const FORWARDED: NodeJS.Signals[] = ["SIGINT", "SIGTERM", "SIGHUP"];

export function runCommand(command: string, opts: CommandOptions): Promise<CommandExit> {
  const stdio: StdioOptions =
    opts.outputFd !== undefined ? ["ignore", opts.outputFd, opts.outputFd] : ["inherit", opts.stdout === "stderr" ? process.stderr : "inherit", "inherit"];
  const child = spawn("/bin/sh", ["-c", command], { cwd: opts.cwd, env: opts.env, stdio, detached: true });
  let forwarded: NodeJS.Signals | undefined;
  const sendToGroup = (sig: NodeJS.Signals) => {
    try {
      process.kill(-child.pid!, sig);
    } catch {
      // The group is already gone.
    }
  };
  const handlers = (opts.forwardSignals === false ? [] : FORWARDED).map((sig) => {
    const handler = () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      if (forwarded === sig) sendToGroup("SIGKILL");
      else sendToGroup(sig);
      forwarded = sig;
    };
    process.on(sig, handler);
    return [sig, handler] as const;
  });
  let killTimer: NodeJS.Timeout | undefined;
  const onAbort = () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    forwarded = "SIGTERM";
    sendToGroup("SIGTERM");
    killTimer = setTimeout(() => sendToGroup("SIGKILL"), opts.killAfterMs ?? 10_000);
    killTimer.unref();
  };
  if (opts.signal?.aborted) queueMicrotask(onAbort);
  else opts.signal?.addEventListener("abort", onAbort, { once: true });
  const cleanup = () => {
    for (const [sig, handler] of handlers) process.off(sig, handler);
    opts.signal?.removeEventListener("abort", onAbort);
    if (killTimer) clearTimeout(killTimer);
  };
  return new Promise<CommandExit>((resolve, reject) => {
    child.once("error", (err) => {
      cleanup();
      reject(err);
    });
    child.once("spawn", () => opts.onSpawn?.(child.pid!));
    child.once("exit", (code, signal) => {
      cleanup();
      if (signal) resolve({ exitCode: 128 + (constants.signals[signal] ?? 0), signal });
      else resolve({ exitCode: code ?? 1, signal: forwarded });
    });
  });
}
