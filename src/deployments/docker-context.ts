/**
 * `ciclo models build-docker`: a Docker build context for one model, the
 * analog of `mlflow models build-docker` / `generate-dockerfile`:
 *
 * ```
 * Dockerfile          Node base image, npm ci from the lock, non-root user, HEALTHCHECK on /ping, port 8080
 * package.json        the one native dependency (onnxruntime-node) …
 * package-lock.json   … pinned: the entries copied from ciclo's own lock
 * .npmrc              no CUDA download for onnxruntime-node
 * app/server.mjs      the scoring server bundled by esbuild: runs with plain `node`, no tsx
 * app/inference-worker.mjs
 * model/              the model package (→ /opt/ml/model, MLflow's layout)
 * ```
 * Everything else (ciclo's code, prom-client, yaml, …) is inside the bundle,
 * so the image installs one package. The model's name and version are baked
 * in as environment variables (metrics labels, /v2 paths).
 * @module
 */
import { cp, mkdir, readdir, readFile, writeFile } from "node:fs/promises";
import { extname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { CICLO_VERSION } from "../shared/node/version.js";
import { InvalidParameterValueError } from "../shared/errors.js";
import { lockClosure, type LockEntry } from "./package-lock-closure.js";

export const DEFAULT_BASE_IMAGE = "node:20-bookworm-slim";
export const CONTAINER_PORT = 8080;
export const CONTAINER_MODEL_PATH = "/opt/ml/model";

export interface DockerContextOptions {
  modelPath: string;
  outputDir: string;
  modelName: string;
  modelVersion: string;
  baseImage?: string;
}

const REPO_ROOT = fileURLToPath(new URL("../..", import.meta.url));

function dockerfile(o: DockerContextOptions): string {
  const env = (v: string) => JSON.stringify(v);
  return `# Built by \`ciclo models build-docker\` (ciclo ${CICLO_VERSION}). Serves ${o.modelName} version ${o.modelVersion}.
FROM ${o.baseImage ?? DEFAULT_BASE_IMAGE}

ENV NODE_ENV=production \\
    ONNXRUNTIME_NODE_INSTALL_CUDA=skip
WORKDIR /opt/ciclo
COPY package.json package-lock.json .npmrc ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force

COPY app/ ./app/
COPY model/ ${CONTAINER_MODEL_PATH}/

# Not root: the server needs no privileges (port 8080 > 1024).
RUN groupadd --system --gid 10001 ciclo && useradd --system --uid 10001 --gid ciclo --no-create-home ciclo
USER 10001:10001

ENV HOST=0.0.0.0 \\
    PORT=${CONTAINER_PORT} \\
    CICLO_MODEL_PATH=${CONTAINER_MODEL_PATH} \\
    CICLO_MODEL_NAME=${env(o.modelName)} \\
    CICLO_MODEL_VERSION=${env(o.modelVersion)}
EXPOSE ${CONTAINER_PORT}
HEALTHCHECK --interval=10s --timeout=2s --start-period=30s --retries=3 \\
  CMD ["node", "-e", "fetch('http://127.0.0.1:${CONTAINER_PORT}/ping').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# SIGTERM drains in-flight requests (CICLO_DRAIN_SECONDS, default 30) before exiting.
STOPSIGNAL SIGTERM
ENTRYPOINT ["node", "/opt/ciclo/app/server.mjs"]
`;
}

/**
 * Bundles the scoring server's entry and worker (from src/ or dist/, whichever is running).
 * Paths in the output are relative to the repository, so the bytes do not depend on the
 * working directory (`ciclo models build-image` needs the same bundle for the same code).
 */
export async function bundleServer(appDir: string): Promise<void> {
  const { build } = await import("esbuild");
  const ext = extname(fileURLToPath(import.meta.url));
  const here = (name: string) => fileURLToPath(new URL(`../serving/online/${name}${ext}`, import.meta.url));
  await build({
    entryPoints: { server: here("serve-entry"), "inference-worker": here("inference-worker") },
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    outdir: appDir,
    outExtension: { ".js": ".mjs" },
    absWorkingDir: REPO_ROOT,
    // The native runtime is installed by npm in the image.
    external: ["onnxruntime-node"],
    // CommonJS dependencies (prom-client, …) call require() for Node built-ins.
    banner: { js: "import { createRequire as __cicloRequire } from 'node:module'; const require = __cicloRequire(import.meta.url);" },
    logLevel: "error",
    plugins: [
      {
        // version.ts reads package.json relative to itself, which is not in the image: inline the value.
        name: "ciclo-version",
        setup(b) {
          b.onLoad({ filter: /[\\/]shared[\\/]node[\\/]version\.(ts|js)$/ }, () => ({ contents: `export const CICLO_VERSION = ${JSON.stringify(CICLO_VERSION)};`, loader: "js" }));
        },
      },
    ],
  });
}

export async function writeDockerContext(o: DockerContextOptions): Promise<string[]> {
  const dir = resolve(o.outputDir);
  await mkdir(dir, { recursive: true });
  const existing = await readdir(dir);
  if (existing.length > 0) throw new InvalidParameterValueError(`Output folder '${o.outputDir}' is not empty.`);
  const lock = JSON.parse(await readFile(join(REPO_ROOT, "package-lock.json"), "utf8")) as { packages: Record<string, LockEntry> };
  const ort = lock.packages["node_modules/onnxruntime-node"]?.version;
  if (!ort) throw new InvalidParameterValueError("ciclo's package-lock.json has no onnxruntime-node entry.");
  const pkg = { name: "ciclo-model-server", version: CICLO_VERSION, private: true, type: "module", dependencies: { "onnxruntime-node": ort } };
  const lockOut = {
    name: pkg.name,
    version: pkg.version,
    lockfileVersion: 3,
    requires: true,
    packages: { "": { name: pkg.name, version: pkg.version, dependencies: pkg.dependencies }, ...lockClosure(lock, ["onnxruntime-node"]) },
  };
  await writeFile(join(dir, "package.json"), `${JSON.stringify(pkg, null, 2)}\n`);
  await writeFile(join(dir, "package-lock.json"), `${JSON.stringify(lockOut, null, 2)}\n`);
  await writeFile(join(dir, ".npmrc"), "onnxruntime-node-install-cuda=skip\n");
  await writeFile(join(dir, ".dockerignore"), "node_modules\n*.partial\n");
  await writeFile(join(dir, "Dockerfile"), dockerfile(o));
  await bundleServer(join(dir, "app"));
  await cp(o.modelPath, join(dir, "model"), { recursive: true, filter: (src) => !/[\\/](node_modules|\.git)$/.test(src) });
  return ["Dockerfile", "package.json", "package-lock.json", ".npmrc", ".dockerignore", "app/server.mjs", "app/inference-worker.mjs", "model/"];
}
