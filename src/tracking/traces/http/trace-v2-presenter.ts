/**
 * MLflow 2's TraceInfo: `request_id`, times in milliseconds, TraceStatus
 * (`TRACE_STATUS_UNSPECIFIED` for V3's `STATE_UNSPECIFIED`), metadata and tags
 * as key-value lists. An unknown execution time is 0, as MLflow sends it.
 * @module
 */
import type { Static } from "typebox";
import { InvalidParameterValueError } from "../../../shared/errors.js";
import type { TraceInfo, TraceState } from "../types.js";
import type { WireTraceInfoV2 } from "./traces-v2.schema.js";

const V2_STATUSES = ["TRACE_STATUS_UNSPECIFIED", "OK", "ERROR", "IN_PROGRESS"] as const;

export function parseTraceStatusV2(v: string | number | undefined): TraceState | undefined {
  if (v === undefined) return undefined;
  const name = typeof v === "number" ? V2_STATUSES[v] : v;
  if (name === "TRACE_STATUS_UNSPECIFIED") return "STATE_UNSPECIFIED";
  if (name === "OK" || name === "ERROR" || name === "IN_PROGRESS") return name;
  throw new InvalidParameterValueError(`Invalid trace status '${String(v).slice(0, 64)}'. Valid values are ${V2_STATUSES.join(", ")}.`);
}

export function fromKeyValues(list: Array<{ key: string; value?: string }> | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const kv of list ?? []) out[kv.key] = kv.value ?? "";
  return out;
}

/** By key, so every backend answers the same list. */
const toKeyValues = (o: Record<string, string>) =>
  Object.keys(o)
    .sort()
    .map((key) => ({ key, value: o[key] }));

export function toWireTraceInfoV2(t: TraceInfo): Static<typeof WireTraceInfoV2> {
  return {
    request_id: t.traceId,
    experiment_id: t.experimentId,
    timestamp_ms: t.requestTime,
    execution_time_ms: t.executionDuration ?? 0,
    status: t.state === "STATE_UNSPECIFIED" ? "TRACE_STATUS_UNSPECIFIED" : t.state,
    request_metadata: toKeyValues(t.metadata),
    tags: toKeyValues(t.tags),
  };
}
