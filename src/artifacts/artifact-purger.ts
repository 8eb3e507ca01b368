/**
 * Deletes the artifact folders of purged runs, logged models and experiments
 * (`ciclo gc`), through the same repositories that serve them: proxied
 * (`mlflow-artifacts:`) roots inside the server's artifacts destination, other
 * roots through the repository their scheme names.
 *
 * A folder is deleted only when its URI names the entity it belongs to (the
 * run id, the model id, the experiment id as its last segment): an artifact
 * URI pointing at a bucket root or a shared folder is refused rather than
 * emptied. A run's folder is `<experiment location>/<run_id>` (its artifact URI
 * is that plus `/artifacts`), so nothing of the run is left behind, not even
 * an empty folder.
 * @module
 */
import type { ArtifactRepository } from "./artifact-repository.js";
import { openArtifactRepository } from "./artifact-repositories.js";
import { proxiedRootPath } from "./artifact-service.js";
import { safeArtifactPath } from "./safe-path.js";

export interface ArtifactPurgerOptions {
  /** The proxied store (`--artifacts-destination`); undefined when the server does not serve artifacts. */
  destination?: ArtifactRepository;
  /** Opens the repository of a non-proxied root (default: by URI scheme). */
  open?(uri: string): Promise<ArtifactRepository>;
}

/** Where one folder lives: a repository and the folder's path inside it (never ""). */
interface FolderTarget {
  repo: ArtifactRepository;
  path: string;
}

export class ArtifactPurger {
  private readonly open: (uri: string) => Promise<ArtifactRepository>;
  private readonly repos = new Map<string, Promise<ArtifactRepository>>();

  constructor(private readonly opts: ArtifactPurgerOptions) {
    this.open = opts.open ?? openArtifactRepository;
  }

  /**
   * The folder gc deletes for an entity whose artifact URI is `uri`:
   * `<…>/<id>` when the URI is `<…>/<id>/artifacts` or ends in `<id>`.
   * Undefined when the URI does not name the entity.
   */
  static entityFolder(uri: string, id: string): string | undefined {
    const u = uri.replace(/\/+$/, "");
    if (u.endsWith(`/${id}/artifacts`)) return u.slice(0, -"/artifacts".length);
    if (u.endsWith(`/${id}`)) return u;
    return undefined;
  }

  /** Deletes the folder of a run or logged model (see {@link entityFolder}); a missing folder is not an error. */
  async deleteEntityFolder(artifactUri: string, id: string): Promise<string> {
    const folder = ArtifactPurger.entityFolder(artifactUri, id);
    if (folder === undefined) {
      throw new Error(`not deleted: the artifact URI does not end in the id '${id}', so it may be shared`);
    }
    const t = await this.target(folder);
    await t.repo.delete(t.path);
    return folder;
  }

  /**
   * Deletes an experiment's artifact location once its runs and models are gone,
   * if it is an empty folder named after the experiment id (the default layout).
   * Resolves true when it was deleted.
   */
  async deleteEmptyExperimentFolder(location: string, experimentId: string): Promise<boolean> {
    const folder = location.replace(/\/+$/, "");
    if (!folder.endsWith(`/${experimentId}`)) return false;
    const t = await this.target(folder);
    // Object stores have no empty folders (stat finds nothing): only real, empty directories are removed.
    const emptyDir = async (path: string) => (await t.repo.stat(path))?.isDir === true && (await t.repo.list(path)).length === 0;
    // The folders of its logged models and its traces (MLflow 3), once emptied.
    for (const sub of [`${t.path}/models`, `${t.path}/traces`]) if (await emptyDir(sub)) await t.repo.delete(sub);
    if (!(await emptyDir(t.path))) return false;
    await t.repo.delete(t.path);
    return true;
  }

  /** Releases the repositories opened on the way (S3 clients hold sockets). */
  async close(): Promise<void> {
    const repos = await Promise.allSettled(this.repos.values());
    this.repos.clear();
    for (const r of repos) if (r.status === "fulfilled") (r.value as { close?: () => void }).close?.();
  }

  private async target(folder: string): Promise<FolderTarget> {
    const proxied = proxiedRootPath(folder);
    if (proxied !== undefined) {
      if (!this.opts.destination) throw new Error(`'${folder}' is a proxied artifact URI, but this server does not serve artifacts`);
      const path = safeArtifactPath(proxied);
      if (path === "") throw new Error(`refusing to delete the root of the artifact store ('${folder}')`);
      return { repo: this.opts.destination, path };
    }
    // A repository is opened on the PARENT so that the folder itself can be deleted (a root cannot delete itself).
    const cut = folder.lastIndexOf("/");
    const parent = folder.slice(0, cut);
    const name = folder.slice(cut + 1);
    if (cut <= 0 || name === "" || /^[a-z][a-z0-9+.-]*:\/*$/i.test(parent)) {
      throw new Error(`refusing to delete '${folder}': it is not inside a folder`);
    }
    return { repo: await this.repository(parent), path: safeArtifactPath(name) };
  }

  private repository(uri: string): Promise<ArtifactRepository> {
    let repo = this.repos.get(uri);
    if (!repo) {
      repo = this.open(uri);
      this.repos.set(uri, repo);
    }
    return repo;
  }
}
