/**
 * What goes into a model's image, by runtime:
 *
 * - **Node fast path** (`onnx`, `js_function`): ciclo's scoring server
 *   bundled to two files (the same bundle as `build-docker`), the production
 *   `node_modules` it loads at run time — onnxruntime-node with only the
 *   target platform's native binary (45 MB of its 288 MB) — and the model at
 *   `/opt/ml/model` (MLflow's image layout). Runtime layer first: it is the
 *   same for every model of one ciclo version, so a registry stores it once.
 * - **Python** (`python_function` and the other Python flavors): the same
 *   runtime layer (the Node front drives `pyfunc_worker.py`, which sits in it
 *   too) on a base with python3 and the model's packages, plus MLflow's
 *   Python package from folders the user names (`--mlflow-from`: ciclo does
 *   not ship MLflow), with `CICLO_RUNTIME=python`. The model's
 *   requirements are checked against the base's and the folders' packages
 *   before anything is written (python-requirements-check.ts); with a pip
 *   index (`pipIndexUrl`) the lines that do not fit are installed from it
 *   into one more layer (python-pip-install.ts) and checked again. What
 *   still does not fit fails the build, or is printed as a warning with
 *   `allowMismatch`.
 *
 * The image's settings: non-root user 10001, port 8080, `/ping` health
 * check, SIGTERM drains (serve-entry.ts), labels naming the model.
 * @module
 */
import { createHash } from "node:crypto";
import { mkdtemp, rm, stat } from "node:fs/promises";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { readMlmodel, type MlModel } from "../../models/index.js";
import { CICLO_VERSION } from "../../shared/node/version.js";
import { bundleServer, CONTAINER_MODEL_PATH, CONTAINER_PORT } from "../docker-context.js";
import { InvalidParameterValueError } from "../../shared/errors.js";
import { CICLO_HOME, type ConfigSettings } from "./image-config.js";
import { LayerSpec } from "./layer-tar.js";
import type { Platform } from "./oci-manifest.js";
import { scanLayers, type PythonInventory } from "./python-inventory.js";
import { pythonPackagesLayer } from "./python-packages.js";
import { PIP_PACKAGES_DIR, pipInstallLayer, type PipInstalled } from "./python-pip-install.js";
import { checkFit, modelPythonNeeds, type FitReport } from "./python-requirements-check.js";

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
const PYFUNC_WORKER = fileURLToPath(new URL("../../serving/python/pyfunc_worker.py", import.meta.url));

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
    // The Python runtime's worker, where the bundle looks for it (python-worker-process.ts).
    layer.add({ path: `${APP_DIR}/app/python/pyfunc_worker.py`, type: "file", mode: 0o644, source: PYFUNC_WORKER, size: (await stat(PYFUNC_WORKER)).size });
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
  /** Python images: checks the base's layers (local gzip tars) hold what the model needs; returns warnings or throws. */
  inspectBase?: (layers: Array<{ path: string; digest: string }>) => Promise<string[]>;
  cleanup: () => Promise<void>;
}

export interface PythonImageOptions {
  /** Folders of Python packages to add (MLflow's among them), in PYTHONPATH order. */
  mlflowFrom?: string[];
  /** Warn instead of failing when the model's requirements do not fit the image. */
  allowMismatch?: boolean;
  /** The interpreter in the image (default `python3` on the image's PATH). */
  python?: string;
  /** A PEP 503 index to install the requirements that do not fit from (`--pip-index-url` / PIP_INDEX_URL). */
  pipIndexUrl?: string;
  /** pip's output lines while it installs. */
  log?: (line: string) => void;
}

/** The sentence a failed or warned fit check prints. */
export function fitMessage(model: string, report: FitReport): string {
  return (
    `The Python environment of the image does not fit model '${model}' (the base image's packages + the --mlflow-from folders):\n` +
    report.mismatches.map((m) => `  - ${m}`).join("\n") +
    "\nUse a base with these packages (scripts/base-images.sh builds one from Debian's), add folders with --mlflow-from, " +
    "or build anyway with --allow-mismatch (the server may fail to load the model or answer differently)."
  );
}

export async function planModelImage(model: ModelImageInfo, platform: Platform, py: PythonImageOptions = {}): Promise<ModelImagePlan> {
  const mlmodel = await readMlmodel(model.path);
  const runtime = runtimeFor(mlmodel);
  const pyfunc = mlmodel.flavors.python_function as { loader_module?: unknown } | undefined;
  const flavor = runtime === "node" ? NODE_FLAVORS.find((f) => f in mlmodel.flavors)! : String(pyfunc?.loader_module ?? "python_function");
  const needs = runtime === "python" ? await modelPythonNeeds(model.path) : undefined;
  const packages = runtime === "python" ? await pythonPackagesLayer(py.mlflowFrom ?? []) : undefined;
  const runtimeLayer = await nodeRuntimeLayer(platform).catch(async (err: unknown) => {
    await packages?.cleanup();
    throw err;
  });
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
  const pythonEnv: Record<string, string> = {};
  // The builder reads the layers and `settings.env` after inspectBase, which may add the pip layer (before the model's) and its folder.
  const imageLayers = packages?.layer ? [runtimeLayer.layer, packages.layer, modelLayer] : [runtimeLayer.layer, modelLayer];
  let installed: PipInstalled | undefined;
  let inspectBase: ModelImagePlan["inspectBase"];
  if (runtime === "python" && packages) {
    Object.assign(pythonEnv, {
      CICLO_RUNTIME: "python",
      CICLO_ENV_MANAGER: "local",
      CICLO_PYTHON: py.python ?? "python3",
      PYTHONDONTWRITEBYTECODE: "1",
      MLFLOW_DISABLE_TELEMETRY: "true",
      DO_NOT_TRACK: "true",
      ...(packages.pythonPath.length > 0 ? { PYTHONPATH: packages.pythonPath.join(":") } : {}),
    });
    const mlflow = packages.provides.get("mlflow");
    if (mlflow) labels["dev.ciclo.python.mlflow"] = mlflow.version;
    inspectBase = async (layers) => {
      const base = await scanLayers(layers);
      const inv: PythonInventory = { pythons: base.pythons, packages: new Map([...base.packages, ...packages.provides]) };
      if (!inv.packages.has("mlflow")) {
        throw new InvalidParameterValueError(
          `'${model.name}' is a Python model (${flavor}): its image needs MLflow's Python package (the pyfunc loader), which the base does not have. ` +
            "ciclo does not ship MLflow: give a folder that holds it with --mlflow-from <dir> (or CICLO_MLFLOW_FROM), e.g. one made with " +
            "`pip install --target <dir> mlflow-skinny==<the model's version>` on a machine that reaches a package index.",
        );
      }
      if (inv.pythons.length === 0) throw new InvalidParameterValueError(`The base image has no Python interpreter (no /usr/bin/python3.x): '${model.name}' is a Python model. Use a Python base (scripts/base-images.sh builds one).`);
      if (!needs) return [`'${model.name}' names no requirements (no python_env.yaml, requirements.txt or conda.yaml): its packages were not checked.`];
      let report = checkFit(needs, inv);
      const warnings = report.unchecked.map((l) => `requirement '${l}' (${needs.source}) cannot be checked from package metadata: not checked`);
      if (report.unmet.length > 0 && py.pipIndexUrl) {
        // The image's Python decides which wheels fit: the model's version when the image has it, else the newest it has.
        const want = needs.python?.split(".").slice(0, 2).join(".");
        const python = want && inv.pythons.includes(want) ? want : inv.pythons.at(-1)!;
        installed = await pipInstallLayer({ requirements: report.unmet, indexUrl: py.pipIndexUrl, python, platform, log: py.log });
        for (const [name, d] of installed.provides) inv.packages.set(name, { ...d, where: `${PIP_PACKAGES_DIR}/${d.where.split("/").pop()}` });
        imageLayers.splice(imageLayers.indexOf(modelLayer), 0, installed.layer);
        settings.env.PYTHONPATH = [PIP_PACKAGES_DIR, ...packages.pythonPath].join(":");
        warnings.push(`installed from the pip index: ${report.unmet.join(", ")}`);
        report = checkFit(needs, inv);
      }
      if (report.mismatches.length > 0) {
        const text = fitMessage(model.name, report);
        if (!py.allowMismatch) throw new InvalidParameterValueError(text);
        warnings.push(`--allow-mismatch: ${text}`);
      }
      return warnings;
    };
  }
  const settings: ModelImagePlan["settings"] = {
    entrypoint: ["node", `${APP_DIR}/app/server.mjs`],
    env: {
      NODE_ENV: "production",
      HOME: CICLO_HOME,
      HOST: "0.0.0.0",
      PORT: String(CONTAINER_PORT),
      CICLO_MODEL_PATH: CONTAINER_MODEL_PATH,
      CICLO_MODEL_NAME: model.name,
      CICLO_MODEL_VERSION: model.version,
      ...pythonEnv,
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
  };
  return {
    runtime,
    layers: imageLayers,
    inspectBase,
    settings,
    cleanup: async () => {
      await runtimeLayer.cleanup();
      await packages?.cleanup();
      await installed?.cleanup();
    },
  };
}
