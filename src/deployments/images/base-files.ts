/**
 * Reads a few files (`/etc/passwd`, `/etc/group`) out of a base image's
 * layers, applying them in order as a container runtime would — later layers
 * replace earlier ones, whiteouts (`.wh.<name>`, `.wh..wh..opq`) delete — so
 * the builder can add its user to what the base already has.
 *
 * A base image is someone else's tarball: every entry name is checked, and a
 * layer with a path that climbs out of the root (`../`), a NUL byte, or a
 * wanted file that is a link or over 1 MiB is refused as a whole.
 * @module
 */
import { createReadStream } from "node:fs";
import { posix } from "node:path";
import { pipeline } from "node:stream/promises";
import { createGunzip } from "node:zlib";
import tar from "tar-stream";
import { InvalidParameterValueError } from "../../shared/errors.js";

const MAX_WANTED_BYTES = 1024 * 1024;

export class HostileLayerError extends InvalidParameterValueError {}

/** A layer entry's name as a path under the root (`etc/passwd`), or an error for one that escapes it. */
export function safeEntryPath(name: string, layer: string): string {
  if (name.includes("\0")) throw new HostileLayerError(`Refused base image layer ${layer}: an entry name holds a NUL byte.`);
  const trimmed = name.replace(/^(\.\/|\/)+/, "");
  const parts = trimmed.split("/").filter((p) => p !== "" && p !== ".");
  if (parts.includes("..")) throw new HostileLayerError(`Refused base image layer ${layer}: entry '${name.slice(0, 200)}' climbs out of the root.`);
  return parts.join("/");
}

/**
 * The final content of each wanted path (`etc/passwd`) after all layers, or
 * `null` when absent. `layers` are local gzip tar files in image order.
 */
export async function readBaseFiles(layers: Array<{ path: string; digest: string }>, wanted: string[]): Promise<Map<string, Buffer | null>> {
  const want = new Set(wanted.map((w) => safeEntryPath(w, "(wanted)")));
  const files = new Map<string, Buffer | null>([...want].map((w) => [w, null]));
  for (const layer of layers) {
    const extract = tar.extract();
    extract.on("entry", (header, stream, next) => {
      // The extractor fails the entry's stream too when it is destroyed; the pipeline reports the error once.
      stream.on("error", () => undefined);
      let path: string;
      try {
        path = safeEntryPath(header.name, layer.digest);
        if (header.linkname && (header.type === "link" || header.type === "symlink")) {
          // A hard link names another entry of the image: it must stay inside too.
          if (header.type === "link") safeEntryPath(header.linkname, layer.digest);
        }
      } catch (err) {
        stream.resume();
        extract.destroy(err as Error);
        return;
      }
      const base = posix.basename(path);
      const dir = posix.dirname(path) === "." ? "" : posix.dirname(path);
      if (base === ".wh..wh..opq") {
        for (const w of want) if (w.startsWith(dir ? `${dir}/` : "")) files.set(w, null);
      } else if (base.startsWith(".wh.")) {
        const gone = posix.join(dir, base.slice(4));
        for (const w of want) if (w === gone || w.startsWith(`${gone}/`)) files.set(w, null);
      } else if (want.has(path)) {
        if (header.type !== "file" || (header.size ?? 0) > MAX_WANTED_BYTES) {
          stream.resume();
          extract.destroy(new HostileLayerError(`Refused base image layer ${layer.digest}: /${path} is a ${header.type} of ${header.size ?? 0} bytes, not a regular file under 1 MiB.`));
          return;
        }
        const chunks: Buffer[] = [];
        stream.on("data", (c: unknown) => chunks.push(c as Buffer));
        stream.on("end", () => {
          files.set(path, Buffer.concat(chunks));
          next();
        });
        return;
      }
      stream.on("end", next);
      stream.resume();
    });
    await pipeline(createReadStream(layer.path), createGunzip(), extract).catch((err: Error) => {
      if (err instanceof HostileLayerError) throw err;
      throw new HostileLayerError(`Refused base image layer ${layer.digest}: not a readable gzip tar (${err.message}).`);
    });
  }
  return files;
}
