/**
 * ciclo's own server as an image, built like a model image (no daemon,
 * reproducible): `ciclo server` from the built `dist/` (API and UI) with the
 * production `node_modules` from the lock — native parts for one platform
 * only (better-sqlite3's addon without its SQLite sources, onnxruntime-node's
 * linux/x64 binary) — as user 10001.
 *
 * | path | what |
 * |---|---|
 * | `/opt/ciclo` | the app (read-only: fine with a read-only root) |
 * | `/var/lib/ciclo` | the volume: `ciclo.db` (SQLite) and `artifacts/` unless the env points elsewhere |
 * | port 5000 | API, UI, `/health` (the health check), `/metrics` |
 *
 * Settings by environment: `CICLO_BACKEND_STORE_URI` (default
 * `sqlite:////var/lib/ciclo/ciclo.db`), `CICLO_ARTIFACTS_DESTINATION`
 * (default `/var/lib/ciclo/artifacts`), `CICLO_DEFAULT_ARTIFACT_ROOT`,
 * `CICLO_LOG_LEVEL`. SIGTERM closes the server gracefully (`--shutdown-timeout`).
 * @module
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { CICLO_VERSION } from "../../shared/node/version.js";
import { InvalidParameterValueError } from "../../shared/errors.js";
import { CICLO_HOME, CICLO_UID, type ConfigSettings } from "./image-config.js";
import { LayerSpec } from "./layer-tar.js";
import { nodeArch } from "./model-image.js";
import { lockClosure, type LockEntry } from "../package-lock-closure.js";
import type { Platform } from "./oci-manifest.js";

export const SERVER_PORT = 5000;
export const SERVER_DATA = "/var/lib/ciclo";
const APP = "/opt/ciclo";
const REPO_ROOT = fileURLToPath(new URL("../../../", import.meta.url));

const JUNK = /(^|\/)(\.bin|\.github|__tests__|\.DS_Store)(\/|$)|\.(map|d\.ts|d\.cts|d\.mts|md|markdown|tsbuildinfo)$/i;

/** Per-package parts that do not run: native sources and build leftovers, other platforms' binaries. */
function packageJunk(name: string, arch: string): RegExp | undefined {
  if (name === "better-sqlite3") return /^(deps|src)(\/|$)|^build\/(Release\/(obj|obj\.target|\.deps|test_extension\.node|sqlite3\.a)|deps|[^R][^/]*)(\/|$)|^binding\.gyp$/;
  if (name === "onnxruntime-node") return new RegExp(`^(script|lib)(/|$)|^bin/napi-v6/(?!linux(/${arch})?(/|$))|^bin/napi-v6/linux/(?!${arch}(/|$))`);
  return undefined;
}

export interface ServerImagePlan {
  layers: LayerSpec[];
  settings: Omit<ConfigSettings, "created">;
}

export async function planServerImage(platform: Platform, root = REPO_ROOT): Promise<ServerImagePlan> {
  const arch = nodeArch(platform);
  if (arch !== process.arch) throw new InvalidParameterValueError(`The server image holds native modules built here (${process.arch}): it can only be built for linux/${process.arch === "x64" ? "amd64" : process.arch}.`);
  if (!existsSync(join(root, "dist", "cli", "main.js")) || !existsSync(join(root, "dist", "ui", "index.html"))) {
    throw new InvalidParameterValueError("The server image is built from dist/: run `npm run build` first.");
  }
  const lock = JSON.parse(readFileSync(join(root, "package-lock.json"), "utf8")) as { packages: Record<string, LockEntry & { dev?: boolean; devOptional?: boolean }> };
  const prod = new Set(Object.entries(lock.packages).filter(([k, v]) => k.startsWith("node_modules/") && !v.dev && !v.devOptional).map(([k]) => k));
  // The image is the whole server: the packages a user adds for S3, Azure Blob, ONNX and MySQL imports
  // (ciclo's optional peer dependencies, development dependencies of the checkout) are in it too.
  const peers = Object.keys((JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as { peerDependencies?: Record<string, string> }).peerDependencies ?? {});
  for (const key of Object.keys(lockClosure(lock, peers.filter((n) => lock.packages[`node_modules/${n}`])))) prod.add(key);
  const deps = new LayerSpec(`ciclo ${CICLO_VERSION}: production node_modules (linux/${arch})`);
  for (const key of [...prod].filter((k) => !k.slice("node_modules/".length).includes("/node_modules/")).sort()) {
    const name = key.slice("node_modules/".length);
    const dir = join(root, key);
    if (!existsSync(dir)) continue; // an optional dependency for another platform
    const own = packageJunk(name, arch);
    await deps.addTree(dir, `${APP}/${key}`, {
      exclude: (rel) => {
        if (JUNK.test(rel) || own?.test(rel)) return true;
        // A nested package is kept only if the lock installs it for production.
        const nested = /^(.*\/)?node_modules\/(@[^/]+\/)?[^/]+$/.exec(rel);
        return nested !== null && !prod.has(`${key}/${rel}`);
      },
    });
  }
  const app = new LayerSpec(`ciclo ${CICLO_VERSION}: server and UI (dist/)`)
    .file(`${APP}/package.json`, readFileSync(join(root, "package.json")))
    .file(`${APP}/bin/ciclo.js`, readFileSync(join(root, "bin", "ciclo.js")), 0o755);
  await app.addTree(join(root, "dist"), `${APP}/dist`, { exclude: (rel) => JUNK.test(rel) });
  app.dir(SERVER_DATA, 0o755, { uid: CICLO_UID, gid: CICLO_UID });
  return {
    layers: [deps, app],
    settings: {
      entrypoint: ["node", "--max-semi-space-size=32", `${APP}/bin/ciclo.js`],
      // A container listens on all its interfaces; the operator decides what reaches the port. Without
      // authentication that needs --insecure (ciclo refuses otherwise); CICLO_AUTH=1 with an admin turns sign-in on.
      cmd: ["server", "--host", "0.0.0.0", "--port", String(SERVER_PORT), "--insecure"],
      env: {
        NODE_ENV: "production",
        HOME: CICLO_HOME,
        CICLO_BACKEND_STORE_URI: `sqlite:///${SERVER_DATA}/ciclo.db`,
        CICLO_ARTIFACTS_DESTINATION: `${SERVER_DATA}/artifacts`,
      },
      workingDir: SERVER_DATA,
      exposedPort: SERVER_PORT,
      volumes: [SERVER_DATA],
      healthcheck: {
        test: ["node", "-e", `fetch('http://127.0.0.1:${SERVER_PORT}/health').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))`],
        intervalSeconds: 10,
        timeoutSeconds: 2,
        startPeriodSeconds: 20,
        retries: 3,
      },
      labels: {
        "org.opencontainers.image.title": "ciclo",
        "org.opencontainers.image.version": CICLO_VERSION,
        "org.opencontainers.image.description": "ciclo server: MLflow-compatible tracking, registry and UI",
        "org.opencontainers.image.licenses": "Apache-2.0",
        "dev.ciclo.version": CICLO_VERSION,
        "dev.ciclo.component": "server",
      },
    },
  };
}
