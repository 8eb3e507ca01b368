/**
 * Reads an image from its registry to pin it: the digest its tag names now
 * (an index's own digest for a multi-platform image, so every node pulls its
 * platform's variant) and the labels of the platform's config — what
 * `ciclo models k8s` writes into a Deployment, so the pods run exactly the
 * image that was built and the objects carry the model's real version, not
 * an alias.
 * @module
 */
import { InvalidParameterValueError } from "../../shared/errors.js";
import type { ClientFor } from "./image-builder.js";
import { manifestRef, parseImageReference, withDigest } from "./image-reference.js";
import { isIndex, selectPlatform, type ImageManifest, type Platform } from "./oci-manifest.js";

export interface PinnedImage {
  /** `registry/repo@sha256:…` */
  pinned: string;
  digest: string;
  labels: Record<string, string>;
}

export async function pinImage(image: string, platform: Platform, clientFor: ClientFor): Promise<PinnedImage> {
  const ref = parseImageReference(image);
  const client = clientFor(ref.registry);
  const top = await client.getManifest(ref.repository, manifestRef(ref));
  let manifest = top.manifest;
  if (isIndex(manifest)) {
    const entry = selectPlatform(manifest, platform);
    manifest = (await client.getManifest(ref.repository, entry.digest)).manifest;
    if (isIndex(manifest)) throw new InvalidParameterValueError(`Image ${image}: an index inside an index is not supported.`);
  }
  const config = JSON.parse((await client.getBlobBytes(ref.repository, (manifest as ImageManifest).config)).toString("utf8")) as { config?: { Labels?: Record<string, string> | null } };
  const labels = Object.fromEntries(Object.entries(config.config?.Labels ?? {}).filter(([, v]) => typeof v === "string"));
  return { pinned: withDigest(ref, top.digest), digest: top.digest, labels };
}
