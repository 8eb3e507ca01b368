/**
 * Multipart upload of one large file through the server's proxy, as MLflow's
 * client does it (`mlflow-artifacts/mpu/create|complete|abort`): the server
 * hands out one URL per part — presigned S3 URLs with an S3 destination (the
 * bytes bypass the server), its own `mpu/upload-part` route otherwise — the
 * parts go up in parallel, each streamed from its slice of the file and
 * retried on its own, then `complete` assembles them. Any failure aborts the
 * upload so no parts are left behind.
 *
 * Settings follow MLflow's variables: `MLFLOW_MULTIPART_UPLOAD_MINIMUM_FILE_SIZE`
 * (500 MB), `MLFLOW_MULTIPART_UPLOAD_CHUNK_SIZE` (10 MB),
 * `MLFLOW_ENABLE_PROXY_MULTIPART_UPLOAD` (ciclo: on unless set to false).
 * @module
 */
import { createReadStream } from "node:fs";
import { EndpointNotFoundError, MlflowError } from "../shared/errors.js";
import { putBytes, runPool } from "./artifact-transfer.js";
import { httpStatusOf, type HttpClient } from "./http-client.js";

export interface MultipartSettings {
  enabled: boolean;
  /** Files of this many bytes and more go in parts. */
  threshold: number;
  /** Bytes per part (raised when the file would need more than 10,000 parts). */
  chunkSize: number;
  /** Parts in flight at once. */
  concurrency: number;
}

export const DEFAULT_MULTIPART_THRESHOLD = 500 * 1024 * 1024;
export const DEFAULT_MULTIPART_CHUNK_SIZE = 10 * 1024 * 1024;
const MAX_PARTS = 10_000;

function envBytes(env: NodeJS.ProcessEnv, name: string): number | undefined {
  const v = env[name];
  if (v === undefined || v === "") return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n <= 0) throw new MlflowError(`${name} must be a positive number of bytes, got '${v}'`, "INVALID_PARAMETER_VALUE");
  return n;
}

export function multipartSettings(
  opts: { multipart?: boolean; multipartThreshold?: number; multipartChunkSize?: number; concurrency?: number },
  env: NodeJS.ProcessEnv,
): MultipartSettings {
  const flag = env.MLFLOW_ENABLE_PROXY_MULTIPART_UPLOAD?.trim().toLowerCase();
  return {
    enabled: opts.multipart ?? !(flag === "false" || flag === "0"),
    threshold: opts.multipartThreshold ?? envBytes(env, "MLFLOW_MULTIPART_UPLOAD_MINIMUM_FILE_SIZE") ?? DEFAULT_MULTIPART_THRESHOLD,
    chunkSize: opts.multipartChunkSize ?? envBytes(env, "MLFLOW_MULTIPART_UPLOAD_CHUNK_SIZE") ?? DEFAULT_MULTIPART_CHUNK_SIZE,
    concurrency: Math.max(1, opts.concurrency ?? 4),
  };
}

interface Credential {
  url: string;
  part_number: number;
  headers?: Record<string, string>;
}

const dirOf = (path: string) => path.slice(0, Math.max(0, path.lastIndexOf("/")));
const encodePath = (path: string) => path.split("/").map(encodeURIComponent).join("/");

/**
 * Uploads `file` as `fullPath` (relative to the proxy's root) in parts.
 * Resolves false when the server does not offer multipart upload (the
 * caller then sends one PUT); throws on any other failure.
 */
export async function multipartUpload(
  http: HttpClient,
  fullPath: string,
  file: string,
  size: number,
  s: MultipartSettings,
  onBytes?: (n: number) => void,
): Promise<boolean> {
  const chunk = Math.max(s.chunkSize, Math.ceil(size / MAX_PARTS));
  const numParts = Math.max(1, Math.ceil(size / chunk));
  const dir = encodePath(dirOf(fullPath));
  // MLflow compat: `path` is the client's local file; the server names the upload after its base name.
  let created: { upload_id: string; credentials: Credential[] };
  try {
    created = await http.post(`/api/2.0/mlflow-artifacts/mpu/create/${dir}`, { path: file, num_parts: numParts });
  } catch (err) {
    const status = httpStatusOf(err);
    if (err instanceof EndpointNotFoundError || status === 404 || status === 501 || (err as MlflowError).errorCode === "NOT_IMPLEMENTED") return false;
    throw err;
  }
  const server = new URL(http.baseUrl).origin;
  const etags = new Map<number, string>();
  try {
    await runPool(created.credentials, s.concurrency, async (cred) => {
      const start = (cred.part_number - 1) * chunk;
      const end = Math.min(size, start + chunk);
      // Credentials for our own server carry our auth; presigned S3 URLs must not (S3 would refuse the request).
      const auth = new URL(cred.url).origin === server ? http.authHeaders : {};
      const res = await putBytes(
        http,
        cred.url,
        `part ${cred.part_number}/${numParts} of '${fullPath}'`,
        end - start,
        () => createReadStream(file, { start, end: end - 1 }),
        { headers: { ...auth, ...cred.headers }, onBytes },
      );
      etags.set(cred.part_number, res.etag ?? "");
    });
    await http.post(`/api/2.0/mlflow-artifacts/mpu/complete/${dir}`, {
      path: file,
      upload_id: created.upload_id,
      parts: created.credentials.map((c) => ({ part_number: c.part_number, etag: etags.get(c.part_number) ?? "", url: c.url })),
    });
    return true;
  } catch (err) {
    await http.post(`/api/2.0/mlflow-artifacts/mpu/abort/${dir}`, { path: file, upload_id: created.upload_id }, { retry: false }).catch(() => undefined);
    throw err;
  }
}
