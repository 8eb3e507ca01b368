/**
 * The keys under one `s3://bucket/prefix` root: mapping artifact paths to
 * keys and back, and the paginated walks (listing, recursive delete, pending
 * multipart uploads) that S3 caps at 1,000 entries per request.
 * @module
 */
import {
  AbortMultipartUploadCommand,
  DeleteObjectsCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  type ListObjectsV2CommandOutput,
  type S3Client,
} from "@aws-sdk/client-s3";
import { InvalidParameterValueError, MlflowError } from "../shared/errors.js";
import { listedChildPath } from "./object-store-names.js";

export class S3KeySpace {
  private constructor(
    readonly bucket: string,
    /** The root's key prefix without leading or trailing "/" ("" = bucket root). */
    readonly prefix: string,
  ) {}

  static parse(uri: string): S3KeySpace {
    const m = /^s3:\/\/([^/?#]+)(?:\/([^?#]*))?$/i.exec(uri);
    // Bucket names: S3's rules (3–63 of [a-z0-9.-]), relaxed for older buckets and other servers.
    if (!m || !/^[A-Za-z0-9][A-Za-z0-9._-]{2,254}$/.test(m[1])) {
      throw new InvalidParameterValueError(`Invalid S3 artifact URI '${uri}': expected s3://bucket[/prefix]`);
    }
    const prefix = (m[2] ?? "").replace(/^\/+|\/+$/g, "");
    if (prefix.split("/").some((s) => s === "" || s === "." || s === "..") && prefix !== "") {
      throw new InvalidParameterValueError(`Invalid S3 artifact URI '${uri}': empty, '.' or '..' path segment`);
    }
    return new S3KeySpace(m[1], prefix);
  }

  get rootUri(): string {
    return `s3://${this.bucket}${this.prefix ? `/${this.prefix}` : ""}`;
  }

  /**
   * The key of an artifact path; undefined for the root (""). Paths were checked
   * by safe-path.ts already; this refuses anything that could name a key outside
   * the root again, because some S3-compatible servers normalise `..` in URLs.
   */
  fileKey(path: string): string | undefined {
    if (path === "") return undefined;
    if (path.startsWith("/") || path.includes("\0") || path.split("/").some((s) => s === "" || s === "." || s === "..")) {
      throw new InvalidParameterValueError(`Invalid artifact path '${path}'`);
    }
    return this.prefix ? `${this.prefix}/${path}` : path;
  }

  /** The prefix that every key strictly under `path` starts with ("" for the root of a bucket-wide repository). */
  folderPrefix(path: string): string {
    const key = this.fileKey(path) ?? this.prefix;
    return key ? `${key}/` : "";
  }

  /**
   * A listed key or common prefix as MLflow's FileInfo path (relative to the
   * repository root); undefined for folder markers and empty names.
   */
  childPath(listed: string | undefined, listPrefix: string, isDir: boolean): string | undefined {
    return listedChildPath(this.prefix, listed, listPrefix, isDir);
  }

  /** Every ListObjectsV2 page under `prefix`, following continuation tokens. */
  async *pages(client: S3Client, prefix: string, delimiter?: string): AsyncGenerator<ListObjectsV2CommandOutput> {
    let token: string | undefined;
    do {
      const page = await client.send(
        new ListObjectsV2Command({ Bucket: this.bucket, Prefix: prefix, Delimiter: delimiter, ContinuationToken: token }),
      );
      yield page;
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
  }

  firstPage(client: S3Client, prefix: string): Promise<ListObjectsV2CommandOutput> {
    return client.send(new ListObjectsV2Command({ Bucket: this.bucket, Prefix: prefix, MaxKeys: 1 }));
  }

  /** Deletes every key under `prefix`, 1,000 per DeleteObjects request (S3's maximum). */
  async deleteUnder(client: S3Client, prefix: string): Promise<void> {
    for await (const page of this.pages(client, prefix)) {
      const objects = (page.Contents ?? []).flatMap((o) => (o.Key ? [{ Key: o.Key }] : []));
      if (objects.length === 0) continue;
      const res = await client.send(
        new DeleteObjectsCommand({ Bucket: this.bucket, Delete: { Objects: objects, Quiet: true } }),
      );
      const failed = res.Errors ?? [];
      if (failed.length > 0) {
        const first = failed[0];
        throw new MlflowError(
          `Could not delete ${failed.length} object(s) in S3 bucket '${this.bucket}', e.g. '${first.Key}': ${first.Code} ${first.Message ?? ""}`.trim(),
          first.Code === "AccessDenied" ? "PERMISSION_DENIED" : "INTERNAL_ERROR",
        );
      }
    }
  }

  /**
   * Aborts pending multipart uploads of `key` and of keys under it, so that
   * deleting a path also frees parts uploaded for it and never completed.
   */
  async abortUploadsUnder(client: S3Client, key: string | undefined): Promise<void> {
    const prefix = key ?? this.prefix;
    let keyMarker: string | undefined;
    let uploadIdMarker: string | undefined;
    do {
      const page = await client.send(
        new ListMultipartUploadsCommand({
          Bucket: this.bucket,
          Prefix: prefix,
          KeyMarker: keyMarker,
          UploadIdMarker: uploadIdMarker,
        }),
      );
      for (const u of page.Uploads ?? []) {
        const inside = !prefix || u.Key === prefix || u.Key?.startsWith(`${prefix}/`);
        if (!inside || !u.Key || !u.UploadId) continue;
        await client
          .send(new AbortMultipartUploadCommand({ Bucket: this.bucket, Key: u.Key, UploadId: u.UploadId }))
          .catch((err: { name?: string }) => {
            if (err.name !== "NoSuchUpload") throw err;
          });
      }
      keyMarker = page.IsTruncated ? page.NextKeyMarker : undefined;
      uploadIdMarker = page.IsTruncated ? page.NextUploadIdMarker : undefined;
    } while (keyMarker);
  }
}
