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
export function invalidValue(param: string, value: unknown, hint = ""): InvalidParameterValueError {
  const shown = typeof value === "string" ? value : JSON.stringify(value);
  return new InvalidParameterValueError(
    `Invalid value ${shown} for parameter '${param}' supplied.` +
      (hint ? ` ${hint}` : "") +
      " See the API docs for more information about request parameters.",
  );
}
