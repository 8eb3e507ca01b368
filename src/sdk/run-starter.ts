/**
 * Where a new run's data goes: a run created (or joined) on the server, or —
 * in offline mode, or when the server stays unreachable — a run spooled to
 * disk under a local id. Also MLflow's `set_experiment` rule (get by name,
 * create on 404), which `startRun` and `ciclo sync` share.
 * @module
 */
import { InvalidStateError, ResourceAlreadyExistsError } from "../shared/errors.js";
import { generateRunName } from "../tracking/run-names.js";
import { RUN_NAME_TAG } from "../shared/system-tags.js";
import type { Experiment, RunInfo } from "../shared/tracking-types.js";
import type { Tag } from "../shared/types.js";
import { isTransientError } from "./http-client.js";
import { RunSpool } from "./offline-spool.js";
import type { LoggerTarget } from "./run-logger.js";
import type { TrackingClient } from "./tracking-client.js";

export interface RunPlan {
  /** Join this existing run instead of creating one. */
  joinRunId?: string;
  experimentId?: string;
  experimentName?: string;
  runName?: string;
  /** Tags for a new run (system tags included); for a joined run, only `joinTags` are set. */
  tags: Tag[];
  joinTags: Tag[];
  userId: string;
  startTime: number;
}

export interface StartContext {
  client(): TrackingClient;
  offline: boolean;
  offlineFallback: boolean;
  offlineDir: string;
}

export interface OpenedRun {
  target: LoggerTarget;
  /** The server's view of the run (online only). */
  info?: RunInfo;
  /** Set when the server was unreachable and the run went to the spool instead. */
  fallbackError?: unknown;
}

/** MLflow's `set_experiment(name)`: the active experiment of that name, created when absent. */
export async function getOrCreateExperiment(client: TrackingClient, name: string): Promise<Experiment> {
  let exp = await client.findExperimentByName(name);
  if (!exp) {
    try {
      exp = await client.getExperiment(await client.createExperiment(name));
    } catch (err) {
      // Another process created it between our get and create.
      if (!(err instanceof ResourceAlreadyExistsError)) throw err;
      exp = await client.getExperimentByName(name);
    }
  }
  if (exp.lifecycleStage === "deleted") {
    throw new InvalidStateError(
      `Cannot set a deleted experiment '${name}' as the active experiment. ` +
        "You can restore the experiment, or permanently delete the experiment to create a new one.",
    );
  }
  return exp;
}

export async function openRun(ctx: StartContext, plan: RunPlan): Promise<OpenedRun> {
  if (ctx.offline) return { target: offlineTarget(ctx, plan, "offline mode") };
  const client = ctx.client();
  try {
    if (plan.joinRunId) return await joinRun(client, plan);
    const experimentId =
      plan.experimentId ?? (plan.experimentName ? (await getOrCreateExperiment(client, plan.experimentName)).experimentId : undefined);
    const run = await client.createRun({
      experimentId,
      userId: plan.userId,
      runName: plan.runName,
      startTime: plan.startTime,
      tags: plan.tags,
    });
    return { target: onlineTarget(client, run.info, plan), info: run.info };
  } catch (err) {
    if (!isTransientError(err) || !ctx.offlineFallback) throw err;
    return { target: offlineTarget(ctx, plan, (err as Error).message), fallbackError: err };
  }
}

/** MLflow's resume of `MLFLOW_RUN_ID`: refuse a deleted run, mark it RUNNING again, add the given tags. */
async function joinRun(client: TrackingClient, plan: RunPlan): Promise<OpenedRun> {
  const id = plan.joinRunId!;
  const run = await client.getRun(id);
  if (run.info.lifecycleStage === "deleted") {
    throw new InvalidStateError(`Cannot start run with ID ${id} because it is in the deleted state.`);
  }
  if (plan.experimentId && plan.experimentId !== run.info.experimentId) {
    throw new InvalidStateError(
      `Cannot start run with ID ${id} because active run ID does not match environment run ID. ` +
        `Make sure --experiment-name or --experiment-id matches experiment set with set_experiment(), or just use command-line arguments`,
    );
  }
  let info = run.info;
  if (info.status !== "RUNNING") info = await client.updateRun(id, { status: "RUNNING" });
  if (plan.joinTags.length > 0) await client.logBatch(id, { tags: plan.joinTags });
  return { target: onlineTarget(client, info, plan), info };
}

function onlineTarget(client: TrackingClient, info: RunInfo, plan: RunPlan): LoggerTarget {
  return {
    mode: "online",
    client,
    run: {
      runId: info.runId,
      experimentId: info.experimentId,
      experimentName: plan.experimentName ?? null,
      runName: info.runName,
      userId: info.userId,
      startTime: info.startTime ?? plan.startTime,
      tags: plan.joinRunId ? plan.joinTags : plan.tags,
    },
  };
}

function offlineTarget(ctx: StartContext, plan: RunPlan, reason: string): LoggerTarget {
  const runName = plan.runName || plan.tags.find((t) => t.key === RUN_NAME_TAG)?.value || generateRunName();
  const tags = plan.joinRunId ? plan.joinTags : plan.tags.filter((t) => t.key !== RUN_NAME_TAG).concat({ key: RUN_NAME_TAG, value: runName });
  const spool = RunSpool.create(ctx.offlineDir, {
    id: plan.joinRunId,
    runId: plan.joinRunId ?? null,
    experimentId: plan.experimentId ?? null,
    experimentName: plan.experimentName ?? null,
    runName,
    userId: plan.userId,
    startTime: plan.startTime,
    tags,
    reason,
  });
  return { mode: "offline", spool };
}
