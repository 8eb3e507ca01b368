/**
 * Where an MLflow store's artifacts are, and where the import puts them.
 *
 * Source locations come from the store (hostile until proven otherwise): a
 * `file:` location or plain path is read only when it lies inside an allowed
 * folder — the file store itself and `--artifacts-source` — after symlinks
 * are resolved, so an `artifact_uri: file:///etc` in a run's meta.yaml copies
 * nothing out of the machine. `mlflow-artifacts:/…` (an MLflow server's
 * proxied root) resolves against `--artifacts-source`; `s3:`, `wasbs:` and
 * `abfss:` are read with ciclo's own repositories and credentials.
 *
 * Copies land under the destination in ciclo's layout: `<experiment_id>` for
 * an experiment, `<experiment_id>/<run_id>/artifacts` for a run,
 * `<experiment_id>/models/<model_id>/artifacts` for a logged model; their new
 * URIs are `mlflow-artifacts:/<that path>` (served by `ciclo server
 * --artifacts-destination <destination>`) or, with direct URIs, the
 * destination's own URI joined with the path.
 * @module
 */
import { realpath } from "node:fs/promises";
import { isAbsolute, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";

export class ArtifactLocationError extends Error {}

const SCHEME = /^([a-zA-Z][a-zA-Z0-9+.-]*):/;

export interface SourceArtifactOptions {
  /** The root `mlflow-artifacts:/` stands for (MLflow's --artifacts-destination), a folder or a URI. */
  artifactsSource?: string;
  /** Folders local locations must lie in. */
  allowedLocalRoots: string[];
}

function trimSlash(u: string): string {
  return u.replace(/\/+$/, "");
}

export function joinUri(root: string, rel: string): string {
  return rel === "" ? root : `${trimSlash(root)}/${rel}`;
}

/** The path after `mlflow-artifacts:` (with or without `//host:port`), without leading slashes. */
export function proxiedPath(uri: string): string {
  const rest = uri.replace(/^mlflow-artifacts:/i, "");
  const path = rest.startsWith("//") ? rest.slice(2).replace(/^[^/]*/, "") : rest;
  return path.replace(/^\/+/, "");
}

async function realOrSelf(path: string): Promise<string> {
  return realpath(path).catch(() => path);
}

/**
 * The URI ciclo's artifact repositories open for a source location: a local
 * folder (checked to be inside an allowed root), or an object-store URI.
 * Undefined when the location names nothing to copy (empty).
 */
export async function sourceRepositoryUri(location: string, opts: SourceArtifactOptions): Promise<string> {
  const scheme = /^[a-zA-Z]:[\\/]/.test(location) ? undefined : SCHEME.exec(location)?.[1]?.toLowerCase();
  if (scheme === "mlflow-artifacts") {
    if (!opts.artifactsSource) {
      throw new ArtifactLocationError(
        `'${location}' is behind MLflow's artifact proxy: give --artifacts-source (the MLflow server's --artifacts-destination), or --artifacts-in-place.`,
      );
    }
    return sourceRepositoryUri(joinUri(opts.artifactsSource, proxiedPath(location)), { ...opts, artifactsSource: undefined });
  }
  if (scheme === "s3" || scheme === "wasbs" || scheme === "abfss") return location;
  if (scheme !== undefined && scheme !== "file") {
    throw new ArtifactLocationError(`Artifacts at '${location}' cannot be copied: ciclo reads local folders, s3:, wasbs: and abfss:. Use --artifacts-in-place to keep such locations.`);
  }
  let path: string;
  try {
    path = scheme === "file" ? fileURLToPath(location) : isAbsolute(location) ? location : resolve(location);
  } catch {
    throw new ArtifactLocationError(`'${location}' is not a valid file: URI.`);
  }
  const real = await realOrSelf(resolve(path));
  for (const root of opts.allowedLocalRoots) {
    const r = await realOrSelf(resolve(root));
    if (real === r || real.startsWith(r + sep)) return real;
  }
  throw new ArtifactLocationError(
    `Refusing to read artifacts at '${location}': it is outside the MLflow store's folders (${opts.allowedLocalRoots.join(", ") || "none given"}). ` +
      "Give the folder that holds them as --artifacts-source.",
  );
}

/** How imported locations are spelled. */
export interface TargetLayout {
  /** Copy (new locations) or keep the source's locations as they are. */
  inPlace: boolean;
  /** The destination root (a folder or URI); unused in place. */
  destination?: string;
  /** New locations as the destination's own URIs instead of `mlflow-artifacts:/` ones. */
  direct: boolean;
}

export const runArtifactPath = (experimentId: number, runId: string): string => `${experimentId}/${runId}/artifacts`;
export const modelArtifactPath = (experimentId: number, modelId: string): string => `${experimentId}/models/${modelId}/artifacts`;

export function targetUri(layout: TargetLayout, rel: string): string {
  if (layout.direct) return joinUri(layout.destination!, rel);
  return `mlflow-artifacts:/${rel}`;
}

/**
 * Rewrites URIs under a moved location (a model version's source under its
 * run's old root) to the new location; longest prefix first.
 */
export class LocationRewriter {
  private readonly moves: Array<[string, string]> = [];

  add(from: string | null, to: string): void {
    if (from && from !== to) this.moves.push([trimSlash(from), trimSlash(to)]);
  }

  rewrite(uri: string | null): string | null {
    if (uri === null) return null;
    let best: [string, string] | undefined;
    for (const m of this.moves) {
      if ((uri === m[0] || uri.startsWith(`${m[0]}/`)) && (!best || m[0].length > best[0].length)) best = m;
    }
    return best ? best[1] + uri.slice(best[0].length) : uri;
  }
}
