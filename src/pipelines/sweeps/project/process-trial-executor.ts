/**
 * Trials as child processes: each runs the project's entry point with the
 * trial's params, joined to the trial's run the way `ciclo run` joins its
 * own (CICLO_RUN_ID / MLFLOW_RUN_ID in the environment), so the training code
 * logs its metrics with the ciclo SDK or Python's mlflow client unchanged.
 * A trial's output goes to its own log file (parallel trials would garble a
 * terminal), uploaded to the trial's run as `trial.log` when it ends.
 * Stopping a trial sends SIGTERM to its process group, SIGKILL 10 s later.
 * @module
 */
import { closeSync, mkdtempSync, openSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runCommand, resolveCommand, projectRunEnv, projectTags, ProjectError, shellQuote, type EntryPoint, type ProjectSpec } from "../../../projects/index.js";
import { allParams, formatValue, type Distribution, type ParamValues, type SearchSpace } from "../search-space.js";
import type { PreparedTrial, TrialExecutor, TrialExit, TrialHandle, TrialLaunch } from "../trial-executor.js";

export interface ProcessTrialOptions {
  project: ProjectSpec;
  entryPoint: EntryPoint;
  /** Params every trial gets (`-P` and the sweep block's `params:`); sampled ones win. */
  fixed: Record<string, string>;
  trackingUri: string;
  experimentId: string;
  /** Tags copied onto every trial (the sweep's git capture). */
  tags?: Record<string, string>;
  env?: NodeJS.ProcessEnv;
  /** How a trial's command runs ciclo itself, as `$CICLO` (see RunProjectOptions.cli). */
  cli?: readonly string[];
  /** Trial output to ciclo's stderr instead of a log file per trial. */
  showOutput?: boolean;
  /** Uploads a finished trial's log file (the SDK's artifact client); failures are reported, not thrown. */
  uploadLog?(runId: string, path: string): Promise<void>;
  killAfterMs?: number;
}

export class ProcessTrialExecutor implements TrialExecutor {
  readonly reports = false;
  private readonly logDir: string;

  constructor(private readonly opts: ProcessTrialOptions) {
    this.logDir = mkdtempSync(join(tmpdir(), "ciclo-trials-"));
  }

  private resolve(params: ParamValues) {
    const given: Record<string, string> = { ...this.opts.fixed };
    for (const [k, v] of Object.entries(params)) given[k] = formatValue(v);
    return resolveCommand(this.opts.entryPoint, given, this.opts.project.dir);
  }

  prepare(params: ParamValues): PreparedTrial {
    const command = this.resolve(params);
    return {
      params: { ...command.declared, ...command.extra },
      tags: { ...this.opts.tags, ...projectTags(this.opts.project, command, true) },
    };
  }

  start(launch: TrialLaunch): TrialHandle {
    const abort = new AbortController();
    const command = this.resolve(launch.params);
    const cli = this.opts.cli && { CICLO: this.opts.cli.map(shellQuote).join(" ") };
    const env = { ...projectRunEnv(this.opts.env ?? process.env, launch.runId, this.opts.trackingUri, this.opts.experimentId), ...cli, ...command.env };
    const logPath = join(this.logDir, `trial-${launch.number}.log`);
    const fd = this.opts.showOutput ? undefined : openSync(logPath, "w");
    const done = (async (): Promise<TrialExit> => {
      try {
        const exit = await runCommand(command.command, {
          cwd: this.opts.project.dir,
          env,
          stdout: "stderr",
          outputFd: fd ?? (this.opts.showOutput ? 2 : undefined),
          forwardSignals: false,
          signal: abort.signal,
          killAfterMs: this.opts.killAfterMs,
        });
        if (exit.exitCode === 0 && !exit.signal) return { status: "FINISHED", exitCode: 0 };
        if (exit.signal) return { status: "KILLED", exitCode: exit.exitCode, message: `stopped by ${exit.signal}` };
        return { status: "FAILED", exitCode: exit.exitCode, message: `the command exited with code ${exit.exitCode}` };
      } catch (err) {
        return { status: "FAILED", message: `the command could not start: ${(err as Error).message}` };
      } finally {
        if (fd !== undefined) {
          closeSync(fd);
          await this.opts.uploadLog?.(launch.runId, logPath);
        }
      }
    })();
    return { done, stop: (reason) => abort.abort(reason) };
  }

  /** Removes the trials' log files (they are on the runs by now). */
  close(): void {
    rmSync(this.logDir, { recursive: true, force: true });
  }
}

/** Which values a distribution can produce, for checking them against an entry point's parameter types. */
function produces(dist: Distribution): { ints: boolean; numbers: boolean } {
  const isInt = (v: unknown) => typeof v === "number" && Number.isInteger(v);
  switch (dist.kind) {
    case "randint":
      return { ints: true, numbers: true };
    case "quniform":
    case "qloguniform":
      return { ints: Number.isInteger(dist.low) && Number.isInteger(dist.q), numbers: true };
    case "choice":
      return { ints: dist.options.every((o) => isInt(o.value)), numbers: dist.options.every((o) => typeof o.value === "number") };
    case "const":
      return { ints: isInt(dist.value), numbers: typeof dist.value === "number" };
    default:
      return { ints: false, numbers: true };
  }
}

/**
 * Checks, before any run exists, that every value the space can produce is
 * accepted by the entry point: an `int` parameter swept with `uniform` would
 * otherwise fail trial after trial.
 */
export function checkSpaceAgainstEntryPoint(space: SearchSpace, entryPoint: EntryPoint): void {
  const declared = new Map(entryPoint.parameters.map((p) => [p.name, p]));
  for (const { name, dist } of allParams(space)) {
    const spec = declared.get(name);
    if (!spec) continue;
    const can = produces(dist);
    if (spec.type === "int" && !can.ints) {
      throw new ProjectError(`Parameter '${name}' is an int of entry point '${entryPoint.name}', but the space draws ${dist.kind} values that are not all integers (use randint, or quniform with an integer low and step).`);
    }
    if (spec.type === "float" && !can.numbers) {
      throw new ProjectError(`Parameter '${name}' is a float of entry point '${entryPoint.name}', but the space's ${dist.kind} has values that are not numbers.`);
    }
    if ((spec.type === "path" || spec.type === "uri") && dist.kind !== "choice" && dist.kind !== "const") {
      throw new ProjectError(`Parameter '${name}' is a ${spec.type} of entry point '${entryPoint.name}': sweep it with a choice of values, not ${dist.kind}.`);
    }
  }
}
