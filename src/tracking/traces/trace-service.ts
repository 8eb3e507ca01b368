/**
 * Trace operations (MLflow 3 tracing): MLflow's validation, the artifact
 * location every trace is given, then the store.
 * @module
 */
import { InvalidParameterValueError, missingValue } from "../../shared/errors.js";
import { parseFilter } from "../../shared/filter/filter-parser.js";
import type { Page } from "../../shared/types.js";
import { validateMaxResults } from "../../shared/validation.js";
import type { TrackingStore } from "../index.js";
import { prepareAssessment, type AssessmentInput } from "./assessment-service.js";
import { parseTraceOrderBy, TRACE_SEARCH_SPEC } from "./trace-search-spec.js";
import type { TraceStore } from "./trace-store.js";
import { TRACE_KEYS, type DeleteTracesRequest, type TraceInfo } from "./types.js";
import { newTimeOrderedId } from "../../shared/node/time-ordered-id.js";

/** MLflow's trace_tags / trace_request_metadata columns: keys of 250 characters, values of 8,000. */
export const TRACE_LIMITS = { key: 250, value: 8000, idLength: 64, entries: 1000, deleteIds: 10_000, clientRequestId: 250, linkIds: 100, assessments: 1000 } as const;
/**
 * MLflow's SEARCH_TRACES_DEFAULT_MAX_RESULTS, and the page size its handlers for SearchTracesV3 and SearchTraces
 * allow (a page's traces are loaded by id: 500 keeps those `IN` lists short).
 */
const DEFAULT_MAX_RESULTS = 100;
const MAX_TRACE_PAGE = 500;

/** A trace id becomes a folder name in the artifact store: letters, digits, `-`, `_` and `.` only. */
export function validateTraceId(traceId: string | undefined, param = "trace_id"): string {
  if (!traceId) throw missingValue(param);
  if (traceId.length > TRACE_LIMITS.idLength || !/^[A-Za-z0-9_][A-Za-z0-9_.-]*$/.test(traceId) || traceId.includes("..")) {
    throw new InvalidParameterValueError(
      `Invalid trace ID '${traceId.slice(0, 100)}': use at most ${TRACE_LIMITS.idLength} letters, digits, '-', '_' or '.' ` +
        "(MLflow's client sends 'tr-' and 32 hex digits).",
    );
  }
  return traceId;
}

function validateEntries(entries: Record<string, string>, what: string): void {
  const keys = Object.keys(entries);
  if (keys.length > TRACE_LIMITS.entries) throw new InvalidParameterValueError(`A trace may have at most ${TRACE_LIMITS.entries} ${what}; got ${keys.length}.`);
  for (const k of keys) validateEntry(k, entries[k], what);
}

function validateEntry(key: string, value: string, what: string): void {
  if (key === "") throw new InvalidParameterValueError(`A trace's ${what} key must not be empty.`);
  if (key.length > TRACE_LIMITS.key) {
    throw new InvalidParameterValueError(`The ${what} key '${key.slice(0, 50)}...' has ${key.length} characters; the limit is ${TRACE_LIMITS.key}.`);
  }
  if (value.length > TRACE_LIMITS.value) {
    throw new InvalidParameterValueError(`The value of ${what} '${key}' has ${value.length} characters; the limit is ${TRACE_LIMITS.value}.`);
  }
}

/** MLflow's `append_to_uri_path`: the experiment's location, then `traces/<id>/artifacts`. */
export function traceArtifactLocation(experimentLocation: string, traceId: string): string {
  return `${experimentLocation.replace(/\/+$/, "")}/traces/${traceId}/artifacts`;
}

export interface SearchTracesRequest {
  experimentIds: string[];
  filter?: string;
  orderBy?: string[];
  maxResults?: number;
  pageToken?: string;
}

export class TraceService {
  constructor(
    private readonly store: TraceStore,
    private readonly tracking: Pick<TrackingStore, "getExperiment" | "getRun">,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * StartTraceV3: the client's trace info, stored with the artifact location its spans go to, and the
   * assessments logged while the trace was active.
   */
  async start(info: Omit<TraceInfo, "assessments">, assessments: AssessmentInput[] = []): Promise<TraceInfo> {
    validateTraceId(info.traceId, "trace.trace_info.trace_id");
    if (!info.experimentId) throw missingValue("trace.trace_info.trace_location.mlflow_experiment.experiment_id");
    if (info.clientRequestId && info.clientRequestId.length > TRACE_LIMITS.clientRequestId) {
      throw new InvalidParameterValueError(`client_request_id has ${info.clientRequestId.length} characters; the limit is ${TRACE_LIMITS.clientRequestId}.`);
    }
    validateEntries(info.tags, "tag");
    validateEntries(info.metadata, "request metadata");
    if (assessments.length > TRACE_LIMITS.assessments) {
      throw new InvalidParameterValueError(`A trace may carry at most ${TRACE_LIMITS.assessments} assessments; got ${assessments.length}.`);
    }
    const now = this.now();
    const prepared = assessments.map((a) => ({ ...prepareAssessment(a, now), traceId: info.traceId }));
    const experiment = await this.tracking.getExperiment(info.experimentId);
    if (experiment.lifecycleStage !== "active") {
      throw new InvalidParameterValueError(`The experiment ${info.experimentId} must be in the 'active' state. Current state is ${experiment.lifecycleStage}.`);
    }
    // MLflow compat: the server, not the client, decides where the spans are stored.
    const tags = { ...info.tags, [TRACE_KEYS.artifactLocation]: traceArtifactLocation(experiment.artifactLocation, info.traceId) };
    return this.store.startTrace({ ...info, tags, assessments: prepared });
  }

  /**
   * MLflow 2's StartTrace: the server names the trace (32 hex digits, as MLflow 2 did, time-ordered: the id keys
   * `trace_info`) and it is IN_PROGRESS until
   * EndTrace.
   */
  startV2(req: { experimentId: string; timestampMs?: number; metadata: Record<string, string>; tags: Record<string, string> }): Promise<TraceInfo> {
    if (!req.experimentId) throw missingValue("experiment_id");
    return this.start({
      traceId: newTimeOrderedId(this.now()),
      experimentId: req.experimentId,
      clientRequestId: null,
      requestTime: req.timestampMs ?? this.now(),
      executionDuration: null,
      state: "IN_PROGRESS",
      requestPreview: null,
      responsePreview: null,
      metadata: req.metadata,
      tags: req.tags,
    });
  }

  /** MLflow 2's EndTrace: the execution time from the end time, the final state, metadata and tags merged. */
  async endV2(traceId: string, req: { timestampMs?: number; state?: TraceInfo["state"]; metadata: Record<string, string>; tags: Record<string, string> }): Promise<TraceInfo> {
    if (req.timestampMs === undefined) throw missingValue("timestamp_ms");
    if (!req.state) throw missingValue("status");
    validateEntries(req.metadata, "request metadata");
    validateEntries(req.tags, "tag");
    const stored = await this.store.getTraceInfo(traceId);
    const executionDuration = req.timestampMs - stored.requestTime;
    if (!Number.isSafeInteger(executionDuration) || executionDuration < 0) {
      throw new InvalidParameterValueError(`timestamp_ms ${req.timestampMs} is before the trace's start (${stored.requestTime}).`);
    }
    return this.store.endTrace(traceId, { executionDuration, state: req.state, metadata: req.metadata, tags: req.tags });
  }

  /** Reads take any id: one that could not have been stored is simply not found. */
  get(traceId: string): Promise<TraceInfo> {
    if (!traceId) throw missingValue("trace_id");
    return this.store.getTraceInfo(traceId);
  }

  search(req: SearchTracesRequest): Promise<Page<TraceInfo>> {
    if (req.experimentIds.length === 0) {
      throw new InvalidParameterValueError("Search traces needs at least one location: give locations[].mlflow_experiment.experiment_id.");
    }
    const maxResults = req.maxResults ?? DEFAULT_MAX_RESULTS;
    validateMaxResults(maxResults, MAX_TRACE_PAGE);
    return this.store.searchTraces({
      experimentIds: req.experimentIds,
      filter: parseFilter(req.filter, TRACE_SEARCH_SPEC),
      orderBy: parseTraceOrderBy(req.orderBy),
      maxResults,
      pageToken: req.pageToken || undefined,
    });
  }

  async setTag(traceId: string, key: string | undefined, value: string | undefined): Promise<void> {
    if (!key) throw missingValue("key");
    if (value === undefined) throw missingValue("value");
    validateEntry(key, value, "tag");
    await this.store.getTraceInfo(traceId);
    return this.store.setTraceTag(traceId, key, value);
  }

  async deleteTag(traceId: string, key: string | undefined): Promise<void> {
    if (!key) throw missingValue("key");
    await this.store.getTraceInfo(traceId);
    return this.store.deleteTraceTag(traceId, key);
  }

  /** LinkTracesToRun: at most 100 traces a call, each of them existing, to an existing run. */
  async linkToRun(traceIds: string[] | undefined, runId: string | undefined): Promise<void> {
    if (!runId) throw missingValue("run_id");
    const ids = traceIds ?? [];
    if (ids.length > TRACE_LIMITS.linkIds) {
      throw new InvalidParameterValueError(`Cannot link more than ${TRACE_LIMITS.linkIds} traces to a run in a single request. Provided ${ids.length} traces.`);
    }
    if (ids.length === 0) return;
    for (const id of ids) if (!id) throw new InvalidParameterValueError("trace_ids must not hold an empty ID.");
    await this.tracking.getRun(runId);
    return this.store.linkTracesToRun(ids, runId, this.now());
  }

  /** MLflow's rules: by time (optionally at most `max_traces`, oldest first) or by ids, never both. */
  async delete(req: DeleteTracesRequest): Promise<number> {
    if (!req.experimentId) throw missingValue("experiment_id");
    const ids = req.traceIds ?? [];
    if (req.maxTimestampMillis === undefined && ids.length === 0) {
      throw new InvalidParameterValueError("Either `max_timestamp_millis` or `trace_ids` must be specified.");
    }
    if (req.maxTimestampMillis !== undefined && ids.length > 0) {
      throw new InvalidParameterValueError("Only one of `max_timestamp_millis` and `trace_ids` can be specified.");
    }
    if (ids.length > 0 && req.maxTraces !== undefined) {
      throw new InvalidParameterValueError("`max_traces` can't be specified if `trace_ids` is specified.");
    }
    if (req.maxTraces !== undefined && (!Number.isInteger(req.maxTraces) || req.maxTraces < 1)) {
      throw new InvalidParameterValueError(`Invalid value ${req.maxTraces} for parameter 'max_traces': it must be a positive integer.`);
    }
    if (ids.length > TRACE_LIMITS.deleteIds) throw new InvalidParameterValueError(`At most ${TRACE_LIMITS.deleteIds} request_ids per call; got ${ids.length}.`);
    await this.tracking.getExperiment(req.experimentId);
    return this.store.deleteTraces({ ...req, traceIds: ids.length > 0 ? ids : undefined });
  }
}
