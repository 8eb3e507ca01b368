/**
 * Image references (`registry/repo/name:tag@sha256:…`) parsed by the grammar
 * of the Distribution project's `reference` package, so that anything else —
 * upper case, `..`, user info, query strings, control characters — is refused
 * before it reaches a URL. Docker Hub's conventions apply to names without a
 * registry (`node:20` → `docker.io/library/node:20`).
 * @module
 */
import { isIP } from "node:net";
import { InvalidParameterValueError } from "../../shared/errors.js";

export interface ImageReference {
  /** Host and optional port, as written (`docker.io` for Hub). */
  registry: string;
  /** Repository path, e.g. `library/node`, `team/fraud-model`. */
  repository: string;
  tag?: string;
  digest?: string;
}

const COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const TAG = /^[\w][\w.-]{0,127}$/;
const DIGEST = /^sha256:[a-f0-9]{64}$/;
const HOST_LABEL = /^(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])$/;
const MAX_NAME = 255;

export const DOCKER_HUB = "docker.io";

function bad(ref: string, why: string): InvalidParameterValueError {
  // Control characters are not echoed: the message ends up in logs and terminals.
  return new InvalidParameterValueError(`Image reference '${ref.slice(0, 300).replace(/[^\x20-\x7e]/g, "?")}' is invalid: ${why}.`);
}

/** True when the host part names a registry (has a dot or a port, is localhost or an IP literal). */
function looksLikeHost(first: string): boolean {
  return first.includes(".") || first.includes(":") || first === "localhost" || first.startsWith("[");
}

function validHost(host: string): boolean {
  let name = host;
  let port: string | undefined;
  if (host.startsWith("[")) {
    const end = host.indexOf("]");
    if (end < 0 || isIP(host.slice(1, end)) !== 6) return false;
    name = host.slice(1, end);
    const rest = host.slice(end + 1);
    if (rest && !rest.startsWith(":")) return false;
    port = rest ? rest.slice(1) : undefined;
    return port === undefined || /^\d{1,5}$/.test(port);
  }
  const colon = host.lastIndexOf(":");
  if (colon >= 0) {
    port = host.slice(colon + 1);
    name = host.slice(0, colon);
    if (!/^\d{1,5}$/.test(port) || Number(port) > 65535) return false;
  }
  return name.length > 0 && name.length <= 253 && name.split(".").every((l) => HOST_LABEL.test(l));
}

export function parseImageReference(ref: string): ImageReference {
  if (typeof ref !== "string" || ref.length === 0) throw bad(String(ref), "empty");
  if (ref.length > 1024) throw bad(ref, "longer than 1024 characters");
  if (/[^\x21-\x7e]/.test(ref)) throw bad(ref, "it contains spaces or control characters");
  let rest = ref;
  let digest: string | undefined;
  const at = rest.indexOf("@");
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!DIGEST.test(digest)) throw bad(ref, "the digest is not sha256:<64 lower-case hex>");
  }
  let tag: string | undefined;
  const lastSlash = rest.lastIndexOf("/");
  const colon = rest.lastIndexOf(":");
  if (colon > lastSlash) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!TAG.test(tag)) throw bad(ref, "the tag must be 1–128 of [A-Za-z0-9_.-], not starting with '.' or '-'");
  }
  const parts = rest.split("/");
  let registry = DOCKER_HUB;
  if (parts.length > 1 && looksLikeHost(parts[0])) {
    registry = parts.shift()!;
    if (!validHost(registry)) throw bad(ref, `'${registry}' is not a host[:port]`);
  }
  if (parts.length === 0 || parts.some((p) => !COMPONENT.test(p))) {
    throw bad(ref, "each path component must be lower-case letters and digits, separated by '.', '_', '__' or '-'");
  }
  let repository = parts.join("/");
  if (registry === DOCKER_HUB && parts.length === 1) repository = `library/${repository}`;
  if (repository.length > MAX_NAME) throw bad(ref, `the repository name is longer than ${MAX_NAME} characters`);
  return { registry, repository, ...(tag ? { tag } : {}), ...(digest ? { digest } : {}) };
}

/** What to ask the registry's manifests endpoint for: the digest, else the tag, else `latest`. */
export function manifestRef(r: ImageReference): string {
  return r.digest ?? r.tag ?? "latest";
}

export function formatReference(r: ImageReference): string {
  return `${r.registry}/${r.repository}${r.tag ? `:${r.tag}` : ""}${r.digest ? `@${r.digest}` : ""}`;
}

/** The same repository, pinned to a digest (what Kubernetes manifests should name). */
export function withDigest(r: ImageReference, digest: string): string {
  return `${r.registry}/${r.repository}@${digest}`;
}

/** Docker Hub's API host differs from its name. */
export function registryApiHost(registry: string): string {
  return registry === DOCKER_HUB || registry === "index.docker.io" ? "registry-1.docker.io" : registry;
}

/** The host part without the port, brackets removed. */
export function hostName(registry: string): string {
  if (registry.startsWith("[")) return registry.slice(1, registry.indexOf("]"));
  const colon = registry.lastIndexOf(":");
  return colon >= 0 ? registry.slice(0, colon) : registry;
}

/** localhost, 127.0.0.0/8 and ::1: the only hosts spoken to over plain http without --insecure-registry. */
export function isLoopbackHost(registry: string): boolean {
  const h = hostName(registry).toLowerCase();
  if (h === "localhost" || h.endsWith(".localhost")) return true;
  if (isIP(h) === 4) return h.startsWith("127.");
  if (isIP(h) === 6) return h === "::1" || h === "0:0:0:0:0:0:0:1";
  return false;
}
