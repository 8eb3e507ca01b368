/**
 * Assessments between protobuf JSON and the domain. A feedback value is a
 * `google.protobuf.Value` (any JSON); an expectation's value is sent as
 * `value` when it is a number, string or boolean and as `serialized_value`
 * (JSON text, `JSON_FORMAT`) otherwise — as MLflow's server answers.
 * @module
 */
import type { Static } from "typebox";
import { InvalidParameterValueError, missingValue } from "../../../shared/errors.js";
import { ASSESSMENT_SOURCE_TYPES, type Assessment, type AssessmentError, type AssessmentSourceType, type AssessmentUpdate, type JsonValue } from "../assessment-types.js";
import type { AssessmentInput } from "../assessment-service.js";
import { parseTimestamp } from "./trace-presenter.js";
import type { AssessmentIn, UpdateAssessmentBody, WireAssessment } from "./assessments.schema.js";

type In = Static<typeof AssessmentIn>;
const JSON_FORMAT = "JSON_FORMAT";

function sourceType(v: string | number | undefined): AssessmentSourceType {
  if (v === undefined) return "SOURCE_TYPE_UNSPECIFIED";
  // MLflow compat: the client's AI_JUDGE is the proto's LLM_JUDGE.
  const name = typeof v === "number" ? ASSESSMENT_SOURCE_TYPES[v] : v === "AI_JUDGE" ? "LLM_JUDGE" : v;
  if (name && (ASSESSMENT_SOURCE_TYPES as readonly string[]).includes(name)) return name as AssessmentSourceType;
  throw new InvalidParameterValueError(`Invalid assessment source type '${String(v).slice(0, 64)}'. Valid values are ${ASSESSMENT_SOURCE_TYPES.join(", ")}.`);
}

function errorIn(e: In["error"]): AssessmentError | null {
  if (!e) return null;
  return { errorCode: e.error_code ?? null, errorMessage: e.error_message ?? null, stackTrace: e.stack_trace ?? null };
}

/** The kind and value an assessment carries: exactly one of `feedback` and `expectation`. */
function valueIn(w: In): { kind: "feedback" | "expectation"; value: JsonValue; error: AssessmentError | null } {
  if ((w.feedback === undefined) === (w.expectation === undefined)) {
    throw new InvalidParameterValueError("Exactly one of `expectation` or `feedback` should be specified.");
  }
  if (w.feedback) {
    const error = errorIn(w.feedback.error ?? w.error);
    if (w.feedback.value === undefined && !error) throw new InvalidParameterValueError("A feedback needs a `value` or an `error`.");
    return { kind: "feedback", value: (w.feedback.value ?? null) as JsonValue, error };
  }
  const e = w.expectation!;
  if (e.serialized_value) {
    if (e.serialized_value.serialization_format !== JSON_FORMAT) {
      throw new InvalidParameterValueError(`Unknown serialization format: ${String(e.serialized_value.serialization_format).slice(0, 64)}. Only JSON_FORMAT is supported.`);
    }
    try {
      return { kind: "expectation", value: JSON.parse(e.serialized_value.value ?? "") as JsonValue, error: null };
    } catch {
      throw new InvalidParameterValueError("The expectation's serialized_value is not valid JSON.");
    }
  }
  if (e.value === undefined) throw new InvalidParameterValueError("An expectation needs a `value` or a `serialized_value`.");
  return { kind: "expectation", value: e.value as JsonValue, error: null };
}

export function fromWireAssessment(w: In): AssessmentInput {
  const v = valueIn(w);
  if (v.kind === "expectation" && w.error) throw new InvalidParameterValueError("Cannot set `error` when `expectation` is specified.");
  return {
    assessmentId: w.assessment_id || undefined,
    traceId: w.trace_id ?? "",
    name: w.assessment_name ?? "",
    kind: v.kind,
    value: v.value,
    error: v.error,
    sourceType: sourceType(w.source?.source_type),
    sourceId: w.source?.source_id || null,
    createTime: w.create_time ? parseTimestamp(w.create_time, "assessment.create_time") : undefined,
    spanId: w.span_id || null,
    rationale: w.rationale ?? null,
    overrides: w.overrides || null,
    metadata: { ...(w.metadata ?? {}) },
  };
}

const camelToSnake = (p: string) => p.trim().replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

/** UpdateAssessment's assessment and update_mask → what changes. */
export function fromWireUpdate(body: Static<typeof UpdateAssessmentBody>): AssessmentUpdate {
  if (!body.assessment) throw missingValue("assessment");
  const mask = body.update_mask;
  const paths = (typeof mask === "string" ? mask.split(",") : (mask?.paths ?? [])).map(camelToSnake).filter((p) => p !== "");
  if (paths.length === 0) throw missingValue("update_mask");
  const a = body.assessment;
  const u: AssessmentUpdate = {};
  for (const p of new Set(paths)) {
    switch (p) {
      case "assessment_name":
        u.name = a.assessment_name ?? "";
        break;
      case "feedback":
      case "expectation":
        if (!a[p]) throw new InvalidParameterValueError(`update_mask names '${p}' but the assessment has none.`);
        u.value = valueIn({ [p]: a[p], error: a.error });
        break;
      case "rationale":
        u.rationale = a.rationale ?? "";
        break;
      case "metadata":
        u.metadata = { ...(a.metadata ?? {}) };
        break;
      default:
        throw new InvalidParameterValueError(
          `Cannot update the assessment's '${p.slice(0, 64)}': update_mask may name assessment_name, feedback, expectation, rationale and metadata.`,
        );
    }
  }
  if (u.value && paths.includes("feedback") && paths.includes("expectation")) {
    throw new InvalidParameterValueError("Cannot specify both `expectation` and `feedback` parameters.");
  }
  return u;
}

function isScalar(v: JsonValue): boolean {
  return typeof v === "number" || typeof v === "string" || typeof v === "boolean";
}

export function toWireAssessment(a: Assessment): Static<typeof WireAssessment> {
  const error = a.error
    ? { error_code: a.error.errorCode ?? undefined, error_message: a.error.errorMessage ?? undefined, stack_trace: a.error.stackTrace ?? undefined }
    : undefined;
  return {
    assessment_id: a.assessmentId,
    assessment_name: a.name,
    trace_id: a.traceId,
    span_id: a.spanId ?? undefined,
    source: { source_type: a.sourceType, source_id: a.sourceId ?? undefined },
    create_time: new Date(a.createTime).toISOString(),
    last_update_time: new Date(a.lastUpdateTime).toISOString(),
    feedback: a.kind === "feedback" ? { value: a.value, error } : undefined,
    expectation:
      a.kind === "expectation"
        ? isScalar(a.value)
          ? { value: a.value }
          : { serialized_value: { serialization_format: JSON_FORMAT, value: JSON.stringify(a.value) } }
        : undefined,
    rationale: a.rationale ?? undefined,
    metadata: Object.keys(a.metadata).length > 0 ? a.metadata : undefined,
    overrides: a.overrides ?? undefined,
    valid: a.valid,
  };
}
