/**
 * `-m/--model-uri` → a local model folder, plus the name and version the
 * server reports (metrics labels, Open Inference Protocol paths):
 *
 * | URI | folder | name / version |
 * |---|---|---|
 * | a local path, `file:///…` | that folder | folder name / `1` |
 * | `models:/<name>/<version>`, `models:/<name>@<alias>`, `…/latest`, `…/<stage>` | downloaded | registered name / the version it resolved to |
 * | `models:/<model_id>` | downloaded | model id / `1` |
 * | `runs:/<run_id>/<path>` | downloaded | last path segment / run id |
 * | `mlflow-artifacts:/…`, `s3://…` | downloaded | last path segment / `1` |
 *
 * Downloads go to a fresh temporary folder, removed by `cleanup()` — and, in
 * case the process ends first (an error, `process.exit`, a crash), by an
 * `exit` hook that removes every such folder still there. A command that
 * downloads also handles SIGINT/SIGTERM (their default action skips `exit`
 * hooks): `ciclo models serve` does.
 * @module
 */
import { existsSync, rmSync } from "node:fs";
import { mkdtemp, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { basename, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { MLMODEL_FILE } from "../models/index.js";
import { ArtifactClient } from "../sdk/artifact-client.js";
import { resolveArtifactSource } from "../sdk/model-uri.js";
import { trackingUriFromEnv } from "../sdk/sdk-config.js";
import { InvalidParameterValueError } from "../shared/errors.js";

export interface ResolvedModelSource {
  /** Local folder holding MLmodel. */
  path: string;
  name: string;
  version: string;
  /** The URI as given. */
  uri: string;
  cleanup(): Promise<void>;
}

/** Temporary model folders not yet cleaned up, removed when the process exits whatever the reason. */
const liveTemps = new Set<string>();
let exitHook = false;

function trackTemp(dir: string): () => Promise<void> {
  liveTemps.add(dir);
  if (!exitHook) {
    exitHook = true;
    process.on("exit", () => {
      for (const d of liveTemps) rmSync(d, { recursive: true, force: true });
    });
  }
  return async () => {
    await rm(dir, { recursive: true, force: true });
    liveTemps.delete(dir);
  };
}

const SCHEME = /^([a-zA-Z][a-zA-Z0-9+.-]*):/;

function cleanName(s: string): string {
  return s.replace(/[^A-Za-z0-9._-]+/g, "-").replace(/^-+|-+$/g, "") || "model";
}

async function localFolder(dir: string): Promise<string> {
  const path = resolve(dir);
  const st = await stat(path).catch(() => undefined);
  if (!st?.isDirectory()) throw new InvalidParameterValueError(`Model folder '${dir}' does not exist.`);
  if (!existsSync(join(path, MLMODEL_FILE))) throw new InvalidParameterValueError(`'${dir}' is not a model folder: it has no ${MLMODEL_FILE} file.`);
  return path;
}

export async function resolveModelSource(uri: string, opts: { trackingUri?: string } = {}): Promise<ResolvedModelSource> {
  const scheme = SCHEME.exec(uri)?.[1]?.toLowerCase();
  const none = async () => undefined;
  if (!scheme || scheme.length === 1 /* a Windows drive letter */ || scheme === "file") {
    const path = await localFolder(scheme === "file" ? fileURLToPath(uri) : uri);
    return { path, name: cleanName(basename(path)), version: "1", uri, cleanup: none };
  }
  const client = new ArtifactClient({ trackingUri: opts.trackingUri ?? trackingUriFromEnv() });
  const resolved = await resolveArtifactSource(uri, client.registry);
  const tmp = await mkdtemp(join(tmpdir(), "ciclo-model-"));
  const cleanup = trackTemp(tmp);
  try {
    const path = await localFolder(await client.downloadArtifacts(uri, tmp));
    let name = cleanName(basename(resolved.path) || "model");
    let version = "1";
    if (resolved.model && "name" in resolved.model) {
      name = resolved.model.name;
      version = resolved.model.version;
    } else if (resolved.model) name = resolved.model.modelId;
    else if (scheme === "runs" && "runId" in resolved.location) version = resolved.location.runId;
    return { path, name, version, uri, cleanup };
  } catch (err) {
    await cleanup();
    throw err;
  }
}
