/**
 * The one place that maps errors to HTTP: MLflow's `ERROR_CODE_TO_HTTP_STATUS`
 * table, and the translation of framework errors (schema validation, bad
 * JSON, content type, body size) into MLflow's `{"error_code","message"}`.
 * @module
 */
import type { FastifyError, FastifyReply, FastifyRequest } from "fastify";
import { HTTP_STATUS, MlflowError, type ErrorCode } from "../shared/errors.js";
import { rawJsonBody } from "./http/json-body.js";
import { validationMessage } from "./http/validation-messages.js";


interface ErrorBody {
  error_code: ErrorCode;
  message: string;
}

/** Engine errors that mean "try again" (MLflow maps OperationalError to 503). */
const TRANSIENT_CODES = new Set(["SQLITE_BUSY", "SQLITE_LOCKED", "ECONNREFUSED", "ECONNRESET", "57P01", "53300", "40001", "40P01"]);

function toErrorResponse(
  err: unknown,
  req?: Pick<FastifyRequest, "headers">,
): { status: number; body: ErrorBody; log: boolean } {
  if (err instanceof MlflowError) {
    return { status: HTTP_STATUS[err.errorCode], body: { error_code: err.errorCode, message: err.message }, log: false };
  }
  const fe = err as FastifyError & { code?: string };
  if (fe.validation) {
    return {
      status: 400,
      body: { error_code: "INVALID_PARAMETER_VALUE", message: validationMessage(fe.validation, fe.validationContext, req ? rawJsonBody(req) : undefined) },
      log: false,
    };
  }
  switch (fe.code) {
    case "FST_ERR_CTP_BODY_TOO_LARGE":
      return { status: 413, body: { error_code: "INVALID_PARAMETER_VALUE", message: `${fe.message}.` }, log: false };
    case "FST_ERR_CTP_INVALID_MEDIA_TYPE":
      return {
        status: 400,
        body: {
          error_code: "INVALID_PARAMETER_VALUE",
          // MLflow compat: `_validate_content_type` words a missing header differently from a wrong one.
          message: req && !req.headers["content-type"]
            ? "Bad Request. Content-Type header is missing."
            : "Bad Request. Content-Type must be one of ['application/json'].",
        },
        log: false,
      };
    case "FST_ERR_CTP_INVALID_JSON_BODY":
    case "CICLO_MALFORMED_JSON":
      return { status: 400, body: { error_code: "INVALID_PARAMETER_VALUE", message: `Malformed JSON request body: ${fe.message}` }, log: false };
  }
  if (fe.code && TRANSIENT_CODES.has(fe.code)) {
    return { status: 503, body: { error_code: "TEMPORARILY_UNAVAILABLE", message: "The metadata store is busy; retry the request." }, log: true };
  }
  if (typeof fe.statusCode === "number" && fe.statusCode >= 400 && fe.statusCode < 500) {
    return { status: fe.statusCode, body: { error_code: "BAD_REQUEST", message: fe.message }, log: false };
  }
  // Unknown failures are logged with their detail but answered without it.
  return { status: 500, body: { error_code: "INTERNAL_ERROR", message: "Internal server error; see the server log." }, log: true };
}

/** Answered when mapping an error itself fails, so no error ever leaves in Fastify's own format. */
const FALLBACK = { status: 500, body: { error_code: "INTERNAL_ERROR", message: "Internal server error; see the server log." }, log: true } as const;

/**
 * An error's answer: MLflow's status and `{"error_code","message"}` text, and whether the failure is worth a log
 * line (with its detail, which the answer leaves out). `req` gives the request's headers and JSON text, which some
 * messages quote.
 */
export function errorAnswer(err: unknown, req?: Pick<FastifyRequest, "headers">): { status: number; body: string; log: boolean } {
  let mapped: ReturnType<typeof toErrorResponse>;
  try {
    mapped = toErrorResponse(err, req);
  } catch {
    mapped = FALLBACK;
  }
  return { status: mapped.status, body: JSON.stringify(mapped.body), log: mapped.log };
}

export function errorHandler(err: unknown, req: FastifyRequest, reply: FastifyReply): void {
  const { status, body, log } = errorAnswer(err, req);
  if (log) req.log.error({ err, url: req.url }, "request failed");
  void reply.status(status).header("content-type", "application/json").send(body);
}
