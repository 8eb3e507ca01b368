/**
 * Sends one artifact as a download: streamed from its repository (never
 * buffered, never copied to a temporary file), with MLflow's headers
 * (Content-Type by extension, attachment disposition, `nosniff`) and HTTP
 * Range support (206 with Content-Range; 416 when nothing can be served).
 * @module
 */
import type { FastifyInstance, FastifyReply, FastifyRequest, RouteShorthandOptions } from "fastify";
import type { ArtifactRepository, ByteRange } from "../artifact-repository.js";
import { ResourceDoesNotExistError } from "../../shared/errors.js";
import { guessMimeType } from "./artifact-mime.js";

export type RangeRequest = { kind: "none" } | { kind: "range"; range: ByteRange } | { kind: "unsatisfiable" };

/**
 * Reads a `Range` header against an object of `size` bytes. A header that is
 * not one valid `bytes=` range (other units, several ranges, bad syntax) is
 * ignored and the whole object is sent, as RFC 9110 §14.2 allows.
 */
export function parseRange(header: string | undefined, size: number): RangeRequest {
  if (!header) return { kind: "none" };
  const m = /^\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*$/i.exec(header);
  if (!m || (m[1] === "" && m[2] === "")) return { kind: "none" };
  if (m[1] === "") {
    const suffix = Number(m[2]);
    if (suffix === 0 || size === 0) return { kind: "unsatisfiable" };
    return { kind: "range", range: { start: Math.max(0, size - suffix), end: size - 1 } };
  }
  const start = Number(m[1]);
  const end = m[2] === "" ? Infinity : Number(m[2]);
  if (end < start) return { kind: "none" };
  if (start >= size) return { kind: "unsatisfiable" };
  return { kind: "range", range: { start, end: Math.min(end, size - 1) } };
}

/** `attachment; filename="..."` with an RFC 5987 `filename*` for names that are not plain ASCII. */
export function contentDisposition(path: string): string {
  const name = path.slice(path.lastIndexOf("/") + 1);
  const ascii = name.replace(/[^\x20-\x7e]|["\\]/g, "_");
  const encoded = encodeURIComponent(name).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  return ascii === name ? `attachment; filename="${name}"` : `attachment; filename="${ascii}"; filename*=UTF-8''${encoded}`;
}

class RangeNotSatisfiable extends Error {
  readonly statusCode = 416;
}

/** Streams `path` of `repo` as the reply (GET and HEAD). */
export async function sendArtifact(req: FastifyRequest, reply: FastifyReply, repo: ArtifactRepository, path: string): Promise<FastifyReply> {
  const rangeHeader = req.headers.range;
  const head = req.method === "HEAD";
  let range: ByteRange | undefined;
  if (rangeHeader || head) {
    // The size is needed first to resolve the range (or, for HEAD, instead of the bytes).
    const st = await repo.stat(path);
    if (!st || st.isDir) throw new ResourceDoesNotExistError(`Artifact '${path}' does not exist`);
    const r = parseRange(rangeHeader, st.size);
    if (r.kind === "unsatisfiable") {
      void reply.header("content-range", `bytes */${st.size}`);
      throw new RangeNotSatisfiable(`Requested range not satisfiable: '${rangeHeader}' for an artifact of ${st.size} bytes`);
    }
    if (r.kind === "range") range = r.range;
    if (head) {
      setHeaders(reply, path, st.size, range, st.lastModified);
      return reply.status(range ? 206 : 200).send();
    }
  }
  const obj = await repo.get(path, range);
  setHeaders(reply, path, obj.size, range, obj.lastModified, obj.etag);
  return reply.status(range ? 206 : 200).send(obj.body);
}

function setHeaders(reply: FastifyReply, path: string, size: number, range?: ByteRange, lastModified?: number, etag?: string): void {
  void reply
    .header("content-type", guessMimeType(path))
    // MLflow compat: always an attachment, never rendered on the server's origin (XSS), never sniffed.
    .header("content-disposition", contentDisposition(path))
    .header("x-content-type-options", "nosniff")
    .header("accept-ranges", "bytes")
    .header("content-length", String(range ? range.end - range.start + 1 : size));
  if (range) void reply.header("content-range", `bytes ${range.start}-${range.end}/${size}`);
  if (lastModified !== undefined) void reply.header("last-modified", new Date(lastModified).toUTCString());
  if (etag) void reply.header("etag", etag);
}

/**
 * Registers a download as GET plus an explicit HEAD: Fastify's automatic HEAD
 * route would run the GET handler and read the whole stream just to discard it.
 */
export function downloadRoute(
  app: FastifyInstance,
  url: string,
  opts: RouteShorthandOptions,
  handler: (req: FastifyRequest, reply: FastifyReply) => Promise<FastifyReply>,
): void {
  app.get(url, { ...opts, exposeHeadRoute: false }, handler);
  app.head(url, opts, handler);
}
