/**
 * What goes into a model's image, by runtime:
 *
 * - **Node fast path** (`onnx`, `js_function`): ciclo's scoring server
 *   bundled to two files (the same bundle as `build-docker`), the production
 *   `node_modules` it loads at run time — onnxruntime-node with only the
 *   target platform's native binary (45 MB of its 288 MB) — and the model at
 *   `/opt/ml/model` (MLflow's image layout). Runtime layer first: it is the
 *   same for every model of one ciclo version, so a registry stores it once.
 * - **Python** (`python_function` and the other Python flavors): the seam for
 *   ciclo's Python runtime (issue 18 §1), which this build does not have.
 *   Refused with a clear message rather than an image that cannot serve.
 *
 * The image's settings: non-root user 10001, port 8080, `/ping` health
 * check, SIGTERM drains (serve-entry.ts), labels naming the model.
 * @module
 */
import { createHash } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { readMlmodel, type MlModel } from "../../models/index.js";
import { CICLO_VERSION } from "../../shared/node/version.js";
import { bundleServer, CONTAINER_MODEL_PATH, CONTAINER_PORT } from "../docker-context.js";
import { InvalidParameterValueError } from "../../shared/errors.js";
import { CICLO_HOME, type ConfigSettings } from "./image-config.js";
import { LayerSpec } from "./layer-tar.js";
import type { Platform } from "./oci-manifest.js";

export type ImageRuntime = "node" | "python";

export const APP_DIR = "/opt/ciclo";

/** Flavors the Node server runs in-process; anything else needs Python. */
const NODE_FLAVORS = ["onnx", "js_function"];

export function runtimeFor(mlmodel: MlModel): ImageRuntime {
  const flavors = Object.keys(mlmodel.flavors);
  if (flavors.some((f) => NODE_FLAVORS.includes(f))) return "node";
  if (flavors.includes("python_function")) return "python";
  throw new InvalidParameterValueError(`No runtime serves this model: its flavors are ${flavors.join(", ") || "none"} (ciclo serves onnx and js_function; python_function needs the Python runtime).`);
}

/** Node's name for an OCI architecture. */
export function nodeArch(p: Platform): string {
  const map: Record<string, string> = { amd64: "x64", arm64: "arm64" };
  const arch = map[p.architecture];
  if (p.os !== "linux" || !arch) throw new InvalidParameterValueError(`ciclo's model images run on linux/amd64 and linux/arm64, not ${p.os}/${p.architecture}.`);
  return arch;
}

/** The files of an npm package that run: no sources, maps, typings, install scripts or other platforms' binaries. */
export function runtimeFilesOnly(binDir?: string): (rel: string) => boolean {
  return (rel) => {
    if (/\.(map|d\.ts|d\.cts|d\.mts|md|markdown)$/i.test(rel) || /^(lib|script|src|test|docs?)(\/|$)/.test(rel)) return true;
    if (binDir && rel.startsWith("bin/")) return !(binDir.startsWith(`${rel}/`) || rel === binDir || rel.startsWith(`${binDir}/`));
    return false;
  };
}

const require = createRequire(import.meta.url);

/** An installed package's folder (from its entry point: not every package exports package.json). */
export function pkgDir(name: string): string {
  for (let dir = dirname(require.resolve(name)); dir !== dirname(dir); dir = dirname(dir)) {
    if (dir.endsWith(`/node_modules/${name}`)) return dir;
  }
  throw new InvalidParameterValueError(`Cannot find the folder of the installed package '${name}'.`);
}

/** The Node runtime layer: bundled server + onnxruntime for one platform. */
export async function nodeRuntimeLayer(platform: Platform): Promise<{ layer: LayerSpec; cleanup: () => Promise<void> }> {
  const arch = nodeArch(platform);
  const stage = await mkdtemp(join(tmpdir(), "ciclo-image-app-"));
  try {
    await bundleServer(stage);
    const layer = new LayerSpec(`ciclo ${CICLO_VERSION}: scoring server (Node) and onnxruntime-node linux/${arch}`);
    await layer.addTree(stage, `${APP_DIR}/app`);
    await layer.addTree(pkgDir("onnxruntime-node"), `${APP_DIR}/node_modules/onnxruntime-node`, { exclude: runtimeFilesOnly(`bin/napi-v6/linux/${arch}`) });
    await layer.addTree(pkgDir("onnxruntime-common"), `${APP_DIR}/node_modules/onnxruntime-common`, { exclude: runtimeFilesOnly() });
    return { layer, cleanup: () => rm(stage, { recursive: true, force: true }) };
  } catch (err) {
    await rm(stage, { recursive: true, force: true });
    throw err;
  }
}

/** Canonical JSON (sorted keys) → sha256: the same signature gives the same label. */
export function signatureDigest(signature: unknown): string | undefined {
  if (!signature) return undefined;
  const canon = (v: unknown): unknown =>
    Array.isArray(v) ? v.map(canon) : v && typeof v === "object" ? Object.fromEntries(Object.keys(v).sort().map((k) => [k, canon((v as Record<string, unknown>)[k])])) : v;
  return `sha256:${createHash("sha256").update(JSON.stringify(canon(signature))).digest("hex")}`;
}

export interface ModelImageInfo {
  path: string;
  name: string;
  version: string;
  /** The canonical URI (`models:/name/3`, `runs:/id/path`); none for a local folder, whose path is not the model. */
  uri?: string;
}

export interface ModelImagePlan {
  runtime: ImageRuntime;
  layers: LayerSpec[];
  settings: Omit<ConfigSettings, "created">;
  cleanup: () => Promise<void>;
}

export async function planModelImage(model: ModelImageInfo, platform: Platform): Promise<ModelImagePlan> {
  const mlmodel = await readMlmodel(model.path);
  const runtime = runtimeFor(mlmodel);
  if (runtime === "python") {
    // The seam: a Python base (python3 + mlflow's pyfunc loader + the model's environment), the same Node
    // front with CICLO_RUNTIME=python (serve-entry.ts reads it) and src/serving/python/pyfunc_worker.py.
    throw new InvalidParameterValueError(
      `'${model.name}' is a python_function model: images of Python models need ciclo's Python runtime in the image, which build-image does not assemble yet ` +
        "(no base with MLflow's pyfunc loader). Serve it with `ciclo models serve` (the Python runtime), export it to ONNX (served by the Node image), or use `mlflow models build-docker` for now.",
    );
  }
  const flavor = NODE_FLAVORS.find((f) => f in mlmodel.flavors)!;
  const runtimeLayer = await nodeRuntimeLayer(platform);
  const modelLayer = await new LayerSpec(`model ${model.name} version ${model.version}`).addTree(model.path, CONTAINER_MODEL_PATH, {
    exclude: (rel) => /(^|\/)(\.git|node_modules)(\/|$)/.test(rel) || rel.endsWith(".partial"),
  });
  const sig = signatureDigest(mlmodel.signature);
  const labels: Record<string, string> = {
    "org.opencontainers.image.title": model.name,
    "org.opencontainers.image.version": model.version,
    "org.opencontainers.image.description": `ciclo model server: ${model.name} version ${model.version} (${flavor})`,
    "dev.ciclo.version": CICLO_VERSION,
    "dev.ciclo.runtime": runtime,
    "dev.ciclo.model.name": model.name,
    "dev.ciclo.model.version": model.version,
    "dev.ciclo.model.flavor": flavor,
    ...(model.uri ? { "dev.ciclo.model.uri": model.uri } : {}),
    ...(mlmodel.run_id ? { "dev.ciclo.model.run-id": String(mlmodel.run_id) } : {}),
    ...(mlmodel.model_id ? { "dev.ciclo.model.model-id": String(mlmodel.model_id) } : {}),
    ...(sig ? { "dev.ciclo.model.signature-digest": sig } : {}),
  };
  return {
    runtime,
    layers: [runtimeLayer.layer, modelLayer],
    settings: {
      entrypoint: ["node", `${APP_DIR}/app/server.mjs`],
      env: {
        NODE_ENV: "production",
        HOME: CICLO_HOME,
        HOST: "0.0.0.0",
        PORT: String(CONTAINER_PORT),
        CICLO_MODEL_PATH: CONTAINER_MODEL_PATH,
        CICLO_MODEL_NAME: model.name,
        CICLO_MODEL_VERSION: model.version,
      },
      workingDir: APP_DIR,
      exposedPort: CONTAINER_PORT,
      healthcheck: {
        // PORT may be changed at run time (`-e PORT=…`): the check asks the port the server listens on.
        test: ["node", "-e", `fetch('http://127.0.0.1:' + (process.env.PORT || ${CONTAINER_PORT}) + '/ping').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))`],
        intervalSeconds: 10,
        timeoutSeconds: 2,
        startPeriodSeconds: 30,
        retries: 3,
      },
      labels,
    },
    cleanup: runtimeLayer.cleanup,
  };
}
