/**
 * Verifies a model version's `source` before anything is stored: it must
 * resolve inside the artifact store. MLflow shipped 15+ bypasses of a
 * check that validated one form of the URI and used another
 * (research/security-anchors.md §1.1), so this check refuses rather than
 * normalises: no percent-encoding, no `.`/`..`/empty segments, no
 * backslashes, control characters, `?`, `#` or `;`, no local paths, and a
 * `file:` URI only when it lies under an allowed root (symlinks included).
 *
 * Accepted: `runs:/<run_id>/<path>`, `models:/<model_id>` (3.x),
 * `models:/<name>/<version|stage|latest>` and `models:/<name>@<alias>`,
 * `mlflow-artifacts:/<path>` when the server proxies artifacts, and any URI
 * under the default artifact root, the artifacts destination, the version's
 * run's artifact URI or its logged model's artifact URI.
 * @module
 */
import { realpath } from "node:fs/promises";
import { dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { InvalidParameterValueError } from "../shared/errors.js";
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
  /** Where the artifacts really are, when the source is an indirection (`runs:/`, `models:/`). */
  storageLocation: string | null;
  runId: string | null;
  modelId: string | null;
}

const RUN_ID_RE = /^[a-zA-Z0-9][\w-]{0,255}$/;

function refused(source: string, why: string): InvalidParameterValueError {
  return new InvalidParameterValueError(`Invalid model version source: '${source}'. ${why}`);
}

interface ParsedUri {
  scheme: string;
  authority: string;
  segments: string[];
}

/** Splits `scheme://authority/a/b` or `scheme:/a/b`; refuses any segment that is empty, `.` or `..`. */
function parseUri(source: string, uri: string): ParsedUri {
  const m = /^([a-zA-Z][a-zA-Z0-9+.-]*):(.*)$/s.exec(uri);
  if (!m) throw refused(source, "Local paths are not accepted: a source must be a URI in the artifact store.");
  const scheme = m[1].toLowerCase();
  let rest = m[2];
  let authority = "";
  if (rest.startsWith("//")) {
    const end = rest.indexOf("/", 2);
    authority = (end < 0 ? rest.slice(2) : rest.slice(2, end)).toLowerCase();
    rest = end < 0 ? "" : rest.slice(end);
  }
  if (rest !== "" && !rest.startsWith("/")) throw refused(source, "The URI's path must be absolute.");
  const segments = rest === "" ? [] : rest.slice(1).split("/");
  if (segments.length > 0 && segments[segments.length - 1] === "") segments.pop();
  if (segments.some((s) => s === "" || s === "." || s === "..")) {
    throw refused(source, "Relative path references ('.', '..') and empty path segments are not allowed.");
  }
  return { scheme, authority, segments };
}

function within(source: ParsedUri, root: ParsedUri): boolean {
  return (
    source.scheme === root.scheme &&
    source.authority === root.authority &&
    root.segments.length <= source.segments.length &&
    root.segments.every((s, i) => source.segments[i] === s)
  );
}

/** A root as configured; roots are trusted text, but parsed leniently (trailing slashes, `file:/x`). */
function parseRoot(uri: string): ParsedUri | undefined {
  try {
    return parseUri(uri, uri);
  } catch {
    return undefined;
  }
}

/** The real path of `path`, or of its deepest existing ancestor plus the rest. */
async function realPathOf(path: string): Promise<string> {
  try {
    return await realpath(path);
  } catch {
    const parent = dirname(path);
    if (parent === path) return path;
    return `${await realPathOf(parent)}/${path.slice(parent.length + (parent.endsWith("/") ? 0 : 1))}`;
  }
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
      throw refused(
        source,
        "Sources may not contain percent-encoding, backslashes, control characters, '?', '#' or ';'. Please provide an absolute URI.",
      );
    }
    if (runId !== null && !RUN_ID_RE.test(runId)) throw refused(source, `Invalid run ID: '${runId}'.`);
    // A run named by the client must exist, whatever the source (RESOURCE_DOES_NOT_EXIST otherwise).
    const run = runId === null ? undefined : await this.tracking.getRun(runId);
    const logged = modelId === null ? undefined : await this.loggedModel(source, modelId);
    runId = runId ?? logged?.sourceRunId ?? null;

    if (isModelUri(source)) return this.verifyModelsUri(source, runId, modelId, logged);
    const parsed = parseUri(source, source);
    if (parsed.scheme === "runs") return this.verifyRunsUri(source, parsed, runId, modelId);
    if (parsed.scheme === "mlflow-artifacts") {
      if (!this.roots.artifactsDestination) throw refused(source, "This server does not serve proxied (mlflow-artifacts:) artifacts.");
      if (parsed.segments.length === 0) throw refused(source, "The source must name a folder inside the artifact store.");
      return { storageLocation: null, runId, modelId };
    }
    const sourceRun = run ?? (runId === null ? undefined : await this.tracking.getRun(runId));
    const roots = [this.roots.defaultArtifactRoot, this.roots.artifactsDestination, sourceRun?.info.artifactUri, logged?.artifactUri];
    for (const rootUri of roots) {
      const root = rootUri === undefined ? undefined : parseRoot(rootUri);
      if (!root || root.scheme === "mlflow-artifacts" || !within(parsed, root)) continue;
      if (parsed.scheme === "file") await this.checkNoSymlinkEscape(source, rootUri!);
      return { storageLocation: null, runId, modelId };
    }
    throw refused(
      source,
      "A source must be in the artifact store: runs:/<run_id>/<path>, models:/..., mlflow-artifacts:/... or a URI under " +
        "the server's artifact root or under the artifact location of the run given by run_id.",
    );
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

  private async verifyRunsUri(source: string, parsed: ParsedUri, runId: string | null, modelId: string | null): Promise<VerifiedSource> {
    // runs:/<run_id>/<path> (also spelled runs:///<run_id>/...): the run id is the first segment.
    if (parsed.authority !== "") throw refused(source, "Expected runs:/<run_id>/<path>.");
    const [uriRunId, ...path] = parsed.segments;
    if (!uriRunId || !RUN_ID_RE.test(uriRunId)) throw refused(source, "Expected runs:/<run_id>/<path>.");
    if (runId !== null && runId !== uriRunId) throw refused(source, `The source names run '${uriRunId}' but run_id is '${runId}'.`);
    const run = await this.tracking.getRun(uriRunId);
    const base = run.info.artifactUri.replace(/\/+$/, "");
    return { storageLocation: path.length > 0 ? `${base}/${path.join("/")}` : base, runId: uriRunId, modelId };
  }

  /** A `file:` source must stay under its root once symlinks are followed (CVE-2023-6977). */
  private async checkNoSymlinkEscape(source: string, rootUri: string): Promise<void> {
    let sourcePath: string;
    let rootPath: string;
    try {
      sourcePath = fileURLToPath(source);
      rootPath = fileURLToPath(rootUri);
    } catch {
      throw refused(source, "Not a valid file: URI.");
    }
    const [realSource, realRoot] = await Promise.all([realPathOf(sourcePath), realPathOf(rootPath)]);
    const prefix = realRoot.endsWith("/") ? realRoot : `${realRoot}/`;
    if (realSource !== realRoot && !realSource.startsWith(prefix)) throw refused(source, "The path leaves the artifact root through a symbolic link.");
  }
}
