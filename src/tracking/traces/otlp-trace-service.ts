/**
 * OTLP ingestion (`POST /v1/traces`, MLflow 3.3's OpenTelemetry endpoint):
 * spans from any OpenTelemetry exporter become MLflow traces of the
 * experiment the `x-mlflow-experiment-id` header names. Each OpenTelemetry
 * trace is one MLflow trace, `tr-<trace id>`; spans of a trace that arrive in
 * several requests are merged into its `traces.json` (a span sent again
 * replaces its earlier version), and its info — start, duration, state from
 * the root span, previews of the root span's inputs and outputs, the name tag
 * — is recomputed from all of them.
 * @module
 */
import { InvalidParameterValueError, ResourceAlreadyExistsError, ResourceDoesNotExistError } from "../../shared/errors.js";
import type { TrackingStore } from "../index.js";
import { mergeSpans, mlflowTraceId, parseTraceData, toStoredSpan, traceDataText, type StoredSpan } from "./otlp-trace-data.js";
import type { OtlpSpan } from "./otlp-types.js";
import { traceArtifactLocation } from "./trace-service.js";
import type { TraceStore } from "./trace-store.js";
import { TRACE_KEYS, type TraceInfo } from "./types.js";

/** The header naming the experiment (MLflow's MLFLOW_EXPERIMENT_ID_HEADER). */
export const EXPERIMENT_ID_HEADER = "x-mlflow-experiment-id";
/** MLflow's TRACE_REQUEST_RESPONSE_PREVIEW_MAX_LENGTH_OSS. */
const PREVIEW_LENGTH = 1000;
/** The largest `traces.json` ingestion reads and writes: each request of a trace merges into the whole of it. */
export const TRACE_DATA_LIMIT = 64 * 1024 * 1024;

function tooBig(traceId: string, bytes: number): InvalidParameterValueError {
  return new InvalidParameterValueError(`The spans of trace '${traceId}' would take ${bytes} bytes; a trace's spans may take at most ${TRACE_DATA_LIMIT}.`);
}

/** Where a trace's `traces.json` lives: read, written and (to undo a failed request) removed by artifact URI. */
export interface TraceDataFiles {
  /** The text, or undefined when there is none; `tooLarge` (not read) when it is larger than `maxBytes`. */
  read(artifactLocation: string, maxBytes: number): Promise<string | undefined | { tooLarge: number }>;
  write(artifactLocation: string, text: string): Promise<void>;
  remove(artifactLocation: string): Promise<void>;
}

/** A trace's new info (its `tags`: those to add), and whether it is stored yet. */
export interface SpanSummary {
  info: Omit<TraceInfo, "assessments">;
  isNew: boolean;
}

function preview(json: string | undefined): string | null {
  if (json === undefined) return null;
  return json.length <= PREVIEW_LENGTH ? json : `${json.slice(0, PREVIEW_LENGTH - 3)}...`;
}

/** A trace's info from all its spans and what was stored before (MLflow's `log_spans` rules). */
export function summarize(traceId: string, experimentId: string, location: string, spans: StoredSpan[], stored: TraceInfo | undefined): SpanSummary {
  const start = Math.min(...spans.map((s) => s.startMs));
  const ends = spans.flatMap((s) => (s.endMs === null ? [] : [s.endMs]));
  const root = spans.find((s) => s.parentSpanId === null);
  const requestTime = stored ? Math.min(stored.requestTime, start) : start;
  const storedEnd = stored && stored.executionDuration !== null ? stored.requestTime + stored.executionDuration : undefined;
  const allEnds = storedEnd === undefined ? ends : [...ends, storedEnd];
  const end = allEnds.length > 0 ? Math.max(...allEnds) : null;
  // MLflow compat: a root span decides the state (ERROR, else OK) unless the trace already has a final one.
  const rootState = root ? (root.statusCode === "STATUS_CODE_ERROR" ? "ERROR" : "OK") : undefined;
  const open = !stored || stored.state === "IN_PROGRESS" || stored.state === "STATE_UNSPECIFIED";
  const state = open ? (rootState ?? stored?.state ?? "IN_PROGRESS") : stored.state;
  // Only the tags to add: a tag set or deleted meanwhile through the API is left as it is.
  const tags: Record<string, string> = stored ? {} : { [TRACE_KEYS.artifactLocation]: location };
  if (root && stored?.tags[TRACE_KEYS.traceName] === undefined) tags[TRACE_KEYS.traceName] = root.name;
  return {
    isNew: !stored,
    info: {
      traceId,
      experimentId,
      clientRequestId: stored?.clientRequestId ?? null,
      requestTime,
      executionDuration: end === null ? null : Math.max(0, end - requestTime),
      state,
      requestPreview: stored?.requestPreview ?? preview(root?.inputs),
      responsePreview: stored?.responsePreview ?? preview(root?.outputs),
      metadata: stored?.metadata ?? {},
      tags,
    },
  };
}

export class OtlpTraceService {
  constructor(
    private readonly store: TraceStore,
    private readonly tracking: Pick<TrackingStore, "getExperiment">,
    private readonly files: TraceDataFiles,
  ) {}

  /**
   * Stores the spans of one export request. Everything is checked before anything is written; the trace infos
   * are written in one transaction after the files, and a failure puts the files back as they were. The traces
   * are held (TraceStore.withTracesLocked) from reading their files to their infos' commit: spans of one trace
   * sent to two replicas at once are both kept.
   */
  async ingest(experimentId: string | undefined, spans: OtlpSpan[]): Promise<void> {
    if (!experimentId) throw new InvalidParameterValueError(`Missing header '${EXPERIMENT_ID_HEADER}': name the experiment the spans are logged to.`);
    const experiment = await this.tracking.getExperiment(experimentId);
    if (experiment.lifecycleStage !== "active") {
      throw new InvalidParameterValueError(`The experiment ${experimentId} must be in the 'active' state. Current state is ${experiment.lifecycleStage}.`);
    }
    const byTrace = new Map<string, StoredSpan[]>();
    for (const s of spans) {
      const id = mlflowTraceId(s.traceId);
      byTrace.set(id, [...(byTrace.get(id) ?? []), toStoredSpan(s)]);
    }
    if (byTrace.size === 0) return;
    const ids = [...byTrace.keys()];
    await this.store.withTracesLocked(ids, async (traces) => {
      const plans: { location: string; previous: string | undefined; summary: SpanSummary; text: string }[] = [];
      for (const id of ids) {
        const stored = await traces.getTraceInfo(id).catch((err: unknown) => {
          if (err instanceof ResourceDoesNotExistError) return undefined;
          throw err;
        });
        if (stored && stored.experimentId !== experimentId) {
          // Which experiment is not said: the caller may have no right to know it.
          throw new ResourceAlreadyExistsError(`Trace with ID '${id}' already exists in another experiment; its spans cannot be logged to experiment ${experimentId}.`);
        }
        const location = stored?.tags[TRACE_KEYS.artifactLocation] ?? traceArtifactLocation(experiment.artifactLocation, id);
        const previous = await this.files.read(location, TRACE_DATA_LIMIT);
        if (typeof previous === "object") throw tooBig(id, previous.tooLarge);
        const merged = mergeSpans((previous && parseTraceData(previous)) || [], byTrace.get(id)!);
        const text = traceDataText(merged);
        if (text.length > TRACE_DATA_LIMIT) throw tooBig(id, Buffer.byteLength(text));
        plans.push({ location, previous, summary: summarize(id, experimentId, location, merged, stored), text });
      }
      const written: typeof plans = [];
      try {
        for (const p of plans) {
          await this.files.write(p.location, p.text);
          written.push(p);
        }
        await traces.saveSpanSummaries(plans.map((p) => p.summary));
      } catch (err) {
        for (const p of written) {
          await (p.previous === undefined ? this.files.remove(p.location) : this.files.write(p.location, p.previous)).catch(() => undefined);
        }
        throw err;
      }
    });
  }
}
