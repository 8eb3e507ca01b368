/**
 * Turns Azure SDK errors (RestError) into ciclo's MlflowErrors, as
 * `s3-error-mapper.ts` does for S3: a missing blob is RESOURCE_DOES_NOT_EXIST
 * (404), a refused signature is PERMISSION_DENIED naming the account and
 * container, an unreachable endpoint is TEMPORARILY_UNAVAILABLE (503).
 * @module
 */
import { InvalidParameterValueError, MlflowError, ResourceDoesNotExistError } from "../shared/errors.js";
import { NETWORK_ERROR_CODES } from "./object-store-names.js";

export interface AzureErrorContext {
  /** What was being done, e.g. "read", "list", "complete the multipart upload of". */
  op: string;
  account: string;
  container: string;
  /** The artifact path relative to the repository root. */
  path: string;
  endpoint: string;
}

interface RestErrorLike {
  name?: string;
  code?: string;
  statusCode?: number;
  message?: string;
  details?: { errorCode?: string };
  cause?: unknown;
}

const DENIED = new Set([
  "AuthenticationFailed",
  "AuthorizationFailure",
  "AuthorizationPermissionMismatch",
  "AuthorizationResourceTypeMismatch",
  "AuthorizationSourceIPMismatch",
  "AuthorizationProtocolMismatch",
  "InsufficientAccountPermissions",
  "AccountIsDisabled",
]);
const BAD_INPUT = new Set([
  "InvalidBlockList",
  "InvalidBlobOrBlock",
  "InvalidBlockId",
  "InvalidRange",
  "RequestBodyTooLarge",
  "InvalidHeaderValue",
  "InvalidInput",
  "InvalidResourceName",
  "InvalidUri",
  "OutOfRangeInput",
  "Md5Mismatch",
]);
const NETWORK_CODES = new Set([...NETWORK_ERROR_CODES, "REQUEST_SEND_ERROR"]);

/** Azure's error code: the x-ms-error-code the SDK copies to `code` (or `details.errorCode`). */
export function azureErrorCode(err: unknown): string | undefined {
  const e = err as RestErrorLike | undefined;
  return e?.details?.errorCode ?? e?.code;
}

export function azureStatus(err: unknown): number | undefined {
  return (err as RestErrorLike | undefined)?.statusCode;
}

function networkCode(err: RestErrorLike): string | undefined {
  for (let e: RestErrorLike | undefined = err, depth = 0; e && depth < 5; e = e.cause as RestErrorLike | undefined, depth++) {
    if (e.code && NETWORK_CODES.has(e.code)) return e.code;
  }
  return /ECONNREFUSED|ENOTFOUND|ETIMEDOUT|ECONNRESET/.exec(err.message ?? "")?.[0];
}

export function toMlflowError(err: unknown, ctx: AzureErrorContext): Error {
  if (err instanceof MlflowError) return err;
  const e = (err ?? {}) as RestErrorLike;
  const code = azureErrorCode(e) ?? e.name ?? "Error";
  const status = e.statusCode;
  const where = `'${ctx.path}' in Azure container '${ctx.container}' of account '${ctx.account}'`;

  if (code === "ContainerNotFound") {
    return new ResourceDoesNotExistError(`Azure container '${ctx.container}' of account '${ctx.account}' does not exist (could not ${ctx.op} '${ctx.path}')`);
  }
  if (code === "BlobNotFound" || status === 404) return new ResourceDoesNotExistError(`Artifact '${ctx.path}' does not exist`);
  if (DENIED.has(code) || status === 403) {
    return new MlflowError(
      `Azure Storage refused to ${ctx.op} ${where} (${code}): check AZURE_STORAGE_CONNECTION_STRING / ` +
        "AZURE_STORAGE_ACCESS_KEY and the account's access rules",
      "PERMISSION_DENIED",
    );
  }
  if (BAD_INPUT.has(code) || status === 416) {
    return new InvalidParameterValueError(`Azure Storage rejected the request to ${ctx.op} ${where}: ${code}`);
  }
  const net = networkCode(e);
  if (net || (status !== undefined && status >= 500) || code === "ServerBusy" || code === "OperationTimedOut") {
    return new MlflowError(
      `Azure Blob endpoint ${ctx.endpoint} is unavailable (${net ?? code}) while trying to ${ctx.op} ${where}`,
      "TEMPORARILY_UNAVAILABLE",
    );
  }
  return new MlflowError(`Azure Storage failed to ${ctx.op} ${where}: ${code}: ${(e.message ?? "").split("\n")[0]}`.trim(), "INTERNAL_ERROR");
}
