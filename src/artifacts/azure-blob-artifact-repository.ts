/**
 * ArtifactRepository on Azure Blob Storage, for `wasbs://` and `abfss://`
 * roots (`azure-blob-location.ts`), with the credentials MLflow users set
 * (`azure-blob-client-factory.ts`). Every byte streams: reads hand back the
 * download body, writes stage 4 MiB blocks (at most 4 in flight) and commit
 * them, and multipart uploads give clients SAS part URLs so the bytes go
 * straight to Azure (`azure-blob-multipart.ts`). `artifact-repositories.ts`
 * imports this module on demand, so the Azure SDK loads only for these URIs.
 * @module
 */
import type { Readable } from "node:stream";
import type { BlobServiceClient, BlockBlobClient, ContainerClient } from "@azure/storage-blob";
import { InvalidParameterValueError, ResourceDoesNotExistError } from "../shared/errors.js";
import type { ArtifactObject, ArtifactRepository, ByteRange, FileInfo, MultipartCredential, MultipartPart } from "./artifact-repository.js";
import { azureSettingsFromEnv, sharedAzureBlobServiceClient, sharedKeyOf } from "./azure-blob-client-factory.js";
import { AzureBlobLocation } from "./azure-blob-location.js";
import { blockId, checkPartNumber, discardStagedBlocks, MAX_PARTS, newUploadId, presignedPartCredentials } from "./azure-blob-multipart.js";
import { azureStatus, toMlflowError } from "./azure-error-mapper.js";
import { bufferPart, knownLength, uploadCounted } from "./upload-body.js";

/** Staged block size and blocks in flight: a put holds about BLOCK × CONCURRENCY bytes (16 MiB). */
const BLOCK = 4 * 1024 * 1024;
const CONCURRENCY = 4;
/** Azure's limit on blocks per blob. */
const MAX_BLOCKS = 50_000;
/** Parallel deletes when removing a folder (Azure has no prefix delete). */
const DELETE_CONCURRENCY = 8;

// ADLS Gen2 (hierarchical namespace) directories appear to the Blob API as empty blobs with this metadata.
const isFolderMarker = (metadata: Record<string, string> | undefined) => metadata?.hdi_isfolder === "true";

export class AzureBlobArtifactRepository implements ArtifactRepository {
  readonly rootUri: string;
  private readonly location: AzureBlobLocation;
  private readonly service: BlobServiceClient;
  private readonly container: ContainerClient;

  /** `listPageSize`: entries per listing request (Azure's maximum, 5,000, unless a test wants more pages). */
  constructor(
    rootUri: string,
    env: Record<string, string | undefined> = process.env,
    private readonly listPageSize = 5000,
  ) {
    this.location = AzureBlobLocation.parse(rootUri);
    this.rootUri = this.location.rootUri;
    this.service = sharedAzureBlobServiceClient(this.location, azureSettingsFromEnv(env), env);
    this.container = this.service.getContainerClient(this.location.container);
  }

  private fail(err: unknown, op: string, path: string): Error {
    const { account, container } = this.location;
    return toMlflowError(err, { op, account, container, path, endpoint: this.service.url });
  }

  private blob(name: string): BlockBlobClient {
    return this.container.getBlockBlobClient(name);
  }

  private requireName(path: string): string {
    const name = this.location.blobName(path);
    if (name === undefined) throw new InvalidParameterValueError("An artifact path is required");
    return name;
  }

  async list(dir: string): Promise<FileInfo[]> {
    const listPrefix = this.location.folderPrefix(dir);
    const byPath = new Map<string, FileInfo>();
    try {
      const pages = this.container.listBlobsByHierarchy("/", { prefix: listPrefix, includeMetadata: true }).byPage({ maxPageSize: this.listPageSize });
      for await (const page of pages) {
        for (const p of page.segment.blobPrefixes ?? []) {
          const rel = this.location.childPath(p.name, listPrefix, true);
          if (rel !== undefined) byPath.set(rel, { path: rel, isDir: true });
        }
        for (const b of page.segment.blobItems) {
          const rel = this.location.childPath(b.name, listPrefix, false);
          if (rel === undefined) continue;
          if (isFolderMarker(b.metadata)) byPath.set(rel, { path: rel, isDir: true });
          else if (!byPath.has(rel)) byPath.set(rel, { path: rel, isDir: false, fileSize: Number(b.properties.contentLength ?? 0) });
        }
      }
    } catch (err) {
      throw this.fail(err, "list", dir);
    }
    return [...byPath.values()].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  }

  async get(path: string, range?: ByteRange): Promise<ArtifactObject> {
    const name = this.location.blobName(path);
    if (name === undefined) throw new ResourceDoesNotExistError(`Artifact '${path}' does not exist`);
    if (range && !(Number.isSafeInteger(range.start) && Number.isSafeInteger(range.end) && range.start >= 0 && range.end >= range.start)) {
      throw new InvalidParameterValueError(`Invalid byte range ${range.start}-${range.end}`);
    }
    try {
      const res = await this.blob(name).download(range?.start ?? 0, range ? range.end - range.start + 1 : undefined, { maxRetryRequests: 3 });
      if (isFolderMarker(res.metadata)) {
        res.readableStreamBody?.resume();
        throw new ResourceDoesNotExistError(`Artifact '${path}' does not exist`);
      }
      const total = /\/(\d+)$/.exec(res.contentRange ?? "")?.[1];
      return {
        body: res.readableStreamBody as Readable,
        size: total !== undefined ? Number(total) : Number(res.contentLength ?? 0),
        lastModified: res.lastModified?.getTime(),
        etag: res.etag,
      };
    } catch (err) {
      throw this.fail(err, "read", path);
    }
  }

  async stat(path: string): Promise<{ size: number; isDir: boolean; lastModified?: number } | undefined> {
    const name = this.location.blobName(path);
    try {
      if (name !== undefined) {
        try {
          const props = await this.blob(name).getProperties();
          if (isFolderMarker(props.metadata)) return { size: 0, isDir: true };
          return { size: Number(props.contentLength ?? 0), isDir: false, lastModified: props.lastModified?.getTime() };
        } catch (err) {
          if (azureStatus(err) !== 404) throw err;
        }
      }
      // A flat namespace has no folders: a path is a directory when some blob lies under it.
      const first = await this.container.listBlobsFlat({ prefix: this.location.folderPrefix(path) }).byPage({ maxPageSize: 1 }).next();
      return !first.done && first.value.segment.blobItems.length > 0 ? { size: 0, isDir: true } : undefined;
    } catch (err) {
      throw this.fail(err, "stat", path);
    }
  }

  /**
   * Streams `body` into staged blocks and commits them. Blocks are 4 MiB, which
   * caps an upload of unknown length at 50,000 blocks (~195 GiB); when the
   * length is known (`contentLength`, or the Content-Length of an HTTP request
   * passed as `body`) blocks grow to fit it. Nothing replaces the old blob
   * until the final commit, so a failed upload leaves it as it was.
   */
  async put(path: string, body: Readable, contentLength?: number): Promise<number> {
    const name = this.requireName(path);
    const length = knownLength(body, contentLength);
    const blockSize = length === undefined ? BLOCK : Math.max(BLOCK, Math.ceil(length / (MAX_BLOCKS - 1)));
    return uploadCounted(
      body,
      (counted) => this.blob(name).uploadStream(counted, blockSize, CONCURRENCY),
      (err) => this.fail(err, "write", path),
    );
  }

  /**
   * Deletes a blob, every blob under it, and the staged blocks of uploads never
   * completed there (listed with `include=uncommittedblobs`), as S3's delete
   * aborts pending multipart uploads.
   */
  async delete(path: string): Promise<void> {
    const name = this.location.blobName(path);
    // One listing covers the blob itself and everything under it.
    const listPrefix = name ?? this.location.folderPrefix("");
    const files: string[] = [];
    const folders: string[] = [];
    try {
      const pages = this.container
        .listBlobsFlat({ prefix: listPrefix, includeUncommitedBlobs: true, includeMetadata: true })
        .byPage({ maxPageSize: this.listPageSize });
      for await (const b of (async function* () {
        for await (const page of pages) yield* page.segment.blobItems;
      })()) {
        if (name !== undefined && b.name !== name && !b.name.startsWith(`${name}/`)) continue;
        (isFolderMarker(b.metadata) ? folders : files).push(b.name);
      }
      await forEachLimited(files, DELETE_CONCURRENCY, async (n) => {
        const res = await this.blob(n).deleteIfExists();
        // Listed but not there to delete: a blob with staged blocks only.
        if (!res.succeeded) await discardStagedBlocks(this.blob(n));
      });
      // ADLS Gen2 directories last, deepest first: a directory with children cannot be deleted.
      folders.sort((a, b) => b.length - a.length);
      for (const n of folders) await this.blob(n).deleteIfExists();
    } catch (err) {
      throw this.fail(err, "delete", path);
    }
  }

  async createMultipartUpload(
    path: string,
    numParts: number,
    serverPartUrl: (uploadId: string, partNumber: number) => string,
  ): Promise<{ uploadId: string; credentials: MultipartCredential[] }> {
    const name = this.requireName(path);
    if (!Number.isSafeInteger(numParts) || numParts < 1 || numParts > MAX_PARTS) {
      throw new InvalidParameterValueError(`num_parts must be between 1 and ${MAX_PARTS}, got ${numParts}`);
    }
    const uploadId = newUploadId();
    const key = sharedKeyOf(this.service);
    // Without the account key (a SAS connection string) no part URL can be signed: parts go through the server.
    const credentials = key
      ? presignedPartCredentials(this.blob(name), key, uploadId, numParts)
      : Array.from({ length: numParts }, (_, i) => ({ url: serverPartUrl(uploadId, i + 1), partNumber: i + 1, headers: {} }));
    return { uploadId, credentials };
  }

  /**
   * Stages one part sent through the server. Put Block needs the length before
   * the bytes: `contentLength` (or the request's Content-Length when `body` is
   * the HTTP request itself) lets the part stream; otherwise it is buffered, up to 64 MiB.
   */
  async uploadPart(path: string, uploadId: string, partNumber: number, body: Readable, contentLength?: number): Promise<string> {
    const name = this.requireName(path);
    checkPartNumber(partNumber);
    const id = blockId(uploadId, partNumber);
    const length = knownLength(body, contentLength);
    const payload = length !== undefined ? body : await bufferPart(body);
    try {
      const res = await this.blob(name).stageBlock(id, payload, length ?? (payload as Buffer).length);
      // Put Block answers with no ETag; the part's checksum stands in for it (completion ignores it).
      return res.contentMD5 ? Buffer.from(res.contentMD5).toString("hex") : id;
    } catch (err) {
      throw this.fail(err, `upload part ${partNumber} of`, path);
    }
  }

  async completeMultipartUpload(path: string, uploadId: string, parts: MultipartPart[]): Promise<void> {
    const name = this.requireName(path);
    if (parts.length === 0) throw new InvalidParameterValueError("A multipart upload needs at least one part");
    const seen = new Set<number>();
    for (const p of parts) {
      if (seen.has(p.partNumber)) throw new InvalidParameterValueError(`Repeated part_number ${p.partNumber}`);
      checkPartNumber(p.partNumber);
      seen.add(p.partNumber);
    }
    const ids = [...parts].sort((a, b) => a.partNumber - b.partNumber).map((p) => blockId(uploadId, p.partNumber));
    try {
      await this.blob(name).commitBlockList(ids);
    } catch (err) {
      throw this.fail(err, "complete the multipart upload of", path);
    }
  }

  async abortMultipartUpload(path: string, uploadId: string): Promise<void> {
    const name = this.requireName(path);
    blockId(uploadId, 1); // refuses an upload id this server never made
    try {
      await discardStagedBlocks(this.blob(name));
    } catch (err) {
      throw this.fail(err, "abort the multipart upload of", path);
    }
  }
}

/** Opens the repository for a `wasbs://` or `abfss://` URI (the entry point `artifact-repositories.ts` loads). */
export async function openAzureBlobArtifactRepository(
  rootUri: string,
  env: Record<string, string | undefined> = process.env,
): Promise<AzureBlobArtifactRepository> {
  return new AzureBlobArtifactRepository(rootUri, env);
}

async function forEachLimited<T>(items: T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await fn(items[next++]);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}
