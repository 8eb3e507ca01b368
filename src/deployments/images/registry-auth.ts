/**
 * Registry authentication as Docker's token protocol defines it: a request
 * answered 401 carries `WWW-Authenticate: Basic realm=…` (send the user and
 * password on every request) or `Bearer realm=…,service=…,scope=…` (ask the
 * realm for a token for those scopes — with basic credentials, a refresh
 * token, or anonymously — and send it as `Authorization: Bearer`).
 *
 * Tokens are cached per scope set until shortly before they expire.
 * @module
 */
import { MlflowError } from "../../shared/errors.js";
import type { RegistryCredentials } from "./registry-credentials.js";

export interface Challenge {
  scheme: string;
  params: Record<string, string>;
}

/** Parses one `WWW-Authenticate` header (the first challenge; registries send one). */
export function parseChallenge(header: string | null): Challenge | undefined {
  if (!header) return undefined;
  const m = /^\s*([A-Za-z][A-Za-z0-9_-]*)\s*(.*)$/s.exec(header);
  if (!m) return undefined;
  const params: Record<string, string> = {};
  const re = /\s*([A-Za-z0-9_-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]*))\s*(?:,|$)/gy;
  let p: RegExpExecArray | null;
  while ((p = re.exec(m[2])) !== null && p[0] !== "") {
    params[p[1].toLowerCase()] = p[2] !== undefined ? p[2].replace(/\\(.)/g, "$1") : p[3];
  }
  return { scheme: m[1].toLowerCase(), params };
}

export class RegistryAuthError extends MlflowError {
  constructor(message: string) {
    super(message, "UNAUTHENTICATED");
  }
}

export type UrlPolicy = (url: URL) => void;

interface CachedToken {
  token: string;
  expiresAt: number;
}

/** Asks token realms for bearer tokens; one per registry client. */
export class TokenCache {
  readonly #tokens = new Map<string, CachedToken>();
  readonly #fetch: typeof fetch;
  readonly #checkUrl: UrlPolicy;
  readonly #userAgent: string;

  constructor(opts: { fetch: typeof fetch; checkUrl: UrlPolicy; userAgent: string }) {
    this.#fetch = opts.fetch;
    this.#checkUrl = opts.checkUrl;
    this.#userAgent = opts.userAgent;
  }

  /** A token for the challenge's realm and these scopes (cached). */
  async token(challenge: Challenge, scopes: string[], creds: RegistryCredentials | undefined, registry: string): Promise<string> {
    const realm = challenge.params.realm;
    if (!realm) throw new RegistryAuthError(`Registry ${registry} asked for a bearer token without naming a realm.`);
    let url: URL;
    try {
      url = new URL(realm);
    } catch {
      throw new RegistryAuthError(`Registry ${registry} named a token realm that is not a URL.`);
    }
    // Credentials go to the realm: it must pass the same plain-http rule as a registry.
    this.#checkUrl(url);
    const service = challenge.params.service;
    const key = JSON.stringify([url.href, service, [...scopes].sort()]);
    const hit = this.#tokens.get(key);
    if (hit && hit.expiresAt > Date.now()) return hit.token;
    const res = await this.#request(url, service, scopes, creds);
    if (res.status === 401 || res.status === 403) {
      throw new RegistryAuthError(`Registry ${registry}: the token service refused ${creds ? "the credentials" : "anonymous access"} (HTTP ${res.status}).`);
    }
    if (!res.ok) throw new RegistryAuthError(`Registry ${registry}: the token service answered HTTP ${res.status}.`);
    const text = await res.text();
    let body: { token?: string; access_token?: string; expires_in?: number };
    try {
      body = JSON.parse(text.slice(0, 1 << 20)) as typeof body;
    } catch {
      throw new RegistryAuthError(`Registry ${registry}: the token service did not answer JSON.`);
    }
    const token = body.token ?? body.access_token;
    if (!token || typeof token !== "string" || /[\r\n]/.test(token)) throw new RegistryAuthError(`Registry ${registry}: the token service's answer holds no token.`);
    // The spec's default lifetime is 60 s; renew 10 s early.
    const ttl = typeof body.expires_in === "number" && body.expires_in > 0 ? body.expires_in : 60;
    this.#tokens.set(key, { token, expiresAt: Date.now() + Math.max(1, ttl - 10) * 1000 });
    return token;
  }

  /** Forgets the token for these scopes (after a 401 with it). */
  forget(): void {
    this.#tokens.clear();
  }

  #request(url: URL, service: string | undefined, scopes: string[], creds: RegistryCredentials | undefined): Promise<Response> {
    const headers: Record<string, string> = { "user-agent": this.#userAgent };
    if (creds && "identityToken" in creds) {
      // OAuth2 refresh-token grant (what `docker login` saves as identitytoken).
      const form = new URLSearchParams({ grant_type: "refresh_token", refresh_token: creds.identityToken, client_id: "ciclo" });
      if (service) form.set("service", service);
      if (scopes.length) form.set("scope", scopes.join(" "));
      return this.#fetch(url, { method: "POST", headers: { ...headers, "content-type": "application/x-www-form-urlencoded" }, body: form, redirect: "error" });
    }
    const q = new URL(url);
    if (service) q.searchParams.set("service", service);
    for (const s of scopes) q.searchParams.append("scope", s);
    if (creds) headers.authorization = basicHeader(creds);
    return this.#fetch(q, { headers, redirect: "error" });
  }
}

export function basicHeader(creds: { username: string; password: string }): string {
  return `Basic ${Buffer.from(`${creds.username}:${creds.password}`).toString("base64")}`;
}
