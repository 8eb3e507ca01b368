/**
 * The SDK's artifact URIs, resolved to something it can download:
 *
 * | URI | where the files are |
 * |---|---|
 * | `runs:/<run_id>/<path>` | `<path>` under the run's artifact root |
 * | `models:/<name>/<version>`, `models:/<name>@<alias>`, `models:/<name>/latest`, `models:/<name>/<stage>` | the version's download URI (`model-versions/get-download-uri`) |
 * | `models:/<model_id>` | the MLflow 3.x logged model's `artifact_uri` |
 *
 * A `models:/` URI downloads as the contents of the model's folder (MLflow's
 * behaviour); other URIs download as the file or folder they name.
 * | `mlflow-artifacts:/<path>` | `<path>` in the server's artifact proxy |
 * | `file:///…`, `s3://…`, a local path | that folder or file, opened directly |
 *
 * `models:/` parsing and resolution are the server's own (`src/registry/model-uri.ts`,
 * which imports nothing server-side), run here over the REST registry client.
 * @module
 */
import type { LoggedModelLookup } from "../registry/logged-model-lookup.js";
import { isModelUri, parseModelUri, resolveModelUri, type ModelUri } from "../registry/model-uri.js";
import { safeArtifactPath } from "../artifacts/safe-path.js";
import { InvalidParameterValueError, ResourceDoesNotExistError } from "../shared/errors.js";
import type { RegistryClient } from "./registry-client.js";

export { isModelUri, parseModelUri, type ModelUri };

/** What `downloadArtifacts` accepts: a URI, or a run and a path in it. */
export type ArtifactSource = string | { runId: string; path?: string };

/** A download source pinned down: a folder or file `path` under a run's root or under a root URI. */
export interface ResolvedArtifactSource {
  location: { runId: string } | { rootUri: string };
  /** Relative to the location ("" = the whole root, read as a folder). */
  path: string;
  /** The registered version or logged model a `models:/` URI named. */
  model?: { name: string; version: string } | { modelId: string };
}

/** `runs:/<run_id>/<path>` → run id and path ("" for the run's root). */
export function parseRunsUri(uri: string): { runId: string; path: string } {
  const m = /^runs:\/+([^/?#]+)\/?([^?#]*)$/.exec(uri);
  if (!m) throw new InvalidParameterValueError(`Not a valid runs:/ URI: '${uri}'. Expected runs:/<run_id>/<artifact path>.`);
  return { runId: m[1], path: safeArtifactPath(decodeURIComponent(m[2])) };
}

/**
 * Splits a root URI into its parent and its last segment, so a URI naming a
 * file can be read from its folder: `mlflow-artifacts:/1/r/artifacts/model` →
 * (`mlflow-artifacts:/1/r/artifacts`, `model`). A bare root splits into (itself, "").
 */
export function splitArtifactUri(uri: string): { parent: string; name: string } {
  const m = /^([a-zA-Z][a-zA-Z0-9+.-]+:(?:\/\/[^/]*)?)?(.*)$/.exec(uri)!;
  const prefix = m[1] ?? "";
  const rest = m[2].replace(/\/+$/, "");
  const at = rest.lastIndexOf("/");
  if (rest === "" || at < 0 || (at === 0 && prefix === "" && rest.length === 1)) return { parent: uri, name: "" };
  const name = safeArtifactPath(rest.slice(at + 1));
  if (name === "") return { parent: uri, name: "" };
  return { parent: `${prefix}${rest.slice(0, at) || "/"}`, name };
}

/** A logged-model lookup over REST: undefined for a model that does not exist. */
function loggedModels(registry: RegistryClient): LoggedModelLookup {
  return {
    async get(modelId) {
      try {
        const m = await registry.getLoggedModel(modelId);
        return { modelId: m.info.modelId, experimentId: m.info.experimentId, sourceRunId: m.info.sourceRunId, artifactUri: m.info.artifactUri };
      } catch (err) {
        if (err instanceof ResourceDoesNotExistError) return undefined;
        throw err;
      }
    },
  };
}

/** Where a `models:/` URI's files are (MLflow's `get_model_version_download_uri` / logged model `artifact_uri`). */
export async function resolveModelDownloadUri(uri: string, registry: RegistryClient): Promise<{ downloadUri: string; model: ResolvedArtifactSource["model"] }> {
  const r = await resolveModelUri(uri, registry, loggedModels(registry));
  return {
    downloadUri: r.downloadUri,
    model: r.kind === "model-version" ? { name: r.name, version: r.version } : { modelId: r.modelId },
  };
}

/** Pins down a download source; `models:/` URIs go through the registry (at most 3 hops: a version registered from another `models:/` URI). */
export async function resolveArtifactSource(source: ArtifactSource, registry: RegistryClient, hops = 0): Promise<ResolvedArtifactSource> {
  if (typeof source !== "string") return { location: { runId: source.runId }, path: safeArtifactPath(source.path ?? "") };
  if (/^runs:/i.test(source)) {
    const { runId, path } = parseRunsUri(source);
    return { location: { runId }, path };
  }
  if (isModelUri(source)) {
    if (hops >= 3) throw new InvalidParameterValueError(`Too many indirections resolving '${source}'.`);
    const { downloadUri, model } = await resolveModelDownloadUri(source, registry);
    // MLflow compat: a model downloads as its folder's contents (`download_artifacts("models:/m/1", d)` fills d).
    if (!/^(runs|models):/i.test(downloadUri)) return { location: { rootUri: downloadUri }, path: "", model };
    const inner = await resolveArtifactSource(downloadUri, registry, hops + 1);
    return { ...inner, model: inner.model ?? model };
  }
  const { parent, name } = splitArtifactUri(source);
  return { location: { rootUri: parent }, path: name };
}
