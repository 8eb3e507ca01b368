/**
 * Validation of logged-model input: MLflow's rules where it has them, and
 * the bounds of ciclo's columns where MLflow has none (so PostgreSQL never
 * sees a value its varchar columns would refuse with a 500).
 * @module
 */
import { InvalidParameterValueError } from "../shared/errors.js";
import { validateParamKeysUnique } from "../shared/validation.js";
import type { Param } from "../tracking/index.js";
import type { Tag } from "../shared/types.js";
import { LOGGED_MODEL_STATUSES, type LoggedModelStatus } from "./types.js";

export const LOGGED_MODEL_LIMITS = {
  nameLength: 500,
  modelTypeLength: 500,
  keyLength: 255,
  /** Run params are at most 6000 characters, and the 3.x client copies them onto the model. */
  paramValueLength: 6000,
  /** `mlflow.modelVersions` grows by one entry per registration; MLflow's column is unbounded text. */
  tagValueLength: 65_535,
  statusMessageLength: 1000,
  /** Entries per request (MLflow has no limit; the JSON body limit bounds memory, this bounds statements). */
  entriesPerRequest: 10_000,
  searchMaxResults: 50,
  runIdLength: 32,
} as const;

/** Characters MLflow refuses in a logged model's name (its `_validate_logged_model_name`). */
const BAD_NAME_CHARS = ["/", ":", ".", "%", '"', "'"];

function exceeds(path: string, limit: number): InvalidParameterValueError {
  return new InvalidParameterValueError(`'${path}' exceeds the maximum length of ${limit} characters`);
}

export function validateLoggedModelName(name: string): void {
  if (name === "" || BAD_NAME_CHARS.some((c) => name.includes(c))) {
    throw new InvalidParameterValueError(
      `Invalid model name (${JSON.stringify(name)}) provided. Model name must be a non-empty string and ` +
        `cannot contain the following characters: ${BAD_NAME_CHARS.join(" ")}`,
    );
  }
  if (name.length > LOGGED_MODEL_LIMITS.nameLength) throw exceeds("name", LOGGED_MODEL_LIMITS.nameLength);
}

export function validateModelType(modelType: string): void {
  if (modelType.length > LOGGED_MODEL_LIMITS.modelTypeLength) throw exceeds("model_type", LOGGED_MODEL_LIMITS.modelTypeLength);
}

function validateEntries(kind: "params" | "tags", list: Array<Param | Tag>, valueLimit: number): void {
  if (list.length > LOGGED_MODEL_LIMITS.entriesPerRequest) {
    throw new InvalidParameterValueError(
      `A logged-model request can contain at most ${LOGGED_MODEL_LIMITS.entriesPerRequest} ${kind}. Got ${list.length} ${kind}.`,
    );
  }
  list.forEach((e, i) => {
    if (typeof e.key !== "string" || e.key === "") {
      throw new InvalidParameterValueError(`Missing value for required parameter '${kind}[${i}].key'.`);
    }
    if (typeof e.value !== "string") {
      throw new InvalidParameterValueError(`Missing value for required parameter '${kind}[${i}].value'.`);
    }
    if (e.key.length > LOGGED_MODEL_LIMITS.keyLength) throw exceeds(`${kind}[${i}].key`, LOGGED_MODEL_LIMITS.keyLength);
    if (e.value.length > valueLimit) throw exceeds(`${kind}[${i}].value`, valueLimit);
  });
}

export function validateLoggedModelParams(params: Param[]): void {
  validateEntries("params", params, LOGGED_MODEL_LIMITS.paramValueLength);
  validateParamKeysUnique(params);
}

export function validateLoggedModelTags(tags: Tag[]): void {
  validateEntries("tags", tags, LOGGED_MODEL_LIMITS.tagValueLength);
}

const STATUS_BY_NUMBER: Record<number, LoggedModelStatus> = {
  1: "LOGGED_MODEL_PENDING",
  2: "LOGGED_MODEL_READY",
  3: "LOGGED_MODEL_UPLOAD_FAILED",
};

/** A LoggedModelStatus by name or proto number (proto JSON accepts both). */
export function toLoggedModelStatus(v: string | number): LoggedModelStatus {
  const s = typeof v === "number" || /^\d+$/.test(v) ? STATUS_BY_NUMBER[Number(v)] : v;
  if (s !== undefined && (LOGGED_MODEL_STATUSES as readonly string[]).includes(s)) return s as LoggedModelStatus;
  throw new InvalidParameterValueError(
    `Invalid value ${JSON.stringify(v)} for parameter 'status' supplied. ` +
      `Valid values are ${LOGGED_MODEL_STATUSES.join(", ")}.`,
  );
}
