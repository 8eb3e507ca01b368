/**
 * Upload bodies as the cloud repositories (S3, Azure Blob) need them: their
 * length when it is known, and otherwise a part buffered in memory up to a cap
 * (both services need a part's length before its first byte).
 * @module
 */
import type { IncomingMessage } from "node:http";
import { pipeline, Transform, type Readable } from "node:stream";
import { InvalidParameterValueError } from "../shared/errors.js";

/** A part sent through the server without a known length is buffered: at most this many bytes. */
export const MAX_BUFFERED_PART = 64 * 1024 * 1024;

/** The body's length when the caller knows it, or when the body is an HTTP request with Content-Length. */
export function knownLength(body: Readable, explicit: number | undefined): number | undefined {
  if (explicit !== undefined) return explicit;
  const header = (body as Partial<IncomingMessage>).headers?.["content-length"];
  return typeof header === "string" && /^\d{1,15}$/.test(header) ? Number(header) : undefined;
}

/** Reads a part of unknown length into memory, refusing one over MAX_BUFFERED_PART (the body is destroyed). */
export async function bufferPart(body: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of body) {
    total += (chunk as Buffer).length;
    if (total > MAX_BUFFERED_PART) {
      body.destroy();
      throw new InvalidParameterValueError(
        `A part sent without Content-Length may be at most ${MAX_BUFFERED_PART} bytes; send Content-Length or smaller parts`,
      );
    }
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks, total);
}

/**
 * Streams `body` through `send` (the service's upload) and returns the bytes it carried. A failing source (the
 * client went away) is reported as itself, not as the service's error; when `send` fails the source stops being
 * read too (an HTTP request body would otherwise stay open) and `fail` maps the service's error.
 */
export async function uploadCounted(body: Readable, send: (stream: Readable) => Promise<unknown>, fail: (err: unknown) => Error): Promise<number> {
  let bytes = 0;
  let sourceError: Error | undefined;
  const counted = new Transform({
    transform(chunk: Buffer, _enc, done) {
      bytes += chunk.length;
      done(null, chunk);
    },
  });
  pipeline(body, counted, (err) => {
    if (err) sourceError = err;
  });
  try {
    await send(counted);
  } catch (err) {
    counted.destroy();
    if (sourceError) throw sourceError;
    throw fail(err);
  }
  if (sourceError) throw sourceError;
  return bytes;
}
