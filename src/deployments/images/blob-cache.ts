/**
 * A content-addressed folder of blobs (`<dir>/blobs/sha256/<hex>`, the OCI
 * image layout's shape): base layers pulled once and reused by later builds,
 * and the layers a build writes. A blob lands under its name only after its
 * bytes were checked against its digest, so a present file is a good one.
 *
 * `writeOciLayout` turns a built image into an OCI image layout folder
 * (`--output`): what `skopeo copy oci:<dir>`, `podman load` or `crane` read.
 * @module
 */
import { createWriteStream } from "node:fs";
import { copyFile, link, mkdir, readdir, rename, rm, stat, writeFile } from "node:fs/promises";
import { homedir } from "node:os";
import { join } from "node:path";
import { pipeline } from "node:stream/promises";
import { InvalidParameterValueError } from "../../shared/errors.js";
import type { Descriptor } from "./oci-manifest.js";
import type { RegistryClient } from "./registry-client.js";

export class BlobCache {
  readonly dir: string;

  constructor(dir: string) {
    this.dir = dir;
  }

  /** `$CICLO_IMAGE_CACHE`, else `$XDG_CACHE_HOME/ciclo/images`, else `~/.cache/ciclo/images`. */
  static defaultDir(env: NodeJS.ProcessEnv = process.env): string {
    return env.CICLO_IMAGE_CACHE ?? join(env.XDG_CACHE_HOME ?? join(homedir(), ".cache"), "ciclo", "images");
  }

  get blobsDir(): string {
    return join(this.dir, "blobs", "sha256");
  }

  path(digest: string): string {
    return join(this.blobsDir, digest.slice("sha256:".length));
  }

  async has(d: Descriptor): Promise<boolean> {
    const st = await stat(this.path(d.digest)).catch(() => undefined);
    return st?.isFile() === true && st.size === d.size;
  }

  /** Downloads a blob unless present; `onBytes` sees progress. */
  async ensure(client: RegistryClient, repo: string, d: Descriptor, onBytes?: (n: number) => void): Promise<string> {
    const path = this.path(d.digest);
    if (await this.has(d)) {
      onBytes?.(d.size);
      return path;
    }
    await mkdir(this.blobsDir, { recursive: true });
    const tmp = `${path}.${process.pid}.partial`;
    try {
      const src = await client.openBlob(repo, d);
      if (onBytes) src.on("data", (c: Buffer) => onBytes(c.length));
      await pipeline(src, createWriteStream(tmp));
      await rename(tmp, path);
    } catch (err) {
      await rm(tmp, { force: true });
      throw err;
    }
    return path;
  }

  /** Stores bytes under their digest (configs, manifests). */
  async put(digest: string, bytes: Buffer): Promise<string> {
    await mkdir(this.blobsDir, { recursive: true });
    const path = this.path(digest);
    await writeFile(path, bytes);
    return path;
  }
}

/** Hard link when on the same file system (a layout of a 1 GB image costs nothing), else copy. */
async function place(from: string, to: string): Promise<void> {
  await rm(to, { force: true });
  await link(from, to).catch(() => copyFile(from, to));
}

/**
 * Writes an OCI image layout: `oci-layout`, `index.json` naming the manifest
 * (`org.opencontainers.image.ref.name` = tag), and every blob.
 */
export async function writeOciLayout(
  dir: string,
  image: { manifest: Buffer; manifestDigest: string; mediaType: string; blobs: Array<{ digest: string; path: string }>; tag: string },
): Promise<void> {
  await mkdir(dir, { recursive: true });
  const existing = (await readdir(dir)).filter((n) => n !== "blobs" && n !== "index.json" && n !== "oci-layout");
  if (existing.length > 0) throw new InvalidParameterValueError(`Output folder '${dir}' holds other files (${existing.slice(0, 3).join(", ")}): refused.`);
  const blobs = join(dir, "blobs", "sha256");
  await mkdir(blobs, { recursive: true });
  for (const b of image.blobs) await place(b.path, join(blobs, b.digest.slice(7)));
  await writeFile(join(blobs, image.manifestDigest.slice(7)), image.manifest);
  await writeFile(join(dir, "oci-layout"), `${JSON.stringify({ imageLayoutVersion: "1.0.0" })}\n`);
  const index = {
    schemaVersion: 2,
    mediaType: "application/vnd.oci.image.index.v1+json",
    manifests: [{ mediaType: image.mediaType, digest: image.manifestDigest, size: image.manifest.length, annotations: { "org.opencontainers.image.ref.name": image.tag } }],
  };
  await writeFile(join(dir, "index.json"), `${JSON.stringify(index)}\n`);
}
