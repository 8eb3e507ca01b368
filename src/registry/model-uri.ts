/**
 * `models:/` URIs, parsed and resolved the way MLflow does it
 * (`mlflow/store/artifact/utils/models.py`):
 *
 * - `models:/<name>/<version>` — that version;
 * - `models:/<name>/<stage>` — the latest READY version in the stage (case-insensitive);
 * - `models:/<name>/latest` — the highest READY version across stages;
 * - `models:/<name>@<alias>` — the version the alias points at;
 * - `models:/<model_id>` — an MLflow 3.x logged model.
 *
 * Exported for the server (get-download-uri callers, model-version sources),
 * the SDK and the CLI.
 * @module
 */
import { InvalidParameterValueError, ResourceDoesNotExistError } from "../shared/errors.js";
import type { LoggedModelLookup } from "./logged-model-lookup.js";
import type { ModelVersion } from "../shared/registry-types.js";

export type ModelUri =
  | { kind: "version"; name: string; version: string }
  | { kind: "stage"; name: string; stage: string }
  | { kind: "latest"; name: string }
  | { kind: "alias"; name: string; alias: string }
  | { kind: "model-id"; modelId: string };

function improper(uri: string): InvalidParameterValueError {
  return new InvalidParameterValueError(
    `Not a proper models:/ URI: ${uri}. Models URIs must be of the form 'models:/model_name/suffix' or ` +
      "'models:/model_name@alias' where suffix is a model version, stage, or the string 'latest' and where alias " +
      "is a registered model alias, or 'models:/<model_id>' for a logged model. Only one of suffix or alias can be defined at a time.",
  );
}

export function isModelUri(uri: string): boolean {
  return /^models:/i.test(uri);
}

export function parseModelUri(uri: string): ModelUri {
  if (!isModelUri(uri)) throw improper(uri);
  let path = uri.slice("models:".length);
  if (path.startsWith("//")) {
    // `models:///name/1` has an empty authority; a host would name another registry.
    const end = path.indexOf("/", 2);
    if (end !== 2) throw improper(uri);
    path = path.slice(2);
  }
  if (!path.startsWith("/") || path.length <= 1 || /[?#]/.test(path)) throw improper(uri);
  const parts = path.slice(1).split("/");
  if (parts.length > 2 || parts[0].trim() === "") throw improper(uri);
  if (parts.length === 2) {
    const [name, suffix] = parts;
    if (suffix.trim() === "") throw improper(uri);
    if (/^\d+$/.test(suffix)) return { kind: "version", name, version: String(Number(suffix)) };
    if (suffix.toLowerCase() === "latest") return { kind: "latest", name };
    return { kind: "stage", name, stage: suffix };
  }
  const at = parts[0].lastIndexOf("@");
  if (at >= 0) {
    const name = parts[0].slice(0, at);
    const alias = parts[0].slice(at + 1);
    if (name.trim() === "" || alias.trim() === "") throw improper(uri);
    return { kind: "alias", name, alias };
  }
  return { kind: "model-id", modelId: parts[0] };
}

/** The registry reads a `models:/` URI needs (a RegistryStore or the registry services provide them). */
export interface ModelUriRegistry {
  getModelVersion(name: string, version: string): Promise<ModelVersion>;
  getLatestVersions(name: string, stages: string[]): Promise<ModelVersion[]>;
  getModelVersionByAlias(name: string, alias: string): Promise<ModelVersion>;
  getModelVersionDownloadUri(name: string, version: string): Promise<string>;
}

export type ResolvedModelUri =
  | { kind: "model-version"; name: string; version: string; downloadUri: string }
  | { kind: "logged-model"; modelId: string; downloadUri: string };

/** The version a name-based `models:/` URI points at (MLflow's `_get_model_version_from_model_uri`). */
export async function resolveModelVersion(uri: ModelUri, registry: ModelUriRegistry): Promise<{ name: string; version: string }> {
  switch (uri.kind) {
    case "version":
      return { name: uri.name, version: (await registry.getModelVersion(uri.name, uri.version)).version };
    case "alias":
      return { name: uri.name, version: (await registry.getModelVersionByAlias(uri.name, uri.alias)).version };
    case "stage":
    case "latest": {
      const stage = uri.kind === "stage" ? uri.stage : undefined;
      const latest = await registry.getLatestVersions(uri.name, stage === undefined ? [] : [stage]);
      if (latest.length === 0) {
        throw new ResourceDoesNotExistError(`No versions of model with name '${uri.name}' and stage '${stage ?? "None"}' found`);
      }
      const top = Math.max(...latest.map((v) => Number(v.version)));
      return { name: uri.name, version: String(top) };
    }
    case "model-id":
      throw new InvalidParameterValueError(`'models:/${uri.modelId}' names a logged model, not a registered model version.`);
  }
}

/** Resolves any `models:/` URI to where its artifacts are. */
export async function resolveModelUri(
  uri: string,
  registry: ModelUriRegistry,
  loggedModels?: LoggedModelLookup,
): Promise<ResolvedModelUri> {
  const parsed = parseModelUri(uri);
  if (parsed.kind === "model-id") {
    if (!loggedModels) {
      throw new InvalidParameterValueError(`Cannot resolve '${uri}': this server has no logged-model store (MLflow 3.x models:/<model_id> URIs).`);
    }
    const model = await loggedModels.get(parsed.modelId);
    if (!model) throw new ResourceDoesNotExistError(`Logged model with ID '${parsed.modelId}' not found.`);
    return { kind: "logged-model", modelId: model.modelId, downloadUri: model.artifactUri };
  }
  const { name, version } = await resolveModelVersion(parsed, registry);
  return { kind: "model-version", name, version, downloadUri: await registry.getModelVersionDownloadUri(name, version) };
}
