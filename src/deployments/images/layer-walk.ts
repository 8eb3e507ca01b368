/**
 * Walks a base image's layers (local gzip tar files, in image order) as a
 * container runtime applies them: entries in order, whiteouts (`.wh.<name>`,
 * `.wh..wh..opq`) deleting what earlier layers put there. Every entry name, and
 * every hard link's target, is checked first: a layer with a path that climbs
 * out of the root (`../`) or holds a NUL byte is refused as a whole.
 * @module
 */
import { createReadStream } from "node:fs";
import { posix } from "node:path";
import { pipeline } from "node:stream/promises";
import { createGunzip } from "node:zlib";
import tar, { type ExtractEvents, type Header } from "tar-stream";
import { InvalidParameterValueError } from "../../shared/errors.js";

/** A base image layer refused as hostile or unreadable. */
export class HostileLayerError extends InvalidParameterValueError {}

/** A layer entry's name as a path under the root (`etc/passwd`), or an error for one that escapes it. */
export function safeEntryPath(name: string, layer: string): string {
  if (name.includes("\0")) throw new HostileLayerError(`Refused base image layer ${layer}: an entry name holds a NUL byte.`);
  const trimmed = name.replace(/^(\.\/|\/)+/, "");
  const parts = trimmed.split("/").filter((p) => p !== "" && p !== ".");
  if (parts.includes("..")) throw new HostileLayerError(`Refused base image layer ${layer}: entry '${name.slice(0, 200)}' climbs out of the root.`);
  return parts.join("/");
}

/** An entry's content (tar-stream's stream). */
export type EntryStream = ExtractEvents["entry"][1];

export interface LayerVisitor {
  /** A whiteout: `path` and everything under it are gone; with `opaque`, only what is under `path` ("" = the root). */
  remove(path: string, opaque: boolean): void;
  /**
   * Any other entry. Return a promise to read `stream` (the walk waits for it);
   * return nothing to skip the entry's content. Throw a HostileLayerError to refuse the layer.
   */
  entry(path: string, header: Header, stream: EntryStream, layer: string): Promise<void> | void;
}

/** Whether `path` is `under` or inside it ("" holds everything). */
export function isUnder(path: string, under: string): boolean {
  return under === "" || path === under || path.startsWith(`${under}/`);
}

export async function walkLayers(layers: Array<{ path: string; digest: string }>, visit: LayerVisitor): Promise<void> {
  for (const layer of layers) {
    const extract = tar.extract();
    extract.on("entry", (header, stream, next) => {
      // The extractor fails the entry's stream too when it is destroyed; the pipeline reports the error once.
      stream.on("error", () => undefined);
      const refuse = (err: unknown) => {
        stream.resume();
        extract.destroy(err as Error);
      };
      let path: string;
      let reading: Promise<void> | void = undefined;
      try {
        path = safeEntryPath(header.name, layer.digest);
        // A hard link names another entry of the image: it must stay inside too.
        if (header.type === "link" && header.linkname) safeEntryPath(header.linkname, layer.digest);
        const base = posix.basename(path);
        const dir = posix.dirname(path) === "." ? "" : posix.dirname(path);
        if (base === ".wh..wh..opq") visit.remove(dir, true);
        else if (base.startsWith(".wh.")) visit.remove(posix.join(dir, base.slice(4)), false);
        else reading = visit.entry(path, header, stream, layer.digest);
      } catch (err) {
        refuse(err);
        return;
      }
      if (reading) {
        reading.then(() => next(), refuse);
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
}
