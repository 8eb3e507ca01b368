/**
 * The one door into the pipelines engine for everything that starts a
 * pipeline: the CLI, the REST API, cron schedules, registry events, git push
 * webhooks and monitoring alerts (retraining). Triggers code against this
 * interface; the engine implements it.
 * @module
 */

import type { PipelineSpec } from "../definition/pipeline-spec.js";

/** What started a pipeline run; recorded on the run as `ciclo.pipeline.trigger*` tags. */
export type PipelineTriggerKind = "manual" | "cron" | "registry" | "git" | "monitor";

export interface PipelineTrigger {
  kind: PipelineTriggerKind;
  /** Free-form facts about the trigger (cron expression, model version, commit sha, alert id...). */
  detail?: Record<string, unknown>;
  /** Who asked (user name, service account), when known. */
  actor?: string;
}

export interface PipelineLaunchRequest {
  /**
   * A project folder on the server's disk, a git URI (`https://host/org/repo.git`, optionally
   * `#<branch, tag or commit>` and `:<subdir>` as in `…/repo.git#main:models/churn`), or the name of a
   * project registered with the server.
   */
  project: string;
  /** The pipeline's name under `pipelines:` in the project's `ciclo.yaml`. */
  pipeline: string;
  /** Values for the pipeline's declared `inputs:`; unknown names are refused. */
  inputs?: Record<string, unknown>;
  trigger: PipelineTrigger;
  /** Run every step even when an identical earlier step could be reused. */
  noCache?: boolean;
}

export interface PipelineLaunchResult {
  /** The pipeline run's id (the same value as `runId`: a pipeline run is an MLflow run). */
  pipelineRunId: string;
  /** The parent MLflow run's id; step runs are its children (`mlflow.parentRunId`). */
  runId: string;
}

/**
 * Starts a pipeline run and returns once it is recorded and queued (not when
 * it finishes). Rejects with a `CicloError`-style error (`error_code`,
 * `message`) when the project, pipeline or inputs are invalid; nothing is
 * recorded then.
 */
export interface PipelineLauncher {
  launch(req: PipelineLaunchRequest): Promise<PipelineLaunchResult>;
  /**
   * Refuses what `launch` would refuse about the project and the pipeline, recording nothing: the project
   * cannot be read (INVALID_PARAMETER_VALUE), or its `ciclo.yaml` declares no such pipeline
   * (RESOURCE_DOES_NOT_EXIST). Triggers call it before they are stored.
   */
  checkPipeline?(project: string, pipeline: string): Promise<void>;
}

/** What a registered project's declared triggers became (one line per trigger). */
export interface DeclaredTriggerChange {
  name: string;
  kind: string;
  pipeline: string;
  change: "created" | "kept" | "replaced" | "deleted";
  /** A new webhook trigger's secret, shown this once. */
  secret?: string;
  webhookPath?: string;
}

/**
 * Told when a project is registered or updated (`POST /pipelines/projects`): the triggers module registers the
 * triggers its pipelines declare under `on:`. `check` runs before anything is recorded and throws on a bad
 * declaration; `apply` after the project is recorded.
 */
export interface ProjectRegistrationHook {
  check(project: string, source: string, pipelines: PipelineSpec[]): Promise<void>;
  apply(project: string, source: string, pipelines: PipelineSpec[]): Promise<DeclaredTriggerChange[]>;
}
