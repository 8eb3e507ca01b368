/**
 * Artifact storage: one interface, one implementation per URI scheme
 * (`file:` local folders, `s3:` S3-compatible object stores), chosen by
 * `artifact-repositories.ts`.
 *
 * Paths given to a repository are RELATIVE to its root, already checked by
 * `safe-path.ts` (no `..`, no absolute paths, no encoded tricks); a
 * repository must still never touch anything outside its root (local: no
 * symlink may lead out of it). Bytes always stream: no method buffers a whole
 * file in memory or writes a temporary copy.
 * @module
 */
import type { Readable } from "node:stream";

/** MLflow's FileInfo: `path` relative to the listed root; `fileSize` absent for directories. */
export interface FileInfo {
  path: string;
  isDir: boolean;
  fileSize?: number;
}

export interface ByteRange {
  /** First byte, inclusive. */
  start: number;
  /** Last byte, inclusive. */
  end: number;
}

export interface ArtifactObject {
  /** The bytes (the requested range when one was given). */
  body: Readable;
  /** Size of the whole object in bytes. */
  size: number;
  /** Last modification, ms since the epoch, when known. */
  lastModified?: number;
  /** A strong validator when the store has one (S3 ETag). */
  etag?: string;
}

/** A part URL handed to a client for a multipart upload (MLflow's MultipartUploadCredential). */
export interface MultipartCredential {
  url: string;
  partNumber: number;
  headers: Record<string, string>;
}

export interface MultipartPart {
  partNumber: number;
  etag: string;
  url?: string;
}

export interface ArtifactRepository {
  /** The root URI this repository serves (e.g. `file:///srv/artifacts`, `s3://bucket/prefix`). */
  readonly rootUri: string;
  /**
   * Lists the direct children of `dir` ("" = the root), sorted by path. Paths
   * are relative to the repository root (`sub/a.txt` when listing `sub`), as
   * MLflow returns them. A missing directory lists as empty.
   */
  list(dir: string): Promise<FileInfo[]>;
  /** Opens a file for reading; RESOURCE_DOES_NOT_EXIST when it is missing or is a directory. */
  get(path: string, range?: ByteRange): Promise<ArtifactObject>;
  /** Size and metadata without the bytes; undefined when missing. */
  stat(path: string): Promise<{ size: number; isDir: boolean; lastModified?: number } | undefined>;
  /** Writes `body` to `path` (replacing it), creating parent folders; resolves with the bytes written. */
  put(path: string, body: Readable): Promise<number>;
  /** Deletes a file or a whole folder; a missing path is not an error. */
  delete(path: string): Promise<void>;
  /**
   * Starts a multipart upload of `path` in `numParts` parts. Object stores hand out
   * presigned part URLs (the bytes bypass the server); stores without them use
   * `serverPartUrl`, which points back to the server's own part-upload route.
   */
  createMultipartUpload(
    path: string,
    numParts: number,
    serverPartUrl: (uploadId: string, partNumber: number) => string,
  ): Promise<{ uploadId: string; credentials: MultipartCredential[] }>;
  /** Stores one part sent to the server's part-upload route; resolves with its ETag. */
  uploadPart(path: string, uploadId: string, partNumber: number, body: Readable): Promise<string>;
  /** Assembles the uploaded parts into `path`. */
  completeMultipartUpload(path: string, uploadId: string, parts: MultipartPart[]): Promise<void>;
  abortMultipartUpload(path: string, uploadId: string): Promise<void>;
}
