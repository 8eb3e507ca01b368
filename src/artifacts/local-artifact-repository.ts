/**
 * Artifacts in a local folder (`file:` URIs and plain paths). Bytes stream
 * both ways; uploads appear whole or not at all (write to a hidden sibling,
 * then rename); nothing outside the root is ever read, written, listed or
 * deleted, symlinks included (see `local-root.ts`).
 * @module
 */
import { lstat, readdir, rm, stat as fsStat, unlink } from "node:fs/promises";
import { join } from "node:path";
import type { Readable } from "node:stream";
import { pathToFileURL } from "node:url";
import { InvalidParameterValueError } from "../shared/errors.js";
import type { ArtifactObject, ArtifactRepository, ByteRange, FileInfo, MultipartCredential, MultipartPart } from "./artifact-repository.js";
import { guardEarlyErrors, writeAtomically } from "./local-atomic-write.js";
import { LocalMultipart } from "./local-multipart.js";
import { errnoOf, isHiddenEntry, LocalRoot, notFound } from "./local-root.js";
import { joinArtifactPath } from "./safe-path.js";

/** Reads in 1 MiB chunks: fast, and a bounded amount of memory per download. */
const READ_HIGH_WATER_MARK = 1024 * 1024;

function splitParent(path: string): { parent: string; name: string } {
  const slash = path.lastIndexOf("/");
  return { parent: slash < 0 ? "" : path.slice(0, slash), name: path.slice(slash + 1) };
}

export class LocalArtifactRepository implements ArtifactRepository {
  readonly rootUri: string;
  private readonly root: LocalRoot;
  private readonly multipart: LocalMultipart;

  /** @param dir absolute path of the root folder (created on the first write). */
  constructor(dir: string) {
    this.root = new LocalRoot(dir);
    this.multipart = new LocalMultipart(this.root);
    this.rootUri = pathToFileURL(dir).href;
  }

  async list(dir: string): Promise<FileInfo[]> {
    this.root.checkNotReserved(dir);
    const real = await this.root.resolveExisting(dir);
    if (!real) return [];
    const st = await fsStat(real);
    // MLflow compat: listing a file (how clients probe "is this a directory?") gives nothing.
    if (!st.isDirectory()) return [];
    const realRoot = (await this.root.realRoot())!;
    const out: FileInfo[] = [];
    for (const entry of await readdir(real, { withFileTypes: true })) {
      if (isHiddenEntry(entry, dir === "")) continue;
      const path = joinArtifactPath(dir, entry.name);
      let isDir = entry.isDirectory();
      let size: number | undefined;
      if (entry.isSymbolicLink()) {
        // A link is listed as what it points to, and only if that lies inside the root.
        const target = await this.root.resolveExisting(path).catch(() => undefined);
        if (!target || !this.root.inside(realRoot, target)) continue;
        const tst = await fsStat(target);
        isDir = tst.isDirectory();
        size = isDir ? undefined : tst.size;
      } else if (entry.isFile()) {
        size = (await lstat(join(real, entry.name))).size;
      } else if (!isDir) {
        continue; // sockets, fifos, devices are not artifacts
      }
      out.push(isDir ? { path, isDir: true } : { path, isDir: false, fileSize: size });
    }
    return out.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  }

  async get(path: string, range?: ByteRange): Promise<ArtifactObject> {
    this.root.checkNotReserved(path);
    const real = await this.root.resolveExisting(path);
    if (!real) throw notFound(path);
    const handle = await this.root.openForRead(real).catch((err: unknown) => {
      if (errnoOf(err) === "ENOENT") throw notFound(path);
      throw err;
    });
    try {
      const st = await handle.stat();
      if (!st.isFile()) throw notFound(path);
      if (range && (range.start < 0 || range.start > range.end || range.end >= st.size)) {
        throw new InvalidParameterValueError(`Byte range ${range.start}-${range.end} is outside '${path}' (${st.size} bytes)`);
      }
      const body = handle.createReadStream({
        start: range?.start,
        end: range?.end,
        highWaterMark: READ_HIGH_WATER_MARK,
      });
      return { body, size: st.size, lastModified: st.mtimeMs };
    } catch (err) {
      await handle.close();
      throw err;
    }
  }

  async stat(path: string): Promise<{ size: number; isDir: boolean; lastModified?: number } | undefined> {
    this.root.checkNotReserved(path);
    const real = await this.root.resolveExisting(path);
    if (!real) return undefined;
    const st = await fsStat(real);
    return { size: st.isDirectory() ? 0 : st.size, isDir: st.isDirectory(), lastModified: st.mtimeMs };
  }

  async put(path: string, body: Readable): Promise<number> {
    guardEarlyErrors(body);
    if (path === "") throw new InvalidParameterValueError("Invalid path");
    this.root.checkNotReserved(path);
    const { parent, name } = splitParent(path);
    const dir = await this.root.ensureDir(parent);
    const { bytes } = await writeAtomically(dir, name, body, { checkOpened: (h, p) => this.root.checkOpened(h, p) });
    return bytes;
  }

  async delete(path: string): Promise<void> {
    // Deleting the root would delete every artifact the server holds.
    if (path === "") throw new InvalidParameterValueError("Invalid path");
    this.root.checkNotReserved(path);
    const { parent, name } = splitParent(path);
    const parentReal = await this.root.resolveExisting(parent);
    if (!parentReal) return;
    const target = join(parentReal, name);
    const st = await lstat(target).catch((err: unknown) => (errnoOf(err) === "ENOENT" || errnoOf(err) === "ENOTDIR" ? undefined : Promise.reject(err)));
    if (!st) return;
    // A symlink is removed itself, never what it points to; rm() does not follow links inside folders either.
    if (st.isDirectory()) await rm(target, { recursive: true, force: true });
    else await unlink(target);
  }

  async createMultipartUpload(
    path: string,
    numParts: number,
    serverPartUrl: (uploadId: string, partNumber: number) => string,
  ): Promise<{ uploadId: string; credentials: MultipartCredential[] }> {
    // Refuse a target behind a symlink that leads out before any part is accepted (creating nothing yet).
    await this.checkTarget(path);
    return this.multipart.create(path, numParts, serverPartUrl);
  }

  async uploadPart(path: string, uploadId: string, partNumber: number, body: Readable): Promise<string> {
    guardEarlyErrors(body);
    await this.checkTarget(path);
    return this.multipart.uploadPart(path, uploadId, partNumber, body);
  }

  async completeMultipartUpload(path: string, uploadId: string, parts: MultipartPart[]): Promise<void> {
    await this.checkTarget(path);
    return this.multipart.complete(path, uploadId, parts);
  }

  async abortMultipartUpload(path: string, uploadId: string): Promise<void> {
    await this.checkTarget(path);
    return this.multipart.abort(path, uploadId);
  }

  /** A multipart target must be a file path inside the root, whatever the upload id says. */
  private async checkTarget(path: string): Promise<void> {
    if (path === "") throw new InvalidParameterValueError("Invalid path");
    this.root.checkNotReserved(path);
    await this.root.checkDir(splitParent(path).parent);
  }
}
