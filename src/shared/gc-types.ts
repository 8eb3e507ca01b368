/**
 * Garbage collection's entities and result as plain data: what the tracking
 * store purges, the gc service reports, the gc route presents and the SDK's
 * admin client decodes (one codec: shared/wire/gc-codec.ts).
 * @module
 */

/** A run gc purges (or would purge): where its artifacts are. */
export interface GcRun {
  runId: string;
  experimentId: string;
  runName: string;
  artifactUri: string;
  deletedTime: number | null;
}

/** A logged model gc purges (MLflow 3.x; its artifacts live under the experiment, not the run). */
export interface GcLoggedModel {
  modelId: string;
  experimentId: string;
  name: string;
  artifactUri: string;
  sourceRunId: string | null;
}

export interface GcExperiment {
  experimentId: string;
  name: string;
  artifactLocation: string;
  deletedTime: number | null;
}

/** An MLflow 3 trace purged with its experiment: where its spans are (the `mlflow.artifactLocation` tag). */
export interface GcTrace {
  traceId: string;
  artifactUri: string;
}

/** A purged experiment, with the runs and logged models that went with it (their artifacts are the caller's to delete). */
export interface PurgedExperiment extends GcExperiment {
  runs: GcRun[];
  loggedModels: GcLoggedModel[];
  /** Its traces, once purged (not listed by a dry run). */
  traces?: GcTrace[];
}

/**
 * What gc purges. A deleted experiment is purged whole, with its runs and
 * logged models (listed under it); `runs` and `loggedModels` are those that go
 * on their own, so each entity appears once.
 */
export interface GcEntities {
  experiments: PurgedExperiment[];
  runs: GcRun[];
  loggedModels: GcLoggedModel[];
}

export interface GcRequestOptions {
  /** Only entities deleted at least this long ago, ms. */
  olderThanMs?: number;
  experimentIds?: string[];
  runIds?: string[];
  loggedModelIds?: string[];
  dryRun?: boolean;
}

/** A candidate gc left alone, and why. */
export interface GcSkipped {
  kind: "experiment" | "run" | "logged_model";
  id: string;
  reason: string;
}

export interface GcReport {
  dryRun: boolean;
  /** Purged experiments (or, on a dry run, those that would be), each with its runs and logged models. */
  experiments: PurgedExperiment[];
  /** Runs purged on their own (their experiment stays). */
  runs: GcRun[];
  /** Logged models purged on their own. */
  loggedModels: GcLoggedModel[];
  skipped: GcSkipped[];
  /** Artifact folders whose deletion failed after their metadata was purged. */
  artifactErrors: Array<{ uri: string; message: string }>;
}
