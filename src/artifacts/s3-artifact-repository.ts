/**
 * ArtifactRepository on S3 or an S3-compatible server, for `s3://bucket/prefix`
 * roots. Configuration comes from the environment variables MLflow users set
 * (see `s3-client-factory.ts`). Every byte streams: reads hand back the
 * GetObject body, writes go through lib-storage's Upload in bounded parts,
 * and multipart uploads give clients presigned part URLs so the bytes go
 * straight to S3. `artifact-repositories.ts` imports this module on demand,
 * so the AWS SDK loads only when an `s3:` URI is used.
 * @module
 */
import type { Readable } from "node:stream";
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListPartsCommand,
  UploadPartCommand,
  type S3Client,
} from "@aws-sdk/client-s3";
import { Upload } from "@aws-sdk/lib-storage";
import { getSignedUrl } from "@aws-sdk/s3-request-presigner";
import { InvalidParameterValueError, ResourceDoesNotExistError } from "../shared/errors.js";
import type {
  ArtifactObject,
  ArtifactRepository,
  ByteRange,
  FileInfo,
  MultipartCredential,
  MultipartPart,
} from "./artifact-repository.js";
import { s3SettingsFromEnv, sharedS3Client, type S3Settings } from "./s3-client-factory.js";
import { toMlflowError } from "./s3-error-mapper.js";
import { S3KeySpace } from "./s3-key-space.js";
import { bufferPart, knownLength, uploadCounted } from "./upload-body.js";

/**
 * Upload part size (S3's minimum) and parallelism. lib-storage holds about
 * PART_SIZE × (QUEUE_SIZE + 2) bytes per put (≈20 MiB), whatever the object's size.
 */
const PART_SIZE = 5 * 1024 * 1024;
const QUEUE_SIZE = 2;
/** S3's limit on parts per upload. */
const MAX_PARTS = 10_000;
// MLflow compat: boto3's default lifetime for presigned URLs.
const PRESIGN_SECONDS = 3600;

export class S3ArtifactRepository implements ArtifactRepository {
  readonly rootUri: string;
  private readonly keys: S3KeySpace;
  private readonly settings: S3Settings;

  constructor(rootUri: string, env: Record<string, string | undefined> = process.env) {
    this.keys = S3KeySpace.parse(rootUri);
    this.rootUri = this.keys.rootUri;
    this.settings = s3SettingsFromEnv(env);
  }

  /** Looked up per call: a shared client evicted from the bounded cache is simply rebuilt. */
  private get client(): S3Client {
    return sharedS3Client(this.settings);
  }

  private get bucket(): string {
    return this.keys.bucket;
  }

  private fail(err: unknown, op: string, path: string): Error {
    return toMlflowError(err, { op, bucket: this.bucket, path, endpoint: this.settings.endpoint });
  }

  async list(dir: string): Promise<FileInfo[]> {
    const listPrefix = this.keys.folderPrefix(dir);
    const infos: FileInfo[] = [];
    try {
      for await (const page of this.keys.pages(this.client, listPrefix, "/")) {
        for (const p of page.CommonPrefixes ?? []) {
          const rel = this.keys.childPath(p.Prefix, listPrefix, true);
          if (rel !== undefined) infos.push({ path: rel, isDir: true });
        }
        for (const o of page.Contents ?? []) {
          const rel = this.keys.childPath(o.Key, listPrefix, false);
          if (rel !== undefined) infos.push({ path: rel, isDir: false, fileSize: Number(o.Size ?? 0) });
        }
      }
    } catch (err) {
      throw this.fail(err, "list", dir);
    }
    return infos.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  }

  async get(path: string, range?: ByteRange): Promise<ArtifactObject> {
    const key = this.keys.fileKey(path);
    if (key === undefined) throw new ResourceDoesNotExistError(`Artifact '${path}' does not exist`);
    if (range && !(Number.isSafeInteger(range.start) && Number.isSafeInteger(range.end) && range.start >= 0 && range.end >= range.start)) {
      throw new InvalidParameterValueError(`Invalid byte range ${range.start}-${range.end}`);
    }
    try {
      const res = await this.client.send(
        new GetObjectCommand({ Bucket: this.bucket, Key: key, Range: range ? `bytes=${range.start}-${range.end}` : undefined }),
      );
      const total = /\/(\d+)$/.exec(res.ContentRange ?? "")?.[1];
      return {
        body: res.Body as Readable,
        size: total !== undefined ? Number(total) : Number(res.ContentLength ?? 0),
        lastModified: res.LastModified?.getTime(),
        etag: res.ETag,
      };
    } catch (err) {
      throw this.fail(err, "read", path);
    }
  }

  async stat(path: string): Promise<{ size: number; isDir: boolean; lastModified?: number } | undefined> {
    const key = this.keys.fileKey(path);
    try {
      if (key !== undefined) {
        try {
          const head = await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: key }));
          return { size: Number(head.ContentLength ?? 0), isDir: false, lastModified: head.LastModified?.getTime() };
        } catch (err) {
          if ((err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode !== 404) throw err;
        }
      }
      // S3 has no folders: a path is a directory when some key lies under it.
      const page = await this.keys.firstPage(this.client, this.keys.folderPrefix(path));
      return (page.KeyCount ?? 0) > 0 ? { size: 0, isDir: true } : undefined;
    } catch (err) {
      throw this.fail(err, "stat", path);
    }
  }

  /**
   * Streams `body` to S3. Parts are 5 MiB, which caps an upload of unknown length
   * at 10,000 parts (~48 GiB); when the length is known (`contentLength`, or the
   * Content-Length of an HTTP request passed as `body`) parts grow to fit it.
   */
  async put(path: string, body: Readable, contentLength?: number): Promise<number> {
    const key = this.requireKey(path);
    const length = knownLength(body, contentLength);
    const partSize = length === undefined ? PART_SIZE : Math.max(PART_SIZE, Math.ceil(length / (MAX_PARTS - 1)));
    const upload = (counted: Readable) =>
      new Upload({
        client: this.client,
        params: { Bucket: this.bucket, Key: key, Body: counted, ...this.settings.uploadExtraArgs },
        partSize,
        queueSize: QUEUE_SIZE,
        leavePartsOnError: false,
      }).done();
    return uploadCounted(body, upload, (err) => this.fail(err, "write", path));
  }

  async delete(path: string): Promise<void> {
    const key = this.keys.fileKey(path);
    try {
      if (key !== undefined) await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: key }));
      await this.keys.deleteUnder(this.client, this.keys.folderPrefix(path));
      await this.keys.abortUploadsUnder(this.client, key);
    } catch (err) {
      throw this.fail(err, "delete", path);
    }
  }

  async createMultipartUpload(
    path: string,
    numParts: number,
    _serverPartUrl: (uploadId: string, partNumber: number) => string,
  ): Promise<{ uploadId: string; credentials: MultipartCredential[] }> {
    const key = this.requireKey(path);
    if (!Number.isSafeInteger(numParts) || numParts < 1 || numParts > MAX_PARTS) {
      throw new InvalidParameterValueError(`num_parts must be between 1 and ${MAX_PARTS}, got ${numParts}`);
    }
    try {
      const created = await this.client.send(
        new CreateMultipartUploadCommand({ Bucket: this.bucket, Key: key, ...this.settings.uploadExtraArgs }),
      );
      const uploadId = created.UploadId;
      if (!uploadId) throw new Error("CreateMultipartUpload returned no UploadId");
      const credentials: MultipartCredential[] = [];
      for (let partNumber = 1; partNumber <= numParts; partNumber++) {
        const command = new UploadPartCommand({ Bucket: this.bucket, Key: key, UploadId: uploadId, PartNumber: partNumber });
        const url = await getSignedUrl(this.client, command, { expiresIn: PRESIGN_SECONDS });
        // MLflow compat: S3 part credentials carry no extra headers.
        credentials.push({ url, partNumber, headers: {} });
      }
      return { uploadId, credentials };
    } catch (err) {
      throw this.fail(err, "start a multipart upload of", path);
    }
  }

  /**
   * Stores one part sent through the server. S3 needs each part's length before
   * its bytes: `contentLength` (or the request's Content-Length when `body` is
   * the HTTP request itself) lets the part stream; otherwise it is buffered, up to 64 MiB.
   */
  async uploadPart(path: string, uploadId: string, partNumber: number, body: Readable, contentLength?: number): Promise<string> {
    const key = this.requireKey(path);
    if (!Number.isSafeInteger(partNumber) || partNumber < 1 || partNumber > MAX_PARTS) {
      throw new InvalidParameterValueError(`part_number must be between 1 and ${MAX_PARTS}, got ${partNumber}`);
    }
    const length = knownLength(body, contentLength);
    const payload = length !== undefined ? body : await bufferPart(body);
    try {
      const res = await this.client.send(
        new UploadPartCommand({
          Bucket: this.bucket,
          Key: key,
          UploadId: uploadId,
          PartNumber: partNumber,
          Body: payload,
          ContentLength: length ?? (payload as Buffer).length,
        }),
      );
      if (!res.ETag) throw new Error("UploadPart returned no ETag");
      return res.ETag;
    } catch (err) {
      throw this.fail(err, `upload part ${partNumber} of`, path);
    }
  }

  async completeMultipartUpload(path: string, uploadId: string, parts: MultipartPart[]): Promise<void> {
    const key = this.requireKey(path);
    const seen = new Set<number>();
    for (const p of parts) {
      if (!Number.isSafeInteger(p.partNumber) || p.partNumber < 1 || p.partNumber > MAX_PARTS || seen.has(p.partNumber)) {
        throw new InvalidParameterValueError(`Invalid or repeated part_number ${p.partNumber}`);
      }
      if (typeof p.etag !== "string" || p.etag === "") throw new InvalidParameterValueError(`Part ${p.partNumber} has no etag`);
      seen.add(p.partNumber);
    }
    if (parts.length === 0) throw new InvalidParameterValueError("A multipart upload needs at least one part");
    const sorted = [...parts].sort((a, b) => a.partNumber - b.partNumber);
    try {
      await this.client.send(
        new CompleteMultipartUploadCommand({
          Bucket: this.bucket,
          Key: key,
          UploadId: uploadId,
          MultipartUpload: { Parts: sorted.map((p) => ({ PartNumber: p.partNumber, ETag: p.etag })) },
        }),
      );
    } catch (err) {
      const mapped = this.fail(err, "complete the multipart upload of", path);
      // radosgw answers an unknown upload id with 500 InternalError, not 404
      // NoSuchUpload like AWS: ask whether the upload exists before saying "unavailable".
      if ((mapped as { errorCode?: string }).errorCode === "TEMPORARILY_UNAVAILABLE" && !(await this.uploadExists(key, uploadId))) {
        throw this.fail({ name: "NoSuchUpload" }, "complete the multipart upload of", path);
      }
      throw mapped;
    }
  }

  private async uploadExists(key: string, uploadId: string): Promise<boolean> {
    try {
      await this.client.send(new ListPartsCommand({ Bucket: this.bucket, Key: key, UploadId: uploadId, MaxParts: 1 }));
      return true;
    } catch (err) {
      // AWS says NoSuchUpload; radosgw says NoSuchKey (404) for an unknown upload id.
      return (err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode !== 404;
    }
  }

  async abortMultipartUpload(path: string, uploadId: string): Promise<void> {
    const key = this.requireKey(path);
    try {
      await this.client.send(new AbortMultipartUploadCommand({ Bucket: this.bucket, Key: key, UploadId: uploadId }));
    } catch (err) {
      // Aborting twice (or after completion) leaves the same state: nothing pending.
      if ((err as { name?: string }).name === "NoSuchUpload") return;
      throw this.fail(err, "abort the multipart upload of", path);
    }
  }

  private requireKey(path: string): string {
    const key = this.keys.fileKey(path);
    if (key === undefined) throw new InvalidParameterValueError("An artifact path is required");
    return key;
  }
}

/** Opens the repository for an `s3://bucket/prefix` URI (the entry point `artifact-repositories.ts` loads). */
export async function openS3ArtifactRepository(
  rootUri: string,
  env: Record<string, string | undefined> = process.env,
): Promise<S3ArtifactRepository> {
  return new S3ArtifactRepository(rootUri, env);
}

