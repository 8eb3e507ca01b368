/**
 * `ciclo run`: one entry point of a project as one tracked run (MLflow's
 * `mlflow run` with the local backend and the current environment).
 *
 * 1. The project file is read and the parameters are checked — before any run
 *    exists, so a typo creates nothing.
 * 2. A run is created through the SDK (with the context capture given: git
 *    commit, diff patch, lock file…), tagged as a project run, and the
 *    parameters are logged and flushed.
 * 3. The command runs in the project folder with the run's id, the tracking
 *    URI and the experiment id in its environment: the ciclo SDK's first
 *    `startRun()` and the Python `mlflow` client join that run.
 * 4. The run ends FINISHED (exit code 0), FAILED (other codes) or KILLED (a
 *    signal), after the command's own `endRun`, so the exit code decides.
 * @module
 */
import { execFileSync } from "node:child_process";
import { relative } from "node:path";
import type { ContextCapture } from "../sdk/fluent-options.js";
import { Ciclo } from "../sdk/fluent-session.js";
import { CONTEXT_TAGS } from "../sdk/context-capture.js";
import type { LoggingError } from "../sdk/logging-errors.js";
import { SOURCE_NAME_TAG, SOURCE_TYPE_TAG } from "../shared/system-tags.js";
import type { RunStatus } from "../tracking/index.js";
import { runCommand, type CommandExit } from "./command-process.js";
import { resolveCommand, type ResolvedCommand } from "./project-parameters.js";
import { loadProject, resolveEntryPoint, type ProjectSpec } from "./project-spec.js";
import { shellQuote } from "./shell-quote.js";
import { PROJECT_TAGS } from "./project-tags.js";

export interface RunProjectOptions {
  projectDir: string;
  /** Default `main`, as in MLflow. */
  entryPoint?: string;
  params?: Record<string, string>;
  trackingUri: string;
  experimentName?: string;
  experimentId?: string;
  runName?: string;
  /**
   * Run these words (each shell-quoted) instead of an entry point: how
   * reproduce re-runs a script run recorded by the SDK (`node train.js …`).
   */
  rawCommand?: string[];
  /** Extra tags for the run (reproduce adds `ciclo.reproduce.of`). */
  tags?: Record<string, string>;
  /** Git/environment capture, passed to the SDK's `contextCapture` seam (false: none). */
  contextCapture?: ContextCapture | false;
  /** Environment the command inherits (default process.env); the run's variables are set over it. */
  env?: NodeJS.ProcessEnv;
  /**
   * How the command can run ciclo itself, as `$CICLO` (e.g. `$CICLO artifacts log "$CICLO_RUN_ID" model`): the
   * words of this ciclo (node and its bin), shell-quoted into the variable — the same variable a pipeline step has.
   */
  cli?: readonly string[];
  /** Where the command's stdout goes (`stderr` when ciclo's stdout carries JSON). */
  stdout?: "stdout" | "stderr";
  /** Progress lines ("Started run …"); default: nowhere. */
  log?(line: string): void;
  /** Problems logging to the server (the command still runs). */
  onLoggingError?(err: LoggingError): void;
}

export interface ProjectRunResult {
  runId: string;
  experimentId: string;
  status: RunStatus;
  /** The command's exit code (128 + n when it died by signal n). */
  exitCode: number;
  signal?: NodeJS.Signals;
  command: ResolvedCommand;
  project: ProjectSpec;
}

/** A run id in ciclo's own environment would make it join that run instead of creating one. */
const RUN_VARIABLES = ["CICLO_RUN_ID", "MLFLOW_RUN_ID"];
/** Experiment variables the command must not inherit: a name disagreeing with the run's experiment breaks the join. */
const EXPERIMENT_VARIABLES = ["CICLO_EXPERIMENT_NAME", "MLFLOW_EXPERIMENT_NAME", "CICLO_EXPERIMENT_ID", "MLFLOW_EXPERIMENT_ID"];

export async function runProject(opts: RunProjectOptions): Promise<ProjectRunResult> {
  const log = opts.log ?? (() => {});
  const project = loadProject(opts.projectDir);
  const command: ResolvedCommand = opts.rawCommand
    ? { entryPoint: opts.entryPoint ?? opts.rawCommand[0], declared: {}, extra: {}, command: opts.rawCommand.map(shellQuote).join(" "), env: {} }
    : resolveCommand(resolveEntryPoint(project, opts.entryPoint ?? "main"), opts.params ?? {}, project.dir);

  const baseEnv: NodeJS.ProcessEnv = { ...(opts.env ?? process.env) };
  for (const k of RUN_VARIABLES) delete baseEnv[k];
  const ciclo = new Ciclo({
    trackingUri: opts.trackingUri,
    offline: false,
    offlineFallback: false, // the command joins the run on the server: a spooled run could not be joined
    contextCapture: opts.contextCapture,
    env: baseEnv,
    systemMetrics: false, // this process only waits; the command samples its own if it wants
    onError: opts.onLoggingError ?? (() => {}),
  });
  if (opts.experimentName && !opts.experimentId) await ciclo.setExperiment(opts.experimentName);
  const run = await ciclo.startRun({
    runName: opts.runName,
    experimentId: opts.experimentId,
    tags: { ...projectTags(project, command, !opts.rawCommand), ...opts.tags },
  });
  ciclo.logParams({ ...command.declared, ...command.extra });
  const logged = await ciclo.flush();
  for (const e of logged.errors) opts.onLoggingError?.(e);
  const experimentId = run.experimentId ?? "0";
  log(`Started run ${run.runId} (${run.runName}) in experiment ${experimentId}: entry point '${command.entryPoint}' of ${project.dir}`);
  log(`Command: ${command.command}`);

  const env = { ...projectRunEnv(baseEnv, run.runId, opts.trackingUri, experimentId), ...(opts.cli && { CICLO: opts.cli.map(shellQuote).join(" ") }), ...command.env };
  let exit: CommandExit;
  try {
    exit = await runCommand(command.command, { cwd: project.dir, env, stdout: opts.stdout });
  } catch (err) {
    await ciclo.endRun("FAILED");
    throw new Error(`Could not start the command of entry point '${command.entryPoint}': ${(err as Error).message}`, { cause: err });
  }
  const status: RunStatus = exit.signal ? "KILLED" : exit.exitCode === 0 ? "FINISHED" : "FAILED";
  const ended = await ciclo.endRun(status);
  for (const e of ended.errors) opts.onLoggingError?.(e);
  log(`Run ${run.runId} ${status} (exit code ${exit.exitCode}${exit.signal ? `, ${exit.signal}` : ""}).`);
  return { runId: run.runId, experimentId, status, exitCode: exit.exitCode, signal: exit.signal, command, project };
}

/**
 * The command's environment: `base` without variables that would make it
 * join another run or disagree with the run's experiment, plus the run's id,
 * the tracking URI and the experiment id (ciclo's and MLflow's names).
 */
export function projectRunEnv(base: NodeJS.ProcessEnv, runId: string, trackingUri: string, experimentId: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...base };
  for (const k of [...RUN_VARIABLES, ...EXPERIMENT_VARIABLES]) delete env[k];
  return Object.assign(env, {
    CICLO_RUN_ID: runId,
    MLFLOW_RUN_ID: runId,
    CICLO_TRACKING_URI: trackingUri,
    MLFLOW_TRACKING_URI: trackingUri,
    CICLO_EXPERIMENT_ID: experimentId,
    MLFLOW_EXPERIMENT_ID: experimentId,
  });
}

/** MLflow's project tags plus what `ciclo reproduce` reads back. */
export function projectTags(project: ProjectSpec, command: ResolvedCommand, isEntryPoint: boolean): Record<string, string> {
  const env = project.env.node ? "node" : project.env.python ? "python" : project.env.mlflowEnv ? `${project.env.mlflowEnv} (ignored: local)` : "local";
  const tags: Record<string, string> = {
    [SOURCE_TYPE_TAG]: "PROJECT",
    [SOURCE_NAME_TAG]: project.dir,
    [PROJECT_TAGS.backend]: "local",
    [PROJECT_TAGS.env]: env,
    [PROJECT_TAGS.name]: project.name,
    [PROJECT_TAGS.dir]: project.dir,
    [PROJECT_TAGS.command]: command.command.slice(0, 8000),
    // The capture sees no script (ciclo is not the code that runs): what ran is the project's command.
    [CONTEXT_TAGS.commandLine]: command.command.slice(0, 8000),
  };
  if (isEntryPoint) {
    tags[PROJECT_TAGS.entryPoint] = command.entryPoint;
    tags[PROJECT_TAGS.parameters] = JSON.stringify({ ...command.declared, ...command.extra });
  }
  const argv = JSON.stringify(["/bin/sh", "-c", command.command]);
  if (argv.length <= 8000) tags[CONTEXT_TAGS.argv] = argv;
  if (project.file) tags[PROJECT_TAGS.file] = project.file;
  const git = gitLocation(project.dir);
  if (git) {
    tags[PROJECT_TAGS.gitRoot] = git.root;
    tags[PROJECT_TAGS.subdir] = git.subdir;
  }
  return tags;
}

/** The repository holding the project, and the project's folder inside it ("" at the root). */
function gitLocation(dir: string): { root: string; subdir: string } | undefined {
  try {
    const root = execFileSync("git", ["rev-parse", "--show-toplevel"], { cwd: dir, encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim();
    return { root, subdir: relative(root, dir).split("\\").join("/") };
  } catch {
    return undefined;
  }
}
