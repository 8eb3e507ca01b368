/**
 * Containment for the local artifact repository: every file it reads,
 * writes, lists or deletes must really be inside its root folder, even when
 * an operator has put symlinks in it (MLflow CVE-2023-6977 read `/etc/passwd`
 * through `/proc/self/root`). Paths arriving here already passed
 * `safe-path.ts`; these checks catch what text cannot: symlinks.
 * @module
 */
import { constants, type Dirent } from "node:fs";
import { lstat, mkdir, open, readlink, realpath, type FileHandle } from "node:fs/promises";
import { join, sep } from "node:path";
import { InvalidParameterValueError, ResourceDoesNotExistError } from "../shared/errors.js";

/** Names inside the root that ciclo reserves for itself; listings hide them and client paths may not use them. */
export const STAGING_DIR = ".ciclo-staging";
export const TEMP_PREFIX = ".ciclo-tmp-";

function outsideRoot(): InvalidParameterValueError {
  return new InvalidParameterValueError("Invalid path: resolved path is outside the artifact directory");
}

export function notFound(path: string): ResourceDoesNotExistError {
  return new ResourceDoesNotExistError(`Artifact '${path}' does not exist`);
}

/** True for names ciclo keeps to itself: the staging folder at the root, temporary files anywhere. */
function isReservedName(name: string, atRoot: boolean): boolean {
  return name.startsWith(TEMP_PREFIX) || (atRoot && name === STAGING_DIR);
}

export function isHiddenEntry(entry: Dirent, atRoot: boolean): boolean {
  return isReservedName(entry.name, atRoot);
}

export function errnoOf(err: unknown): string | undefined {
  return (err as NodeJS.ErrnoException | undefined)?.code;
}

/** The root folder and its real path (resolved once it exists). */
export class LocalRoot {
  private real?: string;

  constructor(readonly dir: string) {}

  /** The root's real path, creating the folder when `create` is set; undefined when it does not exist. */
  async realRoot(create = false): Promise<string | undefined> {
    if (this.real) return this.real;
    try {
      this.real = await realpath(this.dir);
    } catch (err) {
      if (errnoOf(err) !== "ENOENT" || !create) return undefined;
      await mkdir(this.dir, { recursive: true });
      this.real = await realpath(this.dir);
    }
    return this.real;
  }

  inside(realRoot: string, real: string): boolean {
    return real === realRoot || real.startsWith(realRoot + sep);
  }

  /** Refuses client paths that walk into ciclo's reserved names. */
  checkNotReserved(path: string): void {
    const segments = path.split("/");
    if (segments.some((s, i) => isReservedName(s, i === 0))) {
      throw new InvalidParameterValueError("Invalid path: names starting with '.ciclo-' are reserved by the server");
    }
  }

  /**
   * The real path of an existing entry, proven to lie inside the root;
   * undefined when it (or the root) does not exist. A symlink leading out is refused.
   */
  async resolveExisting(path: string): Promise<string | undefined> {
    const root = await this.realRoot();
    if (!root) return undefined;
    let real: string;
    try {
      real = await realpath(join(root, path));
    } catch (err) {
      const code = errnoOf(err);
      if (code === "ENOENT" || code === "ENOTDIR") return undefined;
      if (code === "ELOOP") throw outsideRoot();
      throw err;
    }
    if (!this.inside(root, real)) throw outsideRoot();
    return real;
  }

  /**
   * Makes sure folder `dir` (relative) exists inside the root and returns its
   * real path. Walks one segment at a time so that a symlink leading out of
   * the root is refused BEFORE anything is created behind it.
   */
  async ensureDir(dir: string): Promise<string> {
    return (await this.walkDir(dir, true))!;
  }

  /** Like {@link ensureDir} but creates nothing: checks the part of `dir` that exists (undefined if not all of it does). */
  async checkDir(dir: string): Promise<string | undefined> {
    return this.walkDir(dir, false);
  }

  private async walkDir(dir: string, create: boolean): Promise<string | undefined> {
    const root = await this.realRoot(create);
    if (!root) return undefined;
    let current = root;
    for (const segment of dir === "" ? [] : dir.split("/")) {
      const next = join(current, segment);
      let st = await lstat(next).catch((err: unknown) => (errnoOf(err) === "ENOENT" ? undefined : Promise.reject(err)));
      if (!st) {
        if (!create) return undefined;
        await mkdir(next).catch((err: unknown) => (errnoOf(err) === "EEXIST" ? undefined : Promise.reject(err)));
        st = await lstat(next);
      }
      if (st.isSymbolicLink()) {
        const real = await realpath(next).catch(() => {
          throw outsideRoot();
        });
        if (!this.inside(root, real)) throw outsideRoot();
        current = real;
        st = await lstat(real);
      } else {
        current = next;
      }
      if (!st.isDirectory()) {
        throw new InvalidParameterValueError(`Invalid path: '${segment}' is a file, not a directory`);
      }
    }
    return current;
  }

  /**
   * Checks what an open descriptor really is (Linux: `/proc/self/fd/N`), so a
   * symlink swapped in between resolving and opening cannot lead out.
   */
  async checkOpened(handle: FileHandle, fallbackPath: string): Promise<void> {
    const root = await this.realRoot();
    let real: string;
    try {
      real = await readlink(`/proc/self/fd/${handle.fd}`);
    } catch {
      real = await realpath(fallbackPath);
    }
    if (!root || !this.inside(root, real)) throw outsideRoot();
  }

  /** Opens an existing file inside the root for reading; never follows a final symlink (it was resolved already). */
  async openForRead(realPath: string): Promise<FileHandle> {
    const handle = await open(realPath, constants.O_RDONLY | constants.O_NOFOLLOW);
    try {
      await this.checkOpened(handle, realPath);
      return handle;
    } catch (err) {
      await handle.close();
      throw err;
    }
  }
}
