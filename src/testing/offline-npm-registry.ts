/**
 * Test helper: an npm registry on a loopback port that serves exactly the packages of ciclo's
 * package-lock.json, their tarballs read from the local npm cache (content-addressed by the lock's
 * integrity). `npm install --registry <url>` in a scratch project then resolves and installs with no
 * network: what an offline mirror gives a user, and proof that an install downloads nothing else.
 * A package the lock has but the cache lacks (another platform's binary) answers 404 for its tarball.
 * @module
 */
import { execFileSync } from "node:child_process";
import { createReadStream, existsSync, readFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";

interface LockEntry {
  name?: string;
  version?: string;
  integrity?: string;
  link?: boolean;
  [field: string]: unknown;
}

/** Manifest fields npm reads from a packument (the lock keeps the same ones). */
const MANIFEST_FIELDS = [
  "dependencies",
  "optionalDependencies",
  "peerDependencies",
  "peerDependenciesMeta",
  "bin",
  "engines",
  "os",
  "cpu",
  "libc",
  "license",
  "hasInstallScript",
  "deprecated",
];

export interface OfflineRegistry {
  url: string;
  /** Package names served. */
  names: Set<string>;
  /** Tarballs served so far, and requests answered 404. */
  served: string[];
  missing: string[];
  close(): Promise<void>;
}

/** The npm cache folder (`npm config get cache`), where `npm ci` left the tarballs. */
export function npmCacheDir(): string {
  if (process.env.npm_config_cache) return process.env.npm_config_cache;
  return execFileSync("npm", ["config", "get", "cache"], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim();
}

function cachedTarball(cache: string, integrity: string): string | undefined {
  const [algo, b64] = integrity.split(/\s+/)[0]!.split("-", 2) as [string, string];
  const hex = Buffer.from(b64, "base64").toString("hex");
  const path = join(cache, "_cacache", "content-v2", algo, hex.slice(0, 2), hex.slice(2, 4), hex.slice(4));
  return existsSync(path) ? path : undefined;
}

/** Starts the registry for `lockPath`'s packages, tarballs from `cacheDir`. */
export async function startOfflineRegistry(lockPath: string, cacheDir = npmCacheDir()): Promise<OfflineRegistry> {
  const lock = JSON.parse(readFileSync(lockPath, "utf8")) as { packages: Record<string, LockEntry> };
  const packuments = new Map<string, Map<string, Record<string, unknown>>>();
  const tarballs = new Map<string, string>(); // "<name>@<version>" → integrity
  for (const [key, entry] of Object.entries(lock.packages)) {
    if (!key.includes("node_modules/") || entry.link || !entry.version || !entry.integrity) continue;
    const name = entry.name ?? key.slice(key.lastIndexOf("node_modules/") + "node_modules/".length);
    const versions = packuments.get(name) ?? new Map<string, Record<string, unknown>>();
    packuments.set(name, versions);
    const manifest: Record<string, unknown> = { name, version: entry.version };
    for (const f of MANIFEST_FIELDS) if (entry[f] !== undefined) manifest[f] = entry[f];
    versions.set(entry.version, manifest);
    tarballs.set(`${name}@${entry.version}`, entry.integrity);
  }
  const served: string[] = [];
  const missing: string[] = [];
  let base = "";
  const server: Server = createServer((req, res) => {
    const path = decodeURIComponent((req.url ?? "/").split("?")[0]!);
    const tgz = /^\/-\/tarball\/(.+)@([^@/]+)\.tgz$/.exec(path);
    if (tgz) {
      const integrity = tarballs.get(`${tgz[1]}@${tgz[2]}`);
      const file = integrity && cachedTarball(cacheDir, integrity);
      if (!file) {
        missing.push(path);
        res.writeHead(404).end();
        return;
      }
      served.push(`${tgz[1]}@${tgz[2]}`);
      res.writeHead(200, { "content-type": "application/octet-stream" });
      createReadStream(file).pipe(res);
      return;
    }
    const name = path.slice(1);
    const versions = packuments.get(name);
    if (!versions) {
      missing.push(path);
      res.writeHead(404, { "content-type": "application/json" }).end(JSON.stringify({ error: "not found" }));
      return;
    }
    const sorted = [...versions.keys()].sort((a, b) => a.localeCompare(b, "en", { numeric: true }));
    const body = {
      name,
      "dist-tags": { latest: sorted[sorted.length - 1] },
      versions: Object.fromEntries(
        [...versions].map(([v, m]) => [v, { ...m, dist: { tarball: `${base}/-/tarball/${name}@${v}.tgz`, integrity: tarballs.get(`${name}@${v}`) } }]),
      ),
    };
    res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(body));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url: `${base}/`,
    names: new Set(packuments.keys()),
    served,
    missing,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
