/**
 * A sweep over a project's entry point, end to end, on a tracking server:
 * what `ciclo sweep` runs, and what a pipeline's `sweep` step will run. The
 * caller resolves the settings (flags, the `sweep:` block) and the
 * experiment, and shows progress; this wires the project's trials as child
 * processes to the sweep loop and the tracked runs.
 * @module
 */
import { resolveCommand, loadProject, resolveEntryPoint, type EntryPoint, type ProjectSpec } from "../../../projects/index.js";
import type { ArtifactClient } from "../../../sdk/artifact-client.js";
import { captureRunContext, logRunContext, runContextTags } from "../../../sdk/context-capture.js";
import type { TrackingClient } from "../../../sdk/tracking-client.js";
import { checkSpaceAgainstEntryPoint, ProcessTrialExecutor } from "./process-trial-executor.js";
import { sampleSpace } from "../random-sampler.js";
import { createRng } from "../rng.js";
import { SweepConfigError } from "../sampler.js";
import { formatValue } from "../search-space.js";
import { createEarlyStopper, createSampler, type SweepConfig } from "../sweep-config.js";
import { SweepRunner, type SweepEvent, type SweepResult } from "../sweep-runner.js";
import { TrackingSweepTracker } from "../../../sdk/tracking-sweep-tracker.js";

export interface ProjectSweepSetup {
  config: SweepConfig & { project: NonNullable<SweepConfig["project"]> };
  project: ProjectSpec;
  entryPoint: EntryPoint;
}

/**
 * Checks a sweep before any run exists: the project and entry point, every
 * value the space can produce against the parameter types, one sampled trial
 * through the entry point's checks (a required parameter neither swept nor
 * fixed fails here), the sampler (grid refuses continuous spaces) and the
 * early-stopping settings. Throws ProjectError, SweepConfigError or RangeError.
 */
export function checkProjectSweep(config: SweepConfig): ProjectSweepSetup {
  if (!config.project) throw new SweepConfigError("this sweep has no project to run (it was not started by ciclo sweep).");
  const project = loadProject(config.project.dir);
  const entryPoint = resolveEntryPoint(project, config.project.entryPoint);
  checkSpaceAgainstEntryPoint(config.space, entryPoint);
  const probe = sampleSpace(config.space, createRng(config.seed));
  resolveCommand(entryPoint, { ...config.project.params, ...Object.fromEntries(Object.entries(probe).map(([k, v]) => [k, formatValue(v)])) }, project.dir);
  createSampler(config);
  createEarlyStopper(config);
  const checked = { ...config, project: { ...config.project, dir: project.dir } };
  return { config: checked, project, entryPoint };
}

export interface ProjectSweepOptions {
  client: TrackingClient;
  artifacts: ArtifactClient;
  trackingUri: string;
  /** How a trial's command runs ciclo itself, as `$CICLO` (see RunProjectOptions.cli). */
  cli?: readonly string[];
  setup: ProjectSweepSetup;
  /** A resumed sweep's tracker (TrackingSweepTracker.open); absent: a new sweep run in `experimentId`. */
  tracker?: TrackingSweepTracker;
  experimentId?: string;
  runName?: string;
  /** Record git state (commit, branch, remote) on the sweep run and every trial (default true). */
  capture?: boolean;
  showOutput?: boolean;
  pollMs?: number;
  signal?: AbortSignal;
  /** Called once the sweep run exists (to print its id, or how to resume it). */
  onStart?(tracker: TrackingSweepTracker): void;
  onEvent?(event: SweepEvent): void;
  /** Problems that do not stop the sweep (a trial log that could not be uploaded). */
  warn?(message: string): void;
}

export async function runProjectSweep(opts: ProjectSweepOptions): Promise<{ result: SweepResult; tracker: TrackingSweepTracker }> {
  const { client, artifacts, setup } = opts;
  const { config, project, entryPoint } = setup;
  // Captured once (git state, patch of uncommitted changes, lock files) and recorded on the sweep run and on every
  // trial — tags and files — so `ciclo reproduce <trial>` can check out and patch the same code.
  const context = opts.capture !== false ? await captureRunContext({ cwd: project.dir, argv: [process.execPath], execArgv: [] }) : undefined;
  const gitTags = context ? runContextTags(context) : {};
  const recordContext = async (runId: string) => {
    if (!context) return;
    try {
      const tags = await logRunContext(artifacts, runId, context);
      if (Object.keys(tags).length > 0) await client.logBatch(runId, { tags });
    } catch (err) {
      opts.warn?.(`could not record the code state on run ${runId}: ${(err as Error).message}`);
    }
  };
  let tracker = opts.tracker;
  if (!tracker) {
    tracker = await TrackingSweepTracker.create(client, artifacts, { experimentId: opts.experimentId ?? "0", runName: opts.runName, config, tags: gitTags });
    await recordContext(tracker.sweepRunId);
  }
  tracker.afterTrialCreated = recordContext;
  const executor = new ProcessTrialExecutor({
    project,
    entryPoint,
    fixed: config.project.params,
    trackingUri: opts.trackingUri,
    cli: opts.cli,
    experimentId: tracker.experimentId,
    tags: gitTags,
    showOutput: opts.showOutput,
    uploadLog: async (runId, path) => {
      try {
        await artifacts.logArtifact(runId, path);
      } catch (err) {
        opts.warn?.(`could not upload the log of run ${runId}: ${(err as Error).message}`);
      }
    },
  });
  opts.onStart?.(tracker);
  const running = tracker;
  try {
    const result = await new SweepRunner({
      config,
      tracker: running,
      executor,
      signal: opts.signal,
      resume: opts.tracker !== undefined,
      pollMs: opts.pollMs,
      onEvent: opts.onEvent,
    }).run();
    return { result, tracker: running };
  } finally {
    executor.close();
  }
}
