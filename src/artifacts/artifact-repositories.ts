/**
 * Picks the artifact repository for a root URI by its scheme: `file:` URIs
 * and plain paths are local folders, `s3:` URIs are S3-compatible buckets,
 * `wasbs:` and `abfss:` URIs are Azure Blob Storage containers (both loaded on
 * demand, so the AWS and Azure SDKs load only when such a root is used).
 *
 * Root URIs can come from clients (an experiment's `artifact_location`), so
 * a URI that hides a `..`, a query, a fragment or params, or names another
 * host, is refused rather than interpreted (MLflow CVE-2023-6909, -2024-1593,
 * -2024-1594, -2024-3573, -2024-8859).
 * @module
 */
import { isAbsolute, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { InvalidParameterValueError, MlflowError } from "../shared/errors.js";
import type { ArtifactRepository } from "./artifact-repository.js";
import { LocalArtifactRepository } from "./local-artifact-repository.js";
import { decodeToFixedPoint } from "./safe-path.js";

const SCHEME = /^([a-zA-Z][a-zA-Z0-9+.-]*):/;
const WINDOWS_DRIVE = /^[a-zA-Z]:[\\/]/;

function invalidRoot(uri: string, why: string): InvalidParameterValueError {
  return new InvalidParameterValueError(`Invalid artifact root '${uri}': ${why}`);
}

/** Refuses what URL parsers would silently resolve or cut off. */
function checkRootText(uri: string): void {
  const decoded = decodeToFixedPoint(uri);
  if (/[\u0000-\u001f\u007f]/.test(decoded)) throw invalidRoot(uri, "control characters are not allowed");
  if (/[?#;]/.test(decoded)) throw invalidRoot(uri, "queries, fragments and params are not allowed");
  if (decoded.split(/[\\/]/).includes("..")) throw invalidRoot(uri, "'..' segments are not allowed");
}

/** The local folder a `file:` URI or plain path names. */
export function localRootPath(uri: string): string {
  checkRootText(uri);
  if (uri.startsWith("file:")) {
    let url: URL;
    try {
      url = new URL(uri);
    } catch {
      throw invalidRoot(uri, "not a valid file: URI");
    }
    if (url.hostname !== "" && url.hostname !== "localhost") throw invalidRoot(uri, "file: URIs must name this host");
    return fileURLToPath(new URL(`file://${url.pathname}`));
  }
  return isAbsolute(uri) ? uri : resolve(uri);
}

/** Opens the repository serving `uri`. */
export async function openArtifactRepository(uri: string): Promise<ArtifactRepository> {
  const scheme = WINDOWS_DRIVE.test(uri) ? undefined : SCHEME.exec(uri)?.[1]?.toLowerCase();
  if (scheme === undefined || scheme === "file") return new LocalArtifactRepository(localRootPath(uri));
  if (scheme === "s3") {
    checkRootText(uri);
    return openS3(uri);
  }
  if (scheme === "wasbs" || scheme === "abfss") {
    checkRootText(uri);
    return openAzure(uri);
  }
  throw new InvalidParameterValueError(
    `Unsupported artifact URI scheme '${scheme}:' in '${uri}': use a local path, file:///path, s3://bucket/prefix, ` +
      "wasbs://container@account.blob.core.windows.net/prefix or abfss://filesystem@account.dfs.core.windows.net/prefix",
  );
}

/** Loads `azure-blob-artifact-repository.ts` on demand. */
async function openAzure(uri: string): Promise<ArtifactRepository> {
  // A computed specifier, as for S3: the Azure SDK loads only for wasbs:/abfss: URIs. Resolved against this file's
  // URL, not the importing chunk's: in the CLI's bundle that URL still names this file in dist/.
  const specifier = "./azure-blob-artifact-repository.js";
  let mod: { openAzureBlobArtifactRepository?: (u: string) => Promise<ArtifactRepository> };
  try {
    mod = (await import(new URL(specifier, import.meta.url).href)) as typeof mod;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ERR_MODULE_NOT_FOUND") {
      throw new MlflowError(
        `Azure Blob artifact storage needs the @azure/storage-blob package, which is not installed (cannot open '${uri}'): ` +
          "install it next to ciclo with `npm i @azure/storage-blob`.",
        "NOT_IMPLEMENTED",
      );
    }
    throw err;
  }
  return mod.openAzureBlobArtifactRepository!(uri);
}

type S3Module = Record<string, unknown>;

/** Loads `s3-artifact-repository.ts` on demand; the module may export a factory or a class taking the URI. */
async function openS3(uri: string): Promise<ArtifactRepository> {
  // A computed specifier: the S3 module is optional at build time and loads only for s3: URIs (resolved against
  // this file's URL, which the CLI's bundle keeps: see scripts/bundle-cli.mjs).
  const specifier = "./s3-artifact-repository.js";
  let mod: S3Module;
  try {
    mod = (await import(new URL(specifier, import.meta.url).href)) as S3Module;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ERR_MODULE_NOT_FOUND") {
      throw new MlflowError(
        `S3 artifact storage needs the AWS SDK, which is not installed (cannot open '${uri}'): install it next to ciclo with ` +
          "`npm i @aws-sdk/client-s3 @aws-sdk/lib-storage @aws-sdk/s3-request-presigner`.",
        "NOT_IMPLEMENTED",
      );
    }
    throw err;
  }
  for (const name of ["openS3ArtifactRepository", "createS3ArtifactRepository"]) {
    const factory = mod[name];
    if (typeof factory === "function") return (await (factory as (u: string) => unknown)(uri)) as ArtifactRepository;
  }
  const cls = mod.S3ArtifactRepository as (new (u: string) => ArtifactRepository) & { fromUri?: (u: string) => unknown };
  if (typeof cls === "function") {
    if (typeof cls.fromUri === "function") return (await cls.fromUri(uri)) as ArtifactRepository;
    return new cls(uri);
  }
  throw new MlflowError(`The S3 artifact module exports no repository factory (cannot open '${uri}')`, "NOT_IMPLEMENTED");
}
