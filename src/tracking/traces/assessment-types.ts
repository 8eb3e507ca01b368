/**
 * MLflow 3 assessments: feedback (a judgement of a trace or span, by a human,
 * an LLM judge or code, with an optional error) and expectations (the ground
 * truth). Values are any JSON.
 * @module
 */

/** AssessmentSource.SourceType by name. */
export const ASSESSMENT_SOURCE_TYPES = ["SOURCE_TYPE_UNSPECIFIED", "HUMAN", "LLM_JUDGE", "CODE"] as const;
export type AssessmentSourceType = (typeof ASSESSMENT_SOURCE_TYPES)[number];

export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

export interface AssessmentError {
  errorCode: string | null;
  errorMessage: string | null;
  stackTrace: string | null;
}

export interface Assessment {
  assessmentId: string;
  traceId: string;
  name: string;
  kind: "feedback" | "expectation";
  value: JsonValue;
  /** Feedback only: why no value could be given. */
  error: AssessmentError | null;
  sourceType: AssessmentSourceType;
  sourceId: string | null;
  /** Epoch milliseconds. */
  createTime: number;
  lastUpdateTime: number;
  /** The run the assessment came from (its `mlflow.assessment.sourceRunId` metadata). */
  runId: string | null;
  spanId: string | null;
  rationale: string | null;
  /** The assessment this one overrides (which is then no longer valid). */
  overrides: string | null;
  valid: boolean;
  metadata: Record<string, string>;
}

/** What UpdateAssessment may change (its update_mask's paths). */
export interface AssessmentUpdate {
  name?: string;
  /** A new feedback value (and error) or expectation value; the kind must match the stored one. */
  value?: { kind: "feedback" | "expectation"; value: JsonValue; error: AssessmentError | null };
  rationale?: string;
  /** Merged into the stored metadata. */
  metadata?: Record<string, string>;
}

export const ASSESSMENT_KEYS = { sourceRunId: "mlflow.assessment.sourceRunId" } as const;
