/**
 * Image manifests, indexes and descriptors as the OCI image spec and Docker's
 * v2 schema 2 define them, and the checks every document from a registry
 * passes before ciclo acts on it. Registries and base images are hostile
 * until proven otherwise: sizes are bounded, digests are `sha256:<64 hex>`,
 * media types are the ones ciclo understands.
 * @module
 */
import { createHash } from "node:crypto";
import { InvalidParameterValueError } from "../../shared/errors.js";

export const MEDIA = {
  ociIndex: "application/vnd.oci.image.index.v1+json",
  ociManifest: "application/vnd.oci.image.manifest.v1+json",
  ociConfig: "application/vnd.oci.image.config.v1+json",
  ociLayerGzip: "application/vnd.oci.image.layer.v1.tar+gzip",
  ociLayer: "application/vnd.oci.image.layer.v1.tar",
  dockerList: "application/vnd.docker.distribution.manifest.list.v2+json",
  dockerManifest: "application/vnd.docker.distribution.manifest.v2+json",
  dockerConfig: "application/vnd.docker.container.image.v1+json",
  dockerLayerGzip: "application/vnd.docker.image.rootfs.diff.tar.gzip",
} as const;

/** What ciclo asks a registry for, in its order of preference. */
export const MANIFEST_ACCEPT = [MEDIA.ociIndex, MEDIA.ociManifest, MEDIA.dockerList, MEDIA.dockerManifest].join(", ");

/** The Distribution reference implementation refuses manifests over 4 MiB; so does ciclo. */
export const MAX_MANIFEST_BYTES = 4 * 1024 * 1024;
export const MAX_CONFIG_BYTES = 8 * 1024 * 1024;
/** overlayfs stacks at most ~128 lower layers; an image with more cannot run anyway. */
export const MAX_LAYERS = 127;
/** One layer's declared size (compressed): past this a base image is refused, not downloaded. */
export const MAX_LAYER_BYTES = 16 * 1024 ** 3;

export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  platform?: Platform;
  annotations?: Record<string, string>;
  urls?: string[];
}

export interface Platform {
  os: string;
  architecture: string;
  variant?: string;
}

export interface ImageManifest {
  schemaVersion: 2;
  mediaType: string;
  config: Descriptor;
  layers: Descriptor[];
  annotations?: Record<string, string>;
}

export interface ImageIndex {
  schemaVersion: 2;
  mediaType: string;
  manifests: Descriptor[];
}

export type ManifestFormat = "oci" | "docker";

const DIGEST = /^sha256:[a-f0-9]{64}$/;

export function sha256Digest(bytes: Uint8Array | string): string {
  return `sha256:${createHash("sha256").update(bytes).digest("hex")}`;
}

export function isDigest(s: unknown): s is string {
  return typeof s === "string" && DIGEST.test(s);
}

function bad(what: string, why: string): InvalidParameterValueError {
  return new InvalidParameterValueError(`Refused ${what}: ${why}.`);
}

function descriptor(d: unknown, what: string, maxSize: number): Descriptor {
  if (!d || typeof d !== "object") throw bad(what, "a descriptor is not an object");
  const x = d as Record<string, unknown>;
  if (typeof x.mediaType !== "string" || x.mediaType.length > 256) throw bad(what, "a descriptor has no media type");
  if (!isDigest(x.digest)) throw bad(what, `digest '${String(x.digest).slice(0, 80)}' is not sha256:<64 hex>`);
  if (typeof x.size !== "number" || !Number.isSafeInteger(x.size) || x.size < 0) throw bad(what, `size ${String(x.size)} is not a byte count`);
  if (x.size > maxSize) throw bad(what, `${x.digest} declares ${x.size} bytes, over the ${maxSize}-byte limit`);
  return x as unknown as Descriptor;
}

/** The manifest's own media type: the field, else the Content-Type the registry sent. */
function mediaTypeOf(doc: Record<string, unknown>, contentType: string | undefined): string {
  const field = typeof doc.mediaType === "string" ? doc.mediaType : undefined;
  const header = contentType?.split(";")[0].trim();
  // An OCI manifest may omit mediaType (image-spec ≤1.0); an index is told apart by its `manifests` list.
  return field ?? (header && header !== "application/json" ? header : Array.isArray(doc.manifests) ? MEDIA.ociIndex : MEDIA.ociManifest);
}

/** Parses and checks a manifest or index read from a registry (or an OCI layout). */
export function parseManifest(bytes: Uint8Array, contentType?: string): ImageManifest | ImageIndex {
  if (bytes.length > MAX_MANIFEST_BYTES) throw bad("manifest", `${bytes.length} bytes, over the ${MAX_MANIFEST_BYTES}-byte limit`);
  let doc: unknown;
  try {
    doc = JSON.parse(Buffer.from(bytes).toString("utf8"));
  } catch {
    throw bad("manifest", "not JSON");
  }
  if (!doc || typeof doc !== "object" || Array.isArray(doc)) throw bad("manifest", "not a JSON object");
  const m = doc as Record<string, unknown>;
  if (m.schemaVersion !== 2) throw bad("manifest", `schemaVersion ${String(m.schemaVersion)} (only 2 is supported; schema 1 is deprecated)`);
  const mediaType = mediaTypeOf(m, contentType);
  if (mediaType === MEDIA.ociIndex || mediaType === MEDIA.dockerList) {
    if (!Array.isArray(m.manifests) || m.manifests.length > 1024) throw bad("image index", "no manifests list, or more than 1024 entries");
    const manifests = m.manifests.map((d) => descriptor(d, "image index", MAX_MANIFEST_BYTES));
    return { schemaVersion: 2, mediaType, manifests };
  }
  if (mediaType !== MEDIA.ociManifest && mediaType !== MEDIA.dockerManifest) throw bad("manifest", `media type '${mediaType.slice(0, 100)}' is not an image manifest`);
  if (!Array.isArray(m.layers)) throw bad("manifest", "no layers list");
  if (m.layers.length > MAX_LAYERS) throw bad("manifest", `${m.layers.length} layers, over the limit of ${MAX_LAYERS}`);
  const config = descriptor(m.config, "manifest config", MAX_CONFIG_BYTES);
  const layers = m.layers.map((d) => descriptor(d, "manifest layer", MAX_LAYER_BYTES));
  for (const l of layers) {
    if (!/tar(\+gzip|\.gzip)?$/.test(l.mediaType)) throw bad("manifest", `layer media type '${l.mediaType}' is not a tar or gzip tar (zstd and foreign layers are not supported)`);
  }
  return { ...(m as object), schemaVersion: 2, mediaType, config, layers } as ImageManifest;
}

export function isIndex(m: ImageManifest | ImageIndex): m is ImageIndex {
  return "manifests" in m;
}

/** `linux/amd64`, `linux/arm64/v8` → a platform. */
export function parsePlatform(s: string): Platform {
  const [os, architecture, variant, ...rest] = s.split("/");
  if (!os || !architecture || rest.length || !/^[a-z0-9]+$/.test(os) || !/^[a-z0-9_]+$/.test(architecture) || (variant !== undefined && !/^v[0-9]+$/.test(variant))) {
    throw new InvalidParameterValueError(`Platform '${s}' is not os/architecture[/variant], e.g. linux/amd64.`);
  }
  return { os, architecture, ...(variant ? { variant } : {}) };
}

export function formatPlatform(p: Platform): string {
  return [p.os, p.architecture, p.variant].filter(Boolean).join("/");
}

/** The index entry for a platform (arm64's variant defaults to v8, as containerd matches it). */
export function selectPlatform(index: ImageIndex, want: Platform): Descriptor {
  const variantOf = (p: Platform) => p.variant ?? (p.architecture === "arm64" ? "v8" : "");
  const found = index.manifests.find(
    (d) => d.platform && d.platform.os === want.os && d.platform.architecture === want.architecture && (!want.variant || variantOf(d.platform) === variantOf(want)),
  );
  if (!found) {
    const have = index.manifests.map((d) => (d.platform ? formatPlatform(d.platform) : "?")).join(", ");
    throw new InvalidParameterValueError(`The base image has no ${formatPlatform(want)} variant (it has: ${have || "none"}).`);
  }
  return found;
}

/** The layer media type that goes with a manifest format. */
export function layerMediaType(format: ManifestFormat): string {
  return format === "oci" ? MEDIA.ociLayerGzip : MEDIA.dockerLayerGzip;
}

export function formatOf(mediaType: string): ManifestFormat {
  return mediaType === MEDIA.dockerManifest ? "docker" : "oci";
}
