/**
 * The flags `ciclo models build-image` and `ciclo image build-server` share —
 * target, base, push, registry auth, plain-http exceptions, platform,
 * manifest format, OCI layout output — and the progress they print.
 * @module
 */
import type { Command } from "commander";
import { BlobCache } from "../../deployments/images/blob-cache.js";
import type { BuildEvent, ClientFor } from "../../deployments/images/image-builder.js";
import { parsePlatform, type ManifestFormat, type Platform } from "../../deployments/images/oci-manifest.js";
import { RegistryClient } from "../../deployments/images/registry-client.js";
import { credentialLookup } from "../../deployments/images/registry-credentials.js";
import { CICLO_VERSION } from "../../shared/node/version.js";
import { createByteProgress, type ByteProgress } from "../output/byte-progress.js";
import { UsageError } from "../output/cli-errors.js";

export interface ImageFlags {
  tag?: string;
  base: string;
  push?: boolean;
  insecureRegistry: string[];
  platform: string;
  format?: string;
  output?: string;
  registryUsername?: string;
  registryPasswordStdin?: boolean;
  chunkSizeMb?: string;
  builder: string;
}

const collect = (v: string, prev: string[]) => [...prev, v];

export function addImageFlags(cmd: Command, defaultBase: string): Command {
  return cmd
    .option("-t, --tag <image>", "the image to build: registry/repository:tag")
    .option("--base <image>", "base image (pulled over the registry API)", defaultBase)
    .option("--push", "push the image to the registry named by --tag")
    .option("--insecure-registry <host>", "allow plain http to this registry host[:port] (loopback hosts always are); repeatable", collect, [])
    .option("--platform <os/arch>", "platform of the image (picks the base's variant)", "linux/amd64")
    .option("--format <oci|docker>", "manifest format (default: the base image's; oci with --output)")
    .option("--output <dir>", "also write the image as an OCI image layout folder")
    .option("--registry-username <user>", "registry user (else docker/podman logins, CICLO_REGISTRY_USERNAME)")
    .option("--registry-password-stdin", "read the registry password from stdin")
    .option("--chunk-size-mb <n>", "upload blobs larger than this in chunks of this size (0: one request each)", "0")
    .option("--builder <native|buildah>", "native: ciclo writes and pushes the image itself (no daemon); buildah: hand the layers to buildah", "native");
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString("utf8").replace(/\r?\n$/, "");
}

export interface ImageContext {
  platform: Platform;
  format?: ManifestFormat;
  clientFor: ClientFor;
  cache: BlobCache;
}

export async function imageContext(flags: ImageFlags): Promise<ImageContext> {
  if (!flags.tag && !flags.output) throw new UsageError("Name the image with -t/--tag registry/repository:tag, or give --output.");
  if (flags.push && !flags.tag) throw new UsageError("--push needs -t/--tag.");
  if (flags.format && flags.format !== "oci" && flags.format !== "docker") throw new UsageError(`--format must be oci or docker, got '${flags.format}'.`);
  // An OCI image layout lists OCI manifests (skopeo and podman skip others): --output builds the OCI form, pushed or not.
  if (flags.output && flags.format === "docker") throw new UsageError("--output writes an OCI image layout, which holds OCI manifests: drop --format docker.");
  if (flags.output) flags.format = "oci";
  if (flags.builder !== "native" && flags.builder !== "buildah") throw new UsageError(`--builder must be native or buildah, got '${flags.builder}'.`);
  const chunkMb = Number(flags.chunkSizeMb ?? "0");
  if (!Number.isFinite(chunkMb) || chunkMb < 0) throw new UsageError(`--chunk-size-mb must be a number ≥ 0, got '${flags.chunkSizeMb}'.`);
  let platform: Platform;
  try {
    platform = parsePlatform(flags.platform);
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  let explicit: { username: string; password: string } | undefined;
  if (flags.registryPasswordStdin) {
    if (!flags.registryUsername) throw new UsageError("--registry-password-stdin needs --registry-username.");
    explicit = { username: flags.registryUsername, password: await readStdin() };
  } else if (flags.registryUsername) throw new UsageError("--registry-username needs --registry-password-stdin (a password on the command line would show in ps and shell history).");
  const credentials = credentialLookup({ explicit });
  const clients = new Map<string, RegistryClient>();
  const clientFor: ClientFor = (registry) => {
    let c = clients.get(registry);
    if (!c) {
      c = new RegistryClient(registry, {
        credentials,
        insecureRegistries: flags.insecureRegistry,
        userAgent: `ciclo/${CICLO_VERSION}`,
        chunkSize: Math.round(chunkMb * 1024 * 1024),
      });
      clients.set(registry, c);
    }
    return c;
  };
  return { platform, format: flags.format as ManifestFormat | undefined, clientFor, cache: new BlobCache(BlobCache.defaultDir()) };
}

/** Build events → a byte progress bar for downloads and plain lines for steps and uploads. */
export function buildProgress(): { onEvent: (e: BuildEvent) => void; stop: () => void } {
  let bar: ByteProgress | undefined;
  let uploaded = 0;
  return {
    onEvent(e) {
      if (e.kind === "bytes") {
        bar ??= createByteProgress(e.total, e.label);
        bar.add(e.done - bar.done);
        return;
      }
      bar?.stop();
      bar = undefined;
      if (e.kind === "step") process.stderr.write(`${e.message}\n`);
      else if (e.kind === "warning") process.stderr.write(`warning: ${e.message}\n`);
      else if (e.outcome === "uploaded") {
        uploaded += e.size;
        process.stderr.write(`  uploaded ${e.digest.slice(7, 19)} (${(e.size / 1024 / 1024).toFixed(1)} MiB, ${(uploaded / 1024 / 1024).toFixed(1)} MiB so far)\n`);
      } else process.stderr.write(`  ${e.outcome === "exists" ? "already there" : "mounted"}: ${e.digest.slice(7, 19)}\n`);
    },
    stop: () => bar?.stop(),
  };
}
