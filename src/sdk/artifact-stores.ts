/**
 * Where the SDK reads and writes a run's files, by the root's scheme — the
 * choice MLflow's client makes:
 *
 * - `mlflow-artifacts:/…` (proxied, the default): through the tracking
 *   server's `mlflow-artifacts` routes; large files in parts through `mpu/*`.
 * - `file:` and `s3:` (direct): the client writes and reads the store itself,
 *   with the same repository classes the server uses (`src/artifacts/`); S3
 *   takes its endpoint and keys from the environment (`MLFLOW_S3_ENDPOINT_URL`,
 *   `AWS_*`), as boto3 does for the Python client.
 * - a run's files served by the server (`artifacts/list`, `/get-artifact`):
 *   read-only, for a direct root this machine cannot open.
 *
 * Every store works on paths relative to its root, checked by `safe-path.ts`.
 * @module
 */
import { createReadStream } from "node:fs";
import { basename } from "node:path";
import { Readable, Transform } from "node:stream";
import type { ArtifactRepository, FileInfo } from "../artifacts/artifact-repository.js";
import { openArtifactRepository } from "../artifacts/artifact-repositories.js";
import { proxiedRootPath } from "../artifacts/artifact-service.js";
import { artifactBasename, joinArtifactPath, safeArtifactPath } from "../artifacts/safe-path.js";
import { InvalidParameterValueError, MlflowError } from "../shared/errors.js";
import { getToFile, putBytes, streamToFile } from "./artifact-transfer.js";
import type { HttpClient } from "./http-client.js";
import { multipartUpload, type MultipartSettings } from "./multipart-upload.js";

export type { FileInfo };

/** What to upload: a local file (streamed) or bytes already in memory (logText, logDict, logImage). */
export type UploadSource = { file: string; size: number } | { bytes: Uint8Array };

export interface ArtifactStore {
  /** The root URI (`mlflow-artifacts:/1/<run>/artifacts`, `file:///…`, `s3://…`). */
  readonly rootUri: string;
  /** Direct children of `dir` ("" = the root), paths relative to the root; a file or missing folder lists as []. */
  list(dir: string): Promise<FileInfo[]>;
  upload(path: string, src: UploadSource, onBytes?: (n: number) => void): Promise<void>;
  /** Streams the file at `path` into `dest` (temp name, then renamed). */
  download(path: string, dest: string, onBytes?: (n: number) => void): Promise<void>;
}

/** Encodes a safe relative path for a URL, segment by segment. */
const encodePath = (path: string): string => path.split("/").map(encodeURIComponent).join("/");

/** A listed name must be one safe segment: a hostile server must not steer downloads out of the destination. */
function listedName(name: string): string {
  const safe = safeArtifactPath(name);
  if (safe === "" || safe.includes("/")) throw new InvalidParameterValueError(`The server listed an invalid artifact name: '${name}'`);
  return safe;
}

function listedPath(path: string): string {
  const safe = safeArtifactPath(path);
  if (safe === "") throw new InvalidParameterValueError(`The server listed an invalid artifact path: '${path}'`);
  return safe;
}

/** Files under the tracking server's artifact proxy. */
class ProxiedArtifactStore implements ArtifactStore {
  readonly rootUri: string;

  constructor(
    private readonly http: HttpClient,
    /** The root's path inside the proxy (`1/<run>/artifacts`). */
    private readonly base: string,
    private readonly multipart: MultipartSettings,
  ) {
    this.rootUri = `mlflow-artifacts:/${base}`;
  }

  private url(path: string): string {
    return this.http.url(`/api/2.0/mlflow-artifacts/artifacts/${encodePath(joinArtifactPath(this.base, path))}`);
  }

  async list(dir: string): Promise<FileInfo[]> {
    const res = await this.http.get<{ files?: Array<{ path: string; is_dir: boolean; file_size?: number }> }>(
      "/api/2.0/mlflow-artifacts/artifacts",
      { path: joinArtifactPath(this.base, dir) },
    );
    // MLflow compat: the proxy lists base names; the client joins them to the folder it asked for.
    return (res.files ?? []).map((f) => {
      const path = joinArtifactPath(dir, listedName(f.path));
      return f.is_dir ? { path, isDir: true } : { path, isDir: false, fileSize: f.file_size };
    });
  }

  async upload(path: string, src: UploadSource, onBytes?: (n: number) => void): Promise<void> {
    const full = joinArtifactPath(this.base, path);
    if ("file" in src && this.multipart.enabled && src.size >= this.multipart.threshold && basename(src.file) === artifactBasename(path)) {
      const done = await multipartUpload(this.http, full, src.file, src.size, this.multipart, onBytes);
      if (done) return;
    }
    const size = "file" in src ? src.size : src.bytes.byteLength;
    const open = () => ("file" in src ? createReadStream(src.file) : src.bytes);
    await putBytes(this.http, this.url(path), `artifact '${path}' to ${this.http.baseUrl}`, size, open, {
      headers: { ...this.http.authHeaders, "content-type": "application/octet-stream" },
      onBytes,
    });
  }

  download(path: string, dest: string, onBytes?: (n: number) => void): Promise<void> {
    return getToFile(this.http, this.url(path), `artifact '${path}' from ${this.http.baseUrl}`, dest, { headers: this.http.authHeaders, onBytes });
  }
}

/** `body`, reporting each chunk's size as it passes (a listener on 'data' would start the flow before the consumer is attached). */
function counting(body: Readable, onBytes?: (n: number) => void): Readable {
  if (!onBytes) return body;
  const counter = new Transform({
    transform(chunk: Buffer, _enc, done) {
      onBytes(chunk.length);
      done(null, chunk);
    },
  });
  body.on("error", (err) => counter.destroy(err));
  return body.pipe(counter);
}

/** A store the client opens itself (`file:` folder, `s3:` bucket). */
class RepositoryArtifactStore implements ArtifactStore {
  constructor(private readonly repo: ArtifactRepository) {}

  get rootUri(): string {
    return this.repo.rootUri;
  }

  list(dir: string): Promise<FileInfo[]> {
    return this.repo.list(dir);
  }

  async upload(path: string, src: UploadSource, onBytes?: (n: number) => void): Promise<void> {
    const body = "file" in src ? createReadStream(src.file) : Readable.from([Buffer.from(src.bytes)]);
    await this.repo.put(path, counting(body, onBytes));
  }

  async download(path: string, dest: string, onBytes?: (n: number) => void): Promise<void> {
    const { body } = await this.repo.get(path);
    await streamToFile(counting(body, onBytes), dest);
  }
}

/** A run's files as the server serves them, wherever its root is (read-only). */
export class RunServedArtifactStore implements ArtifactStore {
  constructor(
    private readonly http: HttpClient,
    private readonly runId: string,
    readonly rootUri: string,
  ) {}

  async list(dir: string): Promise<FileInfo[]> {
    const res = await this.http.get<{ files?: Array<{ path: string; is_dir: boolean; file_size?: number }> }>("artifacts/list", {
      run_id: this.runId,
      path: dir || undefined,
    });
    return (res.files ?? []).map((f) => {
      const path = listedPath(f.path);
      return f.is_dir ? { path, isDir: true } : { path, isDir: false, fileSize: f.file_size };
    });
  }

  upload(): Promise<void> {
    throw new MlflowError(`Cannot write to ${this.rootUri} from this machine: the run's artifact root is not reachable here.`, "INVALID_STATE");
  }

  download(path: string, dest: string, onBytes?: (n: number) => void): Promise<void> {
    const url = this.http.url("/get-artifact", { run_uuid: this.runId, path });
    return getToFile(this.http, url, `artifact '${path}' of run ${this.runId}`, dest, { headers: this.http.authHeaders, onBytes });
  }
}

/** Loads the S3 repository on demand (the AWS SDK loads only for `s3:` roots) with the caller's environment. */
async function openS3Store(uri: string, env: NodeJS.ProcessEnv): Promise<ArtifactStore> {
  // A computed specifier: the S3 module is optional; a build without the AWS SDK still loads the rest.
  const specifier = "../artifacts/s3-artifact-repository.js";
  let mod: { S3ArtifactRepository: new (uri: string, env: NodeJS.ProcessEnv) => ArtifactRepository };
  try {
    mod = (await import(new URL(specifier, import.meta.url).href)) as typeof mod;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ERR_MODULE_NOT_FOUND") {
      throw new MlflowError(
        `Cannot open '${uri}': the run writes its artifacts directly to S3, which needs the package @aws-sdk/client-s3 ` +
          "(npm i @aws-sdk/client-s3 @aws-sdk/lib-storage @aws-sdk/s3-request-presigner).",
        "NOT_IMPLEMENTED",
      );
    }
    throw err;
  }
  return new RepositoryArtifactStore(new mod.S3ArtifactRepository(uri, env));
}

/** True for roots the client opens itself rather than through the server. */
export function isDirectRoot(uri: string): boolean {
  return proxiedRootPath(uri) === undefined;
}

/** Opens the store of an artifact root URI (a run's `artifact_uri`, a download URI). */
export async function openArtifactStore(uri: string, http: HttpClient, multipart: MultipartSettings, env: NodeJS.ProcessEnv): Promise<ArtifactStore> {
  const proxied = proxiedRootPath(uri);
  if (proxied !== undefined) return new ProxiedArtifactStore(http, safeArtifactPath(proxied), multipart);
  if (/^s3:/i.test(uri)) return openS3Store(uri, env);
  if (/^[a-z][a-z0-9+.-]+:/i.test(uri) && !/^file:/i.test(uri)) {
    throw new InvalidParameterValueError(
      `Unsupported artifact URI '${uri}': the SDK reads and writes mlflow-artifacts:, file: and s3: roots (and runs:/, models:/ URIs).`,
    );
  }
  return new RepositoryArtifactStore(await openArtifactRepository(uri));
}
