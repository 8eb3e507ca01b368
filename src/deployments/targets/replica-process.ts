/**
 * One model-server process of the local target: `ciclo models serve` on a
 * loopback port the OS picks. Its JSON log lines on stdout say where it
 * listens and when the model is loaded; stdout and stderr are kept (the last
 * lines) for `ciclo deployments logs`. Stopping it drains: SIGTERM, then
 * SIGKILL if it has not exited within the drain time.
 * @module
 */
import { spawn, type ChildProcess } from "node:child_process";
import { createInterface } from "node:readline";

export type ReplicaState = "starting" | "ready" | "draining" | "restarting" | "failed" | "stopped";

export interface ReplicaSpec {
  /** The command that runs ciclo (node and its entry). */
  command: readonly string[];
  modelUri: string;
  trackingUri: string;
  modelName: string;
  modelVersion: string;
  /** The deployment's plain env values. */
  env: Record<string, string>;
  /** The values of the secrets its env names, read at this start (environment only: never argv, never logged). */
  secretEnv?: Record<string, string>;
  /** Child environment before the deployment's own env. */
  baseEnv: NodeJS.ProcessEnv;
  workers: number;
  drainSeconds: number;
  /** Log answered requests to the server's monitoring API, filed under this endpoint and deployment. */
  logRequests?: { endpoint: string; deployment: string };
  /** The ciclo server that runs it (replica-owner.ts). */
  owner?: string;
}

/** Keeps the last `max` lines. */
export class LineRing {
  private readonly lines: string[] = [];
  constructor(private readonly max: number) {}
  push(line: string): void {
    this.lines.push(line.length > 4000 ? `${line.slice(0, 4000)}…` : line);
    if (this.lines.length > this.max) this.lines.splice(0, this.lines.length - this.max);
  }
  tail(n: number): string[] {
    return this.lines.slice(-n);
  }
}

/** What runs: a command line and its environment. */
export interface ReplicaCommand {
  cmd: string;
  args: string[];
  env: NodeJS.ProcessEnv;
}

/** `ciclo models serve` for the deployment's model on a loopback port the OS picks. */
export function modelServeCommand(spec: ReplicaSpec): ReplicaCommand {
  const args = [
    ...spec.command.slice(1),
    "models",
    "serve",
    "-m",
    spec.modelUri,
    "--host",
    "127.0.0.1",
    "-p",
    "0",
    "--workers",
    String(spec.workers),
    "--drain-seconds",
    String(spec.drainSeconds),
    "--tracking-uri",
    spec.trackingUri,
    "--model-name",
    spec.modelName,
    "--model-version",
    spec.modelVersion,
    ...(spec.logRequests ? ["--log-requests", "tracking", "--log-endpoint", spec.logRequests.endpoint, "--log-deployment", spec.logRequests.deployment] : []),
  ];
  return { cmd: spec.command[0], args, env: { ...spec.baseEnv, ...spec.env, ...spec.secretEnv } };
}

export class ReplicaProcess {
  state: ReplicaState = "starting";
  url: string | undefined;
  readonly proc: ChildProcess;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  readonly startedAt = Date.now();

  constructor(
    command: ReplicaCommand,
    private readonly prefix: string,
    logs: LineRing,
    onReady: (r: ReplicaProcess) => void,
    /** Runs after the process exits when stop() had to kill it (e.g. remove its container). */
    private readonly afterKill?: () => Promise<void>,
  ) {
    this.proc = spawn(command.cmd, command.args, { env: command.env, stdio: ["ignore", "pipe", "pipe"] });
    this.exited = new Promise((resolve) => this.proc.once("exit", (code, signal) => resolve({ code, signal })));
    // A spawn failure (missing binary) ends as an exit too.
    this.proc.once("error", (err) => logs.push(`${this.prefix} spawn failed: ${err.message}`));
    createInterface({ input: this.proc.stdout! }).on("line", (text) => {
      logs.push(`${this.prefix} ${text}`);
      if (!text.startsWith("{")) return;
      let line: { msg?: string; url?: string };
      try {
        line = JSON.parse(text) as typeof line;
      } catch {
        return;
      }
      if (line.msg === "ciclo scoring server listening" && typeof line.url === "string") this.url = line.url;
      if (line.msg === "ciclo scoring server ready" && this.state === "starting") {
        this.state = "ready";
        onReady(this);
      }
    });
    createInterface({ input: this.proc.stderr! }).on("line", (text) => logs.push(`${this.prefix} [stderr] ${text}`));
  }

  get pid(): number | undefined {
    return this.proc.pid;
  }

  get alive(): boolean {
    return this.proc.exitCode === null && this.proc.signalCode === null;
  }

  /** SIGTERM (the server drains), SIGKILL after `graceMs`; resolves when it has exited. */
  async stop(graceMs: number): Promise<void> {
    this.state = "draining";
    if (!this.alive) return;
    this.proc.kill("SIGTERM");
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.exited, new Promise((r) => (timer = setTimeout(r, graceMs)))]);
    clearTimeout(timer);
    if (this.alive) {
      this.proc.kill("SIGKILL");
      await this.exited;
      await this.afterKill?.();
    }
    await this.exited;
  }
}
