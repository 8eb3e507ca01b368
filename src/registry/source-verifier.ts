/**
 * A model version's `source`: what is accepted when the version is created,
 * and what the server itself will ever read from.
 *
 * **At creation** ciclo accepts what MLflow's server accepts
 * (`_validate_source` in `mlflow/server/handlers.py`), with MLflow's messages:
 * - a local source (a path, or a `file:` URI naming this host) only with a
 *   `run_id`, and only when it resolves (symbolic links followed) inside that
 *   run's artifact folder — CVE-2023-1177, -3765, -6977, -2024-3573;
 * - any other URI only when its path, decoded to a fixed point and
 *   normalised, is what was written: no `..`, `.`, NUL — CVE-2023-2356;
 * - a `file:` URI naming another host is MLflow's INTERNAL_ERROR.
 * ciclo refuses in addition, for every source (MLflow accepts them, its tests
 * do not ask for them): percent-encoding, backslashes, control characters,
 * `?`, `#` and `;` — the characters behind the bypasses CVE-2023-2780,
 * -2024-1558, -1594, -1593, -8859 and CVE-2023-6909 — and Windows drive paths.
 *
 * **At read time** (`model-versions/get-artifact`, lineage) the server reads a
 * version's files only inside its artifact store: under the default artifact
 * root, the proxied destination, the version's run's artifact folder or its
 * logged model's. A source MLflow accepts that points elsewhere (another
 * bucket, `http://169.254.169.254/...`) is stored and returned by
 * get-download-uri, as MLflow does, but the server never fetches it (SSRF,
 * CVE-2023-6974; reading with the server's credentials).
 * @module
 */
import { realpath } from "node:fs/promises";
import { dirname, posix, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { InvalidParameterValueError, MlflowError } from "../shared/errors.js";
import type { TrackingStore } from "../tracking/index.js";
import type { LoggedModelRef, LoggedModelLookup } from "./logged-model-lookup.js";
import { isModelUri, parseModelUri, resolveModelVersion, type ModelUriRegistry } from "./model-uri.js";

export interface ArtifactRoots {
  /** New experiments' root (`mlflow-artifacts:/` when the server proxies artifacts, else `file:` or `s3:`). */
  defaultArtifactRoot: string;
  /** Where proxied artifacts are stored; set when the server serves `mlflow-artifacts:` URIs. */
  artifactsDestination?: string;
}

export interface VerifiedSource {
  /** Where the artifacts really are, when that differs from the source (`models:/` indirections, local paths normalised). */
  storageLocation: string | null;
  runId: string | null;
  modelId: string | null;
}

const RUN_ID_RE = /^[a-zA-Z0-9][\w-]{0,255}$/;

/** MLflow's message for a non-local source with relative path references. */
function relativeRefused(source: string): InvalidParameterValueError {
  return new InvalidParameterValueError(
    `Invalid model version source: '${source}'. If supplying a source as an http, https, ` +
      "local file path, ftp, objectstore, or mlflow-artifacts uri, an absolute path must be " +
      "provided without relative path references present. " +
      "Please provide an absolute path.",
  );
}

/** MLflow's message for a local source without a run_id or outside the run's artifact folder. */
function localRefused(shown: string): InvalidParameterValueError {
  return new InvalidParameterValueError(
    `Invalid model version source: '${shown}'. To use a local path as a model version ` +
      "source, the run_id request parameter has to be specified and the local path has to be " +
      "contained within the artifact directory of the run specified by the run_id.",
  );
}

function refused(source: string, why: string): InvalidParameterValueError {
  return new InvalidParameterValueError(`Invalid model version source: '${source}'. ${why}`);
}

interface SplitUri {
  /** Lower-case scheme, "" for none. */
  scheme: string;
  /** The authority's host name, lower case ("" for none). */
  host: string;
  path: string;
}

/** Python's `urllib.parse.urlparse`, for what MLflow reads of it: scheme, host name, path. */
function urlparse(uri: string): SplitUri {
  const m = /^([a-zA-Z][a-zA-Z0-9+.-]*):(.*)$/s.exec(uri);
  let scheme = "";
  let rest = uri;
  if (m) {
    scheme = m[1].toLowerCase();
    rest = m[2];
  }
  let host = "";
  if (rest.startsWith("//")) {
    const end = rest.indexOf("/", 2);
    const authority = end < 0 ? rest.slice(2) : rest.slice(2, end);
    rest = end < 0 ? "" : rest.slice(end);
    host = authority.replace(/^.*@/, "").replace(/:\d*$/, "").toLowerCase();
  }
  return { scheme, host, path: rest };
}

/** MLflow's `is_local_uri` (the host name tests included); a `file:` URI naming another host is its 500. */
function isLocalUri(source: string, parsed: SplitUri): boolean {
  if (parsed.scheme === "") return true;
  const remoteHost = parsed.host !== "" && !(parsed.host === "." || parsed.host.startsWith("localhost") || parsed.host.startsWith("127.0.0.1"));
  if (parsed.scheme === "file") {
    if (remoteHost) {
      throw new MlflowError(
        `${source} is not a valid remote uri. For remote access on windows, please consider using a different scheme ` +
          "such as SMB (e.g. smb://<hostname>/<path>).",
        "INTERNAL_ERROR",
      );
    }
    return true;
  }
  return false;
}

/** MLflow's `local_file_uri_to_path`: a `file:` URI's path, anything else as it is. */
function localPath(uri: string): string {
  if (!/^file:/i.test(uri)) return uri;
  return urlparse(uri).path;
}

/** The real path of `path`, or of its deepest existing ancestor plus the rest (Python's `Path.resolve()`). */
async function realPathOf(path: string): Promise<string> {
  try {
    return await realpath(path);
  } catch {
    const parent = dirname(path);
    if (parent === path) return path;
    return `${await realPathOf(parent)}/${path.slice(parent.length + (parent.endsWith("/") ? 0 : 1))}`;
  }
}

function isUnder(path: string, root: string): boolean {
  const prefix = root.endsWith("/") ? root : `${root}/`;
  return path === root || path.startsWith(prefix);
}

/** `_validate_non_local_source_contains_relative_paths`: the path, decoded and normalised, must be unchanged. */
function checkNoRelativeReferences(source: string): void {
  let decoded = source;
  for (let i = 0; i < 10; i++) {
    let next: string;
    try {
      next = decodeURIComponent(decoded.replace(/\+/g, " "));
    } catch {
      throw relativeRefused(source);
    }
    if (next === decoded) break;
    decoded = next;
  }
  const path = urlparse(decoded).path.replace(/\/+$/, "").replace(/\/+/g, "/");
  if (path.includes("\u0000")) throw relativeRefused(source);
  // Path("").resolve() is the working directory, so an empty path never equals its resolution.
  if (path === "" || !path.startsWith("/") || posix.normalize(path) !== path) throw relativeRefused(source);
}

/** Splits `scheme://authority/a/b`; for the read-time containment test (roots and resolved locations are normalised). */
interface RootParts {
  scheme: string;
  authority: string;
  segments: string[];
}

function rootParts(uri: string): RootParts | undefined {
  const m = /^([a-zA-Z][a-zA-Z0-9+.-]*):(.*)$/s.exec(uri);
  if (!m) return { scheme: "file", authority: "", segments: uri.split("/").filter(Boolean) };
  let rest = m[2];
  let authority = "";
  if (rest.startsWith("//")) {
    const end = rest.indexOf("/", 2);
    authority = (end < 0 ? rest.slice(2) : rest.slice(2, end)).toLowerCase();
    rest = end < 0 ? "" : rest.slice(end);
  }
  const scheme = m[1].toLowerCase();
  if (scheme === "file" && authority === "localhost") authority = "";
  const segments = rest.split("/").filter(Boolean);
  if (segments.some((s) => s === "." || s === "..")) return undefined;
  return { scheme, authority, segments };
}

function within(location: RootParts, root: RootParts): boolean {
  return (
    location.scheme === root.scheme &&
    location.authority === root.authority &&
    root.segments.length <= location.segments.length &&
    root.segments.every((s, i) => location.segments[i] === s)
  );
}

export class SourceVerifier {
  constructor(
    private readonly roots: ArtifactRoots,
    private readonly tracking: TrackingStore,
    private readonly registry: ModelUriRegistry,
    private readonly loggedModels?: LoggedModelLookup,
  ) {}

  async verify(source: string, runId: string | null, modelId: string | null): Promise<VerifiedSource> {
    if (/[\u0000-\u001f\u007f\\%?#;]/.test(source)) {
      // The characters MLflow's own check was bypassed with: refused outright (MLflow's message, ciclo's reason).
      const mlflow = relativeRefused(source).message;
      throw new InvalidParameterValueError(
        `${mlflow} ciclo also refuses percent-encoding, backslashes, control characters, '?', '#' and ';' in sources.`,
      );
    }
    if (runId !== null && !RUN_ID_RE.test(runId)) throw refused(source, `Invalid run ID: '${runId}'.`);
    const logged = modelId === null ? undefined : await this.loggedModel(source, modelId);
    runId = runId ?? logged?.sourceRunId ?? null;

    if (isModelUri(source)) {
      checkNoRelativeReferences(source);
      return this.verifyModelsUri(source, runId, modelId, logged);
    }
    const parsed = urlparse(source);
    if (/^[a-z]$/.test(parsed.scheme)) throw refused(source, "Windows drive paths are local paths; this server runs on POSIX.");
    if (isLocalUri(source, parsed)) return this.verifyLocal(source, runId, modelId);
    checkNoRelativeReferences(source);
    // A runs:/ source names its run: it fills in a run_id the client left out (MLflow leaves it empty).
    const uriRunId = parsed.scheme === "runs" && parsed.host === "" ? parsed.path.split("/").filter(Boolean)[0] : undefined;
    if (runId === null && uriRunId !== undefined && RUN_ID_RE.test(uriRunId)) runId = uriRunId;
    return { storageLocation: null, runId, modelId };
  }

  /** A local source must resolve inside the artifact folder of the run given by run_id. */
  private async verifyLocal(source: string, runId: string | null, modelId: string | null): Promise<VerifiedSource> {
    if (runId === null) throw localRefused(source);
    const run = await this.tracking.getRun(runId);
    const resolved = await realPathOf(resolve(localPath(source)));
    const artifactUri = run.info.artifactUri;
    const runParsed = urlparse(artifactUri);
    let contained = false;
    if (runParsed.scheme === "" || runParsed.scheme === "file") {
      const runDir = await realPathOf(resolve(localPath(artifactUri)));
      contained = isUnder(resolved, runDir);
    }
    if (!contained) throw localRefused(resolved);
    // The server reads the normalised location, never the path as written.
    const normalised = pathToFileURL(resolved).href;
    return { storageLocation: normalised === source ? null : normalised, runId, modelId };
  }

  private async loggedModel(source: string, modelId: string): Promise<LoggedModelRef> {
    if (!this.loggedModels) throw refused(source, "This server has no logged-model store, so 'model_id' and models:/<model_id> sources are not accepted.");
    const model = await this.loggedModels.get(modelId);
    if (!model) throw refused(source, `Logged model with ID '${modelId}' not found.`);
    return model;
  }

  private async verifyModelsUri(source: string, runId: string | null, modelId: string | null, logged?: LoggedModelRef): Promise<VerifiedSource> {
    const uri = parseModelUri(source);
    if (uri.kind === "model-id") {
      if (modelId !== null && modelId !== uri.modelId) throw refused(source, `The source names logged model '${uri.modelId}' but model_id is '${modelId}'.`);
      const model = logged ?? (await this.loggedModel(source, uri.modelId));
      return { storageLocation: model.artifactUri, runId: runId ?? model.sourceRunId, modelId: model.modelId };
    }
    // MLflow compat: a version copied from another registered version reads the same artifacts.
    const target = await resolveModelVersion(uri, this.registry);
    return { storageLocation: await this.registry.getModelVersionDownloadUri(target.name, target.version), runId, modelId };
  }

  /**
   * The location the server may read a version's files from: `runs:/` resolved through the run, then
   * required to lie in the artifact store (see the module comment). Refuses anything else.
   */
  async readableLocation(location: string, runId: string | null, modelId: string | null): Promise<string> {
    const notServed = () =>
      new MlflowError(
        `This model version's artifacts are at '${location}', outside this server's artifact store; ` +
          "the server does not read them. Download them from that location directly.",
        "PERMISSION_DENIED",
      );
    let uri = location;
    if (/^runs:/i.test(uri)) {
      const parts = rootParts(uri.replace(/^runs:/i, "runs:"));
      if (!parts || parts.authority !== "" || parts.segments.length === 0) throw notServed();
      const [uriRunId, ...path] = parts.segments;
      const run = await this.tracking.getRun(uriRunId);
      uri = [run.info.artifactUri.replace(/\/+$/, ""), ...path].join("/");
    }
    if (/^mlflow-artifacts:/i.test(uri)) {
      if (!this.roots.artifactsDestination) throw notServed();
      return uri;
    }
    const parsed = rootParts(uri);
    if (!parsed) throw notServed();
    const runUri = runId === null ? undefined : await this.tracking.getRun(runId).then((r) => r.info.artifactUri, () => undefined);
    const logged = modelId === null || !this.loggedModels ? undefined : await this.loggedModels.get(modelId);
    for (const rootUri of [this.roots.defaultArtifactRoot, this.roots.artifactsDestination, runUri, logged?.artifactUri]) {
      const root = rootUri === undefined ? undefined : rootParts(rootUri);
      if (!root || root.scheme === "mlflow-artifacts" || !within(parsed, root)) continue;
      if (parsed.scheme === "file") {
        const [real, realRoot] = await Promise.all([realPathOf(`/${parsed.segments.join("/")}`), realPathOf(`/${root.segments.join("/")}`)]);
        if (!isUnder(real, realRoot)) continue; // leaves the root through a symbolic link (CVE-2023-6977)
        return pathToFileURL(real).href;
      }
      return uri;
    }
    throw notServed();
  }
}
