/**
 * Garbage collection's result, shared by the gc service, the gc route's
 * presenter and the SDK's admin client (the types live in shared/).
 * @module
 */
export type { GcLoggedModel, GcReport, GcRequestOptions, GcRun, GcSkipped } from "../shared/gc-types.js";
