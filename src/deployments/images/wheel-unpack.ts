/**
 * Unpacks Python wheels (`.whl`, zip archives) into a folder the way an
 * installer lays out a pure install into site-packages: the archive root
 * as is, `<dist>.data/purelib` and `platlib` merged into it, the other
 * `.data` parts (scripts, headers, data) left out — the image runs the
 * packages, not their commands. A wheel is someone else's archive: names
 * are validated (yauzl refuses absolute paths and `..`), links are refused,
 * and the unpacked size is capped.
 * @module
 */
import { createWriteStream } from "node:fs";
import { mkdir } from "node:fs/promises";
import { dirname, join } from "node:path";
import { pipeline } from "node:stream/promises";
import yauzl from "yauzl";
import { InvalidParameterValueError } from "../../shared/errors.js";

const MAX_UNPACKED = 2 * 1024 * 1024 * 1024;

/** Where an entry of the wheel goes, relative to the target folder (undefined: left out). */
export function wheelEntryTarget(name: string): string | undefined {
  const data = /^[^/]+\.data\/([^/]+)\/(.*)$/.exec(name);
  if (!data) return name;
  return data[1] === "purelib" || data[1] === "platlib" ? data[2] || undefined : undefined;
}

export async function unpackWheel(wheel: string, into: string): Promise<number> {
  let zip: yauzl.ZipFile;
  try {
    zip = await yauzl.openPromise(wheel, { lazyEntries: true, strictFileNames: true, validateEntrySizes: true });
  } catch (err) {
    throw new InvalidParameterValueError(`'${wheel}' is not a readable wheel (zip archive): ${(err as Error).message}`);
  }
  let total = 0;
  let files = 0;
  try {
    await new Promise<void>((resolve, reject) => {
      zip.on("error", (err: Error) => reject(new InvalidParameterValueError(`Refused wheel '${wheel}': ${err.message}`)));
      zip.on("end", () => resolve());
      zip.on("entry", (entry: yauzl.Entry) => {
        void (async () => {
          const rel = entry.fileName.endsWith("/") ? undefined : wheelEntryTarget(entry.fileName);
          const mode = (entry.externalFileAttributes >>> 16) & 0o170000;
          if (mode === 0o120000) throw new InvalidParameterValueError(`Refused wheel '${wheel}': '${entry.fileName}' is a symbolic link.`);
          if (rel) {
            total += entry.uncompressedSize;
            if (total > MAX_UNPACKED) throw new InvalidParameterValueError(`Refused wheel '${wheel}': it unpacks to more than ${MAX_UNPACKED / 1024 ** 3} GiB.`);
            const out = join(into, rel);
            await mkdir(dirname(out), { recursive: true });
            await pipeline(await zip.openReadStreamPromise(entry), createWriteStream(out, { mode: (entry.externalFileAttributes >>> 16) & 0o111 ? 0o755 : 0o644 }));
            files++;
          }
          zip.readEntry();
        })().catch(reject);
      });
      zip.readEntry();
    });
  } finally {
    zip.close();
  }
  return files;
}
