/**
 * The tracking capability's public entry: what other capabilities may use.
 * Other capabilities import from here, never from the files behind it
 * (the boundary test in src/architecture.test.ts enforces it).
 * @module
 */

export type { Experiment, Metric, Param, Run, RunStatus } from "../shared/tracking-types.js";
export { generateRunName } from "./run-names.js";
export type { GcEntities, GcLoggedModel, GcRun, PurgedExperiment, TrackingStore } from "./tracking-store.js";
export { LIMITS } from "./validation.js";
