/**
 * Byte streams checked against the descriptor that announced them: a blob
 * that is longer than declared fails as soon as it is, and one whose bytes
 * hash to another digest fails at its end — before anything downstream
 * treats it as complete.
 * @module
 */
import { createHash } from "node:crypto";
import { Transform, type TransformCallback } from "node:stream";
import { InvalidParameterValueError } from "../../shared/errors.js";

export class DigestMismatchError extends InvalidParameterValueError {}

/** Passes bytes through, failing on more than `size` bytes or a digest other than `digest`. */
export function verifyingStream(digest: string, size: number, what: string): Transform {
  const hash = createHash("sha256");
  let seen = 0;
  return new Transform({
    transform(chunk: Buffer, _enc, cb: TransformCallback) {
      seen += chunk.length;
      if (seen > size) return cb(new DigestMismatchError(`Refused ${what}: more than the ${size} bytes its descriptor declares.`));
      hash.update(chunk);
      cb(null, chunk);
    },
    flush(cb: TransformCallback) {
      if (seen !== size) return cb(new DigestMismatchError(`Refused ${what}: ${seen} bytes, its descriptor declares ${size}.`));
      const got = `sha256:${hash.digest("hex")}`;
      if (got !== digest) return cb(new DigestMismatchError(`Refused ${what}: its bytes hash to ${got}, not ${digest}.`));
      cb();
    },
  });
}

/** Reads a response body whole, refusing more than `limit` bytes (announced or sent). */
export async function readLimited(res: Response, limit: number, what: string): Promise<Buffer> {
  const declared = Number(res.headers.get("content-length") ?? "NaN");
  if (Number.isFinite(declared) && declared > limit) {
    await res.body?.cancel().catch(() => undefined);
    throw new InvalidParameterValueError(`Refused ${what}: ${declared} bytes, over the ${limit}-byte limit.`);
  }
  const chunks: Buffer[] = [];
  let total = 0;
  if (!res.body) return Buffer.alloc(0);
  const reader = res.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.length;
    if (total > limit) {
      await reader.cancel().catch(() => undefined);
      throw new InvalidParameterValueError(`Refused ${what}: over the ${limit}-byte limit.`);
    }
    chunks.push(Buffer.from(value));
  }
  return Buffer.concat(chunks);
}
