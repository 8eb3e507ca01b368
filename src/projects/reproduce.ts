/**
 * `ciclo reproduce <run_id>`: runs a recorded project run again, from its
 * recorded code, and compares the results.
 *
 * 1. Read the run (reproduce-plan.ts): commit, remote / local work tree,
 *    project folder, entry point, parameters, patch, dependency files.
 * 2. Clone into a fresh work folder and check the commit out; apply the patch
 *    of uncommitted changes; put the recorded package.json / lock file back.
 * 3. Reinstall dependencies from the lock file (`npm ci`, `pnpm install
 *    --frozen-lockfile`); a `python` env gets a virtualenv with its requirements.
 * 4. Run the same entry point with the same parameters as a new run of the
 *    same experiment, tagged `ciclo.reproduce.of=<run_id>`.
 * 5. Compare params and metrics with the original.
 * @module
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, isAbsolute, join, resolve } from "node:path";
import { ArtifactClient } from "../sdk/artifact-client.js";
import { CONTEXT_ARTIFACTS } from "../sdk/context-capture.js";
import type { ContextCapture } from "../sdk/fluent-options.js";
import type { LoggingError } from "../sdk/logging-errors.js";
import { TrackingClient } from "../sdk/tracking-client.js";
import { runProject, type ProjectRunResult } from "./project-runner.js";
import { loadProject } from "./project-spec.js";
import { REPRODUCE_OF_TAG } from "./project-tags.js";
import { applyRecordedPatch, checkoutCommit, isFreshDir, nodeInstallStep, restoreRecordedFiles, runInstallStep } from "./reproduce-checkout.js";
import { planReproduction, ReproduceError, type ReproducePlan } from "./reproduce-plan.js";
import { compareRuns, type RunComparison } from "./run-comparison.js";

export interface ReproduceOptions {
  runId: string;
  trackingUri: string;
  /** How the command runs ciclo itself, as `$CICLO` (see RunProjectOptions.cli). */
  cli?: readonly string[];
  /** Fresh folder to rebuild the code in (absent or empty); default a new temp folder, kept afterwards. */
  workDir?: string;
  /** Clone from here instead of the recorded remote / work tree. */
  source?: string;
  /** false: skip reinstalling dependencies. */
  install?: boolean;
  /** Reinstall from the local package cache only (npm/pnpm/yarn `--offline`); otherwise the cache is preferred. */
  offline?: boolean;
  /** Default: the original run's experiment. */
  experimentName?: string;
  runName?: string;
  /** Relative difference under which metrics count as equal (default 0: exactly). */
  tolerance?: number;
  /** The capture for the new run, given its project folder (false: none). */
  contextCapture?: (projectDir: string) => ContextCapture | false;
  stdout?: "stdout" | "stderr";
  log?(line: string): void;
  onLoggingError?(err: LoggingError): void;
  env?: NodeJS.ProcessEnv;
}

export interface ReproduceResult {
  plan: ReproducePlan;
  workDir: string;
  /** Where the code was cloned from. */
  source: string;
  run: ProjectRunResult;
  comparison: RunComparison;
}

export async function reproduceRun(opts: ReproduceOptions): Promise<ReproduceResult> {
  const log = opts.log ?? (() => {});
  const stdout = opts.stdout ?? "stdout";
  const client = new TrackingClient({ trackingUri: opts.trackingUri, env: opts.env });
  const artifacts = new ArtifactClient(client);
  const original = await client.getRun(opts.runId);
  const plan = planReproduction(original);
  for (const note of plan.notes) log(note);

  const workDir = resolve(opts.workDir ?? mkdtempSync(join(tmpdir(), `ciclo-reproduce-${plan.runId.slice(-8)}-`)));
  if (!isFreshDir(workDir)) throw new ReproduceError(`Work folder ${workDir} is not empty: give a new or empty folder.`);
  const tmp = mkdtempSync(join(tmpdir(), "ciclo-reproduce-files-"));
  let source: string;
  try {
    const localRepo = plan.localRepo ?? (opts.source ? undefined : await recordedWorkTree(artifacts, plan.runId, tmp));
    const sources = opts.source ? [opts.source] : [plan.repoUrl, localRepo].filter((s): s is string => !!s);
    source = await checkoutCommit(plan.commit, [...new Set(sources)], workDir, log);
    log(`Checked out ${plan.commit.slice(0, 12)} from ${source} into ${workDir}.`);
    await applyRecordedPatch(plan, artifacts, workDir, tmp, log);
    if (plan.untracked > 0) log(`Note: ${plan.untracked} untracked file(s) of the original work tree were not recorded (their names are in ciclo/git-untracked.txt).`);
    await restoreRecordedFiles(plan, artifacts, workDir, tmp, log);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }

  const projectDir = join(workDir, ...plan.subdir.split("/").filter(Boolean));
  let env: NodeJS.ProcessEnv = { ...(opts.env ?? process.env) };
  if (opts.install !== false) env = await installDependencies(plan, workDir, projectDir, env, stdout, log, opts.offline === true);

  const run = await runProject({
    projectDir,
    entryPoint: plan.entryPoint,
    params: plan.params,
    rawCommand: plan.argv,
    trackingUri: opts.trackingUri,
    experimentId: opts.experimentName ? undefined : plan.experimentId,
    experimentName: opts.experimentName,
    runName: opts.runName ?? `${plan.runName}-reproduced`.slice(0, 250),
    tags: { [REPRODUCE_OF_TAG]: plan.runId },
    contextCapture: opts.contextCapture ? opts.contextCapture(projectDir) : false,
    env,
    cli: opts.cli,
    stdout,
    log,
    onLoggingError: opts.onLoggingError,
  });
  const comparison = compareRuns(original, await client.getRun(run.runId), opts.tolerance ?? 0);
  return { plan, workDir, source, run, comparison };
}

/** The work tree a script run came from, as the capture recorded it in `ciclo/run-context.json` (undefined when absent). */
async function recordedWorkTree(artifacts: ArtifactClient, runId: string, tmp: string): Promise<string | undefined> {
  try {
    const file = await artifacts.downloadArtifacts({ runId, path: CONTEXT_ARTIFACTS.context }, join(tmp, "context"));
    const root = (JSON.parse(readFileSync(file, "utf8")) as { git?: { root?: unknown } }).git?.root;
    return typeof root === "string" && isAbsolute(root) ? root : undefined;
  } catch {
    return undefined;
  }
}

async function installDependencies(
  plan: ReproducePlan,
  workDir: string,
  projectDir: string,
  env: NodeJS.ProcessEnv,
  stdout: "stdout" | "stderr",
  log: (line: string) => void,
  offline: boolean,
): Promise<NodeJS.ProcessEnv> {
  const step = nodeInstallStep(plan, workDir, projectDir, offline);
  if (step) {
    log(`Installing dependencies: ${[step.command, ...step.args].join(" ")} (in ${step.cwd}) …`);
    // onnxruntime-node's install script downloads CUDA libraries from outside the npm registry unless told not to
    // (set ONNXRUNTIME_NODE_INSTALL_CUDA yourself on a GPU host).
    await runInstallStep(step, { ONNXRUNTIME_NODE_INSTALL_CUDA: "skip", ...env }, stdout);
  }
  const python = loadProject(projectDir).env.python;
  if (!python) return env;
  // A virtualenv in the work folder, first on PATH: `python` and `pip` of the command are its own.
  const venv = join(workDir, ".ciclo-venv");
  log(`Creating a Python virtualenv in ${venv} …`);
  await runInstallStep({ cwd: projectDir, command: env.CICLO_PYTHON ?? "python3", args: ["-m", "venv", venv] }, env, stdout);
  const venvEnv = { ...env, VIRTUAL_ENV: venv, PATH: `${join(venv, "bin")}${delimiter}${env.PATH ?? ""}` };
  if (python.requirements) {
    log(`Installing ${python.requirements} …`);
    await runInstallStep({ cwd: projectDir, command: join(venv, "bin", "pip"), args: ["install", "-r", python.requirements] }, venvEnv, stdout);
  }
  return venvEnv;
}
