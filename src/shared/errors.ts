/**
 * Typed errors carrying MLflow's error codes. Domain code throws these; only
 * `server/errors.ts` knows which HTTP status each code maps to, and the SDK
 * turns an error body back into the same classes.
 * @module
 */

/** MLflow's `ErrorCode` enum values that ciclo emits or understands. */
export type ErrorCode =
  | "INTERNAL_ERROR"
  | "TEMPORARILY_UNAVAILABLE"
  | "IO_ERROR"
  | "BAD_REQUEST"
  | "INVALID_PARAMETER_VALUE"
  | "ENDPOINT_NOT_FOUND"
  | "MALFORMED_REQUEST"
  | "INVALID_STATE"
  | "PERMISSION_DENIED"
  | "FEATURE_DISABLED"
  | "CUSTOMER_UNAUTHORIZED"
  | "REQUEST_LIMIT_EXCEEDED"
  | "RESOURCE_ALREADY_EXISTS"
  | "RESOURCE_DOES_NOT_EXIST"
  | "RESOURCE_EXHAUSTED"
  | "RESOURCE_CONFLICT"
  | "ALREADY_EXISTS"
  | "NOT_FOUND"
  | "ABORTED"
  | "UNAUTHENTICATED"
  | "NOT_IMPLEMENTED"
  | "DEADLINE_EXCEEDED"
  | "CANCELLED"
  | "DATA_LOSS";

/** Base class: an error with MLflow's `error_code` and a user-facing message. */
export class MlflowError extends Error {
  readonly errorCode: ErrorCode;
  constructor(message: string, errorCode: ErrorCode = "INTERNAL_ERROR") {
    super(message);
    this.name = new.target.name;
    this.errorCode = errorCode;
  }
}

export class InvalidParameterValueError extends MlflowError {
  constructor(message: string) {
    super(message, "INVALID_PARAMETER_VALUE");
  }
}

export class ResourceDoesNotExistError extends MlflowError {
  constructor(message: string) {
    super(message, "RESOURCE_DOES_NOT_EXIST");
  }
}

export class ResourceAlreadyExistsError extends MlflowError {
  constructor(message: string) {
    super(message, "RESOURCE_ALREADY_EXISTS");
  }
}

export class InvalidStateError extends MlflowError {
  constructor(message: string) {
    super(message, "INVALID_STATE");
  }
}

export class EndpointNotFoundError extends MlflowError {
  constructor(message: string) {
    super(message, "ENDPOINT_NOT_FOUND");
  }
}

/** MLflow's wording for a required field that is absent. */
export function missingValue(param: string): InvalidParameterValueError {
  return new InvalidParameterValueError(
    `Missing value for required parameter '${param}'. ` +
      "See the API docs for more information about request parameters.",
  );
}

/** MLflow's wording for a field whose value has the wrong type or form. */
function invalidValue(param: string, value: unknown, hint = ""): InvalidParameterValueError {
  const shown = typeof value === "string" ? value : JSON.stringify(value);
  return new InvalidParameterValueError(
    `Invalid value ${shown} for parameter '${param}' supplied.` +
      (hint ? ` ${hint}` : "") +
      " See the API docs for more information about request parameters.",
  );
}

/** MLflow's `ERROR_CODE_TO_HTTP_STATUS`: the status each code is answered with (server/errors.ts and the scoring server use it). */
export const HTTP_STATUS: Record<ErrorCode, number> = {
  INTERNAL_ERROR: 500,
  TEMPORARILY_UNAVAILABLE: 503,
  IO_ERROR: 500,
  BAD_REQUEST: 400,
  INVALID_PARAMETER_VALUE: 400,
  ENDPOINT_NOT_FOUND: 404,
  MALFORMED_REQUEST: 400,
  INVALID_STATE: 500,
  PERMISSION_DENIED: 403,
  FEATURE_DISABLED: 501,
  CUSTOMER_UNAUTHORIZED: 401,
  REQUEST_LIMIT_EXCEEDED: 429,
  // MLflow compat: RESOURCE_ALREADY_EXISTS is 400, not 409 (mlflow.register_model relies on it).
  RESOURCE_ALREADY_EXISTS: 400,
  RESOURCE_DOES_NOT_EXIST: 404,
  RESOURCE_EXHAUSTED: 429,
  RESOURCE_CONFLICT: 409,
  ALREADY_EXISTS: 409,
  NOT_FOUND: 404,
  ABORTED: 409,
  UNAUTHENTICATED: 401,
  NOT_IMPLEMENTED: 501,
  DEADLINE_EXCEEDED: 504,
  CANCELLED: 499,
  DATA_LOSS: 500,
};
