/**
 * A client of the OCI Distribution API (what Docker Hub, GHCR, ECR, ACR,
 * Harbor and the CNCF `registry` speak), enough to pull a base image and push
 * an image built on it, the way Jib, ko and containerify work:
 *
 * - pull: manifest by tag or digest (OCI and Docker v2s2, image indexes with a
 *   platform chosen), config and layer blobs — every byte checked against the
 *   digest that named it, sizes bounded;
 * - push: `HEAD` first (a blob the registry holds is not sent again), then a
 *   cross-repository mount when the blob is known in another repository of
 *   the same registry, else a monolithic `PUT` or `PATCH` chunks; then the
 *   manifest;
 * - auth: basic or bearer token, following `WWW-Authenticate` (registry-auth.ts);
 * - transport: https; plain http only for loopback hosts or hosts the caller
 *   lists as insecure — redirects and token realms included; every request
 *   under auth's outbound policy (`safeFetch`, see `outbound`).
 *
 * npm has no maintained client that pushes (`@snyk/docker-registry-v2-client`
 * only pulls; `containerify` is a CLI), so this is written on Node's fetch.
 * @module
 */
import { Readable } from "node:stream";
import { safeFetch, type OutboundPolicy } from "../../auth/index.js";
import { InvalidParameterValueError, MlflowError, ResourceDoesNotExistError } from "../../shared/errors.js";
import { readLimited, verifyingStream, DigestMismatchError } from "./digest-stream.js";
import { hostName, isLoopbackHost, registryApiHost } from "./image-reference.js";
import { basicHeader, parseChallenge, RegistryAuthError, TokenCache, type Challenge } from "./registry-auth.js";
import type { CredentialLookup, RegistryCredentials } from "./registry-credentials.js";
import { MANIFEST_ACCEPT, MAX_CONFIG_BYTES, MAX_MANIFEST_BYTES, parseManifest, sha256Digest, type Descriptor, type ImageIndex, type ImageManifest } from "./oci-manifest.js";

export interface RegistryClientOptions {
  credentials?: CredentialLookup;
  /** Hosts (`host` or `host:port`) that may be spoken to over plain http besides loopback ones. */
  insecureRegistries?: string[];
  /**
   * Where requests may go (auth's SSRF policy, through `safeFetch`: every address checked, the connection pinned to
   * it, redirects and token realms checked again). Default: public addresses, plus the registry named and the
   * insecure registries, which may be private or loopback (a registry on the LAN) — a redirect or token realm
   * that points at another private address (the cloud metadata service) is refused.
   */
  outbound?: OutboundPolicy;
  /** Replaces the policed fetch (tests that record requests). */
  fetch?: typeof fetch;
  userAgent?: string;
  /** Blobs larger than this go up in PATCH chunks of this size; 0: always one PUT. */
  chunkSize?: number;
}

export interface FetchedManifest {
  bytes: Buffer;
  mediaType: string;
  digest: string;
  manifest: ImageManifest | ImageIndex;
}

export type PushOutcome = "exists" | "mounted" | "uploaded";

export class RegistryError extends MlflowError {
  constructor(message: string, readonly status?: number) {
    super(message, "INVALID_STATE");
  }
}

type Body = () => RequestInit["body"];

/** A registry error body (`{errors: [{code, message}]}`) in one printable line, control characters removed. */
async function errorText(res: Response): Promise<string> {
  const raw = await readLimited(res, 64 * 1024, "error body").catch(() => Buffer.alloc(0));
  let text = raw.toString("utf8");
  try {
    const doc = JSON.parse(text) as { errors?: Array<{ code?: string; message?: string }> };
    if (Array.isArray(doc.errors)) text = doc.errors.map((e) => [e.code, e.message].filter(Boolean).join(": ")).join("; ");
  } catch {
    // not JSON: keep the text
  }
  return text.replace(/[\x00-\x1f\x7f]+/g, " ").trim().slice(0, 300);
}

export class RegistryClient {
  readonly registry: string;
  readonly #opts: Required<Omit<RegistryClientOptions, "credentials">> & { credentials?: CredentialLookup };
  readonly #tokens: TokenCache;
  #base?: Promise<URL>;
  #challenge?: Challenge;
  #creds?: Promise<RegistryCredentials | undefined>;

  constructor(registry: string, opts: RegistryClientOptions = {}) {
    this.registry = registry;
    const insecure = opts.insecureRegistries ?? [];
    const api = registryApiHost(registry);
    const policy: OutboundPolicy = opts.outbound ?? { privateHosts: [...new Set([api, hostName(api), ...insecure, ...insecure.map(hostName)])] };
    const policed = ((url: string | URL, init?: RequestInit) => safeFetch(String(url), init as never, policy)) as unknown as typeof fetch;
    this.#opts = { insecureRegistries: [], userAgent: "ciclo", chunkSize: 0, ...opts, fetch: opts.fetch ?? policed, outbound: policy };
    this.#tokens = new TokenCache({ fetch: this.#opts.fetch, checkUrl: (u) => this.#checkUrl(u), userAgent: this.#opts.userAgent });
  }

  /** True when plain http is allowed to this host[:port]. */
  plainHttpAllowed(host: string): boolean {
    const list = this.#opts.insecureRegistries;
    return isLoopbackHost(host) || list.includes(host) || list.includes(hostName(host));
  }

  #checkUrl(url: URL): void {
    if (url.protocol === "https:") return;
    if (url.protocol === "http:" && this.plainHttpAllowed(url.host)) return;
    throw new InvalidParameterValueError(
      `Refused ${url.protocol}//${url.host}: plain http is used only for loopback hosts or a registry named with --insecure-registry.`,
    );
  }

  /** https://host, or http://host when https cannot be reached and plain http is allowed. */
  #baseUrl(): Promise<URL> {
    this.#base ??= (async () => {
      const api = registryApiHost(this.registry);
      const tryBase = async (scheme: string) => {
        const base = new URL(`${scheme}://${api}/`);
        const res = await this.#opts.fetch(new URL("/v2/", base), { headers: { "user-agent": this.#opts.userAgent }, redirect: "manual" });
        await res.body?.cancel().catch(() => undefined);
        if (res.status === 401) this.#challenge = parseChallenge(res.headers.get("www-authenticate"));
        return base;
      };
      try {
        return await tryBase("https");
      } catch (err) {
        if (!this.plainHttpAllowed(api)) {
          throw new RegistryError(
            `Cannot reach https://${api}/v2/ (${(err as Error).cause ? String(((err as Error).cause as Error).message) : (err as Error).message}). ` +
              "Plain http is used only for loopback hosts or a registry named with --insecure-registry.",
          );
        }
        try {
          return await tryBase("http");
        } catch (err2) {
          throw new RegistryError(`Cannot reach registry ${this.registry} over https or http: ${((err2 as Error).cause as Error | undefined)?.message ?? (err2 as Error).message}.`);
        }
      }
    })();
    return this.#base;
  }

  async #authHeader(scopes: string[]): Promise<string | undefined> {
    const c = this.#challenge;
    if (!c) return undefined;
    this.#creds ??= this.#opts.credentials?.(this.registry) ?? Promise.resolve(undefined);
    const creds = await this.#creds;
    if (c.scheme === "basic") {
      if (!creds || !("username" in creds)) throw new RegistryAuthError(`Registry ${this.registry} needs a user name and password (docker login, or --registry-username).`);
      return basicHeader(creds);
    }
    if (c.scheme === "bearer") return `Bearer ${await this.#tokens.token(c, scopes, creds, this.registry)}`;
    throw new RegistryAuthError(`Registry ${this.registry} asks for '${c.scheme}' authentication, which ciclo does not speak.`);
  }

  /** One request with auth (retried once after a 401 with a new challenge) and checked redirects. */
  async #send(method: string, target: string | URL, init: { headers?: Record<string, string>; body?: Body; scopes: string[]; follow?: boolean }): Promise<Response> {
    const base = await this.#baseUrl();
    let url = new URL(target, base);
    for (let attempt = 0; ; attempt++) {
      this.#checkUrl(url);
      const headers: Record<string, string> = { "user-agent": this.#opts.userAgent, ...init.headers };
      const auth = await this.#authHeader(init.scopes);
      if (auth) headers.authorization = auth;
      let res = await this.#opts.fetch(url, { method, headers, body: init.body?.(), redirect: "manual", duplex: "half" } as RequestInit);
      if (res.status === 401 && attempt === 0) {
        const c = parseChallenge(res.headers.get("www-authenticate"));
        await res.body?.cancel().catch(() => undefined);
        if (c) this.#challenge = c;
        this.#tokens.forget();
        continue;
      }
      for (let hops = 0; init.follow && res.status >= 300 && res.status < 400 && res.headers.get("location"); hops++) {
        if (hops === 5) throw new RegistryError(`Registry ${this.registry}: too many redirects for ${url.pathname}.`);
        await res.body?.cancel().catch(() => undefined);
        const next = new URL(res.headers.get("location")!, url);
        this.#checkUrl(next);
        // Blob storage (S3, …) gets no registry credentials: its URL carries its own signature.
        const sameOrigin = next.origin === base.origin;
        res = await this.#opts.fetch(next, { method, headers: sameOrigin ? headers : { "user-agent": this.#opts.userAgent }, redirect: "manual" });
        url = next;
      }
      if (res.status === 401 || res.status === 403) {
        const text = await errorText(res);
        throw new RegistryAuthError(`Registry ${this.registry} refused ${method} ${url.pathname} (HTTP ${res.status}${text ? `: ${text}` : ""}).`);
      }
      return res;
    }
  }

  async #fail(res: Response, what: string): Promise<never> {
    const text = await errorText(res);
    if (res.status === 404) throw new ResourceDoesNotExistError(`Registry ${this.registry}: ${what} not found${text ? ` (${text})` : ""}.`);
    throw new RegistryError(`Registry ${this.registry}: ${what} failed with HTTP ${res.status}${text ? ` (${text})` : ""}.`, res.status);
  }

  static pull = (repo: string) => [`repository:${repo}:pull`];
  static push = (repo: string) => [`repository:${repo}:pull,push`];

  /** A manifest or index by tag or digest; its digest is computed from the bytes and checked. */
  async getManifest(repo: string, ref: string): Promise<FetchedManifest> {
    const res = await this.#send("GET", `/v2/${repo}/manifests/${ref}`, { headers: { accept: MANIFEST_ACCEPT }, scopes: RegistryClient.pull(repo), follow: true });
    if (!res.ok) await this.#fail(res, `manifest ${repo}:${ref}`);
    const bytes = await readLimited(res, MAX_MANIFEST_BYTES, `manifest ${repo}:${ref}`);
    const digest = sha256Digest(bytes);
    if (ref.startsWith("sha256:") && digest !== ref) throw new DigestMismatchError(`Refused manifest ${repo}@${ref}: its bytes hash to ${digest}.`);
    const claimed = res.headers.get("docker-content-digest");
    if (claimed?.startsWith("sha256:") && claimed !== digest) throw new DigestMismatchError(`Refused manifest ${repo}:${ref}: the registry says ${claimed}, its bytes hash to ${digest}.`);
    const manifest = parseManifest(bytes, res.headers.get("content-type") ?? undefined);
    return { bytes, digest, mediaType: manifest.mediaType, manifest };
  }

  /** A small blob (an image config) read whole and checked. */
  async getBlobBytes(repo: string, d: Descriptor, limit = MAX_CONFIG_BYTES): Promise<Buffer> {
    if (d.size > limit) throw new InvalidParameterValueError(`Refused blob ${d.digest}: ${d.size} bytes, over the ${limit}-byte limit.`);
    const res = await this.#send("GET", `/v2/${repo}/blobs/${d.digest}`, { scopes: RegistryClient.pull(repo), follow: true });
    if (!res.ok) await this.#fail(res, `blob ${d.digest}`);
    const bytes = await readLimited(res, d.size, `blob ${d.digest}`);
    const got = sha256Digest(bytes);
    if (got !== d.digest || bytes.length !== d.size) throw new DigestMismatchError(`Refused blob ${d.digest}: its ${bytes.length} bytes hash to ${got}.`);
    return bytes;
  }

  /** A blob as a stream that fails unless its bytes match the descriptor. */
  async openBlob(repo: string, d: Descriptor): Promise<Readable> {
    const res = await this.#send("GET", `/v2/${repo}/blobs/${d.digest}`, { scopes: RegistryClient.pull(repo), follow: true });
    if (!res.ok || !res.body) await this.#fail(res, `blob ${d.digest}`);
    const declared = Number(res.headers.get("content-length") ?? "NaN");
    if (Number.isFinite(declared) && declared !== d.size) {
      await res.body!.cancel().catch(() => undefined);
      throw new DigestMismatchError(`Refused blob ${d.digest}: the registry sends ${declared} bytes, its descriptor declares ${d.size}.`);
    }
    const src = Readable.fromWeb(res.body! as import("node:stream/web").ReadableStream<Uint8Array>);
    const check = verifyingStream(d.digest, d.size, `blob ${d.digest}`);
    src.on("error", (err) => check.destroy(err));
    return src.pipe(check);
  }

  /** Size of the blob if the repository has it. */
  async blobExists(repo: string, digest: string, scopes = RegistryClient.pull(repo)): Promise<boolean> {
    const res = await this.#send("HEAD", `/v2/${repo}/blobs/${digest}`, { scopes, follow: true });
    await res.body?.cancel().catch(() => undefined);
    if (res.status === 404) return false;
    if (res.ok) return true;
    return this.#fail(res, `HEAD blob ${digest}`);
  }

  /**
   * Uploads a blob unless the repository has it: mount from `mountFrom` (same
   * registry) when given, else one PUT, or PATCH chunks past `chunkSize`.
   */
  async pushBlob(repo: string, d: Descriptor, data: Blob, mountFrom?: string): Promise<PushOutcome> {
    const scopes = RegistryClient.push(repo);
    if (await this.blobExists(repo, d.digest, scopes)) return "exists";
    let start: Response;
    if (mountFrom && mountFrom !== repo) {
      const mountScopes = [...scopes, ...RegistryClient.pull(mountFrom)];
      start = await this.#send("POST", `/v2/${repo}/blobs/uploads/?mount=${encodeURIComponent(d.digest)}&from=${encodeURIComponent(mountFrom)}`, { scopes: mountScopes });
      if (start.status === 201) {
        await start.body?.cancel().catch(() => undefined);
        return "mounted";
      }
    } else start = await this.#send("POST", `/v2/${repo}/blobs/uploads/`, { scopes });
    if (start.status !== 202) await this.#fail(start, `starting the upload of ${d.digest}`);
    await start.body?.cancel().catch(() => undefined);
    let location = this.#location(start);
    const chunk = this.#opts.chunkSize;
    if (chunk > 0 && d.size > chunk) {
      for (let off = 0; off < d.size; off += chunk) {
        const part = data.slice(off, Math.min(d.size, off + chunk));
        const res = await this.#send("PATCH", location, {
          headers: { "content-type": "application/octet-stream", "content-range": `${off}-${off + part.size - 1}`, "content-length": String(part.size) },
          body: () => part,
          scopes,
        });
        if (res.status !== 202) await this.#fail(res, `uploading ${d.digest} (bytes ${off}–)`);
        await res.body?.cancel().catch(() => undefined);
        location = this.#location(res);
      }
      const put = new URL(location);
      put.searchParams.set("digest", d.digest);
      const done = await this.#send("PUT", put, { headers: { "content-length": "0" }, scopes });
      if (done.status !== 201) await this.#fail(done, `finishing the upload of ${d.digest}`);
      await done.body?.cancel().catch(() => undefined);
      return "uploaded";
    }
    const put = new URL(location);
    put.searchParams.set("digest", d.digest);
    const done = await this.#send("PUT", put, { headers: { "content-type": "application/octet-stream" }, body: () => data, scopes });
    if (done.status !== 201) await this.#fail(done, `uploading ${d.digest}`);
    await done.body?.cancel().catch(() => undefined);
    return "uploaded";
  }

  #location(res: Response): string {
    const loc = res.headers.get("location");
    if (!loc) throw new RegistryError(`Registry ${this.registry} started an upload without a Location.`);
    return new URL(loc, res.url || `https://${registryApiHost(this.registry)}/`).href;
  }

  /** Puts a manifest under a tag (or its digest); returns the digest. */
  async pushManifest(repo: string, ref: string, bytes: Buffer, mediaType: string): Promise<string> {
    const digest = sha256Digest(bytes);
    const res = await this.#send("PUT", `/v2/${repo}/manifests/${ref}`, { headers: { "content-type": mediaType }, body: () => bytes, scopes: RegistryClient.push(repo) });
    if (res.status !== 201 && res.status !== 200) await this.#fail(res, `pushing manifest ${repo}:${ref}`);
    await res.body?.cancel().catch(() => undefined);
    const claimed = res.headers.get("docker-content-digest");
    if (claimed && claimed !== digest) throw new DigestMismatchError(`Registry ${this.registry} stored manifest ${repo}:${ref} as ${claimed}, not ${digest}.`);
    return digest;
  }
}
