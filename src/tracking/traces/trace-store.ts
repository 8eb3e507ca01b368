/**
 * The trace store: trace infos with their tags and request metadata. One SQL
 * implementation (store/sql/traces/) serves SQLite and PostgreSQL.
 * @module
 */
import type { FilterNode } from "../../shared/filter/filter-ast.js";
import type { Page } from "../../shared/types.js";
import type { Assessment } from "./assessment-types.js";
import type { DeleteTracesRequest, TraceInfo, TraceOrderBy } from "./types.js";

export interface SearchTracesQuery {
  experimentIds: string[];
  filter?: FilterNode;
  orderBy: TraceOrderBy[];
  maxResults: number;
  pageToken?: string;
}

/** What a holder of {@link TraceStore.withTracesLocked} reads and writes its traces through. */
export type LockedTraces = Pick<TraceStore, "getTraceInfo" | "saveSpanSummaries">;

export interface TraceStore {
  /**
   * Stores a new trace. Starting the same trace id again in the same experiment answers the stored trace
   * unchanged (a retried request); in another experiment it is RESOURCE_ALREADY_EXISTS.
   */
  startTrace(info: TraceInfo): Promise<TraceInfo>;
  /** RESOURCE_DOES_NOT_EXIST when absent. */
  getTraceInfo(traceId: string): Promise<TraceInfo>;
  searchTraces(q: SearchTracesQuery): Promise<Page<TraceInfo>>;
  /**
   * MLflow 2's EndTrace: sets the execution time and state, and merges metadata and tags into the stored ones,
   * in one transaction. RESOURCE_DOES_NOT_EXIST when absent.
   */
  endTrace(traceId: string, end: { executionDuration: number; state: TraceInfo["state"]; metadata: Record<string, string>; tags: Record<string, string> }): Promise<TraceInfo>;
  setTraceTag(traceId: string, key: string, value: string): Promise<void>;
  /** RESOURCE_DOES_NOT_EXIST when the trace has no such tag. */
  deleteTraceTag(traceId: string, key: string): Promise<void>;
  /** Returns how many were deleted. */
  deleteTraces(req: DeleteTracesRequest): Promise<number>;
  /**
   * Stores a new assessment on its (existing) trace; one that `overrides` another of the trace marks that one
   * invalid, in the same transaction. RESOURCE_DOES_NOT_EXIST for a missing trace or overridden assessment;
   * RESOURCE_ALREADY_EXISTS for a taken id.
   */
  createAssessment(a: Assessment): Promise<Assessment>;
  /** RESOURCE_DOES_NOT_EXIST (naming the trace or the assessment) when absent. */
  getAssessment(traceId: string, assessmentId: string): Promise<Assessment>;
  /** Reads, changes (`apply`, which may throw to change nothing) and writes back one assessment in one transaction. */
  updateAssessment(traceId: string, assessmentId: string, apply: (stored: Assessment) => Assessment): Promise<Assessment>;
  /** Idempotent; an assessment that overrode another makes that one valid again. */
  deleteAssessment(traceId: string, assessmentId: string): Promise<void>;
  /** Links existing traces to a run (again: no change). RESOURCE_DOES_NOT_EXIST names a missing trace. */
  linkTracesToRun(traceIds: string[], runId: string, now: number): Promise<void>;
  /**
   * OTLP ingestion: stores new traces and sets the timing, state, previews and tags of existing ones, all in one
   * transaction (the summaries' tags are added or changed, no other is touched). A trace created meanwhile by another request is
   * TEMPORARILY_UNAVAILABLE (the exporter retries; the retry updates it).
   */
  saveSpanSummaries(summaries: { info: Omit<TraceInfo, "assessments">; isNew: boolean }[]): Promise<void>;
  /**
   * OTLP ingestion's merge: runs `fn` holding these traces against every other holder of any of them on this
   * database — in this process and in other replicas — until `fn`'s writes are committed, so that a rewrite of a
   * trace's traces.json and its info never interleaves with another's. `fn` reads and writes the traces through
   * the store it is given (on PostgreSQL, one transaction, committed after `fn` resolves; a throw rolls it back).
   */
  withTracesLocked<T>(traceIds: readonly string[], fn: (traces: LockedTraces) => Promise<T>): Promise<T>;
  /** The experiment a trace belongs to, or undefined (for permission checks). */
  experimentOf(traceId: string): Promise<string | undefined>;
}
