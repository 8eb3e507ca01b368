/**
 * S3 client settings read from the environment variables MLflow users
 * already set (boto3's and MLflow's names), and the client built from them.
 * Only `s3-artifact-repository.ts` and test fixtures import this module, and
 * they are themselves loaded on demand, so the AWS SDK loads only for `s3:` URIs.
 * @module
 */
import { Agent as HttpsAgent } from "node:https";
import { S3Client, type S3ClientConfig } from "@aws-sdk/client-s3";
import { InvalidParameterValueError } from "../shared/errors.js";

export interface S3Settings {
  region: string;
  /** MLFLOW_S3_ENDPOINT_URL: an S3-compatible server (MinIO, Ceph radosgw, …); undefined = AWS. */
  endpoint?: string;
  /** Explicit keys; undefined = the SDK's default chain (profiles, SSO, instance roles). */
  credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
  /** MLFLOW_S3_IGNORE_TLS: accept self-signed certificates. */
  ignoreTls: boolean;
  /** MLFLOW_S3_UPLOAD_EXTRA_ARGS: extra PutObject/CreateMultipartUpload fields (e.g. ServerSideEncryption). */
  uploadExtraArgs: Record<string, string>;
}

type Env = Record<string, string | undefined>;

// MLflow compat: boolean env vars accept true/false/1/0, any case.
function envFlag(env: Env, name: string): boolean {
  const v = env[name]?.trim().toLowerCase();
  if (v === undefined || v === "" || v === "false" || v === "0") return false;
  if (v === "true" || v === "1") return true;
  throw new InvalidParameterValueError(`${name} must be true, false, 1 or 0, got '${env[name]}'`);
}

function uploadExtraArgs(env: Env): Record<string, string> {
  const raw = env.MLFLOW_S3_UPLOAD_EXTRA_ARGS;
  if (!raw) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw new InvalidParameterValueError("MLFLOW_S3_UPLOAD_EXTRA_ARGS must be a JSON object");
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    throw new InvalidParameterValueError("MLFLOW_S3_UPLOAD_EXTRA_ARGS must be a JSON object");
  }
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(parsed)) out[k] = String(v);
  return out;
}

export function s3SettingsFromEnv(env: Env = process.env): S3Settings {
  const endpoint = env.MLFLOW_S3_ENDPOINT_URL?.trim() || undefined;
  if (endpoint !== undefined && !/^https?:\/\/[^/]/i.test(endpoint)) {
    throw new InvalidParameterValueError(`MLFLOW_S3_ENDPOINT_URL must be an http(s) URL, got '${endpoint}'`);
  }
  const accessKeyId = env.AWS_ACCESS_KEY_ID;
  const secretAccessKey = env.AWS_SECRET_ACCESS_KEY;
  return {
    // boto3 reads AWS_DEFAULT_REGION, the JS SDK AWS_REGION: honour both.
    region: env.AWS_DEFAULT_REGION || env.AWS_REGION || "us-east-1",
    endpoint,
    credentials:
      accessKeyId && secretAccessKey
        ? { accessKeyId, secretAccessKey, ...(env.AWS_SESSION_TOKEN ? { sessionToken: env.AWS_SESSION_TOKEN } : {}) }
        : undefined,
    ignoreTls: envFlag(env, "MLFLOW_S3_IGNORE_TLS"),
    uploadExtraArgs: uploadExtraArgs(env),
  };
}

export function createS3Client(settings: S3Settings): S3Client {
  // The SDK warns once per process that releases after January 2027 need
  // Node 22; ciclo pins a release that supports Node 20, so the warning only adds noise.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";
  const config: S3ClientConfig = {
    region: settings.region,
    // Checksums only where S3 requires them: newer SDKs otherwise add CRC32
    // trailers that older S3-compatible servers refuse, and bake an empty-body
    // checksum into presigned part URLs, which breaks the client's PUT.
    requestChecksumCalculation: "WHEN_REQUIRED",
    responseChecksumValidation: "WHEN_REQUIRED",
    maxAttempts: 3,
  };
  if (settings.endpoint) {
    config.endpoint = settings.endpoint;
    // Self-hosted S3 servers rarely have per-bucket DNS names.
    config.forcePathStyle = true;
  }
  if (settings.credentials) config.credentials = settings.credentials;
  if (settings.ignoreTls) {
    config.requestHandler = { httpsAgent: new HttpsAgent({ keepAlive: true, rejectUnauthorized: false }) };
  }
  return new S3Client(config);
}

/** Clients shared by repositories with the same settings (MLflow caches its boto3 clients too). */
const sharedClients = new Map<string, S3Client>();
/** Settings seen in one process are few (usually one); the bound only stops unbounded growth. */
const MAX_SHARED_CLIENTS = 16;

/**
 * The client for `settings`, shared: every repository opened for a run or a
 * model-version source would otherwise build its own client and keep-alive
 * socket pool, and leave its idle sockets behind.
 */
export function sharedS3Client(settings: S3Settings): S3Client {
  const key = JSON.stringify(settings);
  let client = sharedClients.get(key);
  if (client) return client;
  if (sharedClients.size >= MAX_SHARED_CLIENTS) {
    const [oldestKey, oldest] = sharedClients.entries().next().value as [string, S3Client];
    sharedClients.delete(oldestKey);
    oldest.destroy();
  }
  client = createS3Client(settings);
  sharedClients.set(key, client);
  return client;
}

/** Closes every shared client's sockets (server shutdown). */
export function destroySharedS3Clients(): void {
  for (const client of sharedClients.values()) client.destroy();
  sharedClients.clear();
}
