/**
 * Streams bytes into a file so that no half-written file is ever visible:
 * the bytes go to a hidden sibling (`.ciclo-tmp-<random>`, same folder, so
 * the final step is a rename, never a copy), are flushed to disk, and the
 * sibling is renamed over the target. On any failure the sibling is removed.
 * @module
 */
import { createHash, randomBytes } from "node:crypto";
import { constants } from "node:fs";
import { open, rename, unlink, type FileHandle } from "node:fs/promises";
import { join } from "node:path";
import type { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { InvalidParameterValueError } from "../shared/errors.js";
import { errnoOf, TEMP_PREFIX } from "./local-root.js";

/** Large writes: fewer syscalls than the 16 KiB default, still a bounded amount of memory per upload. */
const WRITE_HIGH_WATER_MARK = 1024 * 1024;

export interface WriteResult {
  bytes: number;
  /** Hex MD5 of the bytes, when asked for (multipart part ETags). */
  md5?: string;
}

export interface AtomicWriteOptions {
  md5?: boolean;
  /** fsync before the rename (default true). Multipart parts skip it: they are staging, the assembled file is synced. */
  durable?: boolean;
  /** Proves the opened temporary file lies inside the repository root. */
  checkOpened(handle: FileHandle, path: string): Promise<void>;
}

/**
 * A body may fail (client gone) while the folders are still being checked,
 * before pipeline() listens; without a listener that error would crash the
 * process. pipeline() still sees it: it rejects for an already-errored stream.
 */
export function guardEarlyErrors(body: Readable): void {
  body.on("error", () => {});
}

function tempName(): string {
  return `${TEMP_PREFIX}${randomBytes(12).toString("hex")}`;
}

/** Writes `sources` one after another (a single body, or the parts of a multipart upload) into `dir/name`. */
export async function writeAtomically(
  dir: string,
  name: string,
  sources: Readable | (() => AsyncIterable<Readable>),
  opts: AtomicWriteOptions,
): Promise<WriteResult> {
  const tmp = join(dir, tempName());
  // O_EXCL + O_NOFOLLOW: never reuse or follow something already sitting at the temporary name.
  const handle = await open(tmp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o644);
  let bytes = 0;
  const hash = opts.md5 ? createHash("md5") : undefined;
  try {
    await opts.checkOpened(handle, tmp);
    // `flush`: fsync before the stream closes the file. Durable before visible: after a crash the
    // target is either the old file or the whole new one.
    const out = handle.createWriteStream({ flush: opts.durable !== false, highWaterMark: WRITE_HIGH_WATER_MARK });
    const count = async function* (source: AsyncIterable<Buffer>) {
      for await (const chunk of source) {
        bytes += chunk.length;
        hash?.update(chunk);
        yield chunk;
      }
    };
    const input: AsyncIterable<Buffer> =
      typeof sources === "function"
        ? (async function* () {
            for await (const part of sources()) yield* part as AsyncIterable<Buffer>;
          })()
        : (sources as AsyncIterable<Buffer>);
    await pipeline(input, count, out);
  } catch (err) {
    await handle.close().catch(() => {});
    await unlink(tmp).catch(() => {});
    throw err;
  }
  try {
    await rename(tmp, join(dir, name));
  } catch (err) {
    await unlink(tmp).catch(() => {});
    const code = errnoOf(err);
    if (code === "EISDIR" || code === "ENOTEMPTY" || code === "EEXIST") {
      throw new InvalidParameterValueError(`Invalid path: '${name}' is a directory`);
    }
    throw err;
  }
  return { bytes, md5: hash?.digest("hex") };
}
