/**
 * Assessments (MLflow 3's `log_feedback`, `log_expectation`,
 * `override_feedback`, `update_assessment`, `delete_assessment`): MLflow's
 * rules, ciclo's limits on what a client may store, then the trace store.
 * @module
 */
import { InvalidParameterValueError, missingValue } from "../../shared/errors.js";
import { ASSESSMENT_KEYS, type Assessment, type AssessmentError, type AssessmentUpdate, type JsonValue } from "./assessment-types.js";
import { validateTraceId } from "./trace-service.js";
import type { TraceStore } from "./trace-store.js";
import { newTimeOrderedId } from "../../shared/node/time-ordered-id.js";

/** Column sizes of MLflow's `assessments` table, and ciclo's bounds on its text columns. */
export const ASSESSMENT_LIMITS = {
  name: 250,
  sourceId: 250,
  id: 50,
  spanId: 50,
  /** A value's JSON, a rationale, each part of an error. */
  text: 65_536,
  /** Nesting of a value. */
  depth: 32,
  metadataEntries: 100,
  metadataKey: 250,
  metadataValue: 8000,
} as const;

/** What a client sends: an assessment without what the server decides. */
export type AssessmentInput = Omit<Assessment, "assessmentId" | "createTime" | "lastUpdateTime" | "valid" | "runId"> & {
  assessmentId?: string;
  createTime?: number;
};

function tooLong(what: string, length: number, limit: number): InvalidParameterValueError {
  return new InvalidParameterValueError(`The assessment's ${what} has ${length} characters; the limit is ${limit}.`);
}

function checkLength(what: string, v: string | null | undefined, limit: number): void {
  if (v && v.length > limit) throw tooLong(what, v.length, limit);
}

function depth(v: JsonValue, limit: number): number {
  if (v === null || typeof v !== "object") return 0;
  const items = Array.isArray(v) ? v : Object.values(v);
  let d = 0;
  for (const x of items) {
    d = Math.max(d, depth(x, limit));
    if (d >= limit) break;
  }
  return d + 1;
}

/** A value must be JSON of bounded size and nesting. */
function validateValue(v: JsonValue, what: string): void {
  if (typeof v === "number" && !Number.isFinite(v)) throw new InvalidParameterValueError(`The assessment's ${what} must be a finite number.`);
  if (depth(v, ASSESSMENT_LIMITS.depth + 1) > ASSESSMENT_LIMITS.depth) {
    throw new InvalidParameterValueError(`The assessment's ${what} nests deeper than ${ASSESSMENT_LIMITS.depth} levels.`);
  }
  const text = JSON.stringify(v);
  if (text.length > ASSESSMENT_LIMITS.text) throw tooLong(`${what} (as JSON)`, text.length, ASSESSMENT_LIMITS.text);
}

function validateError(e: AssessmentError | null): void {
  if (!e) return;
  checkLength("error code", e.errorCode, ASSESSMENT_LIMITS.text);
  checkLength("error message", e.errorMessage, ASSESSMENT_LIMITS.text);
  checkLength("stack trace", e.stackTrace, ASSESSMENT_LIMITS.text);
}

function validateMetadata(m: Record<string, string>): void {
  const keys = Object.keys(m);
  if (keys.length > ASSESSMENT_LIMITS.metadataEntries) {
    throw new InvalidParameterValueError(`An assessment may have at most ${ASSESSMENT_LIMITS.metadataEntries} metadata entries; got ${keys.length}.`);
  }
  for (const k of keys) {
    if (k === "") throw new InvalidParameterValueError("An assessment's metadata key must not be empty.");
    checkLength(`metadata key '${k.slice(0, 50)}...'`, k, ASSESSMENT_LIMITS.metadataKey);
    checkLength(`metadata value of '${k}'`, m[k], ASSESSMENT_LIMITS.metadataValue);
  }
}

function validateName(name: string | undefined): string {
  if (!name) throw missingValue("assessment.assessment_name");
  checkLength("name", name, ASSESSMENT_LIMITS.name);
  return name;
}

function validateId(id: string, param: string): void {
  if (id.length > ASSESSMENT_LIMITS.id || !/^[A-Za-z0-9_-]+$/.test(id)) {
    throw new InvalidParameterValueError(`Invalid ${param} '${id.slice(0, 100)}': use at most ${ASSESSMENT_LIMITS.id} letters, digits, '-' or '_'.`);
  }
}

/** MLflow's `generate_assessment_id` shape: `a-` and 32 hex digits — time-ordered, as the id keys `assessments`. */
export function newAssessmentId(now: number = Date.now()): string {
  return `a-${newTimeOrderedId(now)}`;
}

/** Checks an assessment a client sends (alone, or inside a StartTraceV3's trace info) and completes it. */
export function prepareAssessment(a: AssessmentInput, now: number): Assessment {
  validateName(a.name);
  if (a.assessmentId !== undefined) validateId(a.assessmentId, "assessment_id");
  if (a.overrides) validateId(a.overrides, "overrides");
  checkLength("source_id", a.sourceId, ASSESSMENT_LIMITS.sourceId);
  checkLength("span_id", a.spanId, ASSESSMENT_LIMITS.spanId);
  checkLength("rationale", a.rationale, ASSESSMENT_LIMITS.text);
  validateValue(a.value, "value");
  if (a.kind === "expectation" && a.error) throw new InvalidParameterValueError("Cannot set `error` when `expectation` is specified.");
  validateError(a.error);
  validateMetadata(a.metadata);
  const createTime = a.createTime ?? now;
  return {
    ...a,
    assessmentId: a.assessmentId ?? newAssessmentId(now),
    createTime,
    lastUpdateTime: createTime,
    valid: true,
    runId: a.metadata[ASSESSMENT_KEYS.sourceRunId] ?? null,
  };
}

export class AssessmentService {
  constructor(
    private readonly store: TraceStore,
    private readonly now: () => number = Date.now,
  ) {}

  create(traceId: string, a: AssessmentInput): Promise<Assessment> {
    validateTraceId(traceId);
    return this.store.createAssessment({ ...prepareAssessment(a, this.now()), traceId });
  }

  get(traceId: string, assessmentId: string): Promise<Assessment> {
    return this.store.getAssessment(traceId, assessmentId);
  }

  /** MLflow's update: name, value (of the same kind), rationale (feedback), metadata merged; source and span stay. */
  update(traceId: string, assessmentId: string, u: AssessmentUpdate): Promise<Assessment> {
    if (u.name !== undefined) validateName(u.name);
    if (u.value) {
      validateValue(u.value.value, "value");
      validateError(u.value.error);
    }
    checkLength("rationale", u.rationale, ASSESSMENT_LIMITS.text);
    if (u.metadata) validateMetadata(u.metadata);
    const now = this.now();
    return this.store.updateAssessment(traceId, assessmentId, (stored) => {
      if (u.value && u.value.kind !== stored.kind) {
        throw new InvalidParameterValueError(
          stored.kind === "feedback" ? "Cannot update expectation value on a Feedback assessment." : "Cannot update feedback value on an Expectation assessment.",
        );
      }
      const metadata = u.metadata ? { ...stored.metadata, ...u.metadata } : stored.metadata;
      validateMetadata(metadata);
      return {
        ...stored,
        name: u.name ?? stored.name,
        value: u.value ? u.value.value : stored.value,
        error: u.value ? u.value.error : stored.error,
        rationale: stored.kind === "feedback" && u.rationale !== undefined ? u.rationale : stored.rationale,
        metadata,
        lastUpdateTime: now,
      };
    });
  }

  delete(traceId: string, assessmentId: string): Promise<void> {
    return this.store.deleteAssessment(traceId, assessmentId);
  }
}
