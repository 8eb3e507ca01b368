/**
 * A run's files: upload (`logArtifact`, `logArtifacts`, `logText`, `logDict`,
 * `logImage`, `logFigure`), list, and download from a run, a `runs:/` /
 * `models:/` / `mlflow-artifacts:/` URI or a direct root. Files stream from
 * and to disk (never whole in memory); folders move several files at once;
 * files of 500 MB and more go up in parallel parts; downloads land under a
 * temp name and are renamed once complete. See artifact-stores.ts for which
 * root goes where.
 * @module
 */
import { mkdir, readdir, stat } from "node:fs/promises";
import { basename, join, relative, sep } from "node:path";
import { stringify as stringifyYaml } from "yaml";
import { localRootPath } from "../artifacts/artifact-repositories.js";
import { artifactBasename, joinArtifactPath, safeArtifactFilePath, safeArtifactPath } from "../artifacts/safe-path.js";
import { InvalidParameterValueError, MlflowError, ResourceDoesNotExistError } from "../shared/errors.js";
import { isDirectRoot, openArtifactStore, RunServedArtifactStore, type ArtifactStore, type FileInfo, type UploadSource } from "./artifact-stores.js";
import { runPool } from "./artifact-transfer.js";
import { HttpClient, type HttpClientOptions } from "./http-client.js";
import { resolveArtifactSource, type ArtifactSource } from "./model-uri.js";
import { multipartSettings, type MultipartSettings } from "./multipart-upload.js";
import { RegistryClient } from "./registry-client.js";
import { TrackingClient } from "./tracking-client.js";

export interface ArtifactClientOptions {
  /** Files moved at once by `logArtifacts`/`downloadArtifacts`, and parts of one multipart upload (default 4). */
  concurrency?: number;
  /** false: never multipart (default: on, unless MLFLOW_ENABLE_PROXY_MULTIPART_UPLOAD=false). */
  multipart?: boolean;
  /** Bytes from which a file goes in parts (default MLFLOW_MULTIPART_UPLOAD_MINIMUM_FILE_SIZE, else 500 MB). */
  multipartThreshold?: number;
  /** Bytes per part (default MLFLOW_MULTIPART_UPLOAD_CHUNK_SIZE, else 10 MB). */
  multipartChunkSize?: number;
  /** Called with each chunk's size as bytes move (progress bars). */
  onBytes?: (n: number) => void;
  /** Environment for S3 settings and multipart variables (default process.env). */
  env?: NodeJS.ProcessEnv;
}

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

export class ArtifactClient {
  readonly http: HttpClient;
  readonly tracking: TrackingClient;
  readonly registry: RegistryClient;
  private readonly settings: MultipartSettings;
  private readonly env: NodeJS.ProcessEnv;
  private readonly roots = new Map<string, Promise<string>>();

  constructor(
    opts: HttpClientOptions | HttpClient | TrackingClient,
    private readonly options: ArtifactClientOptions = {},
  ) {
    this.tracking = opts instanceof TrackingClient ? opts : new TrackingClient(opts);
    this.http = this.tracking.http;
    this.registry = new RegistryClient(this.http);
    this.env = options.env ?? process.env;
    this.settings = multipartSettings(options, this.env);
  }

  /** The run's `artifact_uri` (fetched once per run). */
  runArtifactUri(runId: string): Promise<string> {
    let uri = this.roots.get(runId);
    if (!uri) {
      uri = this.tracking.getRun(runId).then((r) => r.info.artifactUri);
      uri.catch(() => this.roots.delete(runId));
      this.roots.set(runId, uri);
    }
    return uri;
  }

  /** The store of a root URI (`mlflow-artifacts:/…`, `file:…`, `s3:…`). */
  openStore(rootUri: string): Promise<ArtifactStore> {
    return openArtifactStore(rootUri, this.http, this.settings, this.env);
  }

  private async writeStore(runId: string): Promise<ArtifactStore> {
    return this.openStore(await this.runArtifactUri(runId));
  }

  /**
   * For reading a run: its root directly when this machine can open it, else
   * the server's copy (`artifacts/list`, `/get-artifact`) — a `file:` root on
   * the server's disk, or S3 without the AWS SDK installed.
   */
  private async readStore(runId: string): Promise<ArtifactStore> {
    const uri = await this.runArtifactUri(runId);
    if (isDirectRoot(uri)) {
      const local = /^s3:/i.test(uri) ? undefined : await stat(localRootPath(uri)).then(() => true, () => false);
      if (local === false) return new RunServedArtifactStore(this.http, runId, uri);
      try {
        return await this.openStore(uri);
      } catch (err) {
        // No AWS SDK here, or a scheme the SDK does not open: the server can still serve the files.
        const code = (err as MlflowError).errorCode;
        if (code === "NOT_IMPLEMENTED" || code === "INVALID_PARAMETER_VALUE") return new RunServedArtifactStore(this.http, runId, uri);
        throw err;
      }
    }
    return this.openStore(uri);
  }

  /** Uploads one file as `<artifactPath>/<its name>`; resolves with the artifact path. */
  async logArtifact(runId: string, localPath: string, artifactPath?: string): Promise<string> {
    const st = await stat(localPath);
    if (!st.isFile()) throw new InvalidParameterValueError(`logArtifact: '${localPath}' is not a file (use logArtifacts for a folder).`);
    const path = joinArtifactPath(safeArtifactPath(artifactPath ?? ""), safeArtifactFilePath(basename(localPath)));
    await (await this.writeStore(runId)).upload(path, { file: localPath, size: st.size }, this.options.onBytes);
    return path;
  }

  /** Uploads a folder's files (recursively, several at once) under `artifactPath`; resolves with the artifact paths. */
  async logArtifacts(runId: string, localDir: string, artifactPath?: string): Promise<string[]> {
    const base = safeArtifactPath(artifactPath ?? "");
    const files = await walkLocal(localDir);
    const store = await this.writeStore(runId);
    const paths = files.map((f) => joinArtifactPath(base, safeArtifactPath(relative(localDir, f.file).split(sep).join("/"))));
    await runPool(files, this.settings.concurrency, (f, i) => store.upload(paths[i], f, this.options.onBytes));
    return paths;
  }

  /** Stores bytes already in memory as `artifactFile` (a path with its file name). */
  async logBytes(runId: string, bytes: Uint8Array, artifactFile: string): Promise<string> {
    const path = safeArtifactFilePath(artifactFile);
    await (await this.writeStore(runId)).upload(path, { bytes } satisfies UploadSource, this.options.onBytes);
    return path;
  }

  /** MLflow's `log_text`: a string as a UTF-8 file. */
  logText(runId: string, text: string, artifactFile: string): Promise<string> {
    return this.logBytes(runId, Buffer.from(text, "utf8"), artifactFile);
  }

  /** MLflow's `log_dict`: YAML for `.yaml`/`.yml` names, JSON otherwise. */
  async logDict(runId: string, obj: unknown, artifactFile: string): Promise<string> {
    const text = /\.ya?ml$/i.test(artifactFile) ? stringifyYaml(obj) : JSON.stringify(obj, null, 2);
    return this.logText(runId, text, artifactFile);
  }

  /** An image: PNG bytes, or the path of an image file (uploaded as is). */
  async logImage(runId: string, image: Uint8Array | string, artifactFile: string): Promise<string> {
    if (typeof image === "string") {
      const path = safeArtifactFilePath(artifactFile);
      const st = await stat(image);
      await (await this.writeStore(runId)).upload(path, { file: image, size: st.size }, this.options.onBytes);
      return path;
    }
    if (image.byteLength < 8 || PNG_SIGNATURE.some((b, i) => image[i] !== b)) {
      throw new InvalidParameterValueError(`logImage: the bytes given for '${artifactFile}' are not a PNG image (no PNG signature).`);
    }
    return this.logBytes(runId, image, artifactFile);
  }

  /** A rendered figure as PNG bytes (what a chart library's PNG export gives). */
  logFigure(runId: string, png: Uint8Array, artifactFile: string): Promise<string> {
    return this.logImage(runId, png, artifactFile);
  }

  /** Direct children of `path` in the run's root; paths relative to the root (`model/MLmodel`). */
  async listArtifacts(runId: string, path = ""): Promise<FileInfo[]> {
    return (await this.readStore(runId)).list(safeArtifactPath(path));
  }

  /**
   * Downloads a file or a folder (recursively) into `destDir`; resolves with
   * the local path: `destDir` itself for a run's root or a model's folder, else `destDir/<name>`.
   */
  async downloadArtifacts(source: ArtifactSource, destDir: string): Promise<string> {
    const resolved = await resolveArtifactSource(source, this.registry);
    const store = "runId" in resolved.location ? await this.readStore(resolved.location.runId) : await this.openStore(resolved.location.rootUri);
    await mkdir(destDir, { recursive: true });
    const path = resolved.path;
    const children = await store.list(path);
    // MLflow compat: a model's folder downloads as its contents (`download_artifacts("models:/m/1", d)` fills d),
    // also when its version's source is a `runs:/<run>/<path>` URI.
    const top = path === "" || (resolved.model !== undefined && children.length > 0) ? destDir : join(destDir, artifactBasename(path));
    if (path === "" && children.length === 0 && resolved.model) {
      throw new ResourceDoesNotExistError(`No files found for '${typeof source === "string" ? source : source.runId}' at ${store.rootUri}.`);
    }
    if (path !== "" && children.length === 0) {
      await store.download(path, top, this.options.onBytes); // a file (or a 404 for nothing at all)
      return top;
    }
    const files: string[] = [];
    let level = children;
    while (level.length > 0) {
      const next: FileInfo[] = [];
      for (const f of level) {
        if (path !== "" && !f.path.startsWith(`${path}/`)) throw new InvalidParameterValueError(`The listing of '${path}' holds '${f.path}', which is outside it.`);
        const rel = path === "" ? f.path : f.path.slice(path.length + 1);
        if (!f.isDir) files.push(rel);
        else {
          await mkdir(join(top, ...rel.split("/")), { recursive: true });
          next.push(...(await store.list(f.path)));
        }
      }
      level = next;
    }
    await mkdir(top, { recursive: true });
    await runPool(files, this.settings.concurrency, (rel) => store.download(joinArtifactPath(path, rel), join(top, ...rel.split("/")), this.options.onBytes));
    return top;
  }
}

/** Every file under `dir` (links to files included; linked folders are not followed, as MLflow's os.walk does not). */
async function walkLocal(dir: string): Promise<Array<{ file: string; size: number }>> {
  const out: Array<{ file: string; size: number }> = [];
  const visit = async (d: string): Promise<void> => {
    for (const e of await readdir(d, { withFileTypes: true })) {
      const full = join(d, e.name);
      if (e.isDirectory()) await visit(full);
      else if (e.isFile() || e.isSymbolicLink()) {
        const st = await stat(full).catch(() => undefined);
        if (st?.isFile()) out.push({ file: full, size: st.size });
      }
    }
  };
  if (!(await stat(dir)).isDirectory()) throw new InvalidParameterValueError(`logArtifacts: '${dir}' is not a folder.`);
  await visit(dir);
  return out.sort((a, b) => (a.file < b.file ? -1 : 1));
}
