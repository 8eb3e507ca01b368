/**
 * The image config and manifest of a built image: the base's config with
 * ciclo's settings laid over it (user, entry point, environment, port,
 * health check, stop signal, labels), its layers appended — written with a
 * fixed key order and fixed times, so equal inputs give equal bytes.
 *
 * Also the user layer's files: the base's `/etc/passwd` and `/etc/group`
 * with a `ciclo` user (uid/gid 10001) appended, a home folder it owns and a
 * world-writable `/tmp`.
 * @module
 */
import { InvalidParameterValueError } from "../../shared/errors.js";
import { type LayerBlob, LayerSpec } from "./layer-tar.js";
import { formatOf, layerMediaType, MEDIA, sha256Digest, type Descriptor, type ImageManifest, type ManifestFormat, type Platform } from "./oci-manifest.js";

export const CICLO_UID = 10001;
export const CICLO_USER = "ciclo";
export const CICLO_HOME = "/home/ciclo";

export interface HealthcheckSpec {
  test: string[];
  intervalSeconds: number;
  timeoutSeconds: number;
  startPeriodSeconds: number;
  retries: number;
}

export interface ConfigSettings {
  entrypoint: string[];
  cmd?: string[];
  env: Record<string, string>;
  workingDir: string;
  exposedPort?: number;
  healthcheck?: HealthcheckSpec;
  labels: Record<string, string>;
  volumes?: string[];
  /** RFC 3339; fixed for reproducibility. */
  created: string;
}

export interface BaseImage {
  reference: string;
  digest: string;
  manifest: ImageManifest;
  config: Record<string, unknown>;
}

const NS = 1_000_000_000;

/** Base env overlaid by ours, key by key, in a stable order (base keys first). */
function mergeEnv(base: unknown, ours: Record<string, string>): string[] {
  const out = new Map<string, string>();
  for (const kv of Array.isArray(base) ? base : []) {
    if (typeof kv !== "string") continue;
    const eq = kv.indexOf("=");
    out.set(eq < 0 ? kv : kv.slice(0, eq), eq < 0 ? "" : kv.slice(eq + 1));
  }
  for (const [k, v] of Object.entries(ours)) out.set(k, v);
  return [...out].map(([k, v]) => `${k}=${v}`);
}

export function imageConfig(base: BaseImage, platform: Platform, layers: LayerBlob[], s: ConfigSettings): Record<string, unknown> {
  const bc = base.config as { architecture?: string; os?: string; variant?: string; config?: Record<string, unknown>; rootfs?: { diff_ids?: unknown }; history?: unknown[] };
  if (bc.os !== platform.os || bc.architecture !== platform.architecture) {
    throw new InvalidParameterValueError(`Base image ${base.reference} is ${bc.os}/${bc.architecture}, not ${platform.os}/${platform.architecture}.`);
  }
  const diffIds = Array.isArray(bc.rootfs?.diff_ids) ? (bc.rootfs!.diff_ids as string[]) : [];
  if (diffIds.length !== base.manifest.layers.length) throw new InvalidParameterValueError(`Base image ${base.reference}: its config lists ${diffIds.length} layers, its manifest ${base.manifest.layers.length}.`);
  const c = bc.config ?? {};
  const baseHistory = Array.isArray(bc.history) ? bc.history : [];
  const historyFits = baseHistory.filter((h) => !(h as { empty_layer?: boolean }).empty_layer).length === diffIds.length;
  const config: Record<string, unknown> = {
    ...c,
    User: `${CICLO_UID}:${CICLO_UID}`,
    Env: mergeEnv(c.Env, s.env),
    Entrypoint: s.entrypoint,
    Cmd: s.cmd ?? null,
    WorkingDir: s.workingDir,
    ExposedPorts: s.exposedPort ? { [`${s.exposedPort}/tcp`]: {} } : (c.ExposedPorts ?? undefined),
    Labels: { ...((c.Labels as Record<string, string> | null) ?? {}), ...s.labels },
    StopSignal: "SIGTERM",
    ...(s.volumes ? { Volumes: Object.fromEntries(s.volumes.map((v) => [v, {}])) } : {}),
    ...(s.healthcheck
      ? {
          Healthcheck: {
            Test: ["CMD", ...s.healthcheck.test],
            Interval: s.healthcheck.intervalSeconds * NS,
            Timeout: s.healthcheck.timeoutSeconds * NS,
            StartPeriod: s.healthcheck.startPeriodSeconds * NS,
            Retries: s.healthcheck.retries,
          },
        }
      : {}),
  };
  return {
    created: s.created,
    architecture: platform.architecture,
    ...(bc.variant ? { variant: bc.variant } : {}),
    os: platform.os,
    config,
    rootfs: { type: "layers", diff_ids: [...diffIds, ...layers.map((l) => l.diffId)] },
    ...(historyFits
      ? { history: [...baseHistory, ...layers.map((l) => ({ created: s.created, created_by: l.comment, comment: "ciclo" }))] }
      : {}),
  };
}

/** Base layer descriptors in the output format (gzip tar is the same bytes under either media type). */
function convertLayer(d: Descriptor, format: ManifestFormat): Descriptor {
  const gz = d.mediaType === MEDIA.ociLayerGzip || d.mediaType === MEDIA.dockerLayerGzip;
  const { urls: _u, annotations: _a, ...rest } = d;
  return gz ? { ...rest, mediaType: layerMediaType(format) } : rest;
}

export function imageManifest(base: BaseImage, format: ManifestFormat, config: Buffer, layers: LayerBlob[]): { bytes: Buffer; mediaType: string; configDescriptor: Descriptor } {
  if (format === "docker" && base.manifest.layers.some((l) => l.mediaType !== MEDIA.ociLayerGzip && l.mediaType !== MEDIA.dockerLayerGzip)) {
    throw new InvalidParameterValueError(`Base image ${base.reference} has uncompressed layers, which a Docker v2s2 manifest cannot list: use --format oci.`);
  }
  const mediaType = format === "oci" ? MEDIA.ociManifest : MEDIA.dockerManifest;
  const configDescriptor = { mediaType: format === "oci" ? MEDIA.ociConfig : MEDIA.dockerConfig, digest: sha256Digest(config), size: config.length };
  const doc = {
    schemaVersion: 2,
    mediaType,
    config: configDescriptor,
    layers: [...base.manifest.layers.map((l) => convertLayer(l, format)), ...layers.map((l) => ({ mediaType: layerMediaType(format), digest: l.digest, size: l.size }))],
    ...(format === "oci" ? { annotations: { "org.opencontainers.image.base.name": base.reference, "org.opencontainers.image.base.digest": base.digest } } : {}),
  };
  return { bytes: Buffer.from(JSON.stringify(doc)), mediaType, configDescriptor };
}

export { formatOf };

/** The user layer: passwd/group with `ciclo` appended (or created), its home, /tmp. */
export function userLayer(passwd: Buffer | null, group: Buffer | null): LayerSpec {
  const add = (text: string, line: string, name: string) => {
    const lines = text.split("\n").filter((l) => l !== "");
    return `${lines.filter((l) => l.split(":")[0] !== name).concat(line).join("\n")}\n`;
  };
  const basePasswd = passwd?.toString("utf8") ?? "root:x:0:0:root:/root:/bin/sh\n";
  const baseGroup = group?.toString("utf8") ?? "root:x:0:\n";
  const owner = { uid: CICLO_UID, gid: CICLO_UID };
  return new LayerSpec("ciclo: non-root user")
    .file("/etc/passwd", add(basePasswd, `${CICLO_USER}:x:${CICLO_UID}:${CICLO_UID}:ciclo:${CICLO_HOME}:/sbin/nologin`, CICLO_USER))
    .file("/etc/group", add(baseGroup, `${CICLO_USER}:x:${CICLO_UID}:`, CICLO_USER))
    .dir(CICLO_HOME, 0o755, owner)
    .dir("/tmp", 0o1777);
}
