/** Recognises engine errors the stores translate into MLflow errors, and the not-found errors several stores raise. */
import { ResourceDoesNotExistError } from "../../shared/errors.js";

/** A UNIQUE / PRIMARY KEY violation on SQLite or PostgreSQL. */
export function isUniqueViolation(err: unknown): boolean {
  const e = err as { code?: string } | undefined;
  return e?.code === "SQLITE_CONSTRAINT_UNIQUE" || e?.code === "SQLITE_CONSTRAINT_PRIMARYKEY" || e?.code === "23505";
}

/** A logged model that does not exist (the logged-model store and runs' model links raise it). */
export function loggedModelNotFound(modelId: string): ResourceDoesNotExistError {
  return new ResourceDoesNotExistError(`Logged model with ID '${modelId}' not found.`);
}
