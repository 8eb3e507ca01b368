/**
 * Turns AWS SDK / S3 errors into ciclo's MlflowErrors, so routes answer with
 * MLflow's error codes: a missing key is RESOURCE_DOES_NOT_EXIST (404), a
 * refused signature is PERMISSION_DENIED naming the bucket (a misconfigured
 * secret must be obvious from one log line), an unreachable endpoint is
 * TEMPORARILY_UNAVAILABLE (503: clients retry).
 * @module
 */
import { InvalidParameterValueError, MlflowError, ResourceDoesNotExistError } from "../shared/errors.js";
import { NETWORK_ERROR_CODES } from "./object-store-names.js";

export interface S3ErrorContext {
  /** What was being done, e.g. "read", "list", "complete multipart upload of". */
  op: string;
  bucket: string;
  /** The artifact path relative to the repository root. */
  path: string;
  endpoint?: string;
}

interface SdkError {
  name?: string;
  code?: string;
  message?: string;
  $metadata?: { httpStatusCode?: number };
  cause?: unknown;
}

const DENIED = new Set([
  "AccessDenied",
  "SignatureDoesNotMatch",
  "InvalidAccessKeyId",
  "InvalidToken",
  "ExpiredToken",
  "TokenRefreshRequired",
  "AllAccessDisabled",
  "CredentialsProviderError",
]);
const BAD_INPUT = new Set([
  "InvalidPart",
  "InvalidPartOrder",
  "EntityTooSmall",
  "EntityTooLarge",
  "InvalidRange",
  "InvalidArgument",
  "KeyTooLongError",
  "MalformedXML",
]);
const NETWORK_CODES = new Set([...NETWORK_ERROR_CODES, "UND_ERR_SOCKET"]);
const TRANSIENT_NAMES = new Set(["TimeoutError", "RequestTimeout", "SlowDown", "ServiceUnavailable", "InternalError"]);

function networkCode(err: SdkError): string | undefined {
  for (let e: SdkError | undefined = err, depth = 0; e && depth < 5; e = e.cause as SdkError | undefined, depth++) {
    if (e.code && NETWORK_CODES.has(e.code)) return e.code;
  }
  return undefined;
}

export function toMlflowError(err: unknown, ctx: S3ErrorContext): Error {
  if (err instanceof MlflowError) return err;
  const e = (err ?? {}) as SdkError;
  const name = e.name ?? "Error";
  const status = e.$metadata?.httpStatusCode;
  const where = `'${ctx.path}' in S3 bucket '${ctx.bucket}'`;

  if (name === "NoSuchBucket") {
    return new ResourceDoesNotExistError(`S3 bucket '${ctx.bucket}' does not exist (could not ${ctx.op} '${ctx.path}')`);
  }
  if (name === "NoSuchUpload") {
    return new ResourceDoesNotExistError(`No multipart upload in progress for ${where} with that upload_id`);
  }
  if (name === "NoSuchKey" || name === "NotFound" || status === 404) {
    return new ResourceDoesNotExistError(`Artifact '${ctx.path}' does not exist`);
  }
  if (DENIED.has(name) || status === 403) {
    return new MlflowError(
      `S3 refused to ${ctx.op} ${where} (${name}): check the credentials ` +
        "(AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY / AWS_SESSION_TOKEN) and the bucket's permissions",
      "PERMISSION_DENIED",
    );
  }
  if (BAD_INPUT.has(name) || status === 416) {
    return new InvalidParameterValueError(`S3 rejected the request to ${ctx.op} ${where}: ${name}: ${e.message ?? ""}`.trim());
  }
  const net = networkCode(e);
  if (net || TRANSIENT_NAMES.has(name) || (status !== undefined && status >= 500)) {
    const endpoint = ctx.endpoint ?? "AWS S3";
    return new MlflowError(
      `S3 endpoint ${endpoint} is unavailable (${net ?? name}) while trying to ${ctx.op} ${where}`,
      "TEMPORARILY_UNAVAILABLE",
    );
  }
  return new MlflowError(`S3 failed to ${ctx.op} ${where}: ${name}: ${e.message ?? ""}`.trim(), "INTERNAL_ERROR");
}
