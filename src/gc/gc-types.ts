/**
 * Garbage collection's result, shared by the gc service, the gc route's
 * presenter and the SDK's admin client.
 * @module
 */
import type { GcLoggedModel, GcRun, PurgedExperiment } from "../tracking/index.js";

export type { GcLoggedModel, GcRun } from "../tracking/index.js";

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
