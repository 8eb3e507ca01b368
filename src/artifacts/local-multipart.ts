/**
 * Multipart uploads for the local repository. A local folder has no
 * presigned URLs, so parts are sent to the server's own part-upload route
 * and kept in a hidden staging folder inside the root (`.ciclo-staging/<upload
 * id>/`, never listed); completion streams the parts, in order, into the
 * target through the same write-then-rename as a plain upload.
 * @module
 */
import { randomBytes } from "node:crypto";
import { readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { Readable } from "node:stream";
import { InvalidParameterValueError, ResourceDoesNotExistError } from "../shared/errors.js";
import type { MultipartCredential, MultipartPart } from "./artifact-repository.js";
import { writeAtomically } from "./local-atomic-write.js";
import { errnoOf, STAGING_DIR, type LocalRoot } from "./local-root.js";

/** S3's limit, which clients (MLflow's included) are written against. */
const MAX_PARTS = 10_000;
/** Uploads neither completed nor aborted are removed after a week. */
const STALE_UPLOAD_MS = 7 * 24 * 3600 * 1000;

const UPLOAD_ID = /^[0-9a-f]{32}$/;

interface Manifest {
  path: string;
  numParts: number;
  createdAt: number;
}

function noSuchUpload(uploadId: string): ResourceDoesNotExistError {
  return new ResourceDoesNotExistError(`Multipart upload '${uploadId}' does not exist`);
}

const partFile = (n: number) => `part-${String(n).padStart(5, "0")}`;
const stripQuotes = (etag: string) => etag.replace(/^W\//, "").replace(/^"(.*)"$/, "$1");

export class LocalMultipart {
  constructor(private readonly root: LocalRoot) {}

  async create(
    path: string,
    numParts: number,
    serverPartUrl: (uploadId: string, partNumber: number) => string,
  ): Promise<{ uploadId: string; credentials: MultipartCredential[] }> {
    if (!Number.isInteger(numParts) || numParts < 1 || numParts > MAX_PARTS) {
      throw new InvalidParameterValueError(`num_parts must be between 1 and ${MAX_PARTS}, got ${numParts}`);
    }
    const staging = await this.root.ensureDir(STAGING_DIR);
    await this.pruneStale(staging);
    const uploadId = randomBytes(16).toString("hex");
    const dir = await this.root.ensureDir(`${STAGING_DIR}/${uploadId}`);
    const manifest: Manifest = { path, numParts, createdAt: Date.now() };
    await writeFile(join(dir, "upload.json"), JSON.stringify(manifest), { flag: "wx" });
    const credentials: MultipartCredential[] = [];
    for (let n = 1; n <= numParts; n++) credentials.push({ url: serverPartUrl(uploadId, n), partNumber: n, headers: {} });
    return { uploadId, credentials };
  }

  async uploadPart(path: string, uploadId: string, partNumber: number, body: Readable): Promise<string> {
    const { dir, manifest } = await this.open(path, uploadId);
    if (!Number.isInteger(partNumber) || partNumber < 1 || partNumber > manifest.numParts) {
      throw new InvalidParameterValueError(`part_number must be between 1 and ${manifest.numParts}, got ${partNumber}`);
    }
    const { md5 } = await writeAtomically(dir, partFile(partNumber), body, {
      md5: true,
      durable: false,
      checkOpened: (h, p) => this.root.checkOpened(h, p),
    });
    // The ETag is written after the part is in place; a part without its ETag file counts as missing.
    await writeFile(join(dir, `${partFile(partNumber)}.etag`), md5!);
    return `"${md5}"`;
  }

  async complete(path: string, uploadId: string, parts: MultipartPart[]): Promise<void> {
    const { dir } = await this.open(path, uploadId);
    if (parts.length === 0) throw new InvalidParameterValueError("A multipart upload needs at least one part");
    const sorted = [...parts].sort((a, b) => a.partNumber - b.partNumber);
    for (let i = 0; i < sorted.length; i++) {
      const p = sorted[i];
      if (i > 0 && sorted[i - 1].partNumber === p.partNumber) {
        throw new InvalidParameterValueError(`Part ${p.partNumber} is listed twice`);
      }
      const etag = await readFile(join(dir, `${partFile(p.partNumber)}.etag`), "utf8").catch(() => undefined);
      if (etag === undefined) throw new InvalidParameterValueError(`Part ${p.partNumber} of upload '${uploadId}' was not uploaded`);
      if (stripQuotes(p.etag) !== etag) {
        throw new InvalidParameterValueError(`Part ${p.partNumber} of upload '${uploadId}' has ETag "${etag}", not ${JSON.stringify(p.etag)}`);
      }
    }
    const slash = path.lastIndexOf("/");
    const target = await this.root.ensureDir(slash < 0 ? "" : path.slice(0, slash));
    const root = this.root;
    await writeAtomically(
      target,
      path.slice(slash + 1),
      async function* () {
        for (const p of sorted) {
          const handle = await root.openForRead(join(dir, partFile(p.partNumber)));
          yield handle.createReadStream({ highWaterMark: 1024 * 1024 });
        }
      },
      { checkOpened: (h, p) => root.checkOpened(h, p) },
    );
    await rm(dir, { recursive: true, force: true });
  }

  async abort(path: string, uploadId: string): Promise<void> {
    const { dir } = await this.open(path, uploadId);
    await rm(dir, { recursive: true, force: true });
  }

  /** The staging folder and manifest of an upload, which must have been created for this very path. */
  private async open(path: string, uploadId: string): Promise<{ dir: string; manifest: Manifest }> {
    if (!UPLOAD_ID.test(uploadId)) throw noSuchUpload(uploadId);
    const dir = await this.root.resolveExisting(`${STAGING_DIR}/${uploadId}`);
    if (!dir) throw noSuchUpload(uploadId);
    let manifest: Manifest;
    try {
      manifest = JSON.parse(await readFile(join(dir, "upload.json"), "utf8")) as Manifest;
    } catch {
      throw noSuchUpload(uploadId);
    }
    // An upload id is bound to its path: it cannot be used to write (or abort) somewhere else.
    if (manifest.path !== path) {
      throw new InvalidParameterValueError(`Multipart upload '${uploadId}' was not created for path '${path}'`);
    }
    return { dir, manifest };
  }

  private async pruneStale(staging: string): Promise<void> {
    const now = Date.now();
    for (const name of await readdir(staging).catch(() => [] as string[])) {
      if (!UPLOAD_ID.test(name)) continue;
      const st = await stat(join(staging, name, "upload.json")).catch((err: unknown) =>
        errnoOf(err) === "ENOENT" ? stat(join(staging, name)).catch(() => undefined) : undefined,
      );
      if (st && now - st.mtimeMs > STALE_UPLOAD_MS) await rm(join(staging, name), { recursive: true, force: true });
    }
  }
}
