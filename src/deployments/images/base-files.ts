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
import { HostileLayerError, isUnder, safeEntryPath, walkLayers } from "./layer-walk.js";

const MAX_WANTED_BYTES = 1024 * 1024;

/**
 * The final content of each wanted path (`etc/passwd`) after all layers, or
 * `null` when absent. `layers` are local gzip tar files in image order.
 */
export async function readBaseFiles(layers: Array<{ path: string; digest: string }>, wanted: string[]): Promise<Map<string, Buffer | null>> {
  const want = new Set(wanted.map((w) => safeEntryPath(w, "(wanted)")));
  const files = new Map<string, Buffer | null>([...want].map((w) => [w, null]));
  await walkLayers(layers, {
    remove(path, opaque) {
      for (const w of want) if (opaque ? w !== path && isUnder(w, path) : isUnder(w, path)) files.set(w, null);
    },
    entry(path, header, stream, layer) {
      if (!want.has(path)) return;
      if (header.type !== "file" || (header.size ?? 0) > MAX_WANTED_BYTES) {
        throw new HostileLayerError(`Refused base image layer ${layer}: /${path} is a ${header.type} of ${header.size ?? 0} bytes, not a regular file under 1 MiB.`);
      }
      return new Promise<void>((resolve) => {
        const chunks: Buffer[] = [];
        stream.on("data", (c: unknown) => chunks.push(c as Buffer));
        stream.on("end", () => {
          files.set(path, Buffer.concat(chunks));
          resolve();
        });
      });
    },
  });
  return files;
}
