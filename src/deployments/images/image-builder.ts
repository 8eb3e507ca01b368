/**
 * Builds an image without a daemon: pull the base's manifest and config over
 * the Distribution API, append reproducible layers, write the config and
 * manifest, then push (blobs the target has are skipped, base layers are
 * mounted from the base's repository when both live on one registry) and/or
 * write an OCI image layout.
 *
 * Base layers are downloaded only when they must be read (the user layer
 * needs `/etc/passwd`) or copied (another registry, a layout); they are kept
 * in the blob cache, so a warm build downloads nothing.
 * @module
 */
import { openAsBlob } from "node:fs";
import { InvalidParameterValueError } from "../../shared/errors.js";
import { readBaseFiles } from "./base-files.js";
import { BlobCache, writeOciLayout } from "./blob-cache.js";
import { imageConfig, imageManifest, userLayer, type BaseImage, type ConfigSettings } from "./image-config.js";
import { formatReference, manifestRef, parseImageReference, withDigest, type ImageReference } from "./image-reference.js";
import { layerTime, writeLayer, type LayerBlob, type LayerSpec } from "./layer-tar.js";
import { formatOf, isIndex, selectPlatform, sha256Digest, type Descriptor, type ImageManifest, type ManifestFormat, type Platform } from "./oci-manifest.js";
import type { PushOutcome, RegistryClient } from "./registry-client.js";

export type ClientFor = (registry: string) => RegistryClient;

export type BuildEvent =
  | { kind: "step"; message: string }
  | { kind: "warning"; message: string }
  | { kind: "bytes"; done: number; total: number; label: string }
  | { kind: "blob"; digest: string; size: number; outcome: PushOutcome };

export interface BuildImageOptions {
  base: string;
  /** Where to push (and the name for --output); required with push. */
  target?: string;
  platform: Platform;
  /** Layers in image order (the user layer is added before them). */
  layers: LayerSpec[];
  settings: Omit<ConfigSettings, "created">;
  push: boolean;
  outputDir?: string;
  /** Manifest format; default: the base's. */
  format?: ManifestFormat;
  clientFor: ClientFor;
  cache: BlobCache;
  onEvent?: (e: BuildEvent) => void;
  env?: NodeJS.ProcessEnv;
  /**
   * Reads the base's layers (local gzip tars, in order) before anything is written; throws to stop the build, returns
   * warnings. `layers` and `settings` are read after it returns: it may add to them (a Python model's pip layer).
   */
  inspectBase?: (layers: Array<{ path: string; digest: string }>) => Promise<string[]>;
}

export interface BuiltImage {
  digest: string;
  mediaType: string;
  manifest: Buffer;
  config: Buffer;
  base: { reference: string; digest: string };
  layers: LayerBlob[];
  /** Compressed bytes of all layers (what a pull downloads). */
  size: number;
  /** `registry/repo@sha256:…` when pushed. */
  pushedAs?: string;
  outcomes: Record<PushOutcome, number>;
}

/** Resolves the base reference to one image manifest for the platform, and its config. */
export async function resolveBase(ref: ImageReference, platform: Platform, client: RegistryClient): Promise<BaseImage> {
  let got = await client.getManifest(ref.repository, manifestRef(ref));
  if (isIndex(got.manifest)) {
    const entry = selectPlatform(got.manifest, platform);
    got = await client.getManifest(ref.repository, entry.digest);
    if (isIndex(got.manifest)) throw new InvalidParameterValueError(`Base image ${formatReference(ref)}: an index inside an index is not supported.`);
  }
  const manifest = got.manifest as ImageManifest;
  const configBytes = await client.getBlobBytes(ref.repository, manifest.config);
  let config: Record<string, unknown>;
  try {
    config = JSON.parse(configBytes.toString("utf8")) as Record<string, unknown>;
  } catch {
    throw new InvalidParameterValueError(`Base image ${formatReference(ref)}: its config is not JSON.`);
  }
  return { reference: formatReference({ ...ref, digest: undefined }), digest: got.digest, manifest, config };
}

async function mapLimit<T>(items: T[], limit: number, fn: (t: T) => Promise<void>): Promise<void> {
  let i = 0;
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (i < items.length) await fn(items[i++]);
  }));
}

export async function buildImage(o: BuildImageOptions): Promise<BuiltImage> {
  const emit = o.onEvent ?? (() => undefined);
  const baseRef = parseImageReference(o.base);
  const target = o.target ? parseImageReference(o.target) : undefined;
  if (o.push && !target) throw new InvalidParameterValueError("Pushing needs a target image (-t registry/repo:tag).");
  if (target?.digest) throw new InvalidParameterValueError("The target image takes a tag, not a digest: the digest is the result.");
  const baseClient = o.clientFor(baseRef.registry);
  emit({ kind: "step", message: `Resolving base ${formatReference(baseRef)}` });
  const base = await resolveBase(baseRef, o.platform, baseClient);
  const format = o.format ?? formatOf(base.manifest.mediaType);

  // The base's layers, downloaded (or found in the cache) to read its users.
  const total = base.manifest.layers.reduce((s, l) => s + l.size, 0);
  let done = 0;
  const baseLayers: Array<{ path: string; digest: string }> = [];
  for (const l of base.manifest.layers) {
    const path = await o.cache.ensure(baseClient, baseRef.repository, l, (n) => {
      done += n;
      emit({ kind: "bytes", done, total, label: "base layers" });
    });
    baseLayers.push({ path, digest: l.digest });
  }
  if (o.inspectBase) {
    emit({ kind: "step", message: "Checking the base's Python packages against the model's requirements" });
    for (const w of await o.inspectBase(baseLayers)) emit({ kind: "warning", message: w });
  }
  emit({ kind: "step", message: "Writing layers" });
  const files = await readBaseFiles(baseLayers, ["etc/passwd", "etc/group"]);
  {
    const mtime = layerTime(o.env);
    const layers: LayerBlob[] = [];
    for (const spec of [userLayer(files.get("etc/passwd") ?? null, files.get("etc/group") ?? null), ...o.layers]) {
      emit({ kind: "step", message: `Layer: ${spec.comment} (${spec.size} entries)` });
      layers.push(await writeLayer(spec, o.cache.blobsDir, mtime));
    }
    const config = Buffer.from(JSON.stringify(imageConfig(base, o.platform, layers, { ...o.settings, created: mtime.toISOString().replace(".000Z", "Z") })));
    const m = imageManifest(base, format, config, layers);
    const digest = sha256Digest(m.bytes);
    await o.cache.put(m.configDescriptor.digest, config);
    const blobs: Array<{ d: Descriptor; path: string; fromBase: boolean }> = [
      ...base.manifest.layers.map((d, i) => ({ d, path: baseLayers[i].path, fromBase: true })),
      ...layers.map((l) => ({ d: { mediaType: "", digest: l.digest, size: l.size }, path: l.path, fromBase: false })),
      { d: m.configDescriptor, path: o.cache.path(m.configDescriptor.digest), fromBase: false },
    ];
    const outcomes: Record<PushOutcome, number> = { exists: 0, mounted: 0, uploaded: 0 };
    let pushedAs: string | undefined;
    if (o.push && target) {
      emit({ kind: "step", message: `Pushing to ${formatReference(target)}` });
      const client = o.clientFor(target.registry);
      const mountFrom = target.registry === baseRef.registry ? baseRef.repository : undefined;
      await mapLimit(blobs, 3, async (b) => {
        const outcome = await client.pushBlob(target.repository, b.d, await openAsBlob(b.path), b.fromBase ? mountFrom : undefined);
        outcomes[outcome]++;
        emit({ kind: "blob", digest: b.d.digest, size: b.d.size, outcome });
      });
      await client.pushManifest(target.repository, target.tag ?? "latest", m.bytes, m.mediaType);
      pushedAs = withDigest(target, digest);
    }
    if (o.outputDir) {
      emit({ kind: "step", message: `Writing OCI layout ${o.outputDir}` });
      await writeOciLayout(o.outputDir, {
        manifest: m.bytes,
        manifestDigest: digest,
        mediaType: m.mediaType,
        blobs: blobs.map((b) => ({ digest: b.d.digest, path: b.path })),
        tag: target?.tag ?? "latest",
      });
    }
    return {
      digest,
      mediaType: m.mediaType,
      manifest: m.bytes,
      config,
      base: { reference: base.reference, digest: base.digest },
      layers,
      size: blobs.reduce((s, b) => s + b.d.size, 0),
      pushedAs,
      outcomes,
    };
  }
}
