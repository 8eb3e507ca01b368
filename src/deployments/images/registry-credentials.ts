/**
 * Where registry credentials come from, in order: what the command line
 * passed (flags, `CICLO_REGISTRY_USERNAME`/`CICLO_REGISTRY_PASSWORD`), then
 * the logins `docker login` and `podman login` saved — `$DOCKER_CONFIG/config.json`
 * (or `~/.docker/config.json`), then `$REGISTRY_AUTH_FILE` (or
 * `$XDG_RUNTIME_DIR/containers/auth.json`) — including their credential
 * helpers (`credHelpers`, `credsStore`: `docker-credential-<name> get`).
 *
 * Credentials are handed to the registry client and nowhere else: never
 * logged, never put in an error message or a URL.
 * @module
 */
import { execFile } from "node:child_process";
import { readFile } from "node:fs/promises";
import { homedir } from "node:os";
import { join } from "node:path";
import { DOCKER_HUB } from "./image-reference.js";

export type RegistryCredentials = { username: string; password: string } | { identityToken: string };

/** Looks up credentials for a registry host (as written in the image reference). */
export type CredentialLookup = (registry: string) => Promise<RegistryCredentials | undefined>;

interface AuthFile {
  auths?: Record<string, { auth?: string; username?: string; password?: string; identitytoken?: string }>;
  credHelpers?: Record<string, string>;
  credsStore?: string;
}

/** The keys a login may be saved under for this registry (Hub has its legacy URL). */
function keysFor(registry: string): string[] {
  if (registry === DOCKER_HUB || registry === "index.docker.io" || registry === "registry-1.docker.io") {
    return ["https://index.docker.io/v1/", "index.docker.io", "docker.io", "registry-1.docker.io", "https://registry-1.docker.io"];
  }
  return [registry, `https://${registry}`, `http://${registry}`, `https://${registry}/v1/`, `https://${registry}/v2/`];
}

async function readAuthFile(path: string): Promise<AuthFile | undefined> {
  try {
    const doc = JSON.parse(await readFile(path, "utf8")) as unknown;
    return doc && typeof doc === "object" ? (doc as AuthFile) : undefined;
  } catch {
    return undefined; // absent or unreadable: no saved logins there
  }
}

function fromEntry(e: NonNullable<AuthFile["auths"]>[string]): RegistryCredentials | undefined {
  if (e.identitytoken) return { identityToken: e.identitytoken };
  if (e.username && e.password) return { username: e.username, password: e.password };
  if (e.auth) {
    const plain = Buffer.from(e.auth, "base64").toString("utf8");
    const colon = plain.indexOf(":");
    if (colon > 0) return { username: plain.slice(0, colon), password: plain.slice(colon + 1) };
  }
  return undefined;
}

/** Runs `docker-credential-<helper> get` with the server on stdin (Docker's credential helper protocol). */
function fromHelper(helper: string, server: string): Promise<RegistryCredentials | undefined> {
  if (!/^[A-Za-z0-9_.-]+$/.test(helper)) return Promise.resolve(undefined);
  return new Promise((resolve) => {
    const child = execFile(`docker-credential-${helper}`, ["get"], { timeout: 10_000, maxBuffer: 1 << 20 }, (err, stdout) => {
      if (err) return resolve(undefined);
      try {
        const r = JSON.parse(stdout) as { Username?: string; Secret?: string };
        if (!r.Secret) return resolve(undefined);
        // Docker's convention: the user name "<token>" marks an identity (refresh) token.
        resolve(r.Username === "<token>" ? { identityToken: r.Secret } : { username: r.Username ?? "", password: r.Secret });
      } catch {
        resolve(undefined);
      }
    });
    child.stdin?.end(server);
  });
}

export interface CredentialSources {
  env?: NodeJS.ProcessEnv;
  /** Credentials from the command line, used for every registry the command talks to that has no saved login. */
  explicit?: { username: string; password: string };
  /** Registry the explicit credentials belong to (default: every registry). */
  explicitRegistry?: string;
}

/** A lookup over the explicit credentials and the saved logins. */
export function credentialLookup(src: CredentialSources = {}): CredentialLookup {
  const env = src.env ?? process.env;
  const explicit =
    src.explicit ?? (env.CICLO_REGISTRY_USERNAME && env.CICLO_REGISTRY_PASSWORD ? { username: env.CICLO_REGISTRY_USERNAME, password: env.CICLO_REGISTRY_PASSWORD } : undefined);
  const files = [
    join(env.DOCKER_CONFIG ?? join(homedir(), ".docker"), "config.json"),
    env.REGISTRY_AUTH_FILE ?? (env.XDG_RUNTIME_DIR ? join(env.XDG_RUNTIME_DIR, "containers", "auth.json") : undefined),
  ].filter((f): f is string => Boolean(f));
  return async (registry) => {
    if (explicit && (!src.explicitRegistry || src.explicitRegistry === registry)) return explicit;
    for (const file of files) {
      const doc = await readAuthFile(file);
      if (!doc) continue;
      const keys = keysFor(registry);
      const helper = keys.map((k) => doc.credHelpers?.[k]).find(Boolean);
      if (helper) {
        const c = await fromHelper(helper, keys[0]);
        if (c) return c;
      }
      for (const k of keys) {
        const e = doc.auths?.[k];
        const c = e && fromEntry(e);
        if (c) return c;
      }
      if (doc.credsStore) {
        const c = await fromHelper(doc.credsStore, keys[0]);
        if (c) return c;
      }
    }
    return undefined;
  };
}
