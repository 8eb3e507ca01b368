/**
 * What the artifact routes ask for, in MLflow's terms: the proxied artifact
 * store (`mlflow-artifacts:`, served from the server's artifacts
 * destination) and a run's artifacts wherever its `artifact_uri` points.
 * Every client path goes through `safe-path.ts` here, once, before any
 * repository sees it. No HTTP in this file.
 * @module
 */
import type { Readable } from "node:stream";
import { MlflowError } from "../shared/errors.js";
import type { ArtifactRepository, FileInfo, MultipartCredential, MultipartPart } from "./artifact-repository.js";
import { openArtifactRepository } from "./artifact-repositories.js";
import { artifactBasename, invalidPath, joinArtifactPath, safeArtifactFilePath, safeArtifactPath } from "./safe-path.js";

export interface ArtifactServiceOptions {
  /** The proxied store (`--artifacts-destination`); undefined when the server does not serve artifacts. */
  destination?: ArtifactRepository;
  /** Looks up a run's `artifact_uri` (RESOURCE_DOES_NOT_EXIST for an unknown run). */
  runArtifactUri(runId: string): Promise<string>;
  /** Opens the repository of a non-proxied root (default: by URI scheme). */
  open?(uri: string): Promise<ArtifactRepository>;
}

/** Where a run's artifacts live: a repository and the run root's path inside it. */
export interface RunArtifactLocation {
  rootUri: string;
  repo: ArtifactRepository;
  base: string;
}

const PROXY_ANCHOR = "/api/2.0/mlflow-artifacts/artifacts/";
/** Repositories of direct (non-proxied) run roots, kept for reuse; bounded so hostile roots cannot grow it. */
const MAX_CACHED_ROOTS = 256;

export class ArtifactService {
  private readonly open: (uri: string) => Promise<ArtifactRepository>;
  private readonly roots = new Map<string, Promise<ArtifactRepository>>();

  constructor(private readonly opts: ArtifactServiceOptions) {
    this.open = opts.open ?? openArtifactRepository;
  }

  get servesArtifacts(): boolean {
    return this.opts.destination !== undefined;
  }

  /** The proxied store; TEMPORARILY_UNAVAILABLE when the server runs with `--no-serve-artifacts`. */
  proxied(endpoint: string): ArtifactRepository {
    if (!this.opts.destination) {
      throw new MlflowError(
        `Endpoint: ${endpoint} disabled due to the ciclo server running with \`--no-serve-artifacts\`. ` +
          "To enable artifacts server functionality, run `ciclo server` without `--no-serve-artifacts`",
        "TEMPORARILY_UNAVAILABLE",
      );
    }
    return this.opts.destination;
  }

  // ── the proxied API (paths relative to the artifacts destination) ──

  /** MLflow compat: `mlflow-artifacts/artifacts?path=` answers base names, which the client joins to `path`. */
  async listProxied(endpoint: string, rawPath: string | undefined): Promise<FileInfo[]> {
    const dir = rawPath === undefined ? "" : safeArtifactPath(rawPath);
    const files = await this.proxied(endpoint).list(dir);
    return files.map((f) => ({ ...f, path: artifactBasename(f.path) }));
  }

  /** One file of the proxied store: its repository and canonical path (the route streams it). */
  proxiedArtifact(endpoint: string, rawPath: string): { repo: ArtifactRepository; path: string } {
    const repo = this.proxied(endpoint);
    return { repo, path: safeArtifactFilePath(rawPath) };
  }

  async uploadProxied(endpoint: string, rawPath: string, body: Readable): Promise<number> {
    return this.proxied(endpoint).put(safeArtifactFilePath(rawPath), body);
  }

  async deleteProxied(endpoint: string, rawPath: string): Promise<void> {
    return this.proxied(endpoint).delete(safeArtifactFilePath(rawPath));
  }

  /**
   * MLflow compat: the URL names the artifact FOLDER and the body's `path` is
   * the client's local file, whose base name becomes the file name.
   */
  multipartTarget(rawDir: string, localFile: string): string {
    const dir = safeArtifactPath(rawDir);
    const name = localFile.split(/[\\/]/).pop() ?? "";
    const file = safeArtifactPath(name);
    if (file === "" || file.includes("/")) throw invalidPath();
    return joinArtifactPath(dir, file);
  }

  async createMultipartUpload(
    endpoint: string,
    rawDir: string,
    localFile: string,
    numParts: number,
    serverPartUrl: (target: string, uploadId: string, partNumber: number) => string,
  ): Promise<{ uploadId: string; credentials: MultipartCredential[] }> {
    const target = this.multipartTarget(rawDir, localFile);
    return this.proxied(endpoint).createMultipartUpload(target, numParts, (id, n) => serverPartUrl(target, id, n));
  }

  async uploadPart(endpoint: string, rawPath: string, uploadId: string, partNumber: number, body: Readable): Promise<string> {
    return this.proxied(endpoint).uploadPart(safeArtifactFilePath(rawPath), uploadId, partNumber, body);
  }

  async completeMultipartUpload(endpoint: string, rawDir: string, localFile: string, uploadId: string, parts: MultipartPart[]): Promise<void> {
    return this.proxied(endpoint).completeMultipartUpload(this.multipartTarget(rawDir, localFile), uploadId, parts);
  }

  async abortMultipartUpload(endpoint: string, rawDir: string, localFile: string, uploadId: string): Promise<void> {
    return this.proxied(endpoint).abortMultipartUpload(this.multipartTarget(rawDir, localFile), uploadId);
  }

  // ── a run's artifacts (paths relative to the run's artifact root) ──

  /** Resolves a run's artifact root: proxied roots map into the destination, others open their own repository. */
  async runLocation(endpoint: string, runId: string): Promise<RunArtifactLocation> {
    const rootUri = await this.opts.runArtifactUri(runId);
    const proxiedPath = proxiedRootPath(rootUri);
    if (proxiedPath !== undefined) {
      const base = safeArtifactPath(proxiedPath);
      return { rootUri, repo: this.proxied(endpoint), base };
    }
    return { rootUri, repo: await this.repositoryFor(rootUri), base: "" };
  }

  /** `/mlflow/artifacts/list`: files of a run folder, paths relative to the run root (`sub/a.txt`). */
  async listRunArtifacts(endpoint: string, runId: string, rawPath: string | undefined): Promise<{ rootUri: string; files: FileInfo[] }> {
    const rel = rawPath === undefined ? "" : safeArtifactPath(rawPath);
    const loc = await this.runLocation(endpoint, runId);
    const files = await loc.repo.list(joinArtifactPath(loc.base, rel));
    return { rootUri: loc.rootUri, files: files.map((f) => ({ ...f, path: joinArtifactPath(rel, artifactBasename(f.path)) })) };
  }

  /** `/get-artifact`: one file of a run. */
  async runArtifact(endpoint: string, runId: string, rawPath: string): Promise<{ repo: ArtifactRepository; path: string }> {
    const rel = safeArtifactFilePath(rawPath);
    const loc = await this.runLocation(endpoint, runId);
    return { repo: loc.repo, path: joinArtifactPath(loc.base, rel) };
  }

  /** Writes one file into a run's artifacts (the UI's `upload-artifact`, `create-promptlab-run`). */
  async putRunArtifact(endpoint: string, runId: string, rawPath: string, body: Readable): Promise<number> {
    const rel = safeArtifactFilePath(rawPath);
    const loc = await this.runLocation(endpoint, runId);
    return loc.repo.put(joinArtifactPath(loc.base, rel), body);
  }

  private repositoryFor(uri: string): Promise<ArtifactRepository> {
    let repo = this.roots.get(uri);
    if (!repo) {
      if (this.roots.size >= MAX_CACHED_ROOTS) {
        const oldest = this.roots.keys().next().value!;
        // Repositories that hold connections (S3 clients) release them when dropped from the cache.
        void this.roots.get(oldest)!.then((r) => (r as { close?: () => void }).close?.(), () => {});
        this.roots.delete(oldest);
      }
      repo = this.open(uri);
      this.roots.set(uri, repo);
      repo.catch(() => this.roots.delete(uri));
    }
    return repo;
  }
}

/**
 * The path inside the artifacts destination that a proxied root names
 * (`mlflow-artifacts:/1/<run>/artifacts`, `mlflow-artifacts://host/...`, or
 * an http(s) URL of the proxied API); undefined for other roots.
 */
export function proxiedRootPath(uri: string): string | undefined {
  const m = /^mlflow-artifacts:(?:\/\/[^/]*)?(\/.*)?$/i.exec(uri);
  if (m) return (m[1] ?? "/").replace(/^\/+/, "");
  if (/^https?:\/\//i.test(uri)) {
    const at = uri.indexOf(PROXY_ANCHOR);
    if (at >= 0) return uri.slice(at + PROXY_ANCHOR.length);
  }
  return undefined;
}
