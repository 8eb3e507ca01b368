/** The errors the permission check raises; server/errors.ts maps their codes (401, 403, 429). */
import { MlflowError } from "../shared/errors.js";

export class UnauthenticatedError extends MlflowError {
  constructor(message = "You are not authenticated. Send HTTP Basic credentials (MLFLOW_TRACKING_USERNAME/PASSWORD) or a token (Authorization: Bearer, MLFLOW_TRACKING_TOKEN).") {
    super(message, "UNAUTHENTICATED");
  }
}

export class PermissionDeniedError extends MlflowError {
  constructor(message = "Permission denied") {
    super(message, "PERMISSION_DENIED");
  }
}

export class TooManyAttemptsError extends MlflowError {
  constructor(readonly retryAfterSeconds: number) {
    super(`Too many failed sign-in attempts; try again in ${wait(retryAfterSeconds)}.`, "REQUEST_LIMIT_EXCEEDED");
  }
}

function wait(seconds: number): string {
  if (seconds < 120) return `${seconds} seconds`;
  return `${Math.ceil(seconds / 60)} minutes`;
}
