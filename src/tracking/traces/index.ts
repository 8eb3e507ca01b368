/**
 * The traces capability's public entry (MLflow 3 tracing).
 * @module
 */
export type { LockedTraces, TraceStore, SearchTracesQuery } from "./trace-store.js";
export type { DeleteTracesRequest, TraceInfo, TraceOrderBy, TraceState } from "./types.js";
export { TRACE_KEYS, TRACE_STATES } from "./types.js";
export { TraceService, traceArtifactLocation } from "./trace-service.js";
export type { Assessment, AssessmentError, AssessmentSourceType, AssessmentUpdate, JsonValue } from "./assessment-types.js";
export { ASSESSMENT_KEYS, ASSESSMENT_SOURCE_TYPES } from "./assessment-types.js";
